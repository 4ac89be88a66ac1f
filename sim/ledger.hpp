// The parent chain as its users see it: one chain-wide pool of pending transactions, the blocks
// that include them, and when those blocks become final. The parent protocol fills blocks from it
// (select) and reports inclusion and finality (include, finalize); child chains, bridges and the
// workload submit to it and subscribe to its blocks. The protocol is free to decide when a block is
// final: at commit for a BFT protocol, later for a longest-chain or checkpointing one.
//
// Simplification: transaction gossip is taken as instantaneous once a transaction reaches a
// validator, so one pool stands for every validator's mempool; a block takes pending transactions in
// arrival order, skipping those its proposer censors, up to the first one that does not fit.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/message.hpp"
#include "sim/recorder.hpp"
#include "sim/stats.hpp"

namespace shsim {

/// A transaction a child chain, a bridge or a user posts to the parent (a batch, a state root, a
/// dispute move, a proof, a deposit, a withdrawal claim).
struct ParentTransaction {
  ParentTransaction() = default;
  ParentTransaction(std::string owner_name, std::string what, uint64_t size)
      : owner(std::move(owner_name)), kind(std::move(what)), bytes(size)
  {
  }
  std::string owner;  // chain or bridge that posted it
  std::string kind;   // what it carries (registered: ProtocolRegistry::parent_transaction_kinds)
  uint64_t bytes = 0;
  /// Called once, when the first block holding it is included (height, time).
  std::function<void(long long, double)> included;
  /// Called once, when that block becomes final (height, time).
  std::function<void(long long, double)> finalized;
};

/// Which transactions a censoring proposer leaves out.
struct CensorRule {
  std::set<std::string> kinds;   // empty: every kind
  std::set<std::string> owners;  // empty: every owner
  bool censors(const ParentTransaction& tx) const
  {
    return (kinds.empty() || kinds.count(tx.kind) > 0) && (owners.empty() || owners.count(tx.owner) > 0);
  }
};

/// What a parent block carries: pool entries by index.
struct BlockContent {
  std::vector<uint64_t> entries;
  uint64_t bytes = 0;
  size_t size() const { return entries.size(); }
};

struct ParentFees {
  double per_byte        = 0;
  double per_transaction = 0;
};

/// A transaction travelling from its poster's node to a parent validator, which puts it in the pool
/// (any validator accepts it: handled by Node::deliver, whatever the parent protocol).
struct ParentSubmission : Message {
  static inline const MessageKind kind_id{"parent_submission"};
  uint64_t ticket = 0;
  ParentTransaction tx;
  MessageKind kind() const override { return kind_id; }
};

class ParentLedger {
public:

  ParentLedger(Recorder& recorder, std::string chain, ParentFees fees);

  const std::string& chain() const { return chain_; }
  /// An ordinary transaction of the parent's own workload.
  void submit(double time, uint64_t bytes);
  /// A transaction with an owner, a kind and callbacks. Returns its pool index.
  uint64_t submit(double time, ParentTransaction tx);
  /// A ticket names a submission sent over the network, so that a re-sent copy is accepted once.
  uint64_t new_ticket() { return next_ticket_++; }
  /// Accepts the submission with this ticket unless an earlier copy was accepted; true if new.
  bool accept(uint64_t ticket, double time, ParentTransaction tx);
  bool accepted(uint64_t ticket) const { return accepted_tickets_.count(ticket) > 0; }

  /// The pending transactions a proposer puts in a block of at most `max_bytes`.
  BlockContent select(uint64_t max_bytes, const CensorRule* censor = nullptr) const;
  /// The block `height` holding `content` is included (its first commit). Later calls for the same
  /// or a lower height are ignored.
  void include(long long height, const BlockContent& content, double time);
  /// Every included block up to `height` is final.
  void finalize(long long height, double time);

  long long included_height() const { return included_height_; }
  long long final_height() const { return final_height_; }
  /// Transactions in the pool, not yet included.
  size_t pending() const { return pending_; }
  double included_at(long long height) const;  // time of block `height`'s inclusion

  /// Called for every included / final block, in height order.
  void on_included(std::function<void(long long, double)> callback) { included_subscribers_.push_back(std::move(callback)); }
  void on_finalized(std::function<void(long long, double)> callback) { final_subscribers_.push_back(std::move(callback)); }

  /// Bytes and fees that child chains and bridges put on the parent.
  nlohmann::json load_summary() const;

private:
  struct Entry {
    double submitted;
    uint64_t bytes;
    int64_t tagged = -1;  // index into tagged_, or -1 for a workload transaction
    bool included  = false;
  };
  struct Tagged {
    ParentTransaction tx;
    long long height = -1;
  };
  struct BlockLoad {
    uint64_t bytes = 0;
    double fees    = 0;
  };

  Recorder& recorder_;
  std::string chain_;
  ParentFees fees_;
  std::deque<Entry> pool_;
  uint64_t base_ = 0;  // pool index of pool_.front()
  size_t pending_ = 0;
  std::vector<Tagged> tagged_;
  std::set<uint64_t> accepted_tickets_;
  uint64_t next_ticket_ = 1;
  long long included_height_ = 0, final_height_ = 0;
  std::vector<double> included_at_;                     // by height - 1
  std::map<long long, std::vector<size_t>> awaiting_finality_;  // height -> tagged indices
  std::vector<std::function<void(long long, double)>> included_subscribers_, final_subscribers_;
  std::map<std::string, std::pair<uint64_t, double>> load_by_kind_;  // owner/kind -> (bytes, fees)
  std::map<std::string, uint64_t> count_by_kind_;
  Samples child_bytes_per_block_;
};

}  // namespace shsim
