#include "sim/report.hpp"

#include <algorithm>

#include <sys/resource.h>

#include <fmt/format.h>

#include "sim/expect.hpp"
#include "sim/simulation.hpp"

namespace shsim {

Metrics run_metrics()
{
  using namespace metric;
  return {
      count("seed", "1", "the master seed"),
      value("simulated_seconds", "s", "simulated time (the scenario's duration)"),
      value("warmup", "s", "start-up period left out of distributions and of the liveness detector (detectors.warmup)"),
      count("events_processed", "events", "message deliveries and timers handled"),
      count("nodes", "nodes", "nodes of every chain and bridge"),
      count("overlay.nodes", "nodes", "nodes of the peer-to-peer overlay (the parent's validators)"),
      count("overlay.edges", "links", "links of the overlay"),
      count("overlay.components", "components", "connected parts of the overlay (1: connected)"),
      distribution("overlay.degree", "links", "links per overlay node"),
      count("transports.messages_dropped_by_partitions", "messages", "messages a partition cut"),
  };
}

Metrics application_engine_metrics()
{
  using namespace metric;
  return {
      distribution("messages_per_node", "messages", "messages each of the application's nodes sent")
          .only("when it has nodes"),
      distribution("bytes_per_node", "bytes", "bytes each of the application's nodes sent").only("when it has nodes"),
  };
}

Metrics child_engine_metrics()
{
  using namespace metric;
  const std::string slashing = "over a parent that slashes stake", no_slashing = "over a parent that slashes no stake";
  return {
      distribution("messages_per_node", "messages", "messages each of the chain's nodes sent"),
      distribution("bytes_per_node", "bytes", "bytes each of the chain's nodes sent"),
      value("economic_security.cost_of_corruption", "currency",
            "stake an attacker loses by the cheapest way to make the child accept a wrong state")
          .only(slashing),
      value("economic_security.profit_from_corruption", "currency", "value locked in the child's bridges (tvl)"),
      value("economic_security.security_margin", "currency", "cost_of_corruption minus profit_from_corruption")
          .only(slashing),
      value("economic_security.cost_to_profit_ratio", "1",
            "cost_of_corruption / profit_from_corruption (null when nothing is locked)")
          .only(slashing),
      fraction("economic_security.accountable_stake_share",
               "largest share of parent stake provably at fault in this run's safety violations")
          .only(slashing),
      value("economic_security.slashed_in_run", "currency", "stake and bonds slashed in this run").only(slashing),
      value("economic_security.bonds_slashed_in_run", "currency", "bonds lost by posters of wrong roots")
          .only(no_slashing),
  };
}

namespace {
/// Ways to make the child accept a state it should not, each with what the attacker loses; the
/// cheapest against what the child's bridges lock.
nlohmann::json economic_security(Simulation& simulation, const ChildChain& child)
{
  const Scenario& scenario   = simulation.scenario();
  Recorder& recorder         = simulation.recorder();
  const Economics& economics = scenario.parent.economics;
  const auto* factory        = ProtocolRegistry::instance().find_parent(scenario.parent.protocol.kind);
  SecurityFacts facts        = child.security();
  double profit              = 0;
  for (const auto& bridge : simulation.bridges())
    if (bridge->child() == child.name())
      profit += bridge->tvl();
  if (!factory->slashes_stake())
    return {{"stated", false},
            {"profit_from_corruption", profit},
            {"bonds_slashed_in_run", facts.bonds_slashed},
            {"note", fmt::format("the {} parent slashes no stake: its cost of corruption is the cost of a hash-power "
                                 "majority for the attack's length, which shsim does not model",
                                 scenario.parent.protocol.kind)}};
  // Ways to make the child accept a state it should not, each with what the attacker loses.
  nlohmann::json paths = nlohmann::json::array();
  double safety_share  = factory->safety_threshold();
  paths.push_back({{"path", "break parent safety (double-sign)"},
                   {"stake_share", safety_share},
                   {"cost", safety_share * economics.stake_value * economics.slash_equivocation.value}});
  if (facts.needs_parent_liveness) {
    double halt_share = factory->liveness_threshold();
    paths.push_back({{"path", "halt the parent through the challenge window (downtime slashing only)"},
                     {"stake_share", halt_share},
                     {"cost", halt_share * economics.stake_value * economics.slash_downtime.value}});
  }
  for (const AttackPath& own : facts.own_paths)
    paths.push_back({{"path", own.path}, {"stake_share", own.stake_share}, {"cost", own.cost}});
  size_t cheapest = 0;
  for (size_t p = 1; p < paths.size(); ++p)
    if (paths[p]["cost"].get<double>() < paths[cheapest]["cost"].get<double>())
      cheapest = p;
  double cost = paths[cheapest]["cost"].get<double>();
  // Slashed in this run: the accountable stake of parent safety violations, plus lost bonds.
  double accountable = 0;
  for (const auto& violation : recorder.violations_of(scenario.parent.name))
    accountable = std::max(accountable, violation);
  nlohmann::json out = {{"stated", economics.stake_value > 0},
                        {"cost_of_corruption", cost},
                        {"cheapest_attack", paths[cheapest]["path"]},
                        {"attacks", paths},
                        {"profit_from_corruption", profit},
                        {"security_margin", cost - profit},
                        {"secure", cost > profit},
                        {"accountable_stake_share", accountable},
                        {"slashed_in_run", accountable * economics.stake_value * economics.slash_equivocation.value +
                                               facts.bonds_slashed}};
  out["cost_to_profit_ratio"] = profit > 0 ? nlohmann::json(cost / profit) : nlohmann::json(nullptr);
  return out;
}
}  // namespace

nlohmann::json adversaries_summary(const Scenario& scenario, const Population& population)
{
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < scenario.adversaries.size(); ++i) {
    const AdversaryChoice& a = scenario.adversaries[i];
    nlohmann::json entry{{"kind", a.kind},
                         {"from", a.from()},
                         {"until", a.window().until ? nlohmann::json(a.end()) : nlohmann::json(nullptr)}};
    if (const ValidatorSelection* who = a.params->validators()) {
      ChosenValidators chosen = population.choose_validators(*who, i);
      entry["validators"]     = chosen.validators;
      entry["stake_share"]    = chosen.share;
      if (who->validators.empty())
        entry["stake_asked"] = who->stake.value;
    }
    out.push_back(entry);
  }
  return out;
}

RunResult report(Simulation& simulation, double wall)
{
  const Scenario& scenario = simulation.scenario();
  Recorder& recorder       = simulation.recorder();
  Network& network         = simulation.network();
  const uint64_t events    = simulation.events_processed();
  RunResult result;
  std::map<std::string, std::pair<Samples, Samples>> traffic;
  for (int v = 0; v < simulation.node_count(); ++v) {
    auto& [messages, bytes] = traffic[simulation.population().owner[static_cast<size_t>(v)]];
    messages.add(static_cast<double>(network.messages_sent(v)));
    bytes.add(static_cast<double>(network.bytes_sent(v)));
  }
  nlohmann::json regions_json = nlohmann::json::object();
  nlohmann::json region_traffic = nlohmann::json::object();
  std::vector<int> per_region(scenario.regions.regions.size(), 0);
  std::vector<uint64_t> region_messages(per_region.size(), 0), region_bytes(per_region.size(), 0);
  for (int node = 0; node < simulation.node_count(); ++node) {
    auto r = static_cast<size_t>(simulation.region_of(node));
    ++per_region[r];
    region_messages[r] += network.messages_sent(node);
    region_bytes[r] += network.bytes_sent(node);
  }
  for (size_t r = 0; r < per_region.size(); ++r)
    if (per_region[r] > 0) {
      regions_json[scenario.regions.regions[r]]   = per_region[r];
      region_traffic[scenario.regions.regions[r]] = {{"messages", region_messages[r]}, {"bytes", region_bytes[r]}};
    }
  result.summary["scenario"] = scenario.name;
  result.summary["run"]      = {{"seed", scenario.seed},
                                {"simulated_seconds", scenario.duration.seconds},
                                {"warmup", scenario.detectors.warmup.seconds},
                                {"events_processed", events},
                                {"nodes", simulation.node_count()},
                                {"nodes_per_region", regions_json},
                                {"traffic_per_region", region_traffic},
                                {"network_model", simulation.platform().network_model()},
                                {"engine_options", simulation.platform().engine_args()},
                                {"latency_matrix", {{"file", scenario.network.latency_matrix}, {"source", scenario.regions.source}}},
                                {"transports", network.transports_json()},
                                {"overlay", overlay_summary(simulation.overlay())}};
  result.summary["chains"] = recorder.chains_summary(traffic);
  nlohmann::json protocol_summary = simulation.parent_runtime().summary();
  for (const auto& [key, value] : protocol_summary.items())
    result.summary["chains"][scenario.parent.name][key] = value;
  if (!simulation.children().empty() || !simulation.bridges().empty())
    result.summary["chains"][scenario.parent.name]["child_load"] = simulation.ledger().load_summary();
  for (const auto& child : simulation.children()) {
    child->finish();
    nlohmann::json c = child->summary();
    c["economic_security"] = economic_security(simulation, *child);
    if (auto found = traffic.find(child->name()); found != traffic.end()) {
      c["messages_per_node"] = found->second.first.to_json();
      c["bytes_per_node"]    = found->second.second.to_json();
    }
    // A child that runs a consensus of its own (Recorder::add_chain) already has the common figures.
    auto& entry = result.summary["chains"][child->name()];
    for (const auto& [key, value] : c.items())
      entry[key] = value;
  }
  for (const auto& bridge : simulation.bridges())
    result.summary["bridges"][bridge->name()] = bridge->summary();
  // Applications last, in order: each may compare itself with the chains, bridges and earlier ones.
  for (const auto& app : simulation.applications()) {
    app->finish();
    nlohmann::json entry = app->summary(result.summary);
    entry["application"] = app->kind();
    if (auto found = traffic.find(app->name()); found != traffic.end()) {
      entry["messages_per_node"] = found->second.first.to_json();
      entry["bytes_per_node"]    = found->second.second.to_json();
    }
    result.summary["applications"][app->name()] = entry;
  }
  result.summary["adversaries"] = adversaries_summary(scenario, simulation.population());
  nlohmann::json expectations = nlohmann::json::array();
  for (size_t i = 0; i < scenario.expect.size(); ++i) {
    const std::string& text   = scenario.expect[i];
    ExpectationResult outcome = evaluate(*parse_expectation(text).value, result.summary);
    // Every metric was checked before the run; one that a declared figure lacks in this run (a
    // figure that only an adversary produces, without that adversary) has no value: the expectation fails.
    result.expectations_passed = result.expectations_passed && outcome.passed;
    expectations.push_back({{"expectation", text},
                            {"passed", outcome.passed},
                            {"actual", outcome.has_value ? nlohmann::json(outcome.actual) : nlohmann::json(nullptr)}});
  }
  result.summary["expectations"] = expectations;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  result.performance = {{"wall_seconds", wall},
                        {"events_processed", events},
                        {"events_per_second", wall > 0 ? static_cast<double>(events) / wall : 0},
                        {"simulated_seconds_per_wall_second", wall > 0 ? scenario.duration.seconds / wall : 0},
                        {"peak_memory_mib", static_cast<double>(usage.ru_maxrss) / 1024}};
  recorder.close_event_log();
  result.events          = recorder.events();
  result.events_streamed = !simulation.event_log_path().empty() && scenario.output.events != "none";
  result.timelines = recorder.timelines();
  result.timeline_columns = recorder.timeline_columns();
  for (const auto& row : result.timelines)
    if (result.timeline_stages.count(row.chain) == 0)
      result.timeline_stages[row.chain] = recorder.timeline_stages(row.chain);
  return result;
}

}  // namespace shsim
