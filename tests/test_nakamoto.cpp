// The proof-of-work parent against published closed forms. Sources:
//  - stale blocks: the exponential approximation of Decker and Wattenhofer ("Information propagation
//    in the Bitcoin network", P2P 2013) and Gervais et al. (CCS 2016): a block is orphaned when
//    another miner finds one before it has arrived, probability 1 - exp(-tau / T);
//  - selfish mining: Eyal and Sirer, "Majority is not enough", FC 2014, eq. (8);
//  - double spending: Nakamoto 2008 section 11 as Rosenfeld computes it exactly ("Analysis of
//    hashrate-based double spending", 2014, with one pre-mined block).
// The lab: one region, every block takes exactly tau to reach every other miner (complete overlay,
// push relay, no jitter, no validation delay, 1 KB blocks on 1 Gbps links).
#include <catch2/catch.hpp>

#include <cmath>

#include <fmt/format.h>

#include "models/nakamoto/nakamoto.hpp"
#include "tests/support.hpp"

using shsim::testing::simulate;

namespace {

std::string lab_matrix(double tau_ms)
{
  return shsim::testing::write_temporary(fmt::format("source: synthetic one-region laboratory network for "
                                                     "closed-form tests\nunit: one_way_ms\nregions: [lab]\n"
                                                     "matrix: [[{}]]\n",
                                                     tau_ms));
}

/// A proof-of-work lab: `weights` are the miners' hash powers; `rest` adds adversaries.
std::string pow_lab(int seed, double tau_ms, double interval_s, double duration_s, const std::string& weights,
                    const std::string& rest = "", const std::string& overlay = "complete")
{
  return fmt::format("name: pow-lab\nseed: {}\nduration: {}s\n"
                     "network:\n  latency_matrix: {}\n  access: {{ latency: 0ms, upload: 1Gbps, download: 1Gbps }}\n"
                     "  jitter: none\n  overlay: {}\n  transport: {{ mode: latency }}\n"
                     "parent:\n  protocol: {{ nakamoto: {{ block_interval: {}s, block_bytes: 1KB, confirmations: 6,\n"
                     "    relay: {{ mode: push, validation: 0s }} }} }}\n"
                     "  validators: {{ count: {}, placement: {{ lab: 100% }}, stake: {{ list: {{ weights: [{}] }} }} }}\n"
                     "detectors: {{ stall_threshold: 1d }}\noutput: {{ events: none }}\n{}",
                     seed, duration_s, lab_matrix(tau_ms), overlay, interval_s,
                     std::count(weights.begin(), weights.end(), ',') + 1, weights, rest);
}

/// Hash powers: miner 0 has `share`, `honest` miners split the rest equally.
std::string attacker_and_honest(double share, int honest)
{
  std::string weights = fmt::format("{}", share);
  for (int i = 0; i < honest; ++i)
    weights += fmt::format(", {}", (1 - share) / honest);
  return weights;
}

std::string equal_weights(int n)
{
  std::string out;
  for (int i = 0; i < n; ++i)
    out += i == 0 ? "1" : ", 1";
  return out;
}

}  // namespace

TEST_CASE("the closed forms themselves: Eyal-Sirer's threshold and Rosenfeld's 2q at one confirmation",
          "[nakamoto]")
{
  using shsim::models::nakamoto::double_spend_success;
  using shsim::models::nakamoto::selfish_revenue;
  // Eyal and Sirer: with gamma = 0 selfish mining pays exactly from alpha = 1/3; with gamma = 1/2 from 1/4.
  CHECK(selfish_revenue(1.0 / 3, 0) == Approx(1.0 / 3));
  CHECK(selfish_revenue(0.25, 0.5) == Approx(0.25));
  CHECK(selfish_revenue(0.2, 0) < 0.2);
  // Rosenfeld: one confirmation gives 2q; the success probability falls with z and reaches 1 at q = 1/2.
  CHECK(double_spend_success(0.1, 1) == Approx(0.2));
  CHECK(double_spend_success(0.2, 2) == Approx(0.208));
  CHECK(double_spend_success(0.1, 6) < double_spend_success(0.1, 3));
  CHECK(double_spend_success(0.5, 6) == 1.0);
}

TEST_CASE("stale rate grows with propagation delay / block interval as 1 - exp(-(1 - h) tau / T) predicts",
          "[nakamoto][statistics]")
{
  // Ten equal miners (h = 1/10 of the hash power each: a miner never forks its own block).
  const int miners  = 10;
  const double tau  = 0.020;  // seconds, to every other miner
  double previous   = -1;
  for (double ratio : {0.02, 0.05, 0.1}) {
    double interval = tau / ratio;
    double blocks   = 10000;
    auto run        = simulate(pow_lab(7, tau * 1e3, interval, blocks * interval, equal_weights(miners)));
    const auto& c   = run.chain();
    double main     = c["main_chain_blocks"].get<double>();
    double stale    = c["stale_blocks"].get<double>();
    double expected = 1 - std::exp(-(1 - 1.0 / miners) * ratio);
    double sigma    = std::sqrt(expected * main);  // Poisson count of stale blocks
    INFO("tau/T = " << ratio << ": " << stale << " stale over " << main << " main-chain blocks; expected "
                    << expected * main << " +- " << sigma);
    CHECK(std::abs(stale - expected * main) < 4 * sigma + 0.05 * expected * main);
    CHECK(stale / main > previous);
    previous = stale / main;
    // Every block reaches all ten miners exactly tau after it is found.
    CHECK(c["propagation"]["time_to_100_percent"]["max"].get<double>() == Approx(tau + 8e3 / 1e9));
  }
}

TEST_CASE("a selfish pool's share of the main chain matches Eyal and Sirer's revenue formula", "[nakamoto][statistics]")
{
  // The pool is miner 0 with hash share alpha; nine honest miners share the rest. Propagation is
  // 1e-5 of the block interval, so ties come from the strategy, not from the network.
  struct Case {
    double alpha, gamma;
  };
  for (Case c : {Case{0.4, 0.0}, Case{0.3, 0.5}, Case{0.2, 0.0}}) {
    std::string weights = attacker_and_honest(c.alpha, 9);
    double pool_blocks = 0, main_blocks = 0;
    for (int seed = 1; seed <= 4; ++seed) {
      auto run = simulate(pow_lab(seed, 1, 100, 5000 * 100, weights,
                                  fmt::format("adversaries:\n  - selfish_mining: {{ validators: [0], gamma: {} }}\n",
                                              c.gamma)));
      const auto& selfish = run.chain()["selfish_mining"];
      pool_blocks += selfish["pool_blocks_in_main_chain"].get<double>();
      main_blocks += run.chain()["main_chain_blocks"].get<double>();
      CHECK(selfish["hash_share"].get<double>() == Approx(c.alpha));
    }
    double expected = shsim::models::nakamoto::selfish_revenue(c.alpha, c.gamma);
    INFO("alpha " << c.alpha << ", gamma " << c.gamma << ": revenue " << pool_blocks / main_blocks << " over "
                  << main_blocks << " main-chain blocks, Eyal-Sirer " << expected);
    CHECK(pool_blocks / main_blocks == Approx(expected).margin(0.02));
  }
}

TEST_CASE("double spends succeed as often as Rosenfeld's closed form predicts", "[nakamoto][statistics]")
{
  struct Case {
    double q;
    int z;
  };
  for (Case c : {Case{0.1, 1}, Case{0.2, 2}, Case{0.3, 4}}) {
    std::string weights = attacker_and_honest(c.q, 5);
    double successes = 0, attempts = 0;
    for (int seed = 1; seed <= 3; ++seed) {
      auto run = simulate(pow_lab(seed, 1, 100, 10000 * 100, weights,
                                  fmt::format("adversaries:\n  - double_spend: {{ validators: [0], confirmations: {} }}\n",
                                              c.z)));
      const auto& attack = run.chain()["double_spend"];
      successes += attack["successes"].get<double>();
      attempts += attack["attempts"].get<double>();
    }
    double expected = shsim::models::nakamoto::double_spend_success(c.q, c.z);
    double sigma    = std::sqrt(expected * (1 - expected) / attempts);
    INFO("q " << c.q << ", z " << c.z << ": " << successes << " of " << attempts << " attempts succeeded; Rosenfeld "
              << expected << " +- " << sigma);
    CHECK(attempts > 500);
    CHECK(std::abs(successes / attempts - expected) < 4 * sigma);
  }
}

TEST_CASE("a double spend that reorganizes final blocks is reported by the safety detector", "[nakamoto]")
{
  // With confirmations 1 on the ledger and a 45 % attacker waiting 2 blocks, successful attacks
  // replace blocks the ledger already called final.
  std::string weights = "0.45, 0.11, 0.11, 0.11, 0.11, 0.11";
  std::string text    = pow_lab(3, 1, 100, 2000 * 100, weights,
                                "adversaries:\n  - double_spend: { validators: [0], confirmations: 2 }\n");
  auto run = simulate(text, {"parent.protocol.nakamoto.confirmations=1"});
  CHECK(run.chain()["double_spend"]["successes"].get<double>() > 0);
  CHECK(run.chain()["safety_violations"].get<double>() > 0);
}
