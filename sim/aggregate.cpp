#include "sim/aggregate.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

namespace shsim {

std::optional<Interval> student_t_interval(double mean, double sd, size_t n, double level)
{
  if (n < 2)
    return std::nullopt;
  boost::math::students_t distribution(static_cast<double>(n - 1));
  double t    = boost::math::quantile(distribution, 0.5 + level / 2);
  double half = t * sd / std::sqrt(static_cast<double>(n));
  return Interval{mean - half, mean + half};
}

std::optional<Interval> wilson_interval(double successes, size_t n, double level)
{
  if (n == 0)
    return std::nullopt;
  double z      = boost::math::quantile(boost::math::normal(), 0.5 + level / 2);
  double nn     = static_cast<double>(n);
  double p      = successes / nn;
  double z2     = z * z;
  double center = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  double half   = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return Interval{std::max(0.0, center - half), std::min(1.0, center + half)};
}

std::optional<Aggregate> aggregate(std::vector<double> samples, bool proportion)
{
  if (samples.empty())
    return std::nullopt;
  std::sort(samples.begin(), samples.end());
  Aggregate a;
  a.n = samples.size();
  double total = 0;
  for (double x : samples)
    total += x;
  a.mean = total / static_cast<double>(a.n);
  double squares = 0;
  for (double x : samples)
    squares += (x - a.mean) * (x - a.mean);
  a.sd = a.n > 1 ? std::sqrt(squares / static_cast<double>(a.n - 1)) : 0;
  bool binary = proportion && std::all_of(samples.begin(), samples.end(), [](double x) { return x == 0 || x == 1; });
  if (binary) {
    a.method = "wilson";
    a.ci95   = wilson_interval(total, a.n, 0.95);
  } else {
    a.method = "t";
    a.ci95   = student_t_interval(a.mean, a.sd, a.n, 0.95);
    if (a.ci95 && proportion) {  // a share stays a share
      a.ci95->low  = std::max(0.0, a.ci95->low);
      a.ci95->high = std::min(1.0, a.ci95->high);
    }
  }
  auto rank = [&](double q) {
    size_t r = static_cast<size_t>(std::ceil(q * static_cast<double>(a.n)));
    return samples[std::clamp<size_t>(r, 1, a.n) - 1];
  };
  a.p05 = rank(0.05);
  a.p25 = rank(0.25);
  a.p50 = rank(0.50);
  a.p75 = rank(0.75);
  a.p95 = rank(0.95);
  a.min = samples.front();
  a.max = samples.back();
  return a;
}

}  // namespace shsim
