// The derivatives venue (models/perp/), its collateral and the rebalancer (models/collateral/),
// against closed forms and constructions. Sources:
//  - the probability that a Brownian log-price falls by more than x within D: Phi(-x / (sigma sqrt D))
//    (the normal increment of geometric Brownian motion; Black and Scholes 1973);
//  - a price that moves at most r per second cannot pass a margin larger than r x the longest
//    delay between the last healthy look and the liquidation (a deterministic construction);
//  - the constant-product pool (Uniswap v2 whitepaper, Adams, Zinsmeister, Robinson 2020: x y = k,
//    the fee taken from the input) and the cost of holding its price for a TWAP window (Mackinga,
//    Nadahalli, Wattenhofer, "TWAP oracle attacks: easier done than said?", 2022);
//  - OP Stack's withdrawal path (claimable once a root covering the withdrawal settles, a challenge
//    window after it is posted).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "models/perp/perp.hpp"
#include "tests/support.hpp"

using shsim::testing::event_fields;
using shsim::testing::Run;
using shsim::testing::lab_matrix;
using shsim::testing::simulate;

namespace {

/// A 4-validator Tendermint parent in the lab (a block every ~1.2 s) with an optimistic rollup `op`
/// (its blocks every `block_time`), plus `rest`.
std::string lab(const std::string& duration, const std::string& rest, const std::string& block_time = "2s", int seed = 1)
{
  return fmt::format("name: perp-lab\nseed: {}\nduration: {}\nnetwork:\n  latency_matrix: {}\n"
                     "  access: {{ latency: 5ms, upload: 1Gbps, download: 1Gbps }}\n  jitter: none\n"
                     "parent:\n  protocol: {{ tendermint: {{ timeout_commit: 1s }} }}\n"
                     "  validators: {{ count: 4, placement: {{ lab: 100% }} }}\n"
                     "children:\n  - optimistic_rollup: {{ name: op, region: lab, block_time: {}, batch_interval: 30s, "
                     "proposal_interval: 2m, challenge_window: 10m }}\n{}",
                     seed, duration, lab_matrix(), block_time, rest);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

TEST_CASE("no bad debt when the maintenance margin exceeds the largest move within the liquidation delay",
          "[perp][closed-form]")
{
  // A deterministic crash: the log-price falls at r = 3 / 1800 per second for half an hour (no
  // noise). A keeper looks every second and sends the liquidation 1 s after it sees a position below
  // the maintenance margin m; the transaction crosses the lab (50 ms) and waits for the next 2-second
  // block; the price lives on a 1-second grid. Between the last look that found a position healthy
  // and its liquidation's execution at most D = 1 + 1 + 0.05 + 2 + 1 s pass, in which the price falls
  // by at most 1 - exp(-r D) = 0.84 %. With m = 2 x that, every liquidation leaves equity; with m a
  // quarter of it, liquidations land after the loss has passed the margin.
  const double r = 3.0 / 1800, D = 1 + 1 + 0.05 + 2 + 1, largest_move = 1 - std::exp(-r * D);
  auto run_with = [&](double maintenance) {
    return simulate(lab("1h", fmt::format(R"(
applications:
  - reference_price: {{ name: p, start: 1000, volatility: 0, regimes: [ {{ from: 20m, until: 50m, move: -300%, volatility: 0 }} ] }}
  - perp_venue:
      name: v
      chain: op
      feed: p
      region: lab
      traders: {{ rate: 4/m, min_leverage: 2, max_leverage: 40, hold: 100h, long_share: 100% }}
      margin: {{ maintenance: {}, liquidation_fee: 0 }}
      funding: {{ coefficient: 0 }}
      keepers: {{ count: 1, poll: 1s, reaction: 1s, region: lab }}
)",
                                          maintenance)));
  };
  Run safe = run_with(2 * largest_move);
  const auto& v = safe.summary["applications"]["v"];
  INFO(v.dump());
  CHECK(v["positions"]["liquidated"].get<long long>() >= 50);
  CHECK(v["bad_debt"]["total"].get<double>() == 0);
  CHECK(v["bad_debt"]["positions"].get<long long>() == 0);
  // The bound on the delay holds: no liquidation executed more than D - poll - grid step after its trigger.
  CHECK(v["liquidations"]["delay"]["max"].get<double>() <= D - 1 - 1 + 1e-6);

  Run thin = run_with(largest_move / 4);
  const auto& t = thin.summary["applications"]["v"];
  INFO(t.dump());
  CHECK(t["bad_debt"]["positions"].get<long long>() > 0);
  CHECK(t["bad_debt"]["total"].get<double>() > 0);
  // The insurance fund pays first.
  CHECK(t["bad_debt"]["insurance_drawn"].get<double>() ==
        Approx(std::min(t["bad_debt"]["total"].get<double>(), 1e6)).epsilon(1e-9));
}

TEST_CASE("with GBM and a liquidation D after its trigger the share in bad debt is Phi(-m / (sigma sqrt D))",
          "[perp][closed-form]")
{
  // The log-price is a Brownian motion with sigma = 50 % per sqrt(day), on a 1-second grid. A keeper
  // triggers a position when its equity falls below 1 % of its notional and the liquidation executes
  // D ~ 30 s later (reaction 30 s, then the next 1-second block). It leaves bad debt iff the price
  // passes the position's zero-equity price z meanwhile: with p the price at the trigger and j the
  // grid steps between trigger and execution, probability Phi(-|ln(z / p)| / (sigma sqrt j)) =
  // Phi(-m / (sigma sqrt D)) to first order in the remaining margin m. Summed over every executed
  // attempt, against the count that left bad debt.
  const double sigma = 0.5 / std::sqrt(86400.0);
  Run run = simulate(lab("1d", R"(
applications:
  - reference_price: { name: p, start: 1000, volatility: 50%, horizon: 1d }
  - perp_venue:
      name: v
      chain: op
      feed: p
      region: lab
      traders: { rate: 1/m, min_leverage: 10, max_leverage: 50, hold: 1000h }
      margin: { maintenance: 1%, liquidation_fee: 0 }
      funding: { coefficient: 0 }
      keepers: { count: 1, poll: 1s, reaction: 30s, region: lab }
)",
                         "1s"));
  std::map<long long, int> side;  // position -> +1 long, -1 short
  struct Attempt {
    double trigger_time, time, trigger_price, zero_price;
    long long position;
    bool bad;
  };
  std::vector<Attempt> attempts;
  long long bad_in_all = 0;
  for (const auto& e : run.events) {
    if (e.event == "perp_open")
      side[e.height] = static_cast<int>(event_fields(e)["side"].get<long long>());
    if (e.event != "perp_liquidation")
      continue;
    auto f = event_fields(e);
    attempts.push_back({f["trigger_time"].get<double>(), e.time, f["trigger_price"].get<double>(),
                        f["zero_price"].get<double>(), e.height, f["bad_debt"].get<double>() > 0});
    bad_in_all += attempts.back().bad ? 1 : 0;
  }
  REQUIRE(attempts.size() >= 1000);
  CHECK(run.summary["applications"]["v"]["bad_debt"]["positions"].get<long long>() == bad_in_all);
  // Positions share one price path, so attempts whose windows overlap are not independent: keep,
  // in trigger order, each attempt triggered after the last kept one executed. Their outcomes
  // depend on disjoint increments, so the count in bad debt less the sum of the probabilities is a
  // sum of martingale differences, of variance sum p (1 - p).
  std::sort(attempts.begin(), attempts.end(),
            [](const Attempt& a, const Attempt& b) { return std::tie(a.trigger_time, a.time) < std::tie(b.trigger_time, b.time); });
  double expected = 0, variance = 0, margin_sum = 0, delay_sum = 0, last = -1;
  long long kept = 0, bad = 0;
  for (const auto& a : attempts) {
    if (a.trigger_time < last)
      continue;
    last         = a.time;
    double steps = std::floor(a.time + 1e-9) - std::floor(a.trigger_time + 1e-9);
    REQUIRE(steps >= 30);
    REQUIRE(steps <= 32);
    // The remaining margin, as a log-distance to the zero-equity price on the losing side.
    double m = side.at(a.position) * std::log(a.trigger_price / a.zero_price);
    double p = normal_cdf(-m / (sigma * std::sqrt(steps)));
    expected += p;
    variance += p * (1 - p);
    margin_sum += m;
    delay_sum += steps;
    ++kept;
    bad += a.bad ? 1 : 0;
  }
  double mean_m = margin_sum / static_cast<double>(kept), mean_d = delay_sum / static_cast<double>(kept);
  INFO(kept << " liquidations with disjoint windows (of " << attempts.size() << "), " << bad << " in bad debt; expected "
            << expected << " +- " << std::sqrt(variance) << "; mean remaining margin " << mean_m << ", mean delay "
            << mean_d << " s: Phi(-m / (sigma sqrt D)) = " << normal_cdf(-mean_m / (sigma * std::sqrt(mean_d))));
  REQUIRE(kept >= 500);
  CHECK(std::abs(static_cast<double>(bad) - expected) <= 3 * std::sqrt(variance));
  // The share is near the closed form at the mean margin and delay (Jensen's inequality aside).
  CHECK(static_cast<double>(bad) / static_cast<double>(kept) ==
        Approx(normal_cdf(-mean_m / (sigma * std::sqrt(mean_d)))).epsilon(0.25));
}

TEST_CASE("staleness at use is the sum of the oracle round, inclusion and the wait for the chosen stage",
          "[perp][staleness]")
{
  // For every trade, close and liquidation: the price it used is that of the newest report that had
  // reached the venue's stage (soft, safe or parent_final) before it executed, and its staleness is
  // (attested - observed) + (transmitted - attested) + (on chain - transmitted) + (stage - on chain)
  // + (execution - stage), each term non-negative, read from the oracle's timeline.
  const std::vector<std::string> stage_columns{"soft_confirmed", "included", "parent_final"};
  const std::vector<std::string> stages{"soft", "safe", "parent_final"};
  std::vector<double> mean_staleness;
  for (size_t s = 0; s < stages.size(); ++s) {
    Run run = simulate(lab("2h", fmt::format(R"(
applications:
  - reference_price: {{ name: p, start: 3000, volatility: 80%, horizon: 365d }}
  - oracle_network: {{ name: o, price: p, chain: op, count: 4, region: lab, heartbeat: 2m }}
  - perp_venue:
      name: v
      chain: op
      feed: o
      consume_at: {}
      region: lab
      traders: {{ rate: 2/m, max_leverage: 20, hold: 20m }}
)",
                                             stages[s])));
    // Each report's stage times, from the oracle's timeline (index = report number).
    const auto& columns = run.timeline_stages.at("o");
    auto column = [&](const std::string& name) {
      return static_cast<size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
    };
    std::map<long long, std::map<std::string, double>> report;
    for (const auto& row : run.timelines)
      if (row.chain == "o") {
        auto& r = report[static_cast<long long>(row.index)];
        r["observed"] = row.submitted;
        for (const auto& name : columns)
          r[name] = row.stages[column(name)] ? *row.stages[column(name)] : -1;
      }
    REQUIRE(report.size() >= 30);
    double sum = 0;
    long long uses = 0;
    for (const auto& e : run.events) {
      if (e.event != "perp_open" && e.event != "perp_close" && e.event != "perp_liquidation")
        continue;
      auto f       = event_fields(e);
      long long id = f["report"].get<long long>();
      if (id == 0)
        continue;  // the genesis price, before the first report reached the stage
      const auto& r = report.at(id);
      double chosen = r.at(stage_columns[s]);
      INFO(e.event << " at " << e.time << " used report " << id);
      REQUIRE(chosen >= 0);
      REQUIRE(chosen <= e.time + 1e-6);
      double terms[] = {r.at("attested") - r.at("observed"), r.at("transmitted") - r.at("attested"),
                        r.at("soft_confirmed") - r.at("transmitted"), chosen - r.at("soft_confirmed"), e.time - chosen};
      double total = 0;
      for (double term : terms) {
        REQUIRE(term >= -1e-6);
        total += term;
      }
      CHECK(f["staleness"].get<double>() == Approx(total).margin(2e-3));
      // No newer report had reached the stage before this execution.
      for (auto later = report.upper_bound(id); later != report.end(); ++later) {
        double reached = later->second.at(stage_columns[s]);
        REQUIRE((reached < 0 || reached >= e.time - 1e-6));
      }
      sum += total;
      ++uses;
    }
    REQUIRE(uses >= 200);
    mean_staleness.push_back(sum / static_cast<double>(uses));
  }
  // A later stage is staler: safe waits for the batch (every 30 s), parent_final a little more.
  INFO("mean staleness at soft, safe, parent_final: " << mean_staleness[0] << ", " << mean_staleness[1] << ", "
                                                      << mean_staleness[2]);
  CHECK(mean_staleness[0] < mean_staleness[1]);
  CHECK(mean_staleness[1] <= mean_staleness[2]);
}

TEST_CASE("a venue that reads soft blocks trades on data that later reverts, from safe on it never does",
          "[perp][reverted]")
{
  // unsafe_reorg: the sequencer's gossiped blocks hold oracle reports that half of its posted batches
  // leave out (OP Stack: nothing binds the sequencer to its unsafe blocks). A venue at `soft` prices
  // trades with them; at `safe` it only sees what the posted batches hold.
  auto run_at = [](const std::string& stage) {
    return simulate(lab("2h", fmt::format(R"(
applications:
  - reference_price: {{ name: p, start: 3000, volatility: 80%, horizon: 365d }}
  - oracle_network: {{ name: o, price: p, chain: op, count: 4, region: lab, heartbeat: 2m }}
  - perp_venue: {{ name: v, chain: op, feed: o, consume_at: {}, region: lab, traders: {{ rate: 4/m, hold: 20m }} }}
adversaries:
  - unsafe_reorg: {{ chain: op, kinds: [oracle_report], share: 50% }}
)",
                                          stage)));
  };
  Run soft = run_at("soft");
  const auto& s = soft.summary["applications"];
  CHECK(s["o"]["reports"]["reverted"].get<long long>() > 0);
  CHECK(s["v"]["reverted_data"]["reports"].get<long long>() > 0);
  CHECK(s["v"]["reverted_data"]["trades"].get<long long>() > 0);
  CHECK(s["v"]["reverted_data"]["notional"].get<double>() > 0);
  Run safe = run_at("safe");
  const auto& f = safe.summary["applications"];
  CHECK(f["o"]["reports"]["reverted"].get<long long>() > 0);
  CHECK(f["v"]["reverted_data"]["trades"].get<long long>() == 0);
  // The safer venue is staler.
  CHECK(f["v"]["staleness"]["p50"].get<double>() > s["v"]["staleness"]["p50"].get<double>());
}

TEST_CASE("holding a constant-product pool's price for a TWAP window costs what the closed form says",
          "[perp][twap]")
{
  // Closed form (to first order in the fee): every block the attacker pushes a pool of quote reserve y
  // from p to k p and loses y (sqrt k + 1 / sqrt k - 2) + fee y (sqrt k - 1) once an arbitrageur
  // restores it. Against Uniswap v2's swaps, fee from the input, block after block.
  using shsim::models::perp::twap_cost_closed_form;
  using shsim::models::perp::twap_cost_simulated;
  for (double move : {0.01, 0.05, 0.2, -0.05}) {
    for (double fee : {0.0, 0.003}) {
      double closed = twap_cost_closed_form(1e6, move, fee, 150), swapped = twap_cost_simulated(1e6, move, fee, 150);
      INFO("move " << move << ", fee " << fee << ": closed form " << closed << ", swaps " << swapped);
      CHECK(swapped > 0);
      CHECK(swapped == Approx(closed).epsilon(fee == 0 ? 1e-9 : 0.02 + 2 * std::abs(move)));
    }
  }
  // Without fees and for a small move, the cost per block is y move^2 / 4: a quadratic in the move.
  CHECK(twap_cost_closed_form(1e6, 0.001, 0, 1) == Approx(1e6 * 0.001 * 0.001 / 4).epsilon(2e-3));

  // In a run: a 30-minute window on 12-second blocks is 150 pushes; the profit is the venue's open
  // interest when the attack starts times the move.
  Run run = simulate(lab("1h", R"(
applications:
  - reference_price: { name: p, start: 3000, volatility: 60%, horizon: 365d }
  - perp_venue: { name: v, chain: op, feed: p, region: lab, traders: { rate: 6/m, hold: 10h } }
adversaries:
  - twap_manipulation: { venue: v, depth: 2.0e6, window: 30m, move: 5%, block_time: 12s, from: 40m }
)"));
  const auto& t = run.summary["applications"]["v"]["twap"];
  INFO(t.dump());
  CHECK(t["pushes"].get<long long>() == 150);
  CHECK(t["cost_closed_form"].get<double>() == Approx(twap_cost_closed_form(1e6, 0.05, 0.003, 150)).epsilon(1e-12));
  CHECK(t["cost"].get<double>() == Approx(twap_cost_simulated(1e6, 0.05, 0.003, 150)).epsilon(1e-12));
  CHECK(t["open_interest"].get<double>() > 0);
  CHECK(t["profit"].get<double>() == Approx(0.05 * t["open_interest"].get<double>()).epsilon(1e-12));
  CHECK(t["profitable"].get<bool>() == (t["profit"].get<double>() > t["cost"].get<double>()));
}

TEST_CASE("collateral from the parent waits for the bridge, withdrawals wait for the challenge window unless fronted",
          "[perp][collateral]")
{
  // OP Stack: a withdrawal is claimable once an output root covering it settles, a challenge window
  // (10 minutes here) after the root is posted. A fast-withdrawal provider pays out at once for its
  // fee and is repaid by the claim.
  auto run_with = [](const std::string& fee) {
    return simulate(lab("2h", fmt::format(R"(
bridges:
  - {{ child: op, relayers: 1, poll_interval: 5s, tvl: 1.0e7 }}
applications:
  - reference_price: {{ name: p, start: 3000, volatility: 60%, horizon: 365d }}
  - perp_venue:
      name: v
      chain: op
      feed: p
      region: lab
      traders: {{ rate: 2/m, hold: 10m }}
      collateral: {{ bridge: op-bridge, fast_withdrawal_fee: {} }}
)",
                                          fee)));
  };
  Run slow = run_with("0");
  const auto& c = slow.summary["applications"]["v"]["collateral"];
  INFO(c.dump());
  CHECK(c["deposits"].get<long long>() >= 100);
  CHECK(c["withdrawals"].get<long long>() >= 50);
  CHECK(c["withdrawal_latency"]["min"].get<double>() >= 600);
  CHECK(c["fast_withdrawals"].get<long long>() == 0);
  CHECK(c["locked_hours"].get<double>() > 0);
  CHECK(c["in_transit_mean"].get<double>() > 0);
  // The venue's deposits are the bridge's deposits (the only ones here): the same relayers, the
  // same wait for parent finality.
  const auto& credited = slow.summary["bridges"]["op-bridge"]["deposits"]["credited"];
  CHECK(c["deposit_latency"]["count"] == credited["count"]);
  CHECK(c["deposit_latency"]["p50"].get<double>() == Approx(credited["p50"].get<double>()).epsilon(1e-9));

  Run fast = run_with("0.1%");
  const auto& f = fast.summary["applications"]["v"]["collateral"];
  INFO(f.dump());
  CHECK(f["fast_withdrawals"].get<long long>() == f["withdrawals"].get<long long>());
  CHECK(f["fast_fees"].get<double>() == Approx(0.001 * f["fast_fronted"].get<double>()).epsilon(1e-9));
  CHECK(f["locked_hours"].get<double>() == 0);
  CHECK(f["fast_losses"].get<double>() == 0);
}

TEST_CASE("a rebalancer brings two venues' pools on two rollups back to their target split through the bridges",
          "[perp][collateral]")
{
  // Pools of 1e7 and 3e7 (a share of 0.25 against a target of 0.5): the first look moves 1e7 from the
  // second chain to the first, out through the second rollup's withdrawal path (its 10-minute window)
  // and in through the first one's bridge.
  Run run = simulate(lab("3h", R"(
  - optimistic_rollup: { name: op2, region: lab, batch_interval: 30s, proposal_interval: 2m, challenge_window: 10m }
bridges:
  - { child: op, relayers: 1, poll_interval: 5s, tvl: 1.0e7 }
  - { child: op2, relayers: 1, poll_interval: 5s, tvl: 1.0e7 }
applications:
  - reference_price: { name: p, start: 3000, volatility: 60%, horizon: 365d }
  - perp_venue: { name: a, chain: op, feed: p, region: lab, liquidity: 1.0e7, traders: { rate: 1/m }, collateral: { bridge: op-bridge } }
  - perp_venue: { name: b, chain: op2, feed: p, region: lab, liquidity: 3.0e7, traders: { rate: 1/m }, collateral: { bridge: op2-bridge } }
  - collateral_rebalancer: { name: r, venues: [a, b], target: 50%, threshold: 5%, interval: 10m }
)"));
  // (The children: list above continues the lab's, whose op is first.)
  const auto& r = run.summary["applications"]["r"];
  INFO(r.dump());
  CHECK(r["moves"].get<long long>() >= 1);
  CHECK(r["moved"].get<double>() >= 1e7 * 0.99);
  CHECK(r["largest_imbalance"].get<double>() == Approx(0.25).margin(0.01));
  CHECK(std::abs(r["share_end"].get<double>() - 0.5) <= 0.05 + 0.01);
  CHECK(r["latency"]["min"].get<double>() >= 600);
  CHECK(r["in_transit_mean"].get<double>() > 0);
  std::vector<double> started = run.times_of("rebalance_started");
  REQUIRE(!started.empty());
  CHECK(started[0] == Approx(600));
}
