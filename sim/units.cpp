#include "sim/units.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace shsim {
namespace {

struct Unit {
  std::string_view name;
  double factor;
};

// Splits "12.5ms" into 12.5 and "ms". Returns false when the text does not start with a number.
bool split_number(const std::string& text, double& number, std::string& unit)
{
  const char* begin = text.c_str();
  char* end         = nullptr;
  number            = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(number))
    return false;
  std::string rest(end);
  size_t first = rest.find_first_not_of(' ');
  unit         = first == std::string::npos ? "" : rest.substr(first);
  return true;
}

template <size_t N>
std::optional<double> lookup(const std::array<Unit, N>& units, const std::string& name)
{
  for (const auto& unit : units)
    if (unit.name == name)
      return unit.factor;
  return std::nullopt;
}

template <size_t N> std::string unit_list(const std::array<Unit, N>& units)
{
  std::string out;
  for (const auto& unit : units)
    out += (out.empty() ? "" : ", ") + std::string(unit.name);
  return out;
}

constexpr std::array<Unit, 11> duration_units{{{"ns", 1e-9},
                                               {"us", 1e-6},
                                               {"ms", 1e-3},
                                               {"s", 1},
                                               {"sec", 1},
                                               {"m", 60},
                                               {"min", 60},
                                               {"h", 3600},
                                               {"d", 86400},
                                               {"day", 86400},
                                               {"w", 604800}}};
constexpr std::array<Unit, 9> byte_units{{{"B", 1},
                                          {"KB", 1e3},
                                          {"MB", 1e6},
                                          {"GB", 1e9},
                                          {"kB", 1e3},
                                          {"KiB", 1024.0},
                                          {"MiB", 1024.0 * 1024},
                                          {"GiB", 1024.0 * 1024 * 1024},
                                          {"TB", 1e12}}};
constexpr std::array<Unit, 8> bandwidth_units{{{"bps", 1},
                                               {"kbps", 1e3},
                                               {"Kbps", 1e3},
                                               {"Mbps", 1e6},
                                               {"Gbps", 1e9},
                                               {"kBps", 8e3},
                                               {"MBps", 8e6},
                                               {"GBps", 8e9}}};
constexpr std::array<Unit, 6> rate_units{{{"s", 1},
                                          {"sec", 1},
                                          {"m", 1.0 / 60},
                                          {"min", 1.0 / 60},
                                          {"h", 1.0 / 3600},
                                          {"d", 1.0 / 86400}}};

template <size_t N>
std::pair<std::optional<double>, std::string> parse_with(const std::string& text, const std::array<Unit, N>& units,
                                                         std::string_view what, std::string_view example)
{
  double number;
  std::string unit;
  if (!split_number(text, number, unit))
    return {std::nullopt, fmt::format("'{}' is not a {} (expected a number with a unit, e.g. {})", text, what, example)};
  if (unit.empty())
    return {std::nullopt, fmt::format("'{}' has no unit (expected a {} such as {}; units: {})", text, what, example,
                                      unit_list(units))};
  auto factor = lookup(units, unit);
  if (!factor)
    return {std::nullopt, fmt::format("'{}' has an unknown unit '{}' (units: {})", text, unit, unit_list(units))};
  if (number < 0)
    return {std::nullopt, fmt::format("'{}' is negative", text)};
  return {number * *factor, ""};
}

// Formats value/factor with the largest unit that gives a whole number, falling back to the smallest.
template <size_t N> std::string format_with(double value, const std::array<Unit, N>& ordered_units)
{
  if (value == 0)
    return fmt::format("0{}", ordered_units[0].name);
  for (size_t i = N; i-- > 0;) {
    double scaled = value / ordered_units[i].factor;
    if (std::abs(scaled - std::round(scaled)) < 1e-9 * std::max(1.0, std::abs(scaled)))
      return fmt::format("{}{}", static_cast<long long>(std::llround(scaled)), ordered_units[i].name);
  }
  return fmt::format("{}{}", value / ordered_units[0].factor, ordered_units[0].name);
}

}  // namespace

// Bounds past which a quantity is a mistake, not an experiment (a scenario is untrusted input: a
// duration of 1e30 s or a bandwidth of 1e-300 bps must be refused, not run).
constexpr double longest_duration = 100 * 365.25 * 86400;  // a century
constexpr double largest_size     = 1e15;                  // a petabyte
constexpr double lowest_bandwidth = 1, highest_bandwidth = 1e15;
constexpr double highest_rate     = 1e9;                   // per second

Parsed<Duration> parse_duration(const std::string& text)
{
  auto [value, reason] = parse_with(text, duration_units, "duration", "250ms, 2h or 7d");
  if (!value)
    return {std::nullopt, reason};
  if (*value > longest_duration)
    return {std::nullopt, fmt::format("'{}' is longer than a century", text)};
  return {Duration{*value}, ""};
}

Parsed<Bytes> parse_bytes(const std::string& text)
{
  auto [value, reason] = parse_with(text, byte_units, "size", "300B, 120KiB or 2MiB");
  if (!value)
    return {std::nullopt, reason};
  if (*value > largest_size)
    return {std::nullopt, fmt::format("'{}' is larger than a petabyte", text)};
  if (std::abs(*value - std::round(*value)) > 1e-6)
    return {std::nullopt, fmt::format("'{}' is not a whole number of bytes", text)};
  return {Bytes{static_cast<uint64_t>(std::llround(*value))}, ""};
}

Parsed<Bandwidth> parse_bandwidth(const std::string& text)
{
  auto [value, reason] = parse_with(text, bandwidth_units, "bandwidth", "100Mbps or 1Gbps");
  if (!value)
    return {std::nullopt, reason};
  if (*value <= 0)
    return {std::nullopt, fmt::format("'{}' must be positive", text)};
  if (*value < lowest_bandwidth || *value > highest_bandwidth)
    return {std::nullopt, fmt::format("'{}' is outside 1bps to 1000Tbps", text)};
  return {Bandwidth{*value}, ""};
}

Parsed<Fraction> parse_fraction(const std::string& text)
{
  double number;
  std::string unit;
  if (!split_number(text, number, unit) || (!unit.empty() && unit != "%"))
    return {std::nullopt, fmt::format("'{}' is not a fraction (expected 0.3 or 30%)", text)};
  double value = unit == "%" ? number / 100 : number;
  if (value < 0 || value > 1)
    return {std::nullopt, fmt::format("'{}' is outside [0, 1] (0% to 100%)", text)};
  return {Fraction{value}, ""};
}

Parsed<Percent> parse_percent(const std::string& text)
{
  double number;
  std::string unit;
  if (!split_number(text, number, unit) || (!unit.empty() && unit != "%"))
    return {std::nullopt, fmt::format("'{}' is not a percentage (expected -0.2, 0.5% or 150%)", text)};
  double value = unit == "%" ? number / 100 : number;
  if (!std::isfinite(value) || std::abs(value) > 1e6)
    return {std::nullopt, fmt::format("'{}' is absurd (at most 1e6 either way)", text)};
  return {Percent{value}, ""};
}

Parsed<Rate> parse_rate(const std::string& text)
{
  size_t slash = text.find('/');
  if (slash == std::string::npos)
    return {std::nullopt, fmt::format("'{}' is not a rate (expected e.g. 20/s or 1/min)", text)};
  double count;
  std::string rest;
  if (!split_number(text.substr(0, slash), count, rest) || !rest.empty() || count < 0)
    return {std::nullopt, fmt::format("'{}' is not a rate (expected e.g. 20/s or 1/min)", text)};
  auto factor = lookup(rate_units, text.substr(slash + 1));
  if (!factor)
    return {std::nullopt, fmt::format("'{}' has an unknown time unit (expected s, min, h or d)", text)};
  if (count * *factor > highest_rate)
    return {std::nullopt, fmt::format("'{}' is more than 1e9 per second", text)};
  return {Rate{count * *factor}, ""};
}

std::string format_duration(Duration d)
{
  constexpr std::array<Unit, 6> ordered{{{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}}};
  if (d.seconds == 0)
    return "0s";
  if (d.seconds >= 86400 && std::fmod(d.seconds, 86400) == 0)
    return fmt::format("{}d", static_cast<long long>(d.seconds / 86400));
  return format_with(d.seconds, ordered);
}

std::string format_bytes(Bytes b)
{
  constexpr std::array<Unit, 4> ordered{{{"B", 1}, {"KiB", 1024.0}, {"MiB", 1024.0 * 1024}, {"GiB", 1024.0 * 1024 * 1024}}};
  return format_with(static_cast<double>(b.count), ordered);
}

std::string format_bandwidth(Bandwidth b)
{
  constexpr std::array<Unit, 4> ordered{{{"bps", 1}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}}};
  return format_with(b.bits_per_second, ordered);
}

std::string format_fraction(Fraction f) { return fmt::format("{}%", f.value * 100); }
std::string format_percent(Percent p) { return fmt::format("{}%", p.value * 100); }

std::string format_rate(Rate r)
{
  if (r.per_second >= 1 || r.per_second == 0)
    return fmt::format("{}/s", r.per_second);
  if (std::abs(r.per_second * 60 - std::round(r.per_second * 60)) < 1e-9)
    return fmt::format("{}/min", std::round(r.per_second * 60));
  return fmt::format("{}/h", r.per_second * 3600);
}

}  // namespace shsim
