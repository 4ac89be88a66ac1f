// The oracle network (models/oracle/) against closed forms and OCR's properties. Sources:
//  - Breidenbach, Cachin, Coventry, Juels, Miller, "Chainlink Off-Chain Reporting Protocol" (2021):
//    the median of 2f + 1 or more observations, f + 1 signatures, the pacemaker's NEWEPOCH;
//  - Chainlink's ETH/USD feed parameters: deviation threshold and heartbeat;
//  - the mean exit time of a Brownian motion from an interval (Karlin and Taylor, "A First Course in
//    Stochastic Processes", 2nd ed., ch. 7: x0 (L - x0) / sigma^2) and its survival function's
//    eigen-expansion, with Siegmund's continuity correction for monitoring every Delta (Siegmund,
//    "Sequential Analysis", 1985, ch. X: the boundary moves out by rho sigma sqrt(Delta),
//    rho = -zeta(1/2) / sqrt(2 pi) = 0.5826).
//
// The lab network of test_rollup.cpp: one region, no jitter; a Tendermint parent with long blocks
// (the oracle reports to it; its blocks play no part in the update rate).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/support.hpp"

using shsim::testing::event_fields;
using shsim::testing::Run;
using shsim::testing::lab_matrix;
using shsim::testing::simulate;

namespace {

/// A 4-validator Tendermint parent in the lab (a block a minute), plus `rest`.
std::string lab(const std::string& duration, const std::string& rest, int seed = 1)
{
  return fmt::format("name: oracle-lab\nseed: {}\nduration: {}\nnetwork:\n  latency_matrix: {}\n"
                     "  access: {{ latency: 5ms, upload: 1Gbps, download: 1Gbps }}\n  jitter: none\n"
                     "parent:\n  protocol: {{ tendermint: {{ timeout_commit: 60s }} }}\n"
                     "  validators: {{ count: 4, placement: {{ lab: 100% }} }}\n{}",
                     seed, duration, lab_matrix(), rest);
}

/// The fields of an event, typed, as its kind declares them.
/// The times between consecutive attested reports (the first, from t = 0, left out).
std::vector<double> report_intervals(const Run& run)
{
  std::vector<double> times = run.times_of("oracle_report"), out;
  for (size_t k = 1; k < times.size(); ++k)
    out.push_back(times[k] - times[k - 1]);
  return out;
}

struct MeanAndError {
  double mean = 0, error = 0;  // the sample mean and its standard error
};
MeanAndError mean_and_error(const std::vector<double>& x)
{
  double sum = 0, sum_sq = 0;
  for (double v : x)
    sum += v;
  double mean = sum / static_cast<double>(x.size());
  for (double v : x)
    sum_sq += (v - mean) * (v - mean);
  return {mean, std::sqrt(sum_sq / static_cast<double>(x.size() - 1) / static_cast<double>(x.size()))};
}

/// Mean number of rounds between reports when the log-price is a Gaussian random walk of step
/// deviation s watched once a round, a report is due when it leaves (-b, a) around the last report,
/// and at the latest at round K (a heartbeat; K = 0: none): E[min(N, K)].
/// Closed form: the Brownian motion's exit from the interval widened by rho s on both sides
/// (Siegmund's correction), integrated over whole rounds: int_0^K S(u) du + (1 - S(K)) / 2
/// (Euler-Maclaurin), with S the survival function's eigen-expansion
///   S(u) = sum_n (2 / (n pi)) (1 - (-1)^n) sin(n pi x0 / L) exp(-n^2 pi^2 s^2 u / (2 L^2)).
/// Against the exact discrete walk (a density propagated round by round) at a = ln 1.01,
/// b = -ln 0.99, s = 0.001: 112.494 rounds against 112.503 (K = 0), 52.494 against 52.435 (K = 60).
double expected_rounds(double a, double b, double s, double K)
{
  const double rho = 0.5826;
  const double L = a + b + 2 * rho * s, x0 = b + rho * s, pi = std::numbers::pi;
  if (K <= 0)
    return x0 * (L - x0) / (s * s) + 0.5;
  double integral = 0, survival = 0;
  for (int n = 1; n < 2000; n += 2) {  // even terms vanish
    double c      = 4 / (n * pi) * std::sin(n * pi * x0 / L);
    double lambda = n * n * pi * pi * s * s / (2 * L * L);
    integral += c / lambda * (1 - std::exp(-lambda * K));
    survival += c * std::exp(-lambda * K);
  }
  return integral + (1 - survival) / 2;
}

// The rate tests: volatility 13.146 % per sqrt(day) (sigma^2 = 2 x 10^-7 per second), a round every
// 5 s, a 1 % deviation threshold: the log-price must leave (-rate_down, rate_up), in steps of
// deviation rate_step.
constexpr double rate_per_day = 0.131460, rate_round = 5;
const double rate_sigma = rate_per_day / std::sqrt(86400.0), rate_step = rate_sigma * std::sqrt(rate_round);
const double rate_up = std::log(1.01), rate_down = -std::log(0.99);

/// An oracle network of four (f = 1) that sees the reference price exactly and at once, leading
/// rounds every `delta_round`, with a deviation threshold of 1 %.
std::string rate_scenario(double volatility_per_day, const std::string& heartbeat, const std::string& delta_round)
{
  return fmt::format(R"(
applications:
  - reference_price: {{ name: p, start: 1000, volatility: {}, horizon: 1d }}
  - oracle_network:
      name: o
      price: p
      chain: parent
      count: 4
      region: lab
      observation: {{ latency: 0s, spread: 0, noise: 0 }}
      deviation: 1%
      heartbeat: {}
      delta_round: {}
      delta_grace: 0s
      delta_progress: 10m
)",
                     volatility_per_day, heartbeat, delta_round);
}

}  // namespace

TEST_CASE("deviation-triggered reports come every delta^2 / sigma^2 on average (Brownian exit from +-delta)",
          "[oracle][closed-form]")
{
  // Log-price volatility sigma per sqrt(s), a report due when |median / last - 1| > 1 %: the
  // log-price since the last report must leave (ln 0.99, ln 1.01), which takes
  // ln(1.01) (-ln 0.99) / sigma^2 ~ delta^2 / sigma^2 = 500 s here; checked once a round
  // (Delta = 5 s), which Siegmund's correction accounts for (562 s).
  const double per_day = rate_per_day, sigma = rate_sigma, delta_round = rate_round;
  const double a = rate_up, b = rate_down, s = rate_step;
  Run run = simulate(lab("10d", rate_scenario(per_day, "1000h", "5s")));
  auto intervals = report_intervals(run);
  REQUIRE(intervals.size() > 1000);
  auto measured   = mean_and_error(intervals);
  double expected = expected_rounds(a, b, s, 0) * delta_round;
  INFO("measured " << measured.mean << " +- " << measured.error << " s over " << intervals.size()
                   << " reports; expected " << expected << " s; uncorrected delta^2/sigma^2 = " << a * b / (sigma * sigma));
  CHECK(std::abs(measured.mean - expected) < 3 * measured.error + 0.01 * expected);
  // Every report was due by deviation, none by the heartbeat.
  const auto& reports = run.summary["applications"]["o"]["reports"];
  CHECK(reports["by_heartbeat"].get<long long>() == 0);
  CHECK(reports["by_deviation"].get<long long>() == static_cast<long long>(intervals.size()) + 1);
  // Every interval is a whole number of rounds: reports are due only when a round looks.
  for (double interval : intervals) {
    double rounds = interval / delta_round;
    REQUIRE(std::abs(rounds - std::round(rounds)) < 1e-6);
  }
}

TEST_CASE("with a heartbeat H the update interval is the minimum of the exit time and H", "[oracle][closed-form]")
{
  // The same network with a heartbeat of 297.5 s: a round looks every 5 s, so the heartbeat is due
  // at the 60th round after the last report (300 s); E[min(N, 60)] x 5 s = 262 s, against 562 s
  // without the heartbeat.
  const double per_day = rate_per_day, delta_round = rate_round;
  const double a = rate_up, b = rate_down, s = rate_step;
  Run run = simulate(lab("5d", rate_scenario(per_day, "297.5s", "5s")));
  auto intervals = report_intervals(run);
  REQUIRE(intervals.size() > 1000);
  auto measured   = mean_and_error(intervals);
  double expected = expected_rounds(a, b, s, 60) * delta_round;
  INFO("measured " << measured.mean << " +- " << measured.error << " s over " << intervals.size() << " reports; expected "
                   << expected << " s");
  CHECK(std::abs(measured.mean - expected) < 3 * measured.error + 0.01 * expected);
  CHECK(*std::max_element(intervals.begin(), intervals.end()) <= 300 + 1e-6);
  const auto& reports = run.summary["applications"]["o"]["reports"];
  CHECK(reports["by_heartbeat"].get<long long>() > 0);
  CHECK(reports["by_deviation"].get<long long>() > 0);
  // The update rate the summary reports is the same figure, per hour.
  CHECK(reports["per_hour"].get<double>() ==
        Approx(static_cast<double>(intervals.size() + 1) / (5 * 24)).epsilon(1e-9));

  SECTION("a price that never moves is reported by the heartbeat alone, every H rounded up to a round")
  {
    Run still = simulate(lab("6h", rate_scenario(0, "297.5s", "5s")));
    auto steady = report_intervals(still);
    REQUIRE(steady.size() >= 70);
    for (double interval : steady)
      REQUIRE(interval == Approx(300).margin(1e-6));
    CHECK(still.summary["applications"]["o"]["reports"]["by_deviation"].get<long long>() == 0);
  }
}

TEST_CASE("below n/3 Byzantine oracles every median lies within the honest observations and from f + 1 they choose it",
          "[oracle][byzantine]")
{
  // OCR (Breidenbach et al. 2021, section 4): with n = 10 and f = 3 a report holds at least 2f + 1 = 7
  // observations, at most f of them Byzantine, so its median (the 4th of 7 or more, sorted) has an
  // honest value on each side. With f + 1 = 4 Byzantine oracles they can force epochs (f + 1
  // NEWEPOCH requests make honest oracles join) until one of them leads, and a Byzantine leader
  // builds a report of its 4 and 3 honest observations, whose median is theirs.
  auto scenario = [](int seed, const std::string& byzantine) {
    return lab("1h", fmt::format(R"(
applications:
  - reference_price: {{ name: p, start: 1000, volatility: 80%, horizon: 365d }}
  - oracle_network: {{ name: o, price: p, chain: parent, count: 10, region: lab, heartbeat: 5m }}
adversaries:
  - oracle_byzantine: {{ oracle: o, oracles: {}, bias: {}% }}
)",
                                 byzantine, seed % 2 == 0 ? 20 : -15),
               seed);
  };
  // Which oracles are Byzantine changes with the seed, so leaders and followers both get their turn.
  auto pick = [](int seed, int how_many) {
    std::vector<int> chosen;
    for (int k = 0; static_cast<int>(chosen.size()) < how_many; ++k) {
      int oracle = (seed * 7 + k * 3) % 10;
      if (std::find(chosen.begin(), chosen.end(), oracle) == chosen.end())
        chosen.push_back(oracle);
    }
    return fmt::format("[{}]", fmt::join(chosen, ", "));
  };
  long long reports_below = 0, outside_above = 0;
  for (int seed = 1; seed <= 10; ++seed) {
    Run below = simulate(scenario(seed, pick(seed, 3)));
    const auto& b = below.summary["applications"]["o"];
    INFO("seed " << seed << ", 3 Byzantine: " << b["reports"].dump());
    reports_below += b["reports"]["attested"].get<long long>();
    CHECK(b["reports"]["outside_honest_range"].get<long long>() == 0);
    // Each report's median also checked from the event log: within its honest observations.
    for (const auto& e : below.events)
      if (e.event == "oracle_report")
        CHECK(event_fields(e)["byzantine"].get<long long>() <= 3);

    Run above = simulate(scenario(seed, pick(seed, 4)));
    const auto& a = above.summary["applications"]["o"];
    INFO("seed " << seed << ", 4 Byzantine: " << a["reports"].dump());
    CHECK(a["reports"]["outside_honest_range"].get<long long>() > 0);
    outside_above += a["reports"]["outside_honest_range"].get<long long>();
  }
  CHECK(reports_below >= 10 * 11);  // at least every heartbeat after the first: the network kept reporting
  CHECK(outside_above > 0);
}

TEST_CASE("a crashed leader costs about delta_progress before the next epoch's leader reports", "[oracle][pacemaker]")
{
  // OCR's pacemaker: an oracle that sees no completed round for delta_progress asks for epoch e + 1;
  // 2f + 1 requests move everyone there, with the next oracle leading. With a 1-minute heartbeat the
  // reports are regular; oracle 0 (the first leader) goes down at 30 minutes.
  Run run = simulate(lab("1h", R"(
applications:
  - reference_price: { name: p, start: 1000, volatility: 0 }
  - oracle_network:
      name: o
      price: p
      chain: parent
      count: 4
      region: lab
      heartbeat: 1m
      delta_round: 10s
      delta_grace: 1s
      delta_progress: 30s
adversaries:
  - oracle_down: { oracle: o, oracles: [0], from: 30m }
)"));
  std::vector<double> times = run.times_of("oracle_report");
  auto after = std::upper_bound(times.begin(), times.end(), 1800.0);
  REQUIRE(after != times.begin());
  REQUIRE(after != times.end());
  double last_before = *(after - 1), first_after = *after;
  INFO("last report before the crash at " << last_before << " s, first after at " << first_after << " s");
  // Down at 1800 s: followers' progress timers (reset by the last completed round) expire within
  // delta_progress, the new leader starts a round at once and the heartbeat is overdue.
  CHECK(first_after - 1800 >= 0);
  CHECK(first_after - last_before <= 60 + 30 + 10 + 1 + 1);
  CHECK(first_after - 1800 > 30 - 10 - 1);
  std::vector<double> epochs = run.times_of("oracle_epoch");
  REQUIRE(epochs.size() == 1);
  CHECK(epochs[0] > 1800);
  CHECK(run.summary["applications"]["o"]["epochs"].get<long long>() == 1);
}

TEST_CASE("censored oracle transactions reach the chain only after the sequencer lets them in",
          "[oracle][censorship]")
{
  // sequencer_delay with kinds [oracle_report]: each report waits `delay` at the sequencer before
  // it enters the mempool, so transmission to soft takes at least that long; the age of the value on
  // chain grows by as much. Compared with the same run without it.
  const std::string base = R"(
children:
  - optimistic_rollup: { name: op, region: lab, batch_interval: 1m, proposal_interval: 10m, challenge_window: 10m }
applications:
  - reference_price: { name: p, start: 1000, volatility: 80%, horizon: 365d }
  - oracle_network: { name: o, price: p, chain: op, count: 4, region: lab, heartbeat: 2m }
)";
  Run honest   = simulate(lab("2h", base));
  Run censored = simulate(lab("2h", base + R"(
adversaries:
  - sequencer_delay: { chain: op, kinds: [oracle_report], delay: 45s }
)"));
  const auto& h = honest.summary["applications"]["o"]["stages"];
  const auto& c = censored.summary["applications"]["o"]["stages"];
  CHECK(h["inclusion"]["max"].get<double>() < 5);
  CHECK(c["inclusion"]["min"].get<double>() >= 45);
  CHECK(c["inclusion"]["max"].get<double>() < 45 + 5);
  CHECK(c["age_on_chain"]["p50"].get<double>() > h["age_on_chain"]["p50"].get<double>() + 40);
}
