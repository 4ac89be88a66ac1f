#include "models/nakamoto/nakamoto.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/nakamoto/strategies.hpp"
#include "models/registry.hpp"
#include "sim/estimate.hpp"
#include "models/workload/sources.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::nakamoto {

/// Eyal and Sirer 2014, eq. (8): the selfish pool's share of the main chain's blocks.
double selfish_revenue(double alpha, double gamma)
{
  double numerator   = alpha * (1 - alpha) * (1 - alpha) * (4 * alpha + gamma * (1 - 2 * alpha)) - alpha * alpha * alpha;
  double denominator = 1 - alpha * (1 + (2 - alpha) * alpha);
  return numerator / denominator;
}

/// Rosenfeld 2014: success probability of a double spend by hash share q after z confirmations,
/// with one pre-mined block: 1 - sum_{m=0}^{z} C(m+z-1, m) (p^z q^m - p^m q^z).
double double_spend_success(double q, int z)
{
  double p = 1 - q;
  if (q >= p)
    return 1;
  double sum = 0, binomial = 1;  // C(m+z-1, m), starting at m = 0
  for (int m = 0; m <= z; ++m) {
    if (m > 0)
      binomial *= static_cast<double>(m + z - 1) / m;
    sum += binomial * (std::pow(p, z) * std::pow(q, m) - std::pow(p, m) * std::pow(q, z));
  }
  return 1 - sum;
}

namespace {

/// A miner and relaying node; the shared PowChain does the work.
class Miner : public Node {
public:
  Miner(Simulation& simulation, int id, PowChain& chain) : Node(simulation, id), chain_(chain) {}

protected:
  void on_message(int from, const Message& message) override { chain_.relay().handle(id(), from, message); }

private:
  PowChain& chain_;
};

}  // namespace

PowChain::PowChain(Simulation& simulation, const Params& params)
    : simulation_(simulation)
    , params_(params)
    , ledger_(simulation.ledger())
    , mining_stream_(simulation.stream("nakamoto.mining"))
    , seed_(static_cast<uint64_t>(simulation.scenario().seed))
{
  int nodes = simulation.scenario().parent.validators.count;
  relay_    = std::make_unique<BlockRelay>(simulation, params.relay, neighbour_lists(simulation.overlay()));
  relay_->on_validated = [this](int node, uint64_t id) { validated(node, static_cast<long long>(id)); };
  blocks_.push_back(Block{});  // genesis, known to every node
  final_at_.push_back(0);
  tip_.assign(nodes, 0);
  double total = 0;
  for (double power : simulation.stakes())
    cumulative_power_.push_back(total += power);
  // Selfish pools act before double spenders when one miner is in both.
  const auto& adversaries = simulation.scenario().adversaries;
  for (size_t i = 0; i < adversaries.size(); ++i)
    if (adversaries[i].kind == "selfish_mining") {
      const auto& a = adversaries[i].as<SelfishMiningAdversary>();
      auto members  = simulation.select_validators(a.who, i);
      hooks_.push_back(selfish_pool(std::set<int>(members.begin(), members.end()), a.gamma.value, a));
    }
  for (size_t i = 0; i < adversaries.size(); ++i)
    if (adversaries[i].kind == "double_spend") {
      const auto& a = adversaries[i].as<DoubleSpendAdversary>();
      auto members  = simulation.select_validators(a.who, i);
      std::set<int> set(members.begin(), members.end());
      double share = hash_share(set);
      hooks_.push_back(double_spender(std::move(set), a.confirmations, a, share));
    }
}

void PowChain::start() { schedule_mining(); }

double PowChain::hash_share(const std::set<int>& members) const
{
  double power = 0;
  for (int m : members)
    power += simulation_.stakes()[m];
  return power / cumulative_power_.back();
}

void PowChain::schedule_mining()
{
  // The whole network finds blocks as one Poisson process; the finder is drawn by hash power.
  double at = simulation_.now() + mining_stream_.exponential(params_.block_interval.seconds);
  simulation_.events().call_at(at, [this] {
    mine();
    schedule_mining();
  });
}

void PowChain::mine()
{
  double draw = mining_stream_.uniform(0, cumulative_power_.back());
  int miner   = static_cast<int>(std::upper_bound(cumulative_power_.begin(), cumulative_power_.end(), draw) -
                               cumulative_power_.begin());
  miner = std::min(miner, static_cast<int>(cumulative_power_.size()) - 1);
  if (!simulation_.node(miner).online())
    return;  // an offline miner's hash power finds nothing
  if (MiningHook* hook = hook_of(miner, simulation_.now()))
    return hook->on_mined(*this, miner);
  publish(miner, new_block(tip_[miner], miner, false));
}

MiningHook* PowChain::hook_of(int miner, double now) const
{
  for (const auto& hook : hooks_)
    if (hook->member(miner) && hook->active(now))
      return hook.get();
  return nullptr;
}

long long PowChain::new_block(long long parent, int miner, bool by_hook)
{
  Block block;
  block.parent  = parent;
  block.height  = blocks_[parent].height + 1;
  block.miner   = miner;
  block.mined   = simulation_.now();
  block.by_hook = by_hook;
  block.content = ledger_.select(params_.block_bytes.count,
                                 simulation_.censorship(miner, block.height, simulation_.now()));
  blocks_.push_back(std::move(block));
  return static_cast<long long>(blocks_.size()) - 1;
}

void PowChain::publish(int origin, long long id)
{
  ++published_;
  const Block& block = blocks_[id];
  if (block.height > blocks_[best_].height)
    best_changed(id);
  relay_->created(origin, static_cast<uint64_t>(id), params_.block_bytes.count);  // -> validated(origin, id)
  // A withheld block is published whether or not its miner's node would follow it (a pool member
  // that has seen an honest block of the same height still announces the pool's).
  if (tip_[origin] != id)
    relay_->announce(origin, static_cast<uint64_t>(id));
}

bool PowChain::adopt(int node, long long id) const
{
  const Block& block = blocks_[id];
  const Block& tip   = blocks_[tip_[node]];
  if (block.height != tip.height)
    return block.height > tip.height;
  // A tie between a hook's block and an honest one: the hooks may settle it (a selfish pool's gamma).
  if (block.by_hook != tip.by_hook)
    for (const auto& hook : hooks_)
      if (std::optional<bool> switches = hook->on_tie(*this, node, block, tip))
        return *switches;
  return false;  // first seen wins
}

void PowChain::validated(int node, long long id)
{
  const Block& block = blocks_[id];
  if (!known(node, block.parent)) {
    // An orphan: keep it and fetch its parent from a peer that has it.
    orphans_[block.parent].push_back({node, id});
    for (int peer : relay_->neighbours(node))
      if (known(peer, block.parent)) {
        relay_->request(node, peer, static_cast<uint64_t>(block.parent));
        break;
      }
    return;
  }
  if (adopt(node, id)) {
    tip_[node] = id;
    relay_->announce(node, static_cast<uint64_t>(id));
  }
  if (!block.by_hook)
    for (const auto& hook : hooks_)
      if (hook->member(node))
        hook->on_seen(*this, id);
  auto waiting = orphans_.find(id);
  if (waiting != orphans_.end()) {
    std::vector<std::pair<int, long long>> children;
    for (auto it = waiting->second.begin(); it != waiting->second.end();)
      if (it->first == node) {
        children.push_back(*it);
        it = waiting->second.erase(it);
      } else {
        ++it;
      }
    if (waiting->second.empty())
      orphans_.erase(waiting);
    for (const auto& [n, child] : children)
      validated(n, child);
  }
}

void PowChain::best_changed(long long id)
{
  best_ = id;
  double now         = simulation_.now();
  long long reported = static_cast<long long>(final_at_.size()) - 1;  // highest height reported final
  // The new best chain down to where it meets the blocks already reported final.
  std::vector<long long> path;
  for (long long b = id; b != 0; b = blocks_[b].parent) {
    long long h = blocks_[b].height;
    if (h <= reported && final_at_[h] == b)
      break;
    path.push_back(b);
  }
  std::reverse(path.begin(), path.end());
  long long final_height = blocks_[id].height - params_.confirmations + 1;
  for (long long b : path) {
    const Block& block = blocks_[b];
    long long h        = block.height;
    if (h > ledger_.included_height())
      ledger_.include(h, block.content, now);
    bool reorg_of_final = h <= reported;  // a block reported final replaced: the safety detector sees it
    if (!reorg_of_final && h > final_height)
      continue;
    if (reorg_of_final)
      final_at_[h] = b;
    else
      final_at_.push_back(b);
    simulation_.recorder().commit(now, CommitRecord{simulation_.scenario().parent.name, -1, h, 0,
                                                    static_cast<uint64_t>(b), block.miner, block.mined,
                                                    block.content.size(), params_.block_bytes.count, {}, false});
    if (!reorg_of_final)
      ledger_.finalize(h, now);
  }
}

nlohmann::json PowChain::summary() const
{
  long long main_blocks = blocks_[best_].height;
  uint64_t stale        = published_ - static_cast<uint64_t>(main_blocks);
  nlohmann::json out{{"blocks_published", published_},
                     {"main_chain_blocks", main_blocks},
                     {"stale_blocks", stale},
                     {"stale_rate", published_ > 0 ? static_cast<double>(stale) / static_cast<double>(published_) : 0},
                     {"stale_per_main_block",
                      main_blocks > 0 ? static_cast<double>(stale) / static_cast<double>(main_blocks) : 0},
                     {"mean_block_interval", main_blocks > 0 ? blocks_[best_].mined / static_cast<double>(main_blocks) : 0},
                     {"propagation", relay_->summary()}};
  for (const auto& hook : hooks_)
    hook->summarize(*this, out);
  return out;
}

namespace {

class Factory : public TypedParentFactory<Params> {
public:
  std::string name() const override { return "nakamoto"; }
  std::string description() const override
  {
    return "Nakamoto proof of work: Poisson block discovery by hash power, longest chain, block relay over the "
           "overlay (Nakamoto 2008; SimBlock's Bitcoin model)";
  }
  double events_per_second(const Scenario& scenario) const override
  {
    // A block: an announcement from each peer, a request and the block (or a compact block) per node.
    const Params& p = params_of(scenario);
    double n        = scenario.parent.validators.count;
    return n * (mean_overlay_degree(scenario) + 2) / p.block_interval.seconds;
  }

  std::vector<std::string> review(const Scenario& scenario) const override
  {
    std::vector<std::string> warnings;
    const Params& p = params_of(scenario);
    if (std::string warning = relay_transport_warning(scenario, p.block_bytes.count); !warning.empty())
      warnings.push_back(warning);
    if (scenario.duration.seconds < 10 * p.block_interval.seconds)
      warnings.push_back(fmt::format("the run lasts fewer than 10 block intervals ({}): expect few blocks",
                                     format_duration(p.block_interval)));
    int pools = 0, spenders = 0;
    for (const auto& a : scenario.adversaries) {
      pools += a.kind == "selfish_mining" ? 1 : 0;
      spenders += a.kind == "double_spend" ? 1 : 0;
    }
    if (pools > 1 || spenders > 1)
      throw InputError(fmt::format("{}: at most one selfish_mining and one double_spend entry (each is one "
                                   "colluding group)",
                                   scenario.where("adversaries")));
    return warnings;
  }
  std::unique_ptr<ParentRuntime> build(Simulation& simulation) const override
  {
    const Scenario& scenario = simulation.scenario();
    auto chain = std::make_unique<PowChain>(simulation, params_of(scenario));
    for (int v = 0; v < scenario.parent.validators.count; ++v)
      simulation.add_node(std::make_unique<Miner>(simulation, v, *chain));
    start_parent_workload(simulation);
    chain->start();
    return chain;
  }
  // A majority of hash power rewrites any history; no share of absent miners halts the chain.
  double safety_threshold() const override { return 0.5; }
  double liveness_threshold() const override { return 1.0; }
  bool slashes_stake() const override { return false; }
  bool supports_adversary(const std::string& kind) const override
  {
    return kind == "selfish_mining" || kind == "double_spend" || ParentProtocolFactory::supports_adversary(kind);
  }
  std::string table_members(const nlohmann::json& chain) const override
  {
    return fmt::format("{} miners", chain["validators"].get<int>());
  }
  std::string table_rows(const nlohmann::json& chain) const override
  {
    using table::number;
    std::string out = table::row("stale blocks", fmt::format("{} of {} published ({:.3f}%)",
                                                             chain["stale_blocks"].get<long long>(),
                                                             chain["blocks_published"].get<long long>(),
                                                             100 * number(chain["stale_rate"])));
    out += table::propagation(chain);
    if (chain.contains("selfish_mining")) {
      const auto& m = chain["selfish_mining"];
      out += table::row("selfish mining", fmt::format("alpha {:.3f}, gamma {:.2f}: revenue {:.4f} (Eyal-Sirer {:.4f})",
                                                      number(m["hash_share"]), number(m["gamma"]),
                                                      number(m["relative_revenue"]), number(m["eyal_sirer_revenue"])));
    }
    if (chain.contains("double_spend")) {
      const auto& d = chain["double_spend"];
      out += table::row("double spends", fmt::format("q {:.3f}, z {}: {} of {} succeeded ({:.4f}; Rosenfeld {:.4f})",
                                                     number(d["hash_share"]), d["confirmations"].get<int>(),
                                                     d["successes"].get<long long>(), d["attempts"].get<long long>(),
                                                     number(d["success_rate"]), number(d["rosenfeld_probability"])));
    }
    return out;
  }
  Metrics metrics() const override
  {
    using namespace metric;
    const std::string sm = "with a selfish_mining adversary", ds = "with a double_spend adversary";
    Metrics all{
        count("blocks_published", "blocks", "blocks mined and published"),
        count("main_chain_blocks", "blocks", "blocks on the best chain at the end"),
        count("stale_blocks", "blocks", "published blocks off the best chain"),
        fraction("stale_rate", "stale_blocks / blocks_published"),
        value("stale_per_main_block", "1", "stale_blocks / main_chain_blocks"),
        value("mean_block_interval", "s", "run time to the best tip / main_chain_blocks"),
        fraction("selfish_mining.hash_share", "the selfish pool's share of hash power (alpha)").only(sm),
        fraction("selfish_mining.gamma", "share of honest nodes that mine on the pool's block in a tie").only(sm),
        count("selfish_mining.pool_blocks_in_main_chain", "blocks", "the pool's blocks on the best chain").only(sm),
        fraction("selfish_mining.relative_revenue", "the pool's share of best-chain blocks (measured)").only(sm),
        fraction("selfish_mining.eyal_sirer_revenue", "the same share by Eyal and Sirer's closed form").only(sm),
        count("double_spend.attempts", "attempts", "payments the attacker tried to reverse").only(ds),
        count("double_spend.successes", "attempts", "reversals that overtook the honest chain").only(ds),
        fraction("double_spend.success_rate", "successes / attempts").only(ds),
        fraction("double_spend.hash_share", "the attacker's share of hash power (q)").only(ds),
        count("double_spend.confirmations", "blocks", "blocks the merchant waited for (z)").only(ds),
        fraction("double_spend.rosenfeld_probability", "success probability by Rosenfeld's closed form").only(ds),
    };
    append(all, relay_metrics());
    return all;
  }

};

}  // namespace

void PowChain::sample(SeriesSink& sink) const
{
  sink.add("head.best", static_cast<double>(blocks_[static_cast<size_t>(best_)].height));
  sink.add("blocks.mined", static_cast<double>(blocks_.size() - 1));
}

void register_protocol(ProtocolRegistry& registry)
{
  registry.add_parent(std::make_unique<Factory>());
  declare_series({"head.best", "blocks", "Nakamoto: height of the best published chain"});
  declare_series({"blocks.mined", "blocks", "Nakamoto: blocks mined so far, stale ones included"});
  declare_event({"double_spend_success", "the attacker published a private fork that overtook the honest chain "
                                         "after the merchant's confirmations",
                 "the fork's tip height", "",
                 {{"attacker_blocks", FieldType::integer, "blocks", "blocks of the private fork"},
                  {"honest_blocks", FieldType::integer, "blocks", "honest blocks it replaced"}}});
  registry.add_adversary(std::make_unique<AdversaryKind<SelfishMiningAdversary>>(
      "selfish_mining",
      "proof-of-work miners that pool their hash power and follow Eyal and Sirer's selfish-mining strategy "
      "(2014, Algorithm 1)",
      true));
  registry.add_adversary(std::make_unique<AdversaryKind<DoubleSpendAdversary>>(
      "double_spend",
      "proof-of-work miners that mine a private fork from the block before a merchant's payment and publish it "
      "if it overtakes the honest chain after the merchant waited `confirmations` blocks (Nakamoto 2008, "
      "Rosenfeld 2014)",
      true));
}

}  // namespace shsim::models::nakamoto
