#include "models/price/price.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::price {

ReferencePrice::ReferencePrice(Simulation& simulation, const PriceParams& params)
    : simulation_(simulation)
    , params_(params)
    , sigma_(params.volatility.value / std::sqrt(params.horizon.seconds))
    , drift_per_second_(params.drift.value / params.horizon.seconds)
    , draws_(simulation.stream("reference_price." + params.name))
    , end_time_(simulation.scenario().duration.seconds)
{
  log_path_.push_back(std::log(params_.start));
}

long long ReferencePrice::index_of(double time) const
{
  return static_cast<long long>(std::floor(std::max(0.0, time) / params_.step.seconds + 1e-9));
}

void ReferencePrice::extend(long long index)
{
  const double dt = params_.step.seconds;
  while (static_cast<long long>(log_path_.size()) <= index) {
    // The increment from grid point k - 1 to k covers [t(k-1), t(k)); its regime is that of t(k-1).
    double from   = time_of(static_cast<long long>(log_path_.size()) - 1);
    double sigma  = sigma_;
    double move   = drift_per_second_ * dt;
    for (const Regime& r : params_.regimes)
      if (from >= r.from.seconds && from < r.until.seconds) {
        sigma *= r.volatility;
        move += r.move.value * dt / (r.until.seconds - r.from.seconds);
      }
    double step = move + sigma * std::sqrt(dt) * draws_.normal();
    if (params_.jumps.rate.per_second > 0) {
      // Poisson count of jumps in the step (Knuth's product of uniforms: the rate per step is small).
      double limit = std::exp(-params_.jumps.rate.per_second * dt), product = draws_.uniform01();
      while (product > limit) {
        step += params_.jumps.mean.value + params_.jumps.deviation.value * draws_.normal();
        ++jumps_;
        product *= draws_.uniform01();
      }
    }
    log_path_.push_back(log_path_.back() + step);
  }
}

double ReferencePrice::log_at(double time)
{
  long long index = index_of(time);
  extend(index);
  return log_path_[static_cast<size_t>(index)];
}

double ReferencePrice::at(double time) { return std::exp(log_at(time)); }

void ReferencePrice::finish() { extend(index_of(end_time_)); }

nlohmann::json ReferencePrice::summary(const nlohmann::json&) const
{
  const long long last = std::min<long long>(index_of(end_time_), static_cast<long long>(log_path_.size()) - 1);
  double low = log_path_[0], high = log_path_[0], peak = log_path_[0], drawdown = 0, sum_sq = 0;
  for (long long k = 1; k <= last; ++k) {
    double x = log_path_[static_cast<size_t>(k)];
    low      = std::min(low, x);
    high     = std::max(high, x);
    peak     = std::max(peak, x);
    drawdown = std::max(drawdown, 1 - std::exp(x - peak));
    double r = x - log_path_[static_cast<size_t>(k - 1)];
    sum_sq += r * r;
  }
  double elapsed = time_of(last);
  double realized = elapsed > 0 ? std::sqrt(sum_sq / elapsed * params_.horizon.seconds) : 0;
  return {{"start", params_.start},
          {"final", std::exp(log_path_[static_cast<size_t>(last)])},
          {"low", std::exp(low)},
          {"high", std::exp(high)},
          {"max_drawdown", drawdown},
          {"volatility", params_.volatility.value},
          {"realized_volatility", realized},
          {"jumps", jumps_}};
}

void ReferencePrice::sample(SeriesSink& sink) const
{
  long long index = std::min<long long>(index_of(sink.time()), static_cast<long long>(log_path_.size()) - 1);
  sink.add("price", std::exp(log_path_[static_cast<size_t>(index)]));
}

namespace {

class PriceFactory : public TypedApplicationFactory<PriceParams> {
public:
  std::string name() const override { return "reference_price"; }
  std::string description() const override
  {
    return "an exogenous price path (geometric Brownian motion, Merton jumps, crash windows) that oracles observe";
  }
  std::vector<std::string> review(const Scenario& scenario, const ApplicationParams& base) const override
  {
    const PriceParams& p = params_of(base);
    for (size_t i = 0; i < p.regimes.size(); ++i)
      if (p.regimes[i].until.seconds <= p.regimes[i].from.seconds)
        scenario.fail_application(p.name, fmt::format("regimes[{}].until", i), "must be after `from`");
    if (scenario.duration.seconds / p.step.seconds > 1e8)
      scenario.fail_application(p.name, "step",
                                fmt::format("{} points over the run: at most 1e8 (use a longer step)",
                                            scenario.duration.seconds / p.step.seconds));
    return {};
  }
  Metrics metrics() const override
  {
    using namespace metric;
    return {value("start", "price", "the price at t = 0"),
            value("final", "price", "the price at the end of the run"),
            value("low", "price", "the lowest price of the run"),
            value("high", "price", "the highest price of the run"),
            fraction("max_drawdown", "largest fall from a running peak"),
            value("volatility", "1", "the volatility asked for (log-price standard deviation over the horizon)"),
            value("realized_volatility", "1", "the path's own volatility over the same horizon"),
            count("jumps", "jumps", "Merton jumps drawn")};
  }
  std::string table(const std::string& name, const nlohmann::json& e) const override
  {
    return fmt::format("\nprice {} (reference): {:.6g} -> {:.6g}, low {:.6g}, high {:.6g}, max drawdown {:.1f} %, "
                       "realized volatility {:.1f} % (asked {:.1f} %), {} jumps\n",
                       name, table::number(e["start"]), table::number(e["final"]), table::number(e["low"]),
                       table::number(e["high"]), 100 * table::number(e["max_drawdown"]),
                       100 * table::number(e["realized_volatility"]), 100 * table::number(e["volatility"]),
                       e["jumps"].get<long long>());
  }
  double memory_bytes(const Scenario& scenario, const ApplicationParams& base) const override
  {
    return 8 * scenario.duration.seconds / params_of(base).step.seconds;  // the path, one double a step
  }
  std::unique_ptr<Application> build(Simulation& simulation, const ApplicationParams& params, int) const override
  {
    return std::make_unique<ReferencePrice>(simulation, params_of(params));
  }
};

}  // namespace

void register_price(ProtocolRegistry& registry)
{
  registry.add_application(std::make_unique<PriceFactory>());
  declare_series({"price", "price", "application: the reference price (or an oracle's or venue's price)"});
}

}  // namespace shsim::models::price
