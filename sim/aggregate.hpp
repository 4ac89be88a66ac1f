// What a point's replications say about a metric: mean, standard deviation, a 95 % confidence
// interval and quantiles. Means get Student's t interval (mean +- t(0.975, n-1) s / sqrt(n));
// proportions (a fraction metric whose every run reports 0 or 1) get Wilson's score interval, which
// stays inside [0, 1] and is not empty at 0 or n successes (other fractions: t, cut to [0, 1]). Quantiles are nearest-rank, like every
// distribution shsim reports (sim/stats.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace shsim {

struct Interval {
  double low = 0, high = 0;
};

/// Student's t interval of a mean at `level` (0.95): none below two samples.
std::optional<Interval> student_t_interval(double mean, double sd, size_t n, double level);
/// Wilson's score interval of a proportion `successes` of `n` at `level`: none when n is 0.
std::optional<Interval> wilson_interval(double successes, size_t n, double level);

struct Aggregate {
  size_t n = 0;  // samples (runs that reported a number)
  double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1); 0 for one sample
  std::optional<Interval> ci95;
  std::string method;  // "t" or "wilson"
  double p05 = 0, p25 = 0, p50 = 0, p75 = 0, p95 = 0, min = 0, max = 0;
};

/// Aggregates `samples`; `proportion` when the metric is a fraction (Wilson when every sample is 0
/// or 1). Null when there is no sample.
std::optional<Aggregate> aggregate(std::vector<double> samples, bool proportion);

}  // namespace shsim
