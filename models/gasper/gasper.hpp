// Gasper (Ethereum's proof-of-stake consensus) as a parent chain.
//
// Follows ethereum/consensus-specs: specs/phase0/beacon-chain.md (slots, epochs, checkpoints,
// weigh_justification_and_finalization, slashing conditions is_slashable_attestation_data),
// specs/phase0/fork-choice.md (LMD-GHOST from the justified checkpoint, proposer boost),
// specs/altair/beacon-chain.md (process_inactivity_updates, get_inactivity_penalty_deltas) and
// specs/bellatrix/beacon-chain.md (INACTIVITY_PENALTY_QUOTIENT_BELLATRIX = 2^24,
// MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX = 32, PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX = 3).
//
// Time: slots of 12 s, epochs of 32 slots. Each slot, the proposer (drawn by effective balance)
// builds on its fork-choice head a block carrying the aggregates it has heard; the block is pushed
// over the overlay (sim/relay.hpp). At 1/3 of the slot every node whose validators sit in the slot's
// committee attests (head, source and target checkpoints) on the committee's subnet, where each of
// the slot's aggregators (16 by default, the spec's TARGET_AGGREGATORS_PER_COMMITTEE) hears it; at
// 2/3 the aggregators send their aggregates to every node. One attestation message goes to the
// first aggregator that is up and reachable (it stands for all that hear the subnet) and only
// aggregators that heard attestations send, so an attestation is lost only when every aggregator
// is down or cut off, and node count, not validator count, drives the message volume: a node runs
// many validators.
// FFG: at each epoch boundary of a chain, the attestations its blocks included justify the previous
// and current epochs' checkpoints with >= 2/3 of the active balance, and the spec's four
// justification-bit rules finalize. The inactivity leak (finality more than 4 epochs behind) raises
// the scores of validators that missed the target (+4 per epoch, -1 when they attest, -16 outside
// the leak) and takes balance x score / (4 x 2^24) per epoch; effective balances follow with the
// spec's hysteresis; validators whose effective balance falls to 16 ETH are ejected.
//
// Simplifications, stated so that results are read correctly:
//  - the validators of one node share one balance record and act alike; a node counts as having
//    attested an epoch's target when at least half of its validators did;
//  - committees are fixed positions (validator index mod slots_per_epoch), not reshuffled by RANDAO,
//    and the proposer draw uses the run's seed;
//  - LMD-GHOST weighs the attestations of the last slots_per_epoch slots (each validator's latest
//    message when it attests every epoch); the viability filter of filter_block_tree is not applied;
//  - attestation rewards and the Altair source/target/head flag penalties are left out: balances
//    move by inactivity penalties and slashing only;
//  - when none of a slot's aggregators is up and reachable its attestations are lost (a proposer
//    on the subnet could still include them one by one); with 16 aggregators and a share x of the
//    nodes down that happens with probability about x^16 (counted: unheard_attestations);
//  - exits take effect at once (no churn limit); a slashing applies its initial and correlation
//    penalties at detection (the spec applies the latter halfway to withdrawability);
//  - a block is `block_bytes` plus its transactions on the wire; they come from the parent pool
//    (sim/ledger.hpp): included when the block is proposed, final when its checkpoint finalizes.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include "models/gasper/hooks.hpp"
#include "sim/ledger.hpp"
#include "sim/node.hpp"
#include "sim/protocol.hpp"
#include "sim/relay.hpp"
#include "sim/rng.hpp"
#include "sim/schema.hpp"

namespace shsim::models::gasper {

struct Params {
  Duration seconds_per_slot{12};
  int slots_per_epoch = 32;
  long long validators = 0;  // 0: one per node
  int aggregators_per_slot = 16;  // TARGET_AGGREGATORS_PER_COMMITTEE
  Bytes block_bytes{50000};
  Bytes max_payload_bytes{1875000};
  Bytes attestation_bytes{300};
  Bytes aggregate_bytes{600};
  Fraction proposer_score_boost{0.40};
  int min_epochs_to_inactivity_penalty = 4;
  int inactivity_score_bias = 4;
  int inactivity_score_recovery_rate = 16;
  double inactivity_penalty_quotient = 16777216;  // 2^24 (Bellatrix)
  double max_effective_balance = 32;
  double ejection_balance = 16;
  double min_slashing_penalty_quotient = 32;
  double proportional_slashing_multiplier = 3;
  RelayParams relay = gossip_relay();

  static RelayParams gossip_relay()
  {
    RelayParams r;
    r.mode            = "push";  // gossipsub pushes whole blocks to mesh peers
    r.compact_share   = Fraction{0};
    r.compact_failure = Fraction{0};
    r.validation      = Duration{0.010};
    return r;
  }

  template <class V> void describe(V& v)
  {
    v.field("seconds_per_slot", seconds_per_slot, "slot length (mainnet 12s)", positive<Duration>());
    v.field("slots_per_epoch", slots_per_epoch, "slots per epoch (mainnet 32)", between<int>(1, 8192));
    v.field("validators", validators, "validators in all, spread over the nodes by stake (0: one per node)",
            between<long long>(0, 100'000'000));
    v.field("aggregators_per_slot", aggregators_per_slot,
            "nodes that collect a slot's attestations and send their aggregate to every node (the spec's "
            "TARGET_AGGREGATORS_PER_COMMITTEE: 16); an attestation is lost only when all of them are down or cut off",
            between<int>(1, 100000));
    v.field("block_bytes", block_bytes, "size of a beacon block on the wire besides the transactions it carries",
            positive<Bytes>());
    v.field("max_payload_bytes", max_payload_bytes,
            "most transaction bytes a block takes from the parent pool (30M gas at 16 gas per calldata byte)",
            positive<Bytes>());
    v.field("attestation_bytes", attestation_bytes, "size of one node's attestation", positive<Bytes>());
    v.field("aggregate_bytes", aggregate_bytes, "size of an aggregate", positive<Bytes>());
    v.field("proposer_score_boost", proposer_score_boost,
            "weight given to a timely block of the current slot, as a share of a slot committee's weight (40%)");
    v.field("min_epochs_to_inactivity_penalty", min_epochs_to_inactivity_penalty,
            "finality delay beyond which the inactivity leak runs (4)", at_least<int>(0));
    v.field("inactivity_score_bias", inactivity_score_bias, "score added per missed epoch (4)", at_least<int>(1));
    v.field("inactivity_score_recovery_rate", inactivity_score_recovery_rate,
            "score removed per epoch outside the leak (16)", at_least<int>(0));
    v.field("inactivity_penalty_quotient", inactivity_penalty_quotient, "INACTIVITY_PENALTY_QUOTIENT (Bellatrix 2^24)",
            positive<double>());
    v.field("max_effective_balance", max_effective_balance, "ETH per validator (32)", positive<double>());
    v.field("ejection_balance", ejection_balance, "effective balance at which a validator is ejected (16)",
            at_least<double>(0));
    v.field("min_slashing_penalty_quotient", min_slashing_penalty_quotient,
            "initial slashing penalty = effective balance / this (Bellatrix 32)", positive<double>());
    v.field("proportional_slashing_multiplier", proportional_slashing_multiplier,
            "correlation penalty multiplier (Bellatrix 3)", at_least<double>(0));
    v.field("relay", relay, "how blocks travel over the overlay (gossipsub pushes them: push)");
  }
};

using TypedParams = TypedParentParams<Params>;

struct Checkpoint {
  long long epoch = 0;
  uint32_t root   = 0;  // block id
  bool operator==(const Checkpoint& o) const { return epoch == o.epoch && root == o.root; }
};

/// One node's attestation for its validators of one slot.
struct Vote {
  int node = 0;
  long long slot = 0;
  uint32_t head = 0;
  Checkpoint source, target;
  double weight = 0;  // effective balance of the node's validators in the slot's committee
  int validators = 0;
};

/// An aggregator's collection of one slot's votes, sent to every node at 2/3 of the slot.
struct Aggregate {
  long long slot = 0;
  std::vector<Vote> votes;
  std::vector<std::pair<uint32_t, double>> weight_by_head;  // filled when it is sent
  bool sent = false;
};

/// Balances and scores of every node's validators (they act alike), as of one epoch boundary.
struct Registry {
  struct Group {
    double balance = 0, effective = 0;
    long long score = 0;
    bool active = true, slashed = false;
  };
  std::vector<Group> groups;  // per node
  double total_active(const std::vector<int>& counts) const;
};

struct Block {
  long long slot = 0;
  uint32_t parent = 0;
  int proposer = -1;
  long long number = 0;  // blocks from genesis (the ledger's height)
  std::vector<uint32_t> aggregates;
  Checkpoint justified, previous_justified, finalized;
  unsigned bits = 0;  // justification bits, bit 0 = current epoch
  std::shared_ptr<const Registry> registry;
  BlockContent content;
};

/// Tells a Gasper chain's epochs in sentences (`shsim run --explain`; models/gasper/narrate.cpp).
void narrate(const NarrationInput& input, Narration& narration);

class BeaconChain : public ParentRuntime {
public:
  BeaconChain(Simulation& simulation, const Params& params);
  void start();
  BlockRelay& relay() { return *relay_; }
  void attestation_arrived(int aggregator, const Vote& vote, uint32_t aggregate);
  void aggregate_arrived(int node, uint32_t aggregate);
  nlohmann::json summary() const override;
  void sample(SeriesSink& sink) const override;

  // ---- for duty hooks (hooks.hpp) ----
  /// Attaches a hook; the first acting on a node decides its conduct.
  void add_hook(std::shared_ptr<DutyHook> hook) { hooks_.push_back(std::move(hook)); }
  /// A second block by `proposer` for `slot` on the same head, without transactions: a double proposal.
  void propose_twin(long long slot, int proposer) { propose(slot, proposer, true); }
  uint32_t parent_of(uint32_t block) const { return blocks_[block].parent; }

  /// Slashing conditions of the spec (is_slashable_attestation_data): same target epoch with
  /// different data (double vote), or one vote's source-target span strictly inside the other's.
  static bool double_vote(const Vote& a, const Vote& b);
  static bool surround_vote(const Vote& a, const Vote& b);

private:
  struct NodeView {
    std::vector<std::pair<long long, uint32_t>> aggregates;  // (slot, aggregate id) heard, last epoch's worth
    uint64_t signature = 0;        // hash of known blocks and heard aggregates: equal views share a head
    Checkpoint justified;          // best justified checkpoint among known blocks
    uint32_t latest = 0;           // the known block of the latest slot
    uint32_t timely_block = 0;     // block of the current slot that arrived before the attestation deadline
    long long timely_slot = -1;
  };
  void slot_start(long long slot);
  void attest(long long slot);
  void send_aggregates(long long slot);
  void propose(long long slot, int proposer, bool twin);
  void validated(int node, uint32_t id);
  uint32_t head_of(int node, long long slot);
  uint32_t fork_choice(int node, long long slot);
  uint32_t ancestor_at_slot(uint32_t block, long long slot) const;
  Checkpoint target_for(uint32_t head, long long epoch) const;
  void process_epochs(Block& block, uint32_t parent);
  void process_epoch(Block& block, uint32_t parent, long long ending_epoch, std::shared_ptr<Registry>& registry);
  void record_votes(const Aggregate& aggregate);
  void report_finality(const Block& block);
  DutyHook* hook_of(int node) const;
  int draw_proposer(long long slot);
  void set_latest_registry(std::shared_ptr<const Registry> registry, long long epoch);
  bool known(int node, uint32_t id) const { return id == 0 || relay_->has(node, id); }

  Simulation& simulation_;
  Params params_;
  ParentLedger& ledger_;
  std::unique_ptr<BlockRelay> relay_;
  int nodes_;
  std::vector<int> validators_of_;                // per node
  std::vector<std::vector<int>> at_position_;     // per node: validators in each committee position
  std::vector<std::vector<int>> committee_nodes_;  // per committee position: nodes with validators there
  std::vector<Block> blocks_;
  std::vector<std::vector<uint32_t>> children_;
  std::multiset<long long> fork_slots_;  // slots of blocks with more than one child
  std::vector<Aggregate> aggregates_;
  size_t released_aggregates_ = 0;  // aggregates before this one have dropped their votes
  std::vector<std::vector<int>> aggregators_of_slot_;
  std::vector<uint32_t> open_aggregates_;          // this slot's, one per aggregator
  std::vector<NodeView> views_;
  std::unordered_map<uint64_t, uint32_t> head_cache_;  // view signature -> head, cleared every slot
  long long cache_slot_ = -1;
  RandomStream proposer_stream_, aggregator_stream_;
  std::shared_ptr<const Registry> latest_registry_;  // of the latest epoch boundary computed, on any chain
  long long latest_registry_epoch_ = -1;
  std::vector<double> proposer_weights_;  // cumulative, from latest_registry_
  double active_balance_ = 0;             // of latest_registry_
  // Finality as the ledger and the recorder see it.
  Checkpoint finalized_;
  uint32_t last_final_block_ = 0;
  // Detectors and statistics.
  struct VoteRecord {
    long long source_epoch = -1, target_epoch = -1;
    uint32_t head = 0, target_root = 0;
  };
  std::vector<std::array<VoteRecord, 2>> last_votes_;  // per (node, committee position): the last two
  std::set<int> slashed_nodes_;
  std::vector<std::pair<int, std::string>> slashings_;  // (node, offence), in detection order
  std::vector<int> pending_slashings_;
  std::map<long long, double> epoch_participation_;  // epoch -> share of active balance on the right target
  std::map<long long, double> justified_at_, finalized_at_;  // checkpoint epoch -> first time
  long long leak_epochs_ = 0;
  std::set<long long> epochs_reported_;
  uint64_t proposals_ = 0, missed_slots_ = 0;
  uint64_t unheard_attestations_ = 0;  // no aggregator of their slot was up and reachable
  std::vector<std::shared_ptr<DutyHook>> hooks_;
};

}  // namespace shsim::models::gasper
