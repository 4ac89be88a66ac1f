// Distributions of samples reported as count / mean / p50 / p90 / p99 / max / min (nearest-rank percentiles).
// An empty distribution reports count 0 and null for every statistic: a 0 would be read as a real
// measurement and silently pull averages over runs down.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

namespace shsim {

class Samples {
public:
  void add(double x)
  {
    values_.push_back(x);
    sorted_ = false;
  }
  size_t count() const { return values_.size(); }
  bool empty() const { return values_.empty(); }

  /// Nearest-rank percentile, q in (0, 100]; 0 when there is no sample.
  double percentile(double q) const
  {
    if (values_.empty())
      return 0;
    sort();
    size_t rank = static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(values_.size())));
    return values_[std::clamp<size_t>(rank, 1, values_.size()) - 1];
  }
  double max() const { return values_.empty() ? 0 : (sort(), values_.back()); }
  double min() const { return values_.empty() ? 0 : (sort(), values_.front()); }
  double mean() const
  {
    double total = 0;
    for (double x : values_)
      total += x;
    return values_.empty() ? 0 : total / static_cast<double>(values_.size());
  }

  nlohmann::json to_json() const
  {
    if (values_.empty())
      return {{"count", 0},      {"mean", nullptr}, {"p50", nullptr}, {"p90", nullptr},
              {"p99", nullptr},  {"max", nullptr},  {"min", nullptr}};
    return {{"count", count()},     {"mean", mean()},           {"p50", percentile(50)},
            {"p90", percentile(90)}, {"p99", percentile(99)}, {"max", max()}, {"min", min()}};
  }

private:
  void sort() const
  {
    if (!sorted_) {
      std::sort(values_.begin(), values_.end());
      sorted_ = true;
    }
  }
  mutable std::vector<double> values_;
  mutable bool sorted_ = false;
};

}  // namespace shsim
