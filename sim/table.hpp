// Helpers for the rows of the table `shsim run` prints at the end (sim/summary_table.cpp). The
// engine writes what every chain has (blocks, latencies, transactions, safety, liveness, traffic,
// economic security); each model writes the rows of its own figures through its factory
// (ParentProtocolFactory::table_rows, ChildProtocolFactory::table, the bridge's table), with these
// helpers so that every row reads alike.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shsim {


namespace table {
/// A figure of the summary; NaN for null (a distribution with no samples).
double number(const nlohmann::json& value);
/// `value` with `decimals` decimals, or "-" when there is none.
std::string fixed(double value, int decimals);
/// A duration in the unit that reads best: 850ms, 12.3s, 5.2m, 3.1h, 7.0d; "-" when there is none.
std::string human(double seconds);
/// "p50 / p90 / p99 / max unit" of a distribution scaled by `scale`, or "-" when empty.
std::string percentiles(const nlohmann::json& distribution, double scale, const char* unit);
/// The header of a latency block: label, then count, p50, p90, p99, max.
std::string latency_header(const char* label);
/// One row of a latency block: a duration distribution's count and percentiles.
std::string stage_row(const char* label, const nlohmann::json& distribution);
/// "  label                        text\n" (the label column of the parent rows).
std::string row(const std::string& label, const std::string& text);
/// The block relay's propagation row (sim/relay.hpp's summary under "propagation"), if any.
std::string propagation(const nlohmann::json& chain);
}  // namespace table


}  // namespace shsim
