// Quantities with units, as written in scenarios: durations ("250ms", "2h", "7d"), sizes ("1MiB"),
// bandwidths ("100Mbps"), fractions ("30%" or 0.3), signed percentages ("-20%", "150%") and rates
// ("20/s").
// Parsing returns std::nullopt plus a reason; the scenario loader turns that into a located error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace shsim {

/// A span of simulated time, in seconds.
struct Duration {
  double seconds = 0;
  friend bool operator==(Duration a, Duration b) { return a.seconds == b.seconds; }
};
/// A size in bytes.
struct Bytes {
  uint64_t count = 0;
  friend bool operator==(Bytes a, Bytes b) { return a.count == b.count; }
};
/// A bandwidth in bits per second.
struct Bandwidth {
  double bits_per_second = 0;
};
/// A share in [0, 1]; written either as a number or as a percentage.
struct Fraction {
  double value = 0;
};
/// A signed relative quantity (a price move, a volatility, a fee); written as a number or a
/// percentage, not limited to [0, 1].
struct Percent {
  double value = 0;
};
/// Events per second.
struct Rate {
  double per_second = 0;
};

template <class T> struct Parsed {
  std::optional<T> value;
  std::string reason;  // set when value is empty
};

Parsed<Duration> parse_duration(const std::string& text);
Parsed<Bytes> parse_bytes(const std::string& text);
Parsed<Bandwidth> parse_bandwidth(const std::string& text);
Parsed<Fraction> parse_fraction(const std::string& text);
Parsed<Percent> parse_percent(const std::string& text);
Parsed<Rate> parse_rate(const std::string& text);

/// Shortest exact spelling in the largest unit that divides the value ("90s" -> "90s", 3600 -> "1h").
std::string format_duration(Duration d);
std::string format_bytes(Bytes b);
std::string format_bandwidth(Bandwidth b);
std::string format_fraction(Fraction f);
std::string format_percent(Percent p);
std::string format_rate(Rate r);

}  // namespace shsim
