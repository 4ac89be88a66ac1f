// Time series: each chain's state sampled at output.sample_interval (heads, finality lag, pool,
// online stake, message rate), written as a tidy table, timeseries.csv (time, chain, series, value).
// Every series is declared, like metrics and event kinds, with its unit and meaning; `shsim series`
// prints the dictionary and the report reads it to label its charts.
#pragma once

#include <string>
#include <vector>

namespace shsim {

struct SeriesSpec {
  std::string name;     // "head.final", "finality_lag", ...
  std::string unit;     // "s", "blocks", "share", "1/s", ...
  std::string meaning;
};

/// Declares a series (the engine for its own, models when they register); again keeps the first.
void declare_series(SeriesSpec spec);
/// The declaration (null when undeclared).
const SeriesSpec* find_series(const std::string& name);
/// Every declared series, sorted by name.
std::vector<const SeriesSpec*> series_kinds();
/// The dictionary as `shsim series` prints it (text) or --json.
std::string format_series_dictionary(bool json);

/// One sample of one series of one chain: a row of timeseries.csv.
struct SeriesRow {
  double time;
  std::string chain;
  std::string series;
  double value;
};

/// Where a chain writes the values of one sampling instant.
class SeriesSink {
public:
  SeriesSink(std::vector<SeriesRow>& rows, double time, std::string chain)
      : rows_(rows), time_(time), chain_(std::move(chain))
  {
  }
  /// A value of a declared series; an undeclared name is a programming error (std::logic_error).
  void add(const std::string& series, double value);
  double time() const { return time_; }

private:
  std::vector<SeriesRow>& rows_;
  double time_;
  std::string chain_;
};

/// The table as CSV (header included). Reals keep 6 decimals: identical on every build.
std::string series_text(const std::vector<SeriesRow>& rows);
/// The sampling interval of a run of `duration` seconds when the scenario says 0 (auto): about 500
/// samples, rounded to 1, 2 or 5 times a power of ten, and at least 1 ms.
double auto_sample_interval(double duration);

/// Declares the series every chain has (heads, lag, pool, online stake, messages).
void declare_engine_series();

}  // namespace shsim
