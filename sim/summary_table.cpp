// The readable table printed at the end of `shsim run`: the rows every chain has, each model's own
// rows through its factory, the bridges' rows (helpers in sim/table.hpp).
#include "sim/summary_table.hpp"

#include <sstream>

#include <fmt/format.h>

#include "sim/protocol.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim {

using table::fixed;
using table::human;
using table::number;

namespace {

/// The rows every child chain has, after its model's own: economic security (sim/report.cpp).
std::string economic_security_row(const nlohmann::json& chain)
{
  const auto& e = chain["economic_security"];
  if (e["stated"].get<bool>())
    return fmt::format("  {:<30} cost of corruption {:.4g} ({}), profit {:.4g}, margin {:.4g}: {}\n",
                       "economic security", number(e["cost_of_corruption"]), e["cheapest_attack"].get<std::string>(),
                       number(e["profit_from_corruption"]), number(e["security_margin"]),
                       e["secure"].get<bool>() ? "secure" : "NOT secure");
  if (e.contains("note"))
    return fmt::format("  {:<30} not computed: {}\n", "economic security", e["note"].get<std::string>());
  return "";
}

std::string parent_chain(const std::string& name, const nlohmann::json& chain, const ParentProtocolFactory& protocol)
{
  std::ostringstream out;
  out << fmt::format("\nchain {} ({}, {})\n", name, chain["protocol"].get<std::string>(), protocol.table_members(chain));
  out << table::row(protocol.table_blocks_label(), std::to_string(chain["blocks_committed"].get<long long>()));
  out << protocol.table_cadence(chain);
  bool slow_finality = number(chain["commit_latency"]["p50"]) > 10;
  out << table::row(slow_finality ? "finality latency p50/90/99/max" : "commit latency p50/90/99/max",
                    slow_finality ? table::percentiles(chain["commit_latency"], 1, "s")
                                  : table::percentiles(chain["commit_latency"], 1e3, "ms"));
  out << table::row("tx latency p50/90/99/max", table::percentiles(chain["transaction_latency"], 1, "s"));
  out << table::row("transactions", fmt::format("{} committed, {} pending", chain["transactions_committed"].get<long long>(),
                                                chain["transactions_pending"].get<long long>()));
  out << protocol.table_rows(chain);
  out << table::row("safety violations", std::to_string(chain["safety_violations"].get<long long>()));
  for (const auto& v : chain["safety"])
    out << fmt::format("    height {}: conflicting commits, {} validators accountable ({:.1f}% of stake)\n",
                       v["height"].get<long long>(), v["accountable_validators"].size(),
                       100 * number(v["accountable_stake_share"]));
  out << table::row("liveness", fmt::format("longest gap {:.1f}s, {} stalls over {:.0f}s",
                                            number(chain["liveness"]["longest_gap"]),
                                            chain["liveness"]["stalls"].get<long long>(),
                                            number(chain["liveness"]["stall_threshold"])));
  if (chain.contains("messages_per_node"))
    out << table::row("sent per node (mean)", fmt::format("{} messages, {} MiB",
                                                          fixed(number(chain["messages_per_node"]["mean"]), 0),
                                                          fixed(number(chain["bytes_per_node"]["mean"]) / 1048576, 1)));
  if (chain.contains("child_load"))
    out << table::row("load from children",
                      fmt::format("{} KiB per block (mean), {:.1f} MiB and {:.4g} in fees in all",
                                  fixed(number(chain["child_load"]["bytes_per_block"]["mean"]) / 1024, 1),
                                  number(chain["child_load"]["bytes"]) / 1048576, number(chain["child_load"]["fees"])));
  return out.str();
}

}  // namespace

namespace {
std::string join_numbers(const nlohmann::json& list)
{
  std::string out;
  for (const auto& x : list)
    out += (out.empty() ? "" : ", ") + std::to_string(x.get<int>());
  return out;
}
std::string percent(double share) { return fmt::format("{:.1f} %", 100 * share); }
}  // namespace

std::string format_run_header(const Scenario& scenario, int nodes, const nlohmann::json& adversaries)
{
  std::string text = fmt::format("shsim: {} (seed {}, {} simulated, {} nodes, parent {} with {} validators{})\n",
                                 scenario.name, scenario.seed, format_duration(scenario.duration), nodes,
                                 scenario.parent.protocol.kind, scenario.parent.validators.count,
                                 scenario.children.empty() ? "" : fmt::format(", {} child chain{}", scenario.children.size(),
                                                                              scenario.children.size() == 1 ? "" : "s"));
  if (!scenario.applications.empty())
    text.insert(text.size() - 2, fmt::format(", {} application{}", scenario.applications.size(),
                                             scenario.applications.size() == 1 ? "" : "s"));
  if (!scenario.description.empty())
    text += "  " + printable(scenario.description) + "\n";  // the author's text: escape sequences shown, not obeyed
  for (const auto& a : adversaries) {
    std::string window = fmt::format("from {}", format_duration(Duration{a["from"].get<double>()}));
    if (!a["until"].is_null())
      window += fmt::format(" until {}", format_duration(Duration{a["until"].get<double>()}));
    if (!a.contains("validators")) {
      text += fmt::format("  adversary {} ({})\n", a["kind"].get<std::string>(), window);
      continue;
    }
    const auto& v = a["validators"];
    std::string who = v.size() <= 12 ? fmt::format("validators {}", join_numbers(v))
                                     : fmt::format("{} validators", v.size());
    std::string asked = a.contains("stake_asked")
                            ? fmt::format("; {} asked", percent(a["stake_asked"].get<double>()))
                            : std::string();
    text += fmt::format("  adversary {} ({}): {} ({} of the stake{})\n", a["kind"].get<std::string>(), window, who,
                        percent(a["stake_share"].get<double>()), asked);
  }
  return text;
}

std::string format_summary_table(const Scenario& scenario, const RunResult& result)
{
  std::ostringstream out;
  const auto& registry = ProtocolRegistry::instance();
  const auto& run      = result.summary["run"];
  out << fmt::format("\nresults of {} ({} nodes):\n", scenario.name, run["nodes"].get<int>());
  for (const auto& [name, chain] : result.summary["chains"].items()) {
    std::string protocol = chain["protocol"].get<std::string>();
    if (const auto* parent = registry.find_parent(protocol); parent != nullptr && name == scenario.parent.name) {
      out << parent_chain(name, chain, *parent);
    } else if (const auto* child = registry.find_child(protocol)) {
      out << child->table(name, chain);
      out << economic_security_row(chain);
    }
  }
  if (result.summary.contains("bridges") && registry.bridge_table())
    for (const auto& [name, bridge] : result.summary["bridges"].items())
      out << registry.bridge_table()(name, bridge);
  for (const auto& app : scenario.applications)  // in scenario order (the summary's map is sorted)
    if (result.summary.contains("applications") && result.summary["applications"].contains(app.name()))
      out << registry.find_application(app.kind)->table(app.name(), result.summary["applications"][app.name()]);
  const auto& perf = result.performance;
  out << fmt::format("\nrun: {} events in {:.2f}s wall ({:.2f}M events/s, {:.0f}x real time, {:.0f} MiB peak)\n",
                     perf["events_processed"].get<long long>(), number(perf["wall_seconds"]),
                     number(perf["events_per_second"]) / 1e6, number(perf["simulated_seconds_per_wall_second"]),
                     number(perf["peak_memory_mib"]));
  out << fmt::format("network: {}\n", run["network_model"].get<std::string>());
  if (!result.summary["expectations"].empty()) {
    out << "\nexpectations:\n";
    for (const auto& e : result.summary["expectations"])
      out << fmt::format("  {} {} (actual {})\n", e["passed"].get<bool>() ? "PASS" : "FAIL",
                         e["expectation"].get<std::string>(),
                         e["actual"].is_null() ? std::string("none: no samples") : fmt::format("{}", number(e["actual"])));
  }
  return out.str();
}

}  // namespace shsim
