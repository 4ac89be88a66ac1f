#include "sim/table.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>


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

}  // namespace shsim
