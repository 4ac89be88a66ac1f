// Tendermint consensus, one validator per actor.
//
// Follows Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon, Milosevic,
// arXiv 1807.04938), with CometBFT's timeouts and weighted round-robin proposer selection
// (cometbft types/validator_set.go, IncrementProposerPriority).
//
// Simplifications, each stated so results can be read correctly:
//  - every validator sends its proposal and votes directly to every other validator (CometBFT
//    gossips them; on a well-connected overlay the first copy arrives by the direct path);
//  - a proposal carries its whole block (no block parts);
//  - transactions come from the chain-wide pool of sim/ledger.hpp (transaction gossip taken as
//    instantaneous); a committed block is final, so the ledger hears inclusion and finality at once;
//  - a validator that falls behind (crash, partition) asks peers for the decided blocks with their
//    commit certificates, standing for CometBFT's block sync;
//  - every block is valid (valid(v) is always true): invalid blocks are not modelled yet.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "models/tendermint/hooks.hpp"
#include "models/tendermint/messages.hpp"
#include "models/tendermint/params.hpp"
#include "sim/ledger.hpp"
#include "sim/node.hpp"

namespace shsim::models::tendermint {

/// Weighted round-robin: proposer(h, r) is the (h - 1 + r)-th pick of CometBFT's priority algorithm
/// (each pick adds every validator's power to its priority, takes the highest, subtracts the total).
class ProposerSchedule {
public:
  explicit ProposerSchedule(std::vector<long long> power);
  int proposer(long long height, int round);

private:
  std::vector<long long> power_;
  std::vector<long long> priority_;
  long long total_ = 0;
  std::vector<int> sequence_;
};

/// The id of the block `proposer` proposes at (height, round); `variant` 1 is an equivocator's twin.
uint64_t block_id(long long height, int round, int proposer, int variant);

/// What all validators of one chain share (read-only, but for the ledger).
struct ChainState : ParentRuntime {
  std::string name;
  Params params;
  std::vector<long long> power;
  long long total_power = 0;
  ProposerSchedule schedule;
  ParentLedger& ledger;
  /// Byzantine signing attached by adversaries (hooks.hpp); the first acting on a validator wins.
  std::vector<std::shared_ptr<SigningHook>> hooks;
  std::vector<std::vector<int>> neighbours;  // overlay, used when dissemination is gossip
  bool gossip = false;
  /// Its validators are nodes first_node .. first_node + members() - 1: the parent's are 0 .. n-1; a
  /// consumer chain's are roles on some parent validators' machines.
  int first_node = 0;
  /// The run, when the chain is the parent (its proposers obey parent_censor adversaries).
  Simulation* parent_of = nullptr;

  ChainState(std::string chain_name, Params p, std::vector<long long> voting_power, ParentLedger& parent_ledger);
  /// More than 2/3 of the voting power (the paper's 2f + 1).
  bool is_quorum(long long power_sum) const { return 3 * power_sum > 2 * total_power; }
  /// More than 1/3 (the paper's f + 1).
  bool is_one_third(long long power_sum) const { return 3 * power_sum > total_power; }
  /// The hook acting on `validator` at `now`, or null (it signs honestly).
  SigningHook* hook_of(int validator, double now) const;
  /// The chain's members are its validators, nodes first_node .. first_node + members() - 1: protocol
  /// messages go to them only, never to the run's other nodes (sequencers, provers, relayers).
  int members() const { return static_cast<int>(power.size()); }
  int node_of(int validator) const { return first_node + validator; }
  /// What validator `proposer` leaves out of its block at `height` (parent_censor; the parent only).
  const CensorRule* censor(int proposer, long long height, double time) const;
};

/// Creates the chain's validators as nodes chain.node_of(0) .. (they must be the next node ids).
void add_validators(Simulation& simulation, ChainState& chain);

class Validator : public Node {
public:
  /// Validator `index` of the chain, as node chain.node_of(index).
  Validator(Simulation& simulation, int index, ChainState& chain);

  // ---- for signing hooks (hooks.hpp) ----
  int index() const { return index_; }
  long long height() const { return height_; }
  const ChainState& chain() const { return chain_; }
  double time() const { return now(); }
  MessagePtr make_proposal(int round, BlockPtr block, int valid_round) const;
  MessagePtr make_vote(VoteType type, int round, uint64_t block) const;
  /// Sends to every member (group -1) or to the validators of the acting hook's `group`, and keeps
  /// the message for re-sending while the round is stuck.
  void send_to_group(const MessagePtr& message, int group, int round);

protected:
  void on_start() override;
  void on_message(int from, const Message& message) override;
  void on_timer(const TimerEvent& timer) override;
  void on_crash() override;
  void on_recover() override;

private:
  enum class Step { new_height, propose, prevote, precommit };
  static constexpr int max_round_lead = 10000;  // messages from further rounds ahead are ignored
  enum TimerKind { timeout_propose = 1, timeout_prevote, timeout_precommit, timeout_commit, gossip_retry };

  /// Votes of one type in one round. An equivocator's conflicting votes are all kept and each counts
  /// for its own value (CometBFT accepts conflicting votes that peers report as part of a 2/3
  /// majority); a validator's power counts once towards "any". Below 1/3 Byzantine stake no two
  /// values can both reach 2/3 this way, so safety is unchanged and honest views converge.
  class VoteSet {
  public:
    /// Records the vote; false if this validator already voted for this value.
    bool add(int validator, uint64_t block, long long power, size_t validators);
    long long power_for(uint64_t block) const;
    long long any_power() const { return any_power_; }
    bool has_voted(int validator) const { return !voted_.empty() && voted_[validator]; }
    /// Every (validator, block) vote, first votes then conflicting ones.
    template <class F> void for_each(F&& visit) const
    {
      for (size_t v = 0; v < voted_.size(); ++v)
        if (voted_[v])
          visit(static_cast<int>(v), first_[v]);
      for (const auto& [validator, block] : conflicting_)
        visit(validator, block);
    }
    const std::vector<std::pair<uint64_t, long long>>& power_by_block() const { return power_; }

  private:
    std::vector<uint64_t> first_;  // first vote of each validator (meaningful where voted_)
    std::vector<char> voted_;
    std::vector<std::pair<int, uint64_t>> conflicting_;  // later votes for other values
    std::vector<std::pair<uint64_t, long long>> power_;  // per block id: a handful of entries
    long long any_power_ = 0;
  };
  struct RoundState {
    BlockPtr proposal;  // first proposal from the round's proposer
    int proposal_valid_round = -1;
    VoteSet prevotes, precommits;
    bool prevote_timeout_scheduled   = false;
    bool precommit_timeout_scheduled = false;
    bool locked_on_quorum            = false;  // the "for the first time" of lines 36-43
  };

  // Algorithm 1.
  void start_round(int round);
  /// Both return whether the message was new (gossip forwards only new messages).
  bool handle_proposal(const Proposal& proposal);
  bool handle_vote(const Vote& vote);
  void forward(int from, const Message& message);
  static int round_of(const Message& message);
  void evaluate_rules(int round);
  void try_decide(int round);
  void decide(BlockPtr block, int round, const std::vector<int>& signers);
  void enter_height(long long height);

  // Sending: one message to every member, unless a signing hook acts on this validator.
  void broadcast_proposal(int round, BlockPtr block, int valid_round);
  void broadcast_vote(VoteType type, int round, uint64_t block_id);
  void broadcast(const MessagePtr& message);
  void resend_current_round(int only_to = -1);

  // Catch-up.
  void handle_catchup_request(int from, const CatchUpRequest& request);
  void handle_decision(int from, const Decision& decision);
  void ask_to_catch_up(int peer);

  RoundState& round_state(int round)
  {
    if (static_cast<size_t>(round) >= rounds_.size())
      rounds_.resize(round + 1);
    return rounds_[round];
  }
  std::vector<int> signers_for(const VoteSet& set, uint64_t block_id) const;

  ChainState& chain_;
  int index_;  // validator number in the chain (the node is chain_.node_of(index_))
  long long height_ = 1;
  int round_        = 0;
  Step step_        = Step::new_height;
  BlockPtr locked_value_;
  int locked_round_ = -1;
  BlockPtr valid_value_;
  int valid_round_  = -1;
  std::vector<RoundState> rounds_;  // of the current height, by round
  std::map<int, double> proposal_sent_at_;  // per round, when the proposal we hold was sent
  struct Sent {
    MessagePtr message;
    int group;  // -1 everyone, else a group of the hook that sent it
    int round;
  };
  std::vector<Sent> sent_this_height_;  // our own proposals and votes, for re-sending
  std::vector<std::pair<MessagePtr, int>> relayed_this_height_;  // others' messages we accepted (gossip)
  bool replaying_ = false;  // replaying buffered messages, which were forwarded on arrival
  std::tuple<long long, int, int> last_progress_{0, -1, -1};  // (height, round, step) at the last retry tick
  std::map<long long, std::vector<std::pair<int, MessagePtr>>> future_;  // messages of later heights
  std::set<int> ahead_senders_;  // validators heard from at a later height
  std::set<std::tuple<long long, int, int, int>> seen_future_;  // (height, round, type, sender) buffered
  long long ahead_power_ = 0;
  struct Decided {
    BlockPtr block;
    int round;
    std::vector<int> signers;
  };
  std::vector<Decided> decided_;  // decided_[h - 1]
  std::map<int, double> last_catchup_request_;  // per peer, to rate-limit requests
  std::map<std::pair<int, long long>, double> last_decision_sent_;
};

}  // namespace shsim::models::tendermint
