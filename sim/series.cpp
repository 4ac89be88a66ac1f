#include "sim/series.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace shsim {

namespace {

std::map<std::string, SeriesSpec>& dictionary()
{
  static std::map<std::string, SeriesSpec> specs;
  return specs;
}

}  // namespace

void declare_series(SeriesSpec spec)
{
  std::string name = spec.name;
  dictionary().emplace(name, std::move(spec));
}

const SeriesSpec* find_series(const std::string& name)
{
  auto it = dictionary().find(name);
  return it == dictionary().end() ? nullptr : &it->second;
}

std::vector<const SeriesSpec*> series_kinds()
{
  std::vector<const SeriesSpec*> out;
  for (const auto& [name, spec] : dictionary())
    out.push_back(&spec);
  return out;
}

std::string format_series_dictionary(bool json)
{
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const SeriesSpec* spec : series_kinds())
      out.push_back({{"name", spec->name}, {"unit", spec->unit}, {"meaning", spec->meaning}});
    return out.dump(2) + "\n";
  }
  std::string text = "Series of timeseries.csv (time, chain, series, value), sampled every output.sample_interval:\n";
  for (const SeriesSpec* spec : series_kinds())
    text += fmt::format("  {:<22} {:<8} {}\n", spec->name, spec->unit, spec->meaning);
  return text;
}

void SeriesSink::add(const std::string& series, double value)
{
  if (find_series(series) == nullptr)
    throw std::logic_error("undeclared series '" + series + "'");
  rows_.push_back({time_, chain_, series, value});
}

std::string series_text(const std::vector<SeriesRow>& rows)
{
  std::string text = "time,chain,series,value\n";
  for (const auto& row : rows)
    text += fmt::format("{:.6f},{},{},{:.6f}\n", row.time, row.chain, row.series, row.value);
  return text;
}

double auto_sample_interval(double duration)
{
  double raw  = std::max(duration / 500, 1e-3);
  double base = std::pow(10.0, std::floor(std::log10(raw)));
  for (double step : {1.0, 2.0, 5.0, 10.0})
    if (base * step >= raw * (1 - 1e-9))
      return base * step;
  return base * 10;
}

void declare_engine_series()
{
  declare_series({"head.included", "blocks", "parent: height of the highest included (committed) block"});
  declare_series({"head.final", "blocks", "parent: height of the highest final block"});
  declare_series({"finality_lag", "s",
                  "time since the newest final block was made (parent: included; child: produced); grows while "
                  "finality stalls"});
  declare_series({"pool.pending", "transactions", "transactions waiting to be included"});
  declare_series({"stake.online", "share", "parent: share of the stake whose validators are online"});
  declare_series({"nodes.online", "share", "share of the chain's nodes that are online"});
  declare_series({"messages.rate", "1/s", "messages the chain's nodes sent per second over the last interval"});
  declare_series({"bytes.rate", "bytes/s", "bytes the chain's nodes sent per second over the last interval"});
}

}  // namespace shsim
