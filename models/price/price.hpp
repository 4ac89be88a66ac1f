// A reference price: the exogenous "true" price of an asset (what a deep external market shows),
// drawn from the run's seed, that oracles observe and traders react to. Every consumer sees the same
// path.
//
// The log-price follows a Brownian motion with drift (geometric Brownian motion for the price:
// Black and Scholes 1973), optional Merton jumps (Merton 1976, "Option pricing when underlying
// stock returns are discontinuous": a Poisson number of jumps, each a normal move of the log-price
// with a given mean and deviation) and optional regime windows: a total log-move spread evenly
// over the window (a crash) and a volatility multiplier inside it.
//
// Simplifications, stated so that results are read correctly:
//  - the path lives on a grid of `step` (1 s by default) and is constant between grid points: the
//    price at time t is the grid value at floor(t / step). Increments between grid points are exact
//    (normal with variance sigma^2 x step), so closed forms on grid times hold without discretisation
//    error; a consumer that polls continuously sees a step function;
//  - `drift` is the log-price's own drift (0: the log-price is driftless, the price has drift
//    sigma^2/2), not the risk-neutral one;
//  - the path is generated as far as anyone has asked (and to the end of the run for the summary),
//    in grid order from its own random stream, so who asks first changes nothing.
#pragma once

#include <string>
#include <vector>

#include "sim/application.hpp"
#include "sim/rng.hpp"
#include "sim/schema.hpp"

namespace shsim {
class Simulation;
}

namespace shsim::models::price {

/// Merton jumps of the log-price.
struct Jumps {
  Rate rate{0};
  Percent mean{0};
  Percent deviation{0};
  template <class V> void describe(V& v)
  {
    v.field("rate", rate, "jumps per unit of time (Poisson; 0: none)");
    v.field("mean", mean, "mean log-price move of a jump (-5%: a 5 % drop on average)");
    v.field("deviation", deviation, "standard deviation of a jump's log-price move");
  }
};

/// A window with its own behaviour: a total move spread over it, and a volatility multiplier.
struct Regime {
  Duration from{0};
  Duration until{0};
  Percent move{0};
  double volatility = 1;
  template <class V> void describe(V& v)
  {
    v.field("from", from, "start of the window");
    v.field("until", until, "end of the window");
    v.field("move", move, "log-price move spread evenly over the window (-20%: a crash to about 0.8x)");
    v.field("volatility", volatility, "volatility multiplier inside the window", between<double>(0, 1000));
  }
};

struct PriceParams {
  std::string name;
  double start = 3000;
  Percent volatility{0.8};
  Duration horizon{365 * 86400.0};
  Percent drift{0};
  Duration step{1};
  Jumps jumps;
  std::vector<Regime> regimes;

  template <class V> void describe(V& v)
  {
    v.field("name", name, "application name (oracles and venues name it)");
    v.field("start", start, "price at t = 0", between<double>(1e-9, 1e15));
    v.field("volatility", volatility,
            "standard deviation of the log-price's change over `horizon` (80% over 365d: ETH-like)",
            between<Percent>(0, 100));
    v.field("horizon", horizon, "the period `volatility` and `drift` are given for", positive<Duration>());
    v.field("drift", drift, "log-price drift over `horizon` (0: driftless)");
    v.field("step", step, "time between two points of the path", between<Duration>(1e-3, 3600));
    v.field("jumps", jumps, "Merton jumps (rate 0: none)");
    v.field("regimes", regimes, "windows with a move of their own and a volatility multiplier (a crash)");
  }
};

/// The path, generated on demand.
class ReferencePrice : public Application {
public:
  ReferencePrice(Simulation& simulation, const PriceParams& params);

  const std::string& name() const override { return params_.name; }
  std::string kind() const override { return "reference_price"; }
  /// The price at `time` (the grid value at floor(time / step)).
  double at(double time);
  /// Its logarithm.
  double log_at(double time);
  /// Grid index of `time`, and the time of grid index k.
  long long index_of(double time) const;
  double time_of(long long index) const { return static_cast<double>(index) * params_.step.seconds; }
  /// Volatility of the log-price per square root of a second, outside regime windows.
  double sigma() const { return sigma_; }
  double step() const { return params_.step.seconds; }
  const PriceParams& params() const { return params_; }

  void finish() override;
  nlohmann::json summary(const nlohmann::json& so_far) const override;
  void sample(SeriesSink& sink) const override;

private:
  void extend(long long index);

  Simulation& simulation_;
  PriceParams params_;
  double sigma_, drift_per_second_;
  RandomStream draws_;
  std::vector<double> log_path_;  // log-price at each grid point generated so far
  long long jumps_ = 0;
  double end_time_;
};

void register_price(ProtocolRegistry& registry);

}  // namespace shsim::models::price
