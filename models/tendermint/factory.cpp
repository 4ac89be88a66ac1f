// Registers Tendermint as a parent protocol: parses its parameters, reviews them for settings that
// make results questionable, and builds one Validator actor per validator.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/common/equivocate.hpp"
#include "models/tendermint/equivocate.hpp"
#include "models/tendermint/narrate.hpp"
#include "models/registry.hpp"
#include "sim/estimate.hpp"
#include "models/tendermint/validator.hpp"
#include "models/workload/sources.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::tendermint {
namespace {

class Factory : public TypedParentFactory<Params> {
public:
  std::string name() const override { return "tendermint"; }
  std::string description() const override
  {
    return "Tendermint/CometBFT BFT consensus (arXiv 1807.04938, Algorithm 1), CometBFT default timeouts";
  }

  void narrate(const NarrationInput& input, Narration& narration) const override
  {
    tendermint::narrate(input, params_of(input.scenario), narration);
  }

  double events_per_second(const Scenario& scenario) const override
  {
    // A height: a proposal and two rounds of votes (every validator to every validator, or to its
    // overlay peers and on when gossiping), about 3 one-way delays plus timeout_commit.
    const Params& p = params_of(scenario);
    double n        = scenario.parent.validators.count;
    double fanout   = p.dissemination == "gossip" ? n * mean_overlay_degree(scenario) / 2 : n;
    double height   = p.timeout_commit.seconds + 3 * mean_one_way_latency(scenario) + 0.05;
    return (2 * n * fanout + 2 * n) / height;
  }
  double bytes_per_node(const Scenario& scenario) const override
  {
    return 8 * 1024 + 64.0 * scenario.parent.validators.count;  // vote sets of the current height
  }

  std::vector<std::string> review(const Scenario& scenario) const override
  {
    std::vector<std::string> warnings;
    const Params& p = params_of(scenario);
    const RegionMatrix& matrix = scenario.regions;
    double worst = 0, best = 1e300;
    for (const auto& row : matrix.one_way_seconds)
      for (double latency : row) {
        worst = std::max(worst, latency);
        best  = std::min(best, latency);
      }
    worst += 2 * scenario.network.access.latency.seconds;
    best += 2 * scenario.network.access.latency.seconds;
    if (scenario.network.platform_file.empty() && best == 0 && p.timeout_commit.seconds == 0 &&
        scenario.network.jitter.kind == "none")
      throw InputError(fmt::format("{}: 0 with zero access latency and no jitter lets heights follow each other "
                                   "in zero simulated time; make one of them positive",
                                   scenario.where("parent.protocol.tendermint.timeout_commit")));
    if (p.timeout_propose.seconds < 2 * worst)
      warnings.push_back(fmt::format("parent.protocol.tendermint.timeout_propose ({}) is below two worst-case "
                                     "one-way delays ({:.0f} ms): expect rounds lost to timeouts",
                                     format_duration(p.timeout_propose), 2 * worst * 1e3));
    if (p.timeout_propose_delta.seconds == 0 || p.timeout_prevote_delta.seconds == 0 ||
        p.timeout_precommit_delta.seconds == 0)
      warnings.push_back("a timeout delta of 0 means timeouts never grow: Tendermint's liveness after GST "
                         "relies on them growing");
    long long n = scenario.parent.validators.count;
    if (n > 1000)
      warnings.push_back(fmt::format("{} validators: every vote reaches every validator, about {:.1e} deliveries "
                                     "per height; expect a long run",
                                     n, 2.0 * static_cast<double>(n) * static_cast<double>(n)));
    // Adversaries beyond the bounds the protocol is proven for: the run shows what breaks.
    std::vector<double> stakes = draw_stakes(scenario.parent.validators, static_cast<uint64_t>(scenario.seed));
    double total               = 0;
    for (double stake : stakes)
      total += stake;
    for (size_t i = 0; i < scenario.adversaries.size(); ++i) {
      const AdversaryChoice& a = scenario.adversaries[i];
      if (a.kind == "equivocate" && a.as<EquivocateAdversary>().mode == "surround")
        throw InputError(fmt::format("{}: surround votes are a Gasper offence; Tendermint has no checkpoints (use "
                                     "propose, vote or both)",
                                     scenario.where(fmt::format("adversaries[{}].equivocate.mode", i))));
      const ValidatorSelection* who = a.params->validators();
      if (who == nullptr)
        continue;
      double share = 0;
      for (int v : select_validators(*who, stakes, static_cast<uint64_t>(scenario.seed), i))
        share += stakes[v] / total;
      if (a.kind == "equivocate" && 3 * share >= 1)
        warnings.push_back(fmt::format("adversaries[{}]: {:.1f}% of the stake equivocates, at or above 1/3: "
                                       "Tendermint's safety no longer holds and forks are possible",
                                       i, 100 * share));
      if (a.kind == "crash" && 3 * share >= 1)
        warnings.push_back(fmt::format("adversaries[{}]: {:.1f}% of the stake is offline, at or above 1/3: no "
                                       "quorum can form while it is down (the chain halts)",
                                       i, 100 * share));
    }
    return warnings;
  }

  std::unique_ptr<ParentRuntime> build(Simulation& simulation) const override
  {
    const Scenario& scenario = simulation.scenario();
    const Params& params     = params_of(scenario);
    // Voting power: stakes scaled to integers (largest = 1,000,000) so thresholds are exact.
    const auto& stakes = simulation.stakes();
    double largest     = *std::max_element(stakes.begin(), stakes.end());
    std::vector<long long> power;
    for (double stake : stakes)
      power.push_back(std::max(1LL, std::llround(stake / largest * 1e6)));
    auto chain = std::make_unique<ChainState>(scenario.parent.name, params, power, simulation.ledger());
    chain->gossip = params.dissemination == "gossip";
    if (chain->gossip)
      chain->neighbours = neighbour_lists(simulation.overlay());
    auto twins = std::make_shared<Twins>();
    for (size_t i = 0; i < scenario.adversaries.size(); ++i) {
      if (scenario.adversaries[i].kind != "equivocate")
        continue;
      const auto& adversary = scenario.adversaries[i].as<EquivocateAdversary>();
      auto members          = simulation.select_validators(adversary.who, i);
      chain->hooks.push_back(std::make_shared<EquivocationHook>(
          simulation, std::set<int>(members.begin(), members.end()), adversary, adversary.mode != "vote",
          adversary.mode != "propose", twins, chain->members()));
    }
    chain->parent_of = &simulation;
    add_validators(simulation, *chain);
    start_parent_workload(simulation);
    return chain;
  }

  // More than 1/3 must double-sign for two conflicting commits (each needs > 2/3); more than 1/3
  // absent leaves no quorum (arXiv 1807.04938, n > 3f).
  double safety_threshold() const override { return 1.0 / 3; }
  double liveness_threshold() const override { return 1.0 / 3; }
  bool supports_adversary(const std::string& kind) const override
  {
    return kind == "equivocate" || ParentProtocolFactory::supports_adversary(kind);
  }
  std::string table_blocks_label() const override { return "blocks committed"; }
  std::string table_rows(const nlohmann::json& chain) const override
  {
    return table::row("rounds per height",
                      fmt::format("mean {}, max {} ({} heights needed more than one)",
                                  table::fixed(table::number(chain["rounds_per_height"]["mean"]), 2),
                                  table::fixed(table::number(chain["rounds_per_height"]["max"]), 0),
                                  chain["heights_with_extra_rounds"].get<long long>()));
  }

};

}  // namespace

void register_protocol(ProtocolRegistry& registry)
{
  registry.add_parent(std::make_unique<Factory>());
  register_equivocate(registry);
  const char* height = "the height being decided";
  const char* round  = "the round";
  const std::vector<EventField> proposer{{"proposer", FieldType::integer, "", "the validator whose turn it is to propose"}};
  declare_event({"round", "a validator entered a new round of a height", height, round, proposer});
  declare_event({"timeout_propose", "no proposal arrived in time: the validator prevotes nil", height, round, proposer});
  declare_event({"timeout_prevote", "prevotes for no single value reached 2/3 in time: precommit nil", height, round, {}});
  declare_event({"timeout_precommit", "precommits for no single value reached 2/3 in time: next round", height, round,
                 {}});
  declare_event({"propose", "the round's proposer sent its proposal", height, round,
                 {{"block", FieldType::hex, "", "the proposed block's id"},
                  {"txs", FieldType::integer, "transactions", "transactions in it"}}});
  declare_event({"equivocate", "an equivocating validator sent conflicting messages to two halves of the network",
                 height, round,
                 {{"first", FieldType::hex, "", "the block id sent to the first half"},
                  {"second", FieldType::hex, "", "the block id sent to the second half"},
                  {"message", FieldType::text, "", "proposal, prevote or precommit"}}});
}

}  // namespace shsim::models::tendermint
