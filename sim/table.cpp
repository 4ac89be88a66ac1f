#include "sim/table.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "sim/protocol.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

namespace shsim {

namespace table {

double number(const nlohmann::json& value)
{
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string fixed(double value, int decimals)
{
  return std::isnan(value) ? std::string("-") : fmt::format("{:.{}f}", value, decimals);
}

std::string human(double seconds)
{
  if (std::isnan(seconds))
    return "-";
  if (seconds < 1)
    return fmt::format("{:.0f}ms", seconds * 1e3);
  if (seconds < 120)
    return fmt::format("{:.1f}s", seconds);
  if (seconds < 7200)
    return fmt::format("{:.1f}m", seconds / 60);
  if (seconds < 172800)
    return fmt::format("{:.1f}h", seconds / 3600);
  return fmt::format("{:.1f}d", seconds / 86400);
}

std::string percentiles(const nlohmann::json& s, double scale, const char* unit)
{
  if (s["count"].get<size_t>() == 0)
    return "-";
  return fmt::format("{} / {} / {} / {} {}", fixed(number(s["p50"]) * scale, 3), fixed(number(s["p90"]) * scale, 3),
                     fixed(number(s["p99"]) * scale, 3), fixed(number(s["max"]) * scale, 3), unit);
}

std::string latency_header(const char* label)
{
  return fmt::format("  {:<30} {:>8} {:>9} {:>9} {:>9} {:>9}\n", label, "count", "p50", "p90", "p99", "max");
}

std::string stage_row(const char* label, const nlohmann::json& s)
{
  if (s["count"].get<size_t>() == 0)
    return fmt::format("  {:<30} {:>8}\n", label, 0);
  return fmt::format("  {:<30} {:>8} {:>9} {:>9} {:>9} {:>9}\n", label, s["count"].get<size_t>(),
                     human(number(s["p50"])), human(number(s["p90"])), human(number(s["p99"])),
                     human(number(s["max"])));
}

std::string row(const std::string& label, const std::string& text) { return fmt::format("  {:<28} {}\n", label, text); }

std::string propagation(const nlohmann::json& chain)
{
  if (!chain.contains("propagation"))
    return "";
  const auto& p = chain["propagation"];
  return row("to 50/90/100% of nodes (p50)",
             fmt::format("{} / {} / {} s ({} relay, {} blocks)", fixed(number(p["time_to_50_percent"]["p50"]), 3),
                         fixed(number(p["time_to_90_percent"]["p50"]), 3),
                         fixed(number(p["time_to_100_percent"]["p50"]), 3), p["mode"].get<std::string>(),
                         p["time_to_50_percent"]["count"].get<long long>()));
}

}  // namespace table

using table::fixed;
using table::human;
using table::number;

namespace {

/// The rows every child chain has, after its model's own: economic security (sim/simulation.cpp).
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

std::string format_summary_table(const Scenario& scenario, const RunResult& result)
{
  std::ostringstream out;
  const auto& registry = ProtocolRegistry::instance();
  const auto& run      = result.summary["run"];
  out << fmt::format("shsim: {} (seed {}, {} simulated, {} nodes)\n", scenario.name, scenario.seed,
                     format_duration(scenario.duration), run["nodes"].get<int>());
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
