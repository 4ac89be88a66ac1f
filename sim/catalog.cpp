#include "sim/catalog.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "sim/application.hpp"
#include "sim/child.hpp"
#include "sim/expect.hpp"
#include "sim/protocol.hpp"
#include "sim/recorder.hpp"
#include "sim/report.hpp"

namespace shsim {

std::vector<ScenarioMetric> scenario_metrics(const Scenario& scenario)
{
  const auto& registry = ProtocolRegistry::instance();
  std::vector<ScenarioMetric> out;
  auto add = [&](const std::string& owner, const Metrics& metrics) {
    for (const auto& m : metrics)
      out.push_back({owner, m});
  };
  add("run", run_metrics());
  const std::string& parent = scenario.parent.name;
  add(parent, parent_engine_metrics());
  if (const auto* factory = registry.find_parent(scenario.parent.protocol.kind))
    add(parent, factory->metrics());
  if (!scenario.children.empty() || !scenario.bridges.empty())
    add(parent, child_load_metrics());
  for (const auto& child : scenario.children)
    if (const auto* factory = registry.find_child(child.kind))
      add(child.name(), factory->metrics());
  for (const auto& bridge : scenario.bridges)
    add(bridge.name, registry.bridge_metrics());
  for (const auto& app : scenario.applications)
    if (const auto* factory = registry.find_application(app.kind)) {
      add(app.name(), factory->metrics());
      if (!app.params->placements(scenario.parent.validators.count).empty())
        add(app.name(), application_engine_metrics());
    }
  return out;
}

const ScenarioMetric* find_scenario_metric(const std::vector<ScenarioMetric>& metrics, const std::string& path)
{
  for (const auto& m : metrics)
    if (path.size() > m.owner.size() + 1 && path.compare(0, m.owner.size(), m.owner) == 0 &&
        path[m.owner.size()] == '.' && m.metric.has_figure(path.substr(m.owner.size() + 1)))
      return &m;
  return nullptr;
}

namespace {
/// Every figure below `node` as a full path: numbers and nulls (a distribution's statistics too).
void collect_figures(const nlohmann::json& node, const std::string& prefix, std::set<std::string>& out)
{
  if (node.is_object()) {
    for (const auto& [key, value] : node.items())
      // Breakdowns keyed by name (owner/kind in sim/ledger.cpp, region, message class), not metrics.
      if (key != "by_owner_and_kind" && key != "nodes_per_region" && key != "traffic_per_region" && key != "classes")
        collect_figures(value, prefix + "." + key, out);
  } else if (node.is_number() || node.is_null()) {
    out.insert(prefix);
  }
}
}  // namespace

std::vector<std::string> summary_disagreements(const nlohmann::json& summary, const std::vector<ScenarioMetric>& metrics)
{
  std::set<std::string> reported;
  for (const char* section : {"chains", "bridges", "applications"})
    if (summary.contains(section))
      for (const auto& [name, entry] : summary[section].items())
        collect_figures(entry, name, reported);
  if (summary.contains("run"))
    collect_figures(summary["run"], "run", reported);
  std::vector<std::string> problems;
  std::set<std::string> declared;
  // A conditional metric comes with every other of its owner under the same condition, or none.
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<std::string>, size_t>> conditional;
  for (const auto& m : metrics) {
    size_t present = 0;
    std::vector<std::string> missing;
    for (const auto& figure : m.metric.figures()) {
      declared.insert(m.owner + "." + figure);
      bool found = reported.count(m.owner + "." + figure) > 0;
      present += found ? 1 : 0;
      if (!found)
        missing.push_back(m.owner + "." + figure);
    }
    size_t all = m.metric.figures().size();
    if (m.metric.condition.empty()) {
      if (present < all)
        problems.push_back(
            fmt::format("{} is declared but {} of its {} figures are missing", m.full_path(), all - present, all));
      continue;
    }
    auto& group = conditional[{m.owner, m.metric.condition}];
    group.first.insert(group.first.end(), missing.begin(), missing.end());
    group.second += present;
  }
  for (const auto& [key, group] : conditional)
    if (group.second > 0 && !group.first.empty())
      problems.push_back(fmt::format("{}: figures reported {} are partly missing: {}", key.first, key.second,
                                     fmt::join(group.first, ", ")));
  for (const auto& figure : reported)
    if (!declared.count(figure))
      problems.push_back(figure + " is reported but no metric declares it");
  return problems;
}

void check_expectation_metrics(const Scenario& scenario)
{
  std::vector<ScenarioMetric> metrics = scenario_metrics(scenario);
  for (size_t i = 0; i < scenario.expect.size(); ++i) {
    Expectation e = *parse_expectation(scenario.expect[i]).value;
    if (find_scenario_metric(metrics, e.metric) != nullptr)
      continue;
    std::vector<std::string> figures;
    for (const auto& m : metrics)
      for (const auto& figure : m.metric.figures())
        figures.push_back(m.owner + "." + figure);
    std::string reason = fmt::format("unknown metric '{}'", e.metric);
    if (auto guess = did_you_mean(e.metric, figures))
      reason += fmt::format(" (did you mean '{}'?)", *guess);
    else
      reason += " (`shsim metrics SCENARIO` lists them)";
    throw InputError(fmt::format("{}: expect[{}]: {}", scenario.expect_locations.at(i), i, reason));
  }
}

std::string format_metrics(const std::vector<ScenarioMetric>& metrics, bool json)
{
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : metrics)
      out.push_back({{"path", m.full_path()},
                     {"owner", m.owner},
                     {"kind", kind_name(m.metric.kind)},
                     {"unit", m.metric.unit},
                     {"meaning", m.metric.meaning},
                     {"reported", m.metric.condition.empty() ? "always" : m.metric.condition},
                     {"figures", m.metric.figures()}});
    return out.dump(2) + "\n";
  }
  size_t width = 0;
  for (const auto& m : metrics)
    width = std::max(width, m.full_path().size());
  std::string out = fmt::format("{:<{}}  {:<12}  {:<12}  {}\n", "metric", width, "kind", "unit", "meaning");
  for (const auto& m : metrics)
    out += fmt::format("{:<{}}  {:<12}  {:<12}  {}{}\n", m.full_path(), width, kind_name(m.metric.kind),
                       m.metric.unit, m.metric.meaning,
                       m.metric.condition.empty() ? "" : " (only " + m.metric.condition + ")");
  out += fmt::format("\n{} metrics; a distribution's figures are its path followed by .{}\n", metrics.size(),
                     fmt::join(distribution_statistics(), ", ."));
  return out;
}

}  // namespace shsim
