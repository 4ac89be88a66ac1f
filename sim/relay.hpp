// Block relay over the peer-to-peer overlay: how a block travels hop by hop from the node that made
// it to every other node, for parent protocols that gossip blocks.
//
// Three ways to relay, as the protocol's parameters choose:
//  - push: a node that accepts a block sends it whole to every peer (gossipsub's mesh push);
//  - inv_getdata: it announces the block (inv), a peer that lacks it asks the first announcer
//    (getdata) and receives it whole (Bitcoin's original relay);
//  - compact: as inv_getdata, but between two compact-capable peers the answer is a compact block
//    (BIP 152); when the receiver cannot rebuild the block from its mempool it asks for what is
//    missing (getblocktxn) and receives the whole block, or (missing: simblock_2019) the share of it
//    SimBlock's measured distributions give (SimBlock's model of compact relay).
// Control messages (inv, getdata, getblocktxn) can carry a processing delay (SimBlock: 10 ms each).
// A received block is validated (validation delay, one block at a time per node) before the
// protocol hears it; the protocol then decides whether to relay it (announce), so an adversary
// can withhold. Large messages go through the network's transport (queued: per-node upload queue).
//
// The relay measures propagation: for every block, the time from its creation until 50 %, 90 % and
// 100 % of the nodes have validated it (a `block_propagated` event per block that reaches them all,
// and distributions over blocks in the summary).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/message.hpp"
#include "sim/metric.hpp"
#include "sim/rng.hpp"
#include "sim/schema.hpp"
#include "sim/stats.hpp"

namespace shsim {

class World;
class Node;
struct Scenario;

/// The figures BlockRelay::summary() reports under "propagation" (see ParentProtocolFactory::metrics()).
Metrics relay_metrics();

/// A warning when a relaying protocol's blocks of `block_bytes` would take the flow transport on a
/// large overlay (empty otherwise): a SimGrid actor and comm per hop is slow at thousands of nodes.
std::string relay_transport_warning(const Scenario& scenario, uint64_t block_bytes);

struct RelayParams {
  std::string mode = "compact";
  Bytes announcement_bytes{61};    // inv / getdata: 24-byte header + one 36-byte inventory entry (+1 count)
  Bytes compact_bytes{18000};      // SimBlock's compact block size
  Fraction compact_share{0.964};   // SimBlock: 96.4 % of nodes use compact blocks
  Fraction compact_failure{0.266}; // SimBlock: 13 % (control) and 27 % (churn, 97.6 % of nodes) fail to rebuild
  Duration validation{0.002};      // SimBlock's 2 ms processing time per block
  Fraction churn_share{0};         // SimBlock: 97.6 % of nodes are "churn" nodes
  Fraction churn_compact_failure{0.27};
  std::string missing = "whole_block";  // whole_block | simblock_2019
  Duration processing_delay{0};    // SimBlock: 10 ms per inv, getdata and getblocktxn

  template <class V> void describe(V& v)
  {
    v.field("mode", mode,
            "push: whole blocks to every peer; inv_getdata: announce, then the block on request; compact: as "
            "inv_getdata with BIP 152 compact blocks between compact-capable peers",
            one_of({"push", "inv_getdata", "compact"}));
    v.field("announcement_bytes", announcement_bytes, "size of an inv or getdata message", positive<Bytes>());
    v.field("compact_bytes", compact_bytes, "size of a compact block (SimBlock 18KB)", positive<Bytes>());
    v.field("compact_share", compact_share, "share of nodes that use compact blocks (SimBlock 96.4%)");
    v.field("compact_failure", compact_failure,
            "chance that a node cannot rebuild a compact block and fetches what it misses (SimBlock: 13% of "
            "control nodes, 27% of churn nodes, 97.6% churn: 26.6% overall); with churn_share, the control "
            "nodes' chance");
    v.field("churn_share", churn_share,
            "share of nodes that come and go (SimBlock: 97.6%), whose mempools miss more: they fail to rebuild "
            "with churn_compact_failure, and with missing: simblock_2019 miss larger parts of a block");
    v.field("churn_compact_failure", churn_compact_failure,
            "chance that a churn node cannot rebuild a compact block (SimBlock 27%)");
    v.field("missing", missing,
            "what a node that cannot rebuild a compact block fetches: whole_block, or simblock_2019: a share of "
            "the block drawn from SimBlock's measured distributions (1% from a control node; from a churn node "
            "1% to 96%, mean 8.7%; SimBlock draws it by the sending node's class)",
            one_of({"whole_block", "simblock_2019"}));
    v.field("processing_delay", processing_delay,
            "time added to each inv, getdata and getblocktxn message for its handling (SimBlock 10ms)",
            between<Duration>(0, 60));
    v.field("validation", validation, "time a node spends validating a block before relaying it (SimBlock 2ms)");
  }
};

/// One relay message; `step` says which (kinds are named for traffic accounting).
struct RelayMessage : Message {
  enum Step : uint8_t { inv, getdata, compact_block, getblocktxn, block, validated };
  Step step     = inv;
  uint64_t id   = 0;  // the protocol's dense block id
  MessageKind kind() const override;
  static bool is(const Message& message);
};

class BlockRelay {
public:
  /// `nodes` nodes, ids 0 .. nodes - 1, with these overlay neighbours.
  BlockRelay(World& world, RelayParams params, std::vector<std::vector<int>> neighbours);

  /// A new block of `bytes` bytes created by `origin` now: the origin has it (propagation clock starts).
  void created(int origin, uint64_t id, uint64_t bytes);
  /// `node` (which has the block) tells its peers about it, as the relay mode says.
  void announce(int node, uint64_t id);
  /// Consumes relay messages; false for any other message. Calls `on_validated` when a node has
  /// received and validated a block it did not have.
  bool handle(int self, int from, const Message& message);
  bool has(int node, uint64_t id) const;
  const std::vector<int>& neighbours(int node) const { return neighbours_[node]; }
  /// `node` asks `peer` for a block it lacks (an orphan's parent), whatever it requested before.
  void request(int node, int peer, uint64_t id);

  /// (node, block id) once a node has received and validated a block.
  std::function<void(int, uint64_t)> on_validated;

  /// Per-block propagation times (50 / 90 / 100 % of nodes) over the blocks that reached that share.
  nlohmann::json summary() const;
  const Samples& time_to(int percent) const;

private:
  enum State : uint8_t { none = 0, requested = 1, have = 2 };
  struct Block {
    double created   = 0;
    double to_50 = -1, to_90 = -1;  // seconds from creation to 50 % and 90 % of nodes
    uint64_t bytes   = 0;
    uint32_t holders = 0;
    std::vector<uint8_t> state;  // per node; freed once every node has the block
    MessagePtr messages[5];      // one shared message per step, sent to every peer
  };
  Block& block(uint64_t id);
  /// `unheeded`: the receiver will ignore it (Network::send_unheeded).
  void send(int from, int to, RelayMessage::Step step, uint64_t id, bool unheeded = false);
  /// What a node that failed to rebuild `id` fetches from `from`: the whole block, or a part of it.
  void send_missing(int from, int to, uint64_t id);
  void received(int node, uint64_t id);

  World& world_;
  RelayParams params_;
  std::vector<std::vector<int>> neighbours_;
  int nodes_;
  std::vector<uint8_t> compact_capable_, churn_;
  RandomStream rebuild_stream_;
  std::vector<double> cpu_free_at_;
  std::vector<Block> blocks_;
  Samples to_50_, to_90_, to_100_;
  uint64_t duplicates_ = 0, rebuild_failures_ = 0;
};

}  // namespace shsim
