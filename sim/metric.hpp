// Metrics are declared once, like parameters: a dotted path inside the summary entry of the chain or
// bridge that reports it, a kind, a unit and a meaning. From the declarations come `shsim metrics
// SCENARIO` (every metric a run of that scenario reports), the check of `expect` lines before a
// run (with a suggestion for a misspelt one), and the tests that hold each model's summary to
// exactly what it declares (tests/test_metrics.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace shsim {

enum class MetricKind {
  count,         // a whole number of things (unit: what is counted)
  fraction,      // a share in [0, 1]
  value,         // one number with a unit (seconds, bytes, the scenario's currency, ...)
  distribution,  // samples summarised as count, mean, p50, p90, p99, max, min (null when empty)
};

struct Metric {
  std::string path;  // inside its owner's entry: "stages.settled"
  MetricKind kind = MetricKind::count;
  std::string unit;  // "blocks", "s", "bytes", "currency", "1" (a plain number)
  std::string meaning;
  std::string condition;  // empty: always reported; else when ("with an adversary of kind X")

  /// The same metric, reported only under `when`.
  Metric only(std::string when) const
  {
    Metric m    = *this;
    m.condition = std::move(when);
    return m;
  }
  /// The figures it puts in summary.json: its path, or path.count, path.mean, ... for a distribution.
  std::vector<std::string> figures() const;
  /// Whether `figure` ("stages.settled.p50") is one of them.
  bool has_figure(const std::string& figure) const;
};

using Metrics = std::vector<Metric>;

/// Declarations, written `metric::count("blocks_produced", "blocks", "child blocks made")`.
namespace metric {
Metric count(std::string path, std::string unit, std::string meaning);
Metric fraction(std::string path, std::string meaning);
Metric value(std::string path, std::string unit, std::string meaning);
Metric distribution(std::string path, std::string unit, std::string meaning);
}  // namespace metric
/// Appends `more` to `to`.
void append(Metrics& to, const Metrics& more);

const char* kind_name(MetricKind kind);
/// The statistics of every distribution, in summary order.
const std::vector<std::string>& distribution_statistics();
/// The metric of `declared` that has `figure`, or null.
const Metric* find_declared(const Metrics& declared, const std::string& figure);

}  // namespace shsim
