// What a run of a scenario will report, before it runs: every metric of the parent (the engine's
// and its protocol's), of each child chain, of each bridge and of the run itself, with full paths
// as `expect` lines write them ("parent.block_interval.p50", "op.stages.settled.p90"). `shsim
// metrics SCENARIO` prints it; `check` and `run` refuse an expectation that names none of it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/metric.hpp"
#include "sim/scenario.hpp"

namespace shsim {

struct ScenarioMetric {
  std::string owner;  // the chain, the bridge, or "run"
  Metric metric;
  std::string full_path() const { return owner + "." + metric.path; }
};

/// Every metric summary.json will hold for the scenario, in summary order.
std::vector<ScenarioMetric> scenario_metrics(const Scenario& scenario);
/// The metric that has the figure `path` ("op.stages.settled.p50"), or null.
const ScenarioMetric* find_scenario_metric(const std::vector<ScenarioMetric>& metrics, const std::string& path);
/// Where a run's summary disagrees with the declarations: a figure (a number or null in a chain's or
/// bridge's entry, or in "run") that no metric declares, a metric reported always whose figures are
/// missing, a conditional one with some of its figures but not all. Empty when they agree; the run
/// command refuses to write outputs otherwise (a model's bug, not the user's).
std::vector<std::string> summary_disagreements(const nlohmann::json& summary, const std::vector<ScenarioMetric>& metrics);
/// Refuses, before the run, an expectation whose metric the scenario does not report, suggesting
/// the nearest one. Throws InputError naming the scenario's file and line.
void check_expectation_metrics(const Scenario& scenario);
/// `shsim metrics`: a table (path, kind, unit, meaning), or JSON.
std::string format_metrics(const std::vector<ScenarioMetric>& metrics, bool json);

}  // namespace shsim
