#include "models/gasper/gasper.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "models/common/equivocate.hpp"
#include "models/gasper/equivocate.hpp"
#include "models/registry.hpp"
#include "sim/estimate.hpp"
#include "models/workload/sources.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::gasper {
namespace {

/// A node's attestation on its way to the slot's aggregator.
struct AttestationMessage : Message {
  static inline const MessageKind kind_id{"attestation"};
  Vote vote;
  uint32_t aggregate = 0;
  MessageKind kind() const override { return kind_id; }
};

/// An aggregator's aggregate on its way to every node.
struct AggregateMessage : Message {
  static inline const MessageKind kind_id{"aggregate"};
  uint32_t aggregate = 0;
  MessageKind kind() const override { return kind_id; }
};

uint64_t mix(uint64_t x) { return mix64(x + golden_gamma); }
uint64_t block_token(uint32_t id) { return mix(2 * static_cast<uint64_t>(id)); }
uint64_t aggregate_token(uint32_t id) { return mix(2 * static_cast<uint64_t>(id) + 1); }

class BeaconNode : public Node {
public:
  BeaconNode(Simulation& simulation, int id, BeaconChain& chain) : Node(simulation, id), chain_(chain) {}

protected:
  void on_message(int from, const Message& message) override
  {
    if (chain_.relay().handle(id(), from, message))
      return;
    if (message.kind() == AttestationMessage::kind_id) {
      const auto& a = static_cast<const AttestationMessage&>(message);
      chain_.attestation_arrived(id(), a.vote, a.aggregate);
    } else if (message.kind() == AggregateMessage::kind_id) {
      chain_.aggregate_arrived(id(), static_cast<const AggregateMessage&>(message).aggregate);
    }
  }

private:
  BeaconChain& chain_;
};

}  // namespace

double Registry::total_active(const std::vector<int>& counts) const
{
  double total = 0;
  for (size_t i = 0; i < groups.size(); ++i)
    if (groups[i].active)
      total += groups[i].effective * counts[i];
  return total;
}

bool BeaconChain::double_vote(const Vote& a, const Vote& b)
{
  return a.target.epoch == b.target.epoch &&
         (a.head != b.head || !(a.target == b.target) || !(a.source == b.source) || a.slot != b.slot);
}

bool BeaconChain::surround_vote(const Vote& a, const Vote& b)
{
  return (a.source.epoch < b.source.epoch && b.target.epoch < a.target.epoch) ||
         (b.source.epoch < a.source.epoch && a.target.epoch < b.target.epoch);
}

BeaconChain::BeaconChain(Simulation& simulation, const Params& params)
    : simulation_(simulation)
    , params_(params)
    , ledger_(simulation.ledger())
    , nodes_(simulation.scenario().parent.validators.count)
    , proposer_stream_(simulation.stream("gasper.proposer"))
    , aggregator_stream_(simulation.stream("gasper.aggregators"))
{
  relay_ = std::make_unique<BlockRelay>(simulation, params.relay, neighbour_lists(simulation.overlay()));
  relay_->on_validated = [this](int node, uint64_t id) { validated(node, static_cast<uint32_t>(id)); };
  // Validators per node: the total spread by stake, largest remainder first.
  const auto& stakes = simulation.stakes();
  long long total    = params.validators > 0 ? params.validators : nodes_;
  double stake_sum   = std::accumulate(stakes.begin(), stakes.end(), 0.0);
  validators_of_.assign(nodes_, 0);
  std::vector<std::pair<double, int>> remainders;
  long long given = 0;
  for (int i = 0; i < nodes_; ++i) {
    double exact      = static_cast<double>(total) * stakes[i] / stake_sum;
    validators_of_[i] = static_cast<int>(std::floor(exact));
    given += validators_of_[i];
    remainders.push_back({-(exact - std::floor(exact)), i});
  }
  std::sort(remainders.begin(), remainders.end());
  for (long long k = 0; k < total - given; ++k)
    ++validators_of_[remainders[k % nodes_].second];
  // Committee positions: validator index mod slots_per_epoch.
  const int E = params.slots_per_epoch;
  long long start = 0;
  at_position_.assign(nodes_, std::vector<int>(E, 0));
  for (int i = 0; i < nodes_; ++i) {
    for (long long v = start; v < start + validators_of_[i]; ++v)
      ++at_position_[i][v % E];
    start += validators_of_[i];
  }
  last_votes_.resize(static_cast<size_t>(nodes_) * E);
  committee_nodes_.resize(E);
  for (int i = 0; i < nodes_; ++i)
    for (int p = 0; p < E; ++p)
      if (at_position_[i][p] > 0)
        committee_nodes_[p].push_back(i);
  // Genesis: every validator active with the maximum effective balance.
  auto registry = std::make_shared<Registry>();
  registry->groups.resize(nodes_);
  for (int i = 0; i < nodes_; ++i) {
    auto& g     = registry->groups[i];
    g.balance   = params.max_effective_balance;
    g.effective = params.max_effective_balance;
    g.active    = validators_of_[i] > 0;
  }
  Block genesis;
  genesis.registry = registry;
  blocks_.push_back(genesis);
  children_.emplace_back();
  set_latest_registry(registry, 0);
  views_.resize(nodes_);
  for (auto& view : views_)
    view.signature = block_token(0);
  const auto& adversaries = simulation.scenario().adversaries;
  for (size_t i = 0; i < adversaries.size(); ++i) {
    if (adversaries[i].kind != "equivocate")
      continue;
    const auto& a = adversaries[i].as<EquivocateAdversary>();
    auto members  = simulation.select_validators(a.who, i);
    add_hook(std::make_shared<EquivocationHook>(std::set<int>(members.begin(), members.end()), a, a.mode));
  }
}

DutyHook* BeaconChain::hook_of(int node) const
{
  double now = simulation_.now();
  for (const auto& hook : hooks_)
    if (hook->acts_on(node, now))
      return hook.get();
  return nullptr;
}

void BeaconChain::start()
{
  simulation_.events().call_at(params_.seconds_per_slot.seconds, [this] { slot_start(1); });
}

// ---- The slot clock ----

void BeaconChain::slot_start(long long slot)
{
  const double t0 = static_cast<double>(slot) * params_.seconds_per_slot.seconds;
  // Votes older than three epochs can no longer be included nor counted: keep only their weights.
  while (released_aggregates_ < aggregates_.size() &&
         aggregates_[released_aggregates_].slot < slot - 3 * params_.slots_per_epoch) {
    std::vector<Vote>().swap(aggregates_[released_aggregates_].votes);
    ++released_aggregates_;
  }
  // The slot's aggregators, drawn among the committee's nodes (is_aggregator selects committee
  // members), one aggregate each.
  open_aggregates_.clear();
  std::vector<int> chosen;
  const auto& committee = committee_nodes_[slot % params_.slots_per_epoch];
  int wanted            = std::min<int>(params_.aggregators_per_slot, static_cast<int>(committee.size()));
  for (int k = 0; k < wanted; ++k) {
    int node;
    do
      node = committee[aggregator_stream_.below(committee.size())];
    while (std::find(chosen.begin(), chosen.end(), node) != chosen.end());
    chosen.push_back(node);
    Aggregate aggregate;
    aggregate.slot = slot;
    aggregates_.push_back(std::move(aggregate));
    open_aggregates_.push_back(static_cast<uint32_t>(aggregates_.size() - 1));
  }
  aggregators_of_slot_.push_back(chosen);
  // The proposer (drawn by effective balance) builds on its head.
  int proposer = draw_proposer(slot);
  bool proposes = proposer >= 0 && simulation_.node(proposer).online();
  simulation_.recorder().event(simulation_.now(), simulation_.scenario().parent.name, proposer, "slot", slot, -1,
                               {proposes ? 1 : 0});
  if (proposes) {
    propose(slot, proposer, false);
    if (DutyHook* hook = hook_of(proposer))
      hook->on_propose(*this, slot, proposer);
  } else {
    ++missed_slots_;
  }
  simulation_.events().call_at(t0 + params_.seconds_per_slot.seconds / 3, [this, slot] { attest(slot); });
  simulation_.events().call_at(t0 + 2 * params_.seconds_per_slot.seconds / 3, [this, slot] { send_aggregates(slot); });
  simulation_.events().call_at(t0 + params_.seconds_per_slot.seconds, [this, slot] { slot_start(slot + 1); });
}

void BeaconChain::set_latest_registry(std::shared_ptr<const Registry> registry, long long epoch)
{
  latest_registry_       = std::move(registry);
  latest_registry_epoch_ = epoch;
  // compute_proposer_index samples validators by effective balance; a node is drawn with the weight
  // of all its active validators. The weights change only at epoch boundaries.
  double total = 0;
  proposer_weights_.assign(nodes_, 0);
  for (int i = 0; i < nodes_; ++i) {
    const auto& g = latest_registry_->groups[i];
    total += g.active && !g.slashed ? g.effective * validators_of_[i] : 0;
    proposer_weights_[i] = total;
  }
  active_balance_ = latest_registry_->total_active(validators_of_);
}

int BeaconChain::draw_proposer(long long /*slot*/)
{
  double total = proposer_weights_.back();
  if (total <= 0)
    return -1;
  double draw = proposer_stream_.uniform(0, total);
  return std::min(nodes_ - 1, static_cast<int>(std::upper_bound(proposer_weights_.begin(), proposer_weights_.end(),
                                                                draw) -
                                              proposer_weights_.begin()));
}

void BeaconChain::propose(long long slot, int proposer, bool twin)
{
  uint32_t head = head_of(proposer, slot);
  Block block;
  block.slot     = slot;
  block.parent   = head;
  block.proposer = proposer;
  block.number   = blocks_[head].number + 1;
  // Aggregates the proposer heard from the last epoch's slots that its chain has not included yet.
  std::set<uint32_t> included;
  for (uint32_t b = head; b != 0 && blocks_[b].slot >= slot - params_.slots_per_epoch; b = blocks_[b].parent)
    included.insert(blocks_[b].aggregates.begin(), blocks_[b].aggregates.end());
  for (const auto& [agg_slot, agg] : views_[proposer].aggregates)
    if (agg_slot < slot && agg_slot >= slot - params_.slots_per_epoch && !included.count(agg))
      block.aggregates.push_back(agg);
  process_epochs(block, head);
  if (!twin)
    block.content = ledger_.select(params_.max_payload_bytes.count,
                                   simulation_.censorship(proposer, block.number, simulation_.now()));
  uint32_t id = static_cast<uint32_t>(blocks_.size());
  blocks_.push_back(std::move(block));
  children_.emplace_back();
  children_[head].push_back(id);
  if (children_[head].size() == 2)
    fork_slots_.insert(blocks_[head].slot);
  ++proposals_;
  const Block& b = blocks_[id];
  if (twin) {
    // Two blocks for one slot by one proposer: a proposer slashing (is_slashable: same slot, different roots).
    if (slashed_nodes_.insert(proposer).second) {
      pending_slashings_.push_back(proposer);
      slashings_.push_back({proposer, "double proposal"});
      simulation_.recorder().event(simulation_.now(), simulation_.scenario().parent.name, proposer, "slashing", slot,
                                   -1, {"double proposal"});
    }
  } else if (b.number > ledger_.included_height()) {
    ledger_.include(b.number, b.content, simulation_.now());
  }
  report_finality(b);
  relay_->created(proposer, id, params_.block_bytes.count + b.content.bytes);
}

void BeaconChain::validated(int node, uint32_t id)
{
  const Block& block = blocks_[id];
  NodeView& view     = views_[node];
  view.signature ^= block_token(id);
  if (block.slot > blocks_[view.latest].slot)
    view.latest = id;
  relay_->announce(node, id);  // gossip forwards every valid block
  if (!known(node, block.parent)) {
    // A block whose parent this node missed (it was offline or cut off): fetch the parent from a
    // peer that has it, or from its proposer (standing for range sync); its own missing parent is
    // fetched when it arrives, and so on back to what the node knows.
    int source = blocks_[block.parent].proposer;
    for (int peer : relay_->neighbours(node))
      if (known(peer, block.parent) && simulation_.node(peer).online()) {
        source = peer;
        break;
      }
    relay_->request(node, source, block.parent);
  }
  if (block.justified.epoch > view.justified.epoch)
    view.justified = block.justified;
  double slot_start = static_cast<double>(block.slot) * params_.seconds_per_slot.seconds;
  if (simulation_.now() < slot_start + params_.seconds_per_slot.seconds / 3) {  // timely: proposer boost
    view.timely_block = id;
    view.timely_slot  = block.slot;
  }
}

// ---- Attestations and aggregation ----

void BeaconChain::attest(long long slot)
{
  const int E              = params_.slots_per_epoch;
  const int position       = static_cast<int>(slot % E);
  const long long epoch    = slot / E;
  const Registry& registry = *latest_registry_;
  const auto& aggregators  = aggregators_of_slot_[slot - 1];
  if (aggregators.empty())
    return;  // nobody sits in this slot's committee
  for (int i = 0; i < nodes_; ++i) {
    int count = at_position_[i][position];
    if (count == 0 || !simulation_.node(i).online() || !registry.groups[i].active)
      continue;
    uint32_t head = head_of(i, slot);
    Vote vote;
    vote.node       = i;
    vote.slot       = slot;
    vote.head       = head;
    vote.target     = target_for(head, epoch);
    vote.source     = blocks_[head].justified;
    vote.validators = count;
    vote.weight     = count * registry.groups[i].effective;
    // The attestation is gossiped on the committee's subnet, where every aggregator of the slot
    // hears it (p2p-interface.md: beacon_attestation_{subnet_id}); it is lost only when none of
    // them is up and reachable. One aggregator that hears it stands for all: the first of the
    // slot's aggregators (in draw order) that is online and not cut off from this node. Nodes on
    // the same side of a partition thus share an aggregator, and the aggregates carry what each
    // side heard.
    size_t k = 0;
    while (k < aggregators.size() && (!simulation_.node(aggregators[k]).online() ||
                                      simulation_.network().partitioned(i, aggregators[k], simulation_.now())))
      ++k;
    if (k == aggregators.size()) {
      ++unheard_attestations_;
      continue;
    }
    int aggregator     = aggregators[k];
    uint32_t aggregate = open_aggregates_[k];
    std::vector<Vote> votes{vote};
    if (DutyHook* hook = hook_of(i))
      hook->on_vote(*this, epoch, votes);
    for (const Vote& v : votes) {
      if (aggregator == i) {
        attestation_arrived(i, v, aggregate);
        continue;
      }
      auto message       = make_message<AttestationMessage>();
      message->bytes     = params_.attestation_bytes.count;
      message->vote      = v;
      message->aggregate = aggregate;
      simulation_.network().send(i, aggregator, message);
    }
  }
}

void BeaconChain::attestation_arrived(int /*aggregator*/, const Vote& vote, uint32_t aggregate)
{
  Aggregate& a = aggregates_[aggregate];
  if (!a.sent)  // a late attestation misses the aggregate
    a.votes.push_back(vote);
}

void BeaconChain::send_aggregates(long long slot)
{
  const auto& aggregators = aggregators_of_slot_[slot - 1];
  for (size_t k = 0; k < aggregators.size(); ++k) {
    Aggregate& a = aggregates_[open_aggregates_[k]];
    a.sent       = true;
    if (!simulation_.node(aggregators[k]).online() || a.votes.empty())
      continue;  // the aggregate dies with its aggregator; one that heard nothing has nothing to send
    std::map<uint32_t, double> by_head;
    for (const Vote& v : a.votes)
      by_head[v.head] += v.weight;
    a.weight_by_head.assign(by_head.begin(), by_head.end());
    record_votes(a);
    auto message       = make_message<AggregateMessage>();
    message->bytes     = params_.aggregate_bytes.count;
    message->aggregate = open_aggregates_[k];
    for (int node = 0; node < nodes_; ++node) {
      if (node == aggregators[k])
        aggregate_arrived(node, open_aggregates_[k]);
      else
        simulation_.network().send(aggregators[k], node, message);
    }
  }
}

void BeaconChain::aggregate_arrived(int node, uint32_t aggregate)
{
  NodeView& view = views_[node];
  view.aggregates.push_back({aggregates_[aggregate].slot, aggregate});
  view.signature ^= aggregate_token(aggregate);
}

void BeaconChain::record_votes(const Aggregate& aggregate)
{
  // The slashing detector: each committee position of a node is one validator set; compare every
  // new vote with its last two.
  for (const Vote& v : aggregate.votes) {
    auto& last = last_votes_[static_cast<size_t>(v.node) * params_.slots_per_epoch + v.slot % params_.slots_per_epoch];
    const char* offence = nullptr;
    for (const VoteRecord& r : last) {
      if (r.target_epoch < 0)
        continue;
      Vote old;
      old.slot   = v.slot;  // the same committee position: slots differ only across epochs
      old.head   = r.head;
      old.source = {r.source_epoch, 0};
      old.target = {r.target_epoch, r.target_root};
      Vote now   = v;
      now.source.root = 0;
      if (double_vote(old, now))
        offence = "double vote";
      else if (surround_vote(old, now))
        offence = "surround vote";
    }
    if (offence != nullptr && slashed_nodes_.insert(v.node).second) {
      pending_slashings_.push_back(v.node);
      slashings_.push_back({v.node, offence});
      simulation_.recorder().event(simulation_.now(), simulation_.scenario().parent.name, v.node, "slashing", v.slot,
                                   -1, {offence});
    }
    if (last[1].target_epoch != v.target.epoch || last[1].head != v.head) {
      last[0] = last[1];
      last[1] = {v.source.epoch, v.target.epoch, v.head, v.target.root};
    }
  }
}

// ---- Fork choice: LMD-GHOST with proposer boost ----

uint32_t BeaconChain::head_of(int node, long long slot)
{
  if (cache_slot_ != slot) {
    head_cache_.clear();
    cache_slot_ = slot;
  }
  NodeView& view = views_[node];
  // Only the last epoch's aggregates count (each validator's latest message).
  auto old = std::find_if(view.aggregates.begin(), view.aggregates.end(),
                          [&](const auto& a) { return a.first >= slot - params_.slots_per_epoch; });
  for (auto it = view.aggregates.begin(); it != old; ++it)
    view.signature ^= aggregate_token(it->second);
  view.aggregates.erase(view.aggregates.begin(), old);
  uint64_t key = mix(view.signature ^ mix(view.justified.root) ^
                     (view.timely_slot == slot ? mix(0x5157ULL + view.timely_block) : 0));
  auto found = head_cache_.find(key);
  if (found != head_cache_.end())
    return found->second;
  uint32_t head = fork_choice(node, slot);
  head_cache_.emplace(key, head);
  return head;
}

uint32_t BeaconChain::fork_choice(int node, long long slot)
{
  const NodeView& view = views_[node];
  uint32_t root        = known(node, view.justified.root) ? view.justified.root : 0;
  // Below the last two epochs no vote counts; when the chain has no fork between the justified root
  // and there, GHOST walks that stretch anyway, so start where it ends (without this, a long stretch
  // without justification, as in an inactivity leak, makes every fork choice walk the whole chain).
  long long low = blocks_[view.latest].slot - 2 * params_.slots_per_epoch;
  if (low > blocks_[root].slot) {
    auto fork = fork_slots_.lower_bound(blocks_[root].slot);
    if (fork == fork_slots_.end() || *fork >= low)
      root = ancestor_at_slot(view.latest, low);
  }
  long long root_slot = blocks_[root].slot;
  // Latest messages: the weight of each voted block, for the blocks this node knows.
  std::map<uint32_t, double> subtree;
  auto add = [&](uint32_t block, double weight) {
    for (uint32_t b = block; ; b = blocks_[b].parent) {
      if (blocks_[b].slot < root_slot)
        return;
      subtree[b] += weight;
      if (b == root || b == 0)
        return;
    }
  };
  for (const auto& [agg_slot, agg] : view.aggregates)
    for (const auto& [head, weight] : aggregates_[agg].weight_by_head)
      if (known(node, head))
        add(head, weight);
  if (view.timely_slot == slot && known(node, view.timely_block))
    add(view.timely_block,
        params_.proposer_score_boost.value * active_balance_ / params_.slots_per_epoch);
  // Descend from the justified root to the heaviest known child (ties: the later block).
  uint32_t head = root;
  for (;;) {
    uint32_t best     = head;
    double best_weight = -1;
    for (uint32_t child : children_[head]) {
      if (!known(node, child))
        continue;
      auto w   = subtree.find(child);
      double x = w == subtree.end() ? 0 : w->second;
      if (x > best_weight || (x == best_weight && child > best)) {
        best        = child;
        best_weight = x;
      }
    }
    if (best == head)
      return head;
    head = best;
  }
}

uint32_t BeaconChain::ancestor_at_slot(uint32_t block, long long slot) const
{
  uint32_t b = block;
  while (b != 0 && blocks_[b].slot > slot)
    b = blocks_[b].parent;
  return b;
}

Checkpoint BeaconChain::target_for(uint32_t head, long long epoch) const
{
  return {epoch, ancestor_at_slot(head, epoch * params_.slots_per_epoch)};
}

// ---- State transition at epoch boundaries ----

void BeaconChain::process_epochs(Block& block, uint32_t parent)
{
  const Block& p            = blocks_[parent];
  block.justified           = p.justified;
  block.previous_justified  = p.previous_justified;
  block.finalized           = p.finalized;
  block.bits                = p.bits;
  block.registry            = p.registry;
  long long from            = p.slot / params_.slots_per_epoch;
  long long to              = block.slot / params_.slots_per_epoch;
  if (from == to)
    return;
  auto registry = std::make_shared<Registry>(*p.registry);
  for (long long e = from; e < to; ++e)
    process_epoch(block, parent, e, registry);
  block.registry = registry;
  if (to > latest_registry_epoch_)
    set_latest_registry(registry, to);
}

void BeaconChain::process_epoch(Block& block, uint32_t parent, long long e, std::shared_ptr<Registry>& registry)
{
  const int E = params_.slots_per_epoch;
  auto& groups = registry->groups;
  // Target votes included by this chain during epochs e - 1 and e, counted once per (node, slot),
  // weighed by the current effective balance of active, unslashed validators.
  Checkpoint current{e, ancestor_at_slot(parent, e * E)};
  Checkpoint previous{e - 1, e >= 1 ? ancestor_at_slot(parent, (e - 1) * E) : 0};
  std::vector<double> current_target(nodes_, 0), previous_target(nodes_, 0);
  std::set<std::pair<int, long long>> seen;
  for (uint32_t b = parent; b != 0 && blocks_[b].slot >= (e - 1) * E; b = blocks_[b].parent)
    for (uint32_t agg : blocks_[b].aggregates)
      for (const Vote& v : aggregates_[agg].votes) {
        const auto& g = groups[v.node];
        if (!g.active || g.slashed || !seen.insert({v.node, v.slot}).second)
          continue;
        double weight = v.validators * g.effective;
        if (v.target == current)
          current_target[v.node] += weight;
        else if (v.target == previous)
          previous_target[v.node] += weight;
      }
  double total           = registry->total_active(validators_of_);
  double current_sum     = std::accumulate(current_target.begin(), current_target.end(), 0.0);
  double previous_sum    = std::accumulate(previous_target.begin(), previous_target.end(), 0.0);
  // weigh_justification_and_finalization (phase0), skipped for the first two epochs.
  if (e > 1 && total > 0) {
    Checkpoint old_previous = block.previous_justified, old_current = block.justified;
    block.previous_justified = block.justified;
    block.bits               = (block.bits << 1) & 0xF;
    if (previous_sum * 3 >= total * 2) {
      block.justified = previous;
      block.bits |= 2;
    }
    if (current_sum * 3 >= total * 2) {
      block.justified = current;
      block.bits |= 1;
    }
    unsigned bits = block.bits;
    if ((bits & 0xE) == 0xE && old_previous.epoch + 3 == e)
      block.finalized = old_previous;
    if ((bits & 0x6) == 0x6 && old_previous.epoch + 2 == e)
      block.finalized = old_previous;
    if ((bits & 0x7) == 0x7 && old_current.epoch + 2 == e)
      block.finalized = old_current;
    if ((bits & 0x3) == 0x3 && old_current.epoch + 1 == e)
      block.finalized = old_current;
  }
  // Inactivity (altair process_inactivity_updates) and its penalties (get_inactivity_penalty_deltas),
  // for the previous epoch's target participation; skipped in the genesis epoch.
  bool in_leak = (e - 1) - block.finalized.epoch > params_.min_epochs_to_inactivity_penalty;
  if (e > 0)
    for (int i = 0; i < nodes_; ++i) {
      auto& g = groups[i];
      if (validators_of_[i] == 0 || (!g.active && !g.slashed))
        continue;
      bool attested = !g.slashed && previous_target[i] >= 0.5 * validators_of_[i] * g.effective && g.effective > 0;
      if (attested)
        g.score -= std::min<long long>(1, g.score);
      else
        g.score += params_.inactivity_score_bias;
      if (!in_leak)
        g.score -= std::min<long long>(params_.inactivity_score_recovery_rate, g.score);
      if (!attested)
        g.balance = std::max(0.0, g.balance - g.effective * static_cast<double>(g.score) /
                                                  (params_.inactivity_score_bias * params_.inactivity_penalty_quotient));
    }
  // Slashings found by the detector: initial and correlation penalties, and exit.
  double slashed_balance = 0;
  for (int i = 0; i < nodes_; ++i)
    slashed_balance += groups[i].slashed ? groups[i].effective * validators_of_[i] : 0;
  for (int node : pending_slashings_) {
    auto& g = groups[node];
    if (g.slashed)
      continue;
    g.slashed = true;
    g.active  = false;
    slashed_balance += g.effective * validators_of_[node];
    g.balance -= g.effective / params_.min_slashing_penalty_quotient;
    g.balance -= g.effective * std::min(slashed_balance * params_.proportional_slashing_multiplier, total) /
                 std::max(total, 1e-9);
    g.balance = std::max(0.0, g.balance);
  }
  // Registry updates (ejection) and effective balances with hysteresis (increment 1 ETH, quotient 4,
  // downward multiplier 1, upward multiplier 5).
  for (auto& g : groups) {
    if (g.active && g.effective <= params_.ejection_balance)
      g.active = false;
    if (g.balance + 0.25 < g.effective || g.effective + 1.25 < g.balance)
      g.effective = std::min(std::floor(g.balance), params_.max_effective_balance);
  }
  // The first computation of each epoch goes to the event log and the statistics.
  if (epochs_reported_.insert(e).second) {
    // Epoch e - 1 is complete now: its target votes were included during e - 1 and e.
    double participation = total > 0 ? previous_sum / total : 0;
    if (e > 1)  // epoch 0 has no attesters in its genesis slot
      epoch_participation_[e - 1] = participation;
    leak_epochs_ += in_leak ? 1 : 0;
    double low = 1e300, high = 0;
    for (int i = 0; i < nodes_; ++i)
      if (validators_of_[i] > 0) {
        low  = std::min(low, groups[i].balance);
        high = std::max(high, groups[i].balance);
      }
    simulation_.recorder().event(simulation_.now(), simulation_.scenario().parent.name, -1, "epoch", e, -1,
                                 {block.justified.epoch, block.finalized.epoch, participation, in_leak ? 1 : 0, low,
                                  high, registry->total_active(validators_of_)});
  }
  if (!justified_at_.count(block.justified.epoch))
    justified_at_[block.justified.epoch] = simulation_.now();
}

void BeaconChain::sample(SeriesSink& sink) const
{
  sink.add("epoch.justified", justified_at_.empty() ? 0.0 : static_cast<double>(justified_at_.rbegin()->first));
  sink.add("epoch.finalized", static_cast<double>(finalized_.epoch));
  if (!epoch_participation_.empty())
    sink.add("participation", epoch_participation_.rbegin()->second);
}

void BeaconChain::report_finality(const Block& block)
{
  if (block.finalized.epoch <= finalized_.epoch || block.finalized.root == 0)
    return;
  double now = simulation_.now();
  finalized_ = block.finalized;
  finalized_at_[finalized_.epoch] = now;
  simulation_.recorder().event(now, simulation_.scenario().parent.name, -1, "finalized", finalized_.epoch, -1,
                               {finalized_.root});
  // The newly final blocks, oldest first. A finalized root that does not descend from the last one
  // conflicts with it: the recorder's safety detector sees two blocks final at one height.
  std::vector<uint32_t> fresh;
  long long last_number = blocks_[last_final_block_].number;
  uint32_t b            = finalized_.root;
  for (; b != 0 && blocks_[b].number > last_number; b = blocks_[b].parent)
    fresh.push_back(b);
  if (b != last_final_block_ && b != 0)
    fresh.push_back(b);  // same height as the last final block, another block: a conflict
  for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
    const Block& f = blocks_[*it];
    simulation_.recorder().commit(now, CommitRecord{simulation_.scenario().parent.name, -1, f.number, 0, *it,
                                                    f.proposer, static_cast<double>(f.slot) * params_.seconds_per_slot.seconds,
                                                    f.content.size(), params_.block_bytes.count + f.content.bytes, {},
                                                    false});
  }
  ledger_.finalize(blocks_[finalized_.root].number, now);
  last_final_block_ = finalized_.root;
}

nlohmann::json BeaconChain::summary() const
{
  Samples participation, finalization_delay;
  auto epoch_start = [&](auto epoch) {
    return static_cast<double>(epoch * params_.slots_per_epoch) * params_.seconds_per_slot.seconds;
  };
  const Recorder& recorder = simulation_.recorder();
  for (const auto& [epoch, share] : epoch_participation_)
    if (!recorder.in_warmup(epoch_start(epoch)))
      participation.add(share);
  for (const auto& [epoch, time] : finalized_at_)
    if (!recorder.in_warmup(epoch_start(epoch)))
      finalization_delay.add(time - epoch_start(epoch));
  const Registry& registry = *latest_registry_;
  Samples balances;
  long long active = 0, ejected = 0;
  double lost = 0;  // initial balances minus final ones
  for (int i = 0; i < nodes_; ++i) {
    if (validators_of_[i] == 0)
      continue;
    balances.add(registry.groups[i].balance);
    lost += (params_.max_effective_balance - registry.groups[i].balance) * validators_of_[i];
    (registry.groups[i].active ? active : ejected) += validators_of_[i];
  }
  nlohmann::json slashings = nlohmann::json::array();
  for (const auto& [node, offence] : slashings_)
    slashings.push_back({{"node", node}, {"offence", offence}, {"validators", validators_of_[node]}});
  long long current_epoch = static_cast<long long>(simulation_.now() / params_.seconds_per_slot.seconds) /
                            params_.slots_per_epoch;
  long long total_validators = std::accumulate(validators_of_.begin(), validators_of_.end(), 0LL);
  return {{"validators_hosted", total_validators},
          {"slots", proposals_ + missed_slots_},
          {"missed_slots", missed_slots_},
          {"unheard_attestations", unheard_attestations_},
          {"justified_epoch", justified_at_.empty() ? 0 : justified_at_.rbegin()->first},
          {"finalized_epoch", finalized_.epoch},
          {"finality_delay_epochs", current_epoch - finalized_.epoch},
          {"checkpoint_finalization_delay", finalization_delay.to_json()},
          {"target_participation", participation.to_json()},
          {"inactivity_leak_epochs", leak_epochs_},
          {"validator_balance", balances.to_json()},
          {"active_validators", active},
          {"exited_validators", ejected},
          {"stake_lost", lost},
          {"stake_lost_share", total_validators > 0 ? lost / (params_.max_effective_balance * static_cast<double>(total_validators)) : 0.0},
          {"slashings", slashings.size()},
          {"slashed", slashings},
          {"propagation", relay_->summary()}};
}

namespace {

class Factory : public TypedParentFactory<Params> {
public:
  std::string name() const override { return "gasper"; }
  void narrate(const NarrationInput& input, Narration& narration) const override { gasper::narrate(input, narration); }
  std::string description() const override
  {
    return "Ethereum's Gasper: slots and epochs, LMD-GHOST with proposer boost, Casper FFG finality, inactivity "
           "leak and slashing (ethereum/consensus-specs phase0, altair, bellatrix)";
  }
  double events_per_second(const Scenario& scenario) const override
  {
    // A slot: every node's attestation to its aggregator, each aggregate to every node, the block
    // pushed over the overlay.
    const Params& p = params_of(scenario);
    double n        = scenario.parent.validators.count;
    return n * (1 + p.aggregators_per_slot + mean_overlay_degree(scenario)) / p.seconds_per_slot.seconds;
  }
  double bytes_per_node(const Scenario& scenario) const override
  {
    const Params& p = params_of(scenario);
    double hosted   = p.validators > 0 ? static_cast<double>(p.validators) / scenario.parent.validators.count : 1;
    return 16 * 1024 + 64 * hosted;  // latest messages, balances and scores of the validators it hosts
  }

  std::vector<std::string> review(const Scenario& scenario) const override
  {
    std::vector<std::string> warnings;
    const Params& p = params_of(scenario);
    if (std::string warning = relay_transport_warning(scenario, p.block_bytes.count); !warning.empty())
      warnings.push_back(warning);
    if (p.validators > 0 && p.validators < scenario.parent.validators.count)
      throw InputError(fmt::format("{}: {} validators cannot fill {} nodes (give at least one per node, or 0)",
                                   scenario.where("parent.protocol.gasper.validators"), p.validators, scenario.parent.validators.count));
    double epoch = p.seconds_per_slot.seconds * p.slots_per_epoch;
    if (scenario.detectors.stall_threshold.seconds < 3 * epoch)
      warnings.push_back(fmt::format("detectors.stall_threshold ({}) is below three epochs ({:.0f}s): Gasper "
                                     "finalizes a checkpoint per epoch, two epochs late, so every gap counts as a stall",
                                     format_duration(scenario.detectors.stall_threshold), 3 * epoch));
    for (size_t i = 0; i < scenario.adversaries.size(); ++i)
      if (scenario.adversaries[i].kind == "equivocate" &&
          scenario.adversaries[i].as<EquivocateAdversary>().mode == "both")
        warnings.push_back(fmt::format("adversaries[{}]: equivocate mode both = double proposals and double votes",
                                       i));
    return warnings;
  }
  std::unique_ptr<ParentRuntime> build(Simulation& simulation) const override
  {
    const Scenario& scenario = simulation.scenario();
    auto chain = std::make_unique<BeaconChain>(simulation, params_of(scenario));
    for (int v = 0; v < scenario.parent.validators.count; ++v)
      simulation.add_node(std::make_unique<BeaconNode>(simulation, v, *chain));
    start_parent_workload(simulation);
    chain->start();
    return chain;
  }
  // Two conflicting finalized checkpoints need 1/3 of the stake to double or surround vote; more than
  // 1/3 absent stops justification (until the leak drains it).
  double safety_threshold() const override { return 1.0 / 3; }
  double liveness_threshold() const override { return 1.0 / 3; }
  bool supports_adversary(const std::string& kind) const override
  {
    return kind == "equivocate" || ParentProtocolFactory::supports_adversary(kind);
  }
  std::string table_members(const nlohmann::json& chain) const override
  {
    return fmt::format("{} nodes, {} validators", chain["validators"].get<int>(),
                       chain["validators_hosted"].get<long long>());
  }
  // Gasper finalizes a batch per epoch: the interval between finalizations says little; slots do.
  std::string table_cadence(const nlohmann::json& chain) const override
  {
    return table::row("slots", fmt::format("{} ({} missed: proposer offline)", chain["slots"].get<long long>(),
                                           chain["missed_slots"].get<long long>()));
  }
  std::string table_rows(const nlohmann::json& chain) const override
  {
    using table::fixed;
    using table::number;
    std::string out = table::propagation(chain);
    out += table::row("checkpoints", fmt::format("{} validators on the nodes; justified epoch {}, finalized epoch {} "
                                                 "({} behind)",
                                                 chain["validators_hosted"].get<long long>(),
                                                 chain["justified_epoch"].get<long long>(),
                                                 chain["finalized_epoch"].get<long long>(),
                                                 chain["finality_delay_epochs"].get<long long>()));
    out += table::row("target participation",
                      fmt::format("{} mean, {} lowest; {} epochs of inactivity leak",
                                  fixed(number(chain["target_participation"]["mean"]), 4),
                                  fixed(number(chain["target_participation"]["min"]), 4),
                                  chain["inactivity_leak_epochs"].get<long long>()));
    out += table::row("slashing and exits", fmt::format("{} slashed, {} exited of {} validators",
                                                        chain["slashings"].get<long long>(),
                                                        chain["exited_validators"].get<long long>(),
                                                        chain["validators_hosted"].get<long long>()));
    return out;
  }
  Metrics metrics() const override
  {
    using namespace metric;
    Metrics all{
        count("validators_hosted", "validators", "validators the nodes host"),
        count("slots", "slots", "slots elapsed"),
        count("missed_slots", "slots", "slots without a block (proposer offline)"),
        count("unheard_attestations", "attestations",
              "node attestations lost because none of their slot's aggregators was up and reachable"),
        count("justified_epoch", "epochs", "the latest justified checkpoint's epoch"),
        count("finalized_epoch", "epochs", "the latest finalized checkpoint's epoch"),
        count("finality_delay_epochs", "epochs", "current epoch minus finalized epoch at the end"),
        distribution("checkpoint_finalization_delay", "s", "from a checkpoint's slot to its finalization"),
        distribution("target_participation", "1", "share of active balance attesting to each epoch's target"),
        count("inactivity_leak_epochs", "epochs", "epochs in an inactivity leak"),
        distribution("validator_balance", "ETH", "balance per validator, one sample per node, at the end"),
        count("active_validators", "validators", "validators still active at the end"),
        count("exited_validators", "validators", "validators ejected (balance at or below 16 ETH)"),
        value("stake_lost", "ETH",
              "initial balances minus final ones: what the inactivity leak and slashing took (attestation rewards "
              "and missed-duty penalties are not modelled)"),
        fraction("stake_lost_share", "stake_lost over the initial total balance"),
        count("slashings", "nodes", "nodes slashed (double vote, surround vote, double proposal)"),
    };
    append(all, relay_metrics());
    return all;
  }

};

}  // namespace

void register_protocol(ProtocolRegistry& registry)
{
  registry.add_parent(std::make_unique<Factory>());
  register_equivocate(registry);
  declare_event({"slashing", "a node's validators were slashed for a provable offence", "the offence's slot", "",
                 {{"offence", FieldType::text, "", "double proposal, double vote or surround vote"}}});
  declare_event({"epoch", "an epoch's boundary was processed (justification, finalization, rewards, leak)",
                 "the epoch", "",
                 {{"justified", FieldType::integer, "epochs", "latest justified checkpoint"},
                  {"finalized", FieldType::integer, "epochs", "latest finalized checkpoint"},
                  {"previous_target_participation", FieldType::real, "1", "share of active balance that attested "
                                                                          "to the previous epoch's target", 4},
                  {"leak", FieldType::integer, "", "1 while the inactivity leak runs"},
                  {"balance_min", FieldType::real, "ETH", "lowest effective balance of an active validator", 9},
                  {"balance_max", FieldType::real, "ETH", "highest effective balance of an active validator", 9},
                  {"active_balance", FieldType::real, "ETH", "total active balance", 3}}});
  declare_event({"slot", "a slot began; the node is its proposer (-1: none drawn)", "the slot", "",
                 {{"proposed", FieldType::flag, "", "the proposer was online and proposed"}}});
  declare_event({"finalized", "a new checkpoint was finalized", "its epoch", "",
                 {{"root_block", FieldType::integer, "", "the checkpoint's block (index)"}}});
  declare_series({"epoch.justified", "epochs", "Gasper: latest justified checkpoint"});
  declare_series({"epoch.finalized", "epochs", "Gasper: latest finalized checkpoint"});
  declare_series({"participation", "share", "Gasper: the last complete epoch's target participation"});
}

}  // namespace shsim::models::gasper
