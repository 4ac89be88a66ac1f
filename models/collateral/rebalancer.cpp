// Collateral spread over two child chains, kept in balance by a rebalancer that moves it through the
// bridges: a withdrawal from the chain that holds too much (through its withdrawal path: the
// challenge window for an optimistic rollup, proof and finality for a ZK one; or at once through a
// fast-withdrawal provider, for a fee), then a deposit into the other (parent finality and a
// relayer). The venues' pools (models/perp/) drift apart as their traders win and lose; the
// rebalancer looks every `interval` and moves what brings the split back to `target` when it is off
// by more than `threshold`. While collateral is in transit neither venue can use it.
//
// Simplifications: one transfer in flight at a time; the fast-withdrawal provider's capital never runs out.
#include <cmath>

#include <fmt/format.h>

#include "models/perp/perp.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::collateral {
namespace {

struct RebalancerParams {
  std::string name;
  std::vector<std::string> venues;
  Fraction target{0.5};
  Fraction threshold{0.1};
  Duration interval{600};
  Percent fast_withdrawal_fee{0};
  Bytes bytes{300};
  template <class V> void describe(V& v)
  {
    v.field("name", name, "application name");
    v.field("venues", venues, "the two perp_venue applications whose pools it balances (on two child chains)");
    v.field("target", target, "share of the two pools' liquidity it keeps on the first venue's chain");
    v.field("threshold", threshold, "it moves collateral when the first venue's share is off the target by more than this");
    v.field("interval", interval, "how often it looks", positive<Duration>());
    v.field("fast_withdrawal_fee", fast_withdrawal_fee,
            "fee of a fast-withdrawal provider that pays the withdrawal out at once (0: wait for the claim)",
            between<Percent>(0, 1));
    v.field("bytes", bytes, "size of its deposit and withdrawal transactions", positive<Bytes>());
  }
  std::vector<AppReference> references() const
  {
    std::vector<AppReference> refs;
    for (size_t i = 0; i < venues.size(); ++i)
      refs.push_back({fmt::format("venues.{}", i), "application", venues[i], {"perp_venue"}});
    return refs;
  }
};

class Rebalancer : public Application {
public:
  Rebalancer(Simulation& simulation, const RebalancerParams& params) : simulation_(simulation), params_(params)
  {
    for (const auto& name : params.venues)
      pools_.push_back(dynamic_cast<perp::LiquidityPool*>(simulation.application(name)));
    simulation.events().call_at(params.interval.seconds, [this] { look(); });
  }
  const std::string& name() const override { return params_.name; }
  std::string kind() const override { return "collateral_rebalancer"; }

  nlohmann::json summary(const nlohmann::json&) const override
  {
    double duration = simulation_.scenario().duration.seconds;
    double integral = transit_integral_ + in_transit_ * (duration - transit_since_);
    return {{"moves", moves_},
            {"moved", moved_},
            {"fast_fees", fees_},
            {"latency", latency_.to_json()},
            {"in_transit_mean", duration > 0 ? integral / duration : 0},
            {"largest_imbalance", largest_imbalance_},
            {"share_end", share()}};
  }
  void sample(SeriesSink& sink) const override
  {
    sink.add("collateral.in_transit", in_transit_);
    sink.add("collateral.share", share());
  }

private:
  double share() const
  {
    double a = pools_[0]->liquidity(), b = pools_[1]->liquidity();
    return a + b > 0 ? a / (a + b) : params_.target.value;
  }
  void change_transit(double delta)
  {
    double now = simulation_.now();
    transit_integral_ += in_transit_ * (now - transit_since_);
    transit_since_ = now;
    in_transit_ += delta;
  }
  void look()
  {
    double now = simulation_.now();
    double a = pools_[0]->liquidity(), b = pools_[1]->liquidity();
    double off = share() - params_.target.value;
    largest_imbalance_ = std::max(largest_imbalance_, std::abs(off));
    if (!busy_ && std::abs(off) > params_.threshold.value) {
      // Move what brings the first venue's share back to the target, from the richer side to the other.
      size_t from = off > 0 ? 0 : 1, to = 1 - from;
      double amount = std::abs(a - params_.target.value * (a + b));
      busy_         = true;
      ++moves_;
      moved_ += amount;
      pools_[from]->add_liquidity(-amount);
      change_transit(amount);
      simulation_.recorder().event(now, params_.name, -1, "rebalance_started", static_cast<long long>(moves_), -1,
                                   {amount, pools_[from]->chain_name() + " -> " + pools_[to]->chain_name()});
      auto deposit = [this, to, amount, now](double time) {
        double arriving = amount;
        pools_[to]->collateral_bridge()->deposit(time, params_.bytes.count, [this, to, arriving, now](double credited) {
          change_transit(-arriving);
          pools_[to]->add_liquidity(arriving);
          latency_.add(credited - now);
          busy_ = false;
        });
      };
      bool fast = params_.fast_withdrawal_fee.value > 0;
      pools_[from]->collateral_bridge()->withdraw(now, params_.bytes.count, nullptr, [deposit, fast](double claimed) {
        if (!fast)
          deposit(claimed);
      });
      if (fast) {
        fees_ += amount * params_.fast_withdrawal_fee.value;
        change_transit(-amount * params_.fast_withdrawal_fee.value);
        double paid = amount * (1 - params_.fast_withdrawal_fee.value);
        auto forward = [this, to, paid, now](double credited) {
          change_transit(-paid);
          pools_[to]->add_liquidity(paid);
          latency_.add(credited - now);
          busy_ = false;
        };
        pools_[to]->collateral_bridge()->deposit(now, params_.bytes.count, forward);
      }
    }
    double next = now + params_.interval.seconds;
    if (next < simulation_.scenario().duration.seconds)
      simulation_.events().call_at(next, [this] { look(); });
  }

  Simulation& simulation_;
  RebalancerParams params_;
  std::vector<perp::LiquidityPool*> pools_;
  bool busy_ = false;
  size_t moves_ = 0;
  double moved_ = 0, fees_ = 0, in_transit_ = 0, transit_integral_ = 0, transit_since_ = 0, largest_imbalance_ = 0;
  Samples latency_;
};

class RebalancerFactory : public TypedApplicationFactory<RebalancerParams> {
public:
  std::string name() const override { return "collateral_rebalancer"; }
  std::string description() const override
  {
    return "keeps two venues' pools on two child chains at a target split, moving collateral through the bridges";
  }
  std::vector<std::string> review(const Scenario& scenario, const ApplicationParams& base) const override
  {
    const RebalancerParams& p = params_of(base);
    if (p.venues.size() != 2)
      scenario.fail_application(p.name, "venues", fmt::format("names {} venues: it balances exactly two", p.venues.size()));
    std::vector<std::string> chains;
    for (size_t i = 0; i < p.venues.size(); ++i) {
      const AppChoice* venue = scenario.application(p.venues[i]);
      if (venue == nullptr)
        continue;  // refused by the reference check
      const auto& v = venue->as<perp::PerpParams>();
      if (v.collateral.bridge.empty())
        scenario.fail_application(p.name, fmt::format("venues[{}]", i),
                                  fmt::format("venue '{}' has no collateral.bridge to move collateral through", v.name));
      chains.push_back(v.chain);
    }
    if (chains.size() == 2 && chains[0] == chains[1])
      scenario.fail_application(p.name, "venues", fmt::format("both venues are on '{}': nothing crosses a bridge", chains[0]));
    return {};
  }
  Metrics metrics() const override
  {
    using namespace metric;
    return {count("moves", "transfers", "rebalancing transfers started"),
            value("moved", "currency", "collateral they moved"),
            value("fast_fees", "currency", "fees paid to fast-withdrawal providers"),
            distribution("latency", "s", "from a transfer's start to its credit on the other chain"),
            value("in_transit_mean", "currency", "collateral in transit on average"),
            fraction("largest_imbalance", "largest distance of the first venue's share from the target"),
            fraction("share_end", "the first venue's share of the two pools at the end")};
  }
  std::string table(const std::string& name, const nlohmann::json& e) const override
  {
    using table::number;
    std::string out = fmt::format("\nrebalancer {} ({} transfers, {:.6g} moved, {:.6g} in fees; {:.6g} in transit on average; "
                                  "largest imbalance {:.1f} %)\n",
                                  name, e["moves"].get<size_t>(), number(e["moved"]), number(e["fast_fees"]),
                                  number(e["in_transit_mean"]), 100 * number(e["largest_imbalance"]));
    out += table::latency_header("latency");
    out += table::stage_row("transfer start -> credited", e["latency"]);
    return out;
  }
  std::unique_ptr<Application> build(Simulation& simulation, const ApplicationParams& params, int) const override
  {
    return std::make_unique<Rebalancer>(simulation, params_of(params));
  }
};

}  // namespace

void register_collateral(ProtocolRegistry& registry)
{
  registry.add_application(std::make_unique<RebalancerFactory>());
  declare_event({"rebalance_started", "the rebalancer started moving collateral between chains", "the transfer's number", "",
                 {{"amount", FieldType::real, "currency", "how much", 2},
                  {"route", FieldType::text, "", "from which chain to which"}}});
  declare_series({"collateral.share", "share", "application: the first venue's share of the rebalanced pools"});
}

}  // namespace shsim::models::collateral
