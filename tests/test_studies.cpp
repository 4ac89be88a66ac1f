// The shipped studies (scenarios/studies/) run, in short variants, and say what their paragraphs
// say; study 2's settlement share agrees with its closed form.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support.hpp"

namespace fs = std::filesystem;
using shsim::testing::fresh_directory;
using shsim::testing::read_csv;
using shsim::testing::read_file;
using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;

namespace {

using Row = std::map<std::string, std::string>;

/// points.csv's row for `metric` at the point whose axis columns have these values.
const Row& at(const std::vector<Row>& points, const std::string& metric, const std::map<std::string, double>& where)
{
  for (const auto& row : points) {
    if (row.at("metric") != metric)
      continue;
    bool match = true;
    for (const auto& [column, value] : where)
      match = match && std::abs(std::stod(row.at(column)) - value) < 1e-9;
    if (match)
      return row;
  }
  FAIL("no row for " << metric);
  static Row none;
  return none;
}

double mean(const Row& row) { return std::stod(row.at("mean")); }

}  // namespace

TEST_CASE("every file of scenarios/studies is a study or the scenario of one, and each study's file loads",
          "[studies]")
{
  std::set<std::string> studies;
  for (const auto& entry : fs::directory_iterator(source_path("scenarios/studies")))
    if (entry.path().extension() == ".yaml") {
      std::string text = read_file(entry.path().string());
      bool study       = text.find("\nscenario: ") != std::string::npos;
      std::string log  = write_temporary("", ".log");
      // A base scenario is checked like any scenario; a study by `sweep --slurm` into a scratch
      // folder (it loads and checks every point, runs nothing).
      std::string out = fresh_directory();
      int code = run_shsim(study ? "sweep " + entry.path().string() + " --slurm 1 --out " + out
                                 : "check " + entry.path().string(),
                           log);
      INFO(entry.path().filename().string() << ": " << read_file(log));
      CHECK(code == 0);
      if (study)
        studies.insert(entry.path().stem().string());
      fs::remove_all(out);
      fs::remove(log);
    }
  CHECK(studies ==
        std::set<std::string>{"tendermint-timeouts", "op-window-censorship", "gasper-offline", "derivatives-frontier"});
}

TEST_CASE("study 1, short: small timeout_propose and high latency need extra rounds, large ones do not",
          "[studies]")
{
  // CometBFT prevotes nil when the proposal misses timeout_propose (consensus spec, "Upon timeout
  // propose"); the round fails and the height takes another.
  std::string out = fresh_directory();
  REQUIRE(run_shsim("sweep " + source_path("scenarios/studies/tendermint-timeouts.yaml") +
                    " --reps 1 --set duration=3m --quiet --out " + out) == 0);
  auto points = read_csv(out + "/points.csv");
  REQUIRE(points.size() == 20 * 7);
  const std::string scale = "network.latency_scale", timeout = "parent.protocol.tendermint.timeout_propose_s";
  double slow_short = mean(at(points, "parent.rounds_per_height.mean", {{scale, 8}, {timeout, 0.25}}));
  double fast_long  = mean(at(points, "parent.rounds_per_height.mean", {{scale, 0.5}, {timeout, 3}}));
  CHECK(fast_long == 1);
  CHECK(slow_short > 1.5);
  // Block intervals follow: the slow network with the short timeout commits less often.
  CHECK(mean(at(points, "parent.block_interval.p50", {{scale, 8}, {timeout, 0.25}})) >
        mean(at(points, "parent.block_interval.p50", {{scale, 0.5}, {timeout, 3}})));
  REQUIRE(run_shsim("plot " + source_path("scenarios/studies/tendermint-timeouts.yaml") + " --out " + out) == 0);
  CHECK(fs::file_size(out + "/figures/01-parent.rounds_per_height.mean-vs-network.latency_scale.png") > 10000);
  CHECK(fs::exists(out + "/figures/01-parent.rounds_per_height.mean-vs-network.latency_scale.csv"));
  fs::remove_all(out);
}

TEST_CASE("study 2: wrong roots settle with probability (1-a)^k + (1-(1-a)^k) b^N", "[studies]")
{
  // a: the share of parent blocks that carry a challenge (1 - parent_censor.share, drawn per block);
  // k: parent blocks from the challengers' reaction to the window's close, floor(window / block
  // interval) with 20 s blocks and a 12 s reaction; b: the chance that a challenger is away for a
  // root (1 - availability), N = 2 challengers. Four points of the shipped study's scenario, eight
  // runs each (about 36 wrong roots a run): the formula must lie in each point's 95 % interval.
  std::string study = write_temporary("scenario: " + source_path("scenarios/studies/op-censored-roots.yaml") +
                                      "\nseed: 5\nreplications: 8\n"
                                      "metrics: [op.roots.invalid_settled_share, op.roots.invalid, "
                                      "parent.block_interval.p50]\n"
                                      "axes:\n"
                                      "  - { path: children.op.challenge_window, values: [1m, 3m] }\n"
                                      "  - { path: \"adversaries[1].parent_censor.share\", values: [0.8, 0.95] }\n");
  std::string out = fresh_directory();
  REQUIRE(run_shsim("sweep " + study + " --quiet --out " + out) == 0);
  auto points = read_csv(out + "/points.csv");
  const double b = 0.5;
  const int N    = 2;
  int checked    = 0;
  for (double window : {60.0, 180.0})
    for (double s : {0.8, 0.95}) {
      std::map<std::string, double> where{{"children.op.challenge_window_s", window},
                                          {"adversaries[1].parent_censor.share", s}};
      double interval = mean(at(points, "parent.block_interval.p50", where));
      REQUIRE(interval > 20);
      REQUIRE(interval < 21);
      int k           = static_cast<int>(std::floor(window / interval));
      double missed   = std::pow(s, k);
      double expected = missed + (1 - missed) * std::pow(b, N);
      const Row& share = at(points, "op.roots.invalid_settled_share", where);
      INFO("window " << window << " s, censorship " << s << ", k " << k << ": expected " << expected << ", measured "
                     << share.at("mean") << " [" << share.at("ci95_low") << ", " << share.at("ci95_high") << "]");
      CHECK(mean(at(points, "op.roots.invalid", where)) >= 30);
      CHECK(std::stod(share.at("ci95_low")) <= expected);
      CHECK(expected <= std::stod(share.at("ci95_high")));
      ++checked;
    }
  CHECK(checked == 4);
  fs::remove(study);
  fs::remove_all(out);
}

TEST_CASE("study 3, short: finality stops only from a third of the stake offline, and the leak takes stake",
          "[studies]")
{
  // Casper FFG needs 2/3 of the active balance attesting (consensus-specs, phase0
  // process_justification_and_finalization); the inactivity leak starts after
  // MIN_EPOCHS_TO_INACTIVITY_PENALTY = 4 epochs without finality (Altair).
  std::string out = fresh_directory();
  REQUIRE(run_shsim("sweep " + source_path("scenarios/studies/gasper-offline.yaml") +
                    " --reps 1 --set duration=3h --quiet --out " + out) == 0);
  auto points = read_csv(out + "/points.csv");
  const std::string share = "adversaries[0].crash.stake", until = "adversaries[0].crash.until_s";
  for (double u : {5400.0, 16200.0, 45000.0}) {
    CHECK(mean(at(points, "parent.inactivity_leak_epochs", {{share, 0.2}, {until, u}})) == 0);
    CHECK(mean(at(points, "parent.inactivity_leak_epochs", {{share, 0.4}, {until, u}})) > 0);
    CHECK(mean(at(points, "parent.stake_lost", {{share, 0.4}, {until, u}})) >
          mean(at(points, "parent.stake_lost", {{share, 0.2}, {until, u}})));
  }
  // Longer outages, longer without finality.
  CHECK(mean(at(points, "parent.liveness.longest_gap", {{share, 0.5}, {until, 16200}})) >
        mean(at(points, "parent.liveness.longest_gap", {{share, 0.5}, {until, 5400}})));
  fs::remove_all(out);
}

TEST_CASE("study 4, short: a later stage is staler and costs more to arbitrage, only soft trades on reverted data",
          "[studies]")
{
  // The venue takes a report at soft (the sequencer's gossiped block), safe (its batch on the
  // parent), parent_final (two Gasper epochs later) or settled (its root past a 30-minute window):
  // the age of its price grows stage by stage; the sequencer's unsafe_reorg reverts reports only
  // from soft blocks (OP Stack derivation: the safe head is what the posted batches hold).
  std::string out = fresh_directory();
  REQUIRE(run_shsim("sweep " + source_path("scenarios/studies/derivatives-frontier.yaml") +
                    " --reps 2 --set duration=4h --quiet --out " + out) == 0);
  auto points = read_csv(out + "/points.csv");
  REQUIRE(points.size() == 24 * 10);
  // consume_at is an axis of words: pick its rows, then the numeric axes as the other studies do.
  std::map<std::string, std::vector<Row>> by_stage;
  for (const auto& row : points)
    by_stage[row.at("applications.perp.consume_at")].push_back(row);
  auto mean_at = [&](const std::string& metric, const std::string& stage, double volatility, double heartbeat) {
    return mean(at(by_stage[stage], metric,
                   {{"applications.eth-usd.volatility", volatility}, {"applications.eth-oracle.heartbeat_s", heartbeat}}));
  };
  for (double volatility : {0.5, 1.0, 2.0})
    for (double heartbeat : {600.0, 3600.0}) {
      INFO("volatility " << volatility << ", heartbeat " << heartbeat);
      CHECK(mean_at("perp.staleness.p50", "safe", volatility, heartbeat) <
            mean_at("perp.staleness.p50", "parent_final", volatility, heartbeat));
      CHECK(mean_at("perp.staleness.p50", "parent_final", volatility, heartbeat) <
            mean_at("perp.staleness.p50", "settled", volatility, heartbeat));
      CHECK(mean_at("perp.reverted_data.notional", "soft", volatility, heartbeat) > 0);
      for (const char* stage : {"safe", "parent_final", "settled"})
        CHECK(mean_at("perp.reverted_data.notional", stage, volatility, heartbeat) == 0);
    }
  // The staler the price, the more a trader who sees the reference takes from the pool.
  CHECK(mean_at("perp.arbitrage.extracted", "settled", 2, 3600) > 2 * mean_at("perp.arbitrage.extracted", "soft", 2, 3600));
  REQUIRE(run_shsim("plot " + source_path("scenarios/studies/derivatives-frontier.yaml") + " --out " + out) == 0);
  CHECK(fs::file_size(out + "/figures/02-frontier-perp.reverted_data.notional-perp.bad_debt.total.png") > 10000);
  fs::remove_all(out);
}
