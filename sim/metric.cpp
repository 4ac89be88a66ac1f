#include "sim/metric.hpp"

#include <utility>

namespace shsim {

std::vector<std::string> Metric::figures() const
{
  if (kind != MetricKind::distribution)
    return {path};
  std::vector<std::string> out;
  for (const auto& statistic : distribution_statistics())
    out.push_back(path + "." + statistic);
  return out;
}

bool Metric::has_figure(const std::string& figure) const
{
  if (kind != MetricKind::distribution)
    return figure == path;
  if (figure.size() <= path.size() + 1 || figure.compare(0, path.size(), path) != 0 || figure[path.size()] != '.')
    return false;
  std::string statistic = figure.substr(path.size() + 1);
  for (const auto& known : distribution_statistics())
    if (statistic == known)
      return true;
  return false;
}

namespace metric {

Metric count(std::string path, std::string unit, std::string meaning)
{
  return {std::move(path), MetricKind::count, std::move(unit), std::move(meaning), {}};
}
Metric fraction(std::string path, std::string meaning)
{
  return {std::move(path), MetricKind::fraction, "1", std::move(meaning), {}};
}
Metric value(std::string path, std::string unit, std::string meaning)
{
  return {std::move(path), MetricKind::value, std::move(unit), std::move(meaning), {}};
}
Metric distribution(std::string path, std::string unit, std::string meaning)
{
  return {std::move(path), MetricKind::distribution, std::move(unit), std::move(meaning), {}};
}

}  // namespace metric

void append(Metrics& to, const Metrics& more) { to.insert(to.end(), more.begin(), more.end()); }

const char* kind_name(MetricKind kind)
{
  switch (kind) {
    case MetricKind::count: return "count";
    case MetricKind::fraction: return "fraction";
    case MetricKind::value: return "value";
    case MetricKind::distribution: return "distribution";
  }
  return "?";
}

const std::vector<std::string>& distribution_statistics()
{
  static const std::vector<std::string> statistics{"count", "mean", "p50", "p90", "p99", "max", "min"};
  return statistics;
}

const Metric* find_declared(const Metrics& declared, const std::string& figure)
{
  for (const auto& metric : declared)
    if (metric.has_figure(figure))
      return &metric;
  return nullptr;
}

}  // namespace shsim
