// Child chains against closed-form results. Sources: OP Stack specs (derivation.md: sequencing
// window and max sequencer drift; fault-dispute-game.md: challenge and clocks), zkSync Era's
// transaction lifecycle (commit, prove, execute), MODELS.md.
//
// The lab network of test_tendermint.cpp: one region, every message takes d = 50 ms, no jitter,
// so a parent block commits 3d after its proposal and blocks come every T = 3d + timeout_commit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "models/registry.hpp"
#include "tests/support.hpp"

using shsim::testing::lab_matrix;
using shsim::testing::simulate;

namespace {

constexpr double d = 0.050;

/// A 4-validator Tendermint parent in the lab, plus `rest` (children, workload, adversaries).
std::string lab(const std::string& duration, const std::string& rest, int validators = 4)
{
  return "name: lab\nseed: 1\nduration: " + duration + "\nnetwork:\n  latency_matrix: " + lab_matrix() +
         "\n  access: { latency: 5ms, upload: 1Gbps, download: 1Gbps }\n  jitter: none\n"
         "parent:\n  validators: { count: " + std::to_string(validators) + ", placement: { lab: 100% } }\n" + rest;
}

/// The timelines of one kind ("transaction", "withdrawal"): each stage's simulated time by name,
/// with "submitted"; -1 where the stage was not reached.
std::vector<std::map<std::string, double>> timelines(const shsim::testing::Run& run, const std::string& kind,
                                                     const std::string& chain = "")
{
  std::vector<std::map<std::string, double>> out;
  for (const auto& row : run.timelines) {
    if (row.kind != kind || (!chain.empty() && row.chain != chain))
      continue;
    std::map<std::string, double> stages{{"submitted", row.submitted}};
    const auto& names = run.timeline_stages.at(row.chain);
    for (size_t s = 0; s < names.size(); ++s)
      stages[names[s]] = row.stages.at(s) ? *row.stages[s] : -1;
    out.push_back(std::move(stages));
  }
  return out;
}

}  // namespace

TEST_CASE("optimistic withdrawal latency = challenge window + wait for the next proposal + parent inclusion",
          "[rollup][optimistic]")
{
  // MODELS.md / OP specs: a withdrawal is claimable when an output root covering its block settles,
  // one challenge window W after the root's parent block. The proposer posts every P = 60 s the
  // finalized head, so claimable - submitted = W + (next proposal after the block is final - submitted)
  // + the root's inclusion (uncontended: the next parent block, at most T + 4d).
  const double W = 120, P = 60, T = 3 * d + 1.0;
  auto run = simulate(lab("15m", R"(
children:
  - optimistic_rollup:
      name: op
      batch_interval: 10s
      proposal_interval: 60s
      challenge_window: 2m
      challengers: { count: 1, reaction: 100ms }
workload:
  - { chain: op, kind: withdrawal, rate: 3/min, arrivals: fixed, size: 200B, until: 8m }
)"));
  auto withdrawals = timelines(run, "withdrawal");
  REQUIRE(withdrawals.size() == 24);
  size_t settled = 0;
  for (auto& w : withdrawals) {
    if (w["settled"] < 0)
      continue;
    ++settled;
    double next_proposal_after_final = std::ceil(w["parent_final"] / P - 1e-9) * P;
    double next_proposal             = std::ceil(w["submitted"] / P - 1e-9) * P;
    CHECK(w["settled"] - w["root_posted"] == Approx(W).margin(1e-6));
    // The lower bound of the issue: window + time to the next proposal + parent finality (3d).
    CHECK(w["settled"] - w["submitted"] >= W + (next_proposal - w["submitted"]) + 3 * d);
    // Uncontended, it is reached with the proposal that follows the block's parent finality.
    double inclusion = w["root_posted"] - next_proposal_after_final;
    CHECK(inclusion >= 3 * d);
    CHECK(inclusion <= T + 4 * d);
  }
  CHECK(settled >= 20);
  CHECK(run.chain("op")["safety_violations"] == 0);
}

TEST_CASE("forced inclusion bounds censorship by the max sequencer drift, and by the sequencing window when the "
          "sequencer is down",
          "[rollup][forced]")
{
  // OP derivation.md: a live sequencer must include a deposited (forced) transaction once its L1
  // origin reaches the deposit's block, which it can hold back by at most max_sequencer_drift; with
  // no sequencer, derivation includes it after sequencing_window parent blocks.
  const double patience = 60, drift = 120, T = 3 * d + 1.0, block_time = 2;
  // As in OP (12 h window, 30 min drift), the window outlasts the drift when the sequencer is live.
  auto chain = [](int window) {
    return R"(
children:
  - optimistic_rollup:
      name: op
      batch_interval: 10s
      forced_inclusion: { patience: 60s, max_drift: 2m, sequencing_window: )" +
           std::to_string(window) + R"( }
workload:
  - { chain: op, rate: 6/min, arrivals: fixed, size: 200B, until: 5m }
)";
  };
  SECTION("a censoring sequencer holds a forced transaction for the drift, no longer")
  {
    auto run = simulate(lab("12m", chain(300) + "adversaries:\n  - sequencer_censor: { chain: op, share: 100% }\n"));
    const auto& forced = run.chain("op")["forced_inclusion"];
    CHECK(forced["censored"] == 30);
    CHECK(forced["forced"] == 30);
    REQUIRE(forced["delay"]["count"] == 30);
    // patience, then the forced transaction reaches a validator (d) and the next block (<= T + 3d),
    // then the drift, then the sequencer's next block (<= block_time).
    CHECK(forced["delay"]["p50"].get<double>() >= patience + drift);
    CHECK(forced["delay"]["max"].get<double>() <= patience + 4 * d + T + drift + block_time + 1e-6);
  }
  SECTION("with the sequencer down, derivation includes it after the sequencing window")
  {
    auto run = simulate(lab("12m", chain(50) + "adversaries:\n  - sequencer_down: { chain: op }\n"));
    const auto& op = run.chain("op");
    CHECK(op["blocks_produced"].get<int>() >= 1);  // derived blocks only
    auto txs = timelines(run, "transaction");
    REQUIRE(txs.size() == 30);
    for (auto& tx : txs) {
      double delay = tx["soft_confirmed"] - tx["submitted"];
      // patience, inclusion of the forced transaction (<= T + 4d), then 50 parent blocks.
      CHECK(delay >= patience + 50 * T - 1e-6);
      CHECK(delay <= patience + 4 * d + T + 50 * T + 0.01);
      CHECK(tx["included"] == tx["soft_confirmed"]);  // derived from the parent: safe at once
    }
  }
}

TEST_CASE("the share of invalid roots that settle matches (1-a)^k + (1-(1-a)^k) b^N", "[rollup][statistics]")
{
  // Closed form (derived for this model): every root is invalid. Each of k honest challengers is
  // available for a root with probability a, independently. An available challenger posts its first
  // move before the next parent block is proposed (reaction 100 ms < timeout_commit - d). Each parent
  // block's proposer censors challenge moves with probability b, independently (parent_censor with
  // share b). The window W = (N + 1/2) T admits exactly N parent blocks after the root's. The root
  // settles iff no challenger is available, or all N blocks censor:
  //   P(settle) = (1-a)^k + (1 - (1-a)^k) b^N.
  // The per-side clock (10 min) is long enough that later moves are never censored out (b^500 ~ 0).
  const double a = 0.5, b = 0.5;
  const int k = 2, N = 4;
  const double T = 3 * d + 1.0;
  const double W = (N + 0.5) * T;
  auto run = simulate(lab("24h", R"(
children:
  - optimistic_rollup:
      name: op
      block_time: 10s
      batch_interval: 10s
      proposal_interval: 60s
      challenge_window: )" + std::to_string(W) + R"(s
      dispute: { depth: 2, clock: 10m }
      challengers: { count: 2, availability: 50%, reaction: 100ms }
adversaries:
  - invalid_root: { chain: op }
  - parent_censor: { targets: [challenge, step_proof], share: 50% }
)"));
  const auto& parent = run.chain("parent");
  // The closed form needs a fixed block interval: check it.
  REQUIRE(parent["block_interval"]["max"].get<double>() - parent["block_interval"]["p50"].get<double>() < 1e-3);
  REQUIRE(parent["block_interval"]["p50"].get<double>() == Approx(T).margin(1e-3));
  const auto& roots = run.chain("op")["roots"];
  double n          = roots["invalid"].get<double>();
  REQUIRE(n > 1000);
  double expected = std::pow(1 - a, k) + (1 - std::pow(1 - a, k)) * std::pow(b, N);
  double observed = roots["settled_invalid"].get<double>() / n;
  double sigma    = std::sqrt(expected * (1 - expected) / n);
  INFO("expected " << expected << ", observed " << observed << " over " << n << " roots");
  CHECK(std::abs(observed - expected) < 4 * sigma);
  // Every other root was defeated by the one-step proof.
  CHECK(roots["defeated"].get<double>() + roots["settled_invalid"].get<double>() >= n - 2);
  // The reasons split as the two terms.
  size_t unavailable = 0, censored = 0;
  for (const auto& v : run.chain("op")["safety"]) {
    std::string reason = v["reason"];
    unavailable += reason.find("no challenger was available") != std::string::npos ? 1 : 0;
    censored += reason.find("censorship") != std::string::npos ? 1 : 0;
  }
  double p_unavailable = std::pow(1 - a, k);
  CHECK(std::abs(unavailable / n - p_unavailable) < 4 * std::sqrt(p_unavailable * (1 - p_unavailable) / n));
  double p_censored = (1 - p_unavailable) * std::pow(b, N);
  CHECK(std::abs(censored / n - p_censored) < 4 * std::sqrt(p_censored * (1 - p_censored) / n));
}

TEST_CASE("ZK settlement = proving time + proof's parent inclusion + parent finality", "[rollup][zk]")
{
  // zkSync lifecycle: a batch is committed, proven off-chain, the proof verified on the parent, and
  // the batch is final when that parent block is. With a fixed proving time p and idle provers,
  // settled - committed = d (job to prover) + p + d (proof back) + d (to a validator) + the wait for
  // the next parent block and its commit (3d .. T + 3d).
  const double T = 3 * d + 1.0;
  SECTION("fixed proving time")
  {
    const double p = 600;
    auto run = simulate(lab("40m", R"(
children:
  - zk_rollup:
      name: zk
      batch_interval: 60s
      provers: { count: 16, time: { fixed: { value: 10m } } }
workload:
  - { chain: zk, rate: 12/min, arrivals: fixed, size: 200B, until: 20m }
)"));
    auto txs = timelines(run, "transaction");
    size_t settled = 0;
    for (auto& tx : txs) {
      if (tx["settled"] < 0)
        continue;
      ++settled;
      double after_commit = tx["settled"] - tx["included"];
      CHECK(after_commit >= p + 6 * d - 1e-6);
      CHECK(after_commit <= p + 6 * d + T + 0.01);
      CHECK(tx["parent_final"] == tx["included"]);  // Tendermint: included = final
    }
    CHECK(settled >= 200);
    CHECK(run.chain("zk")["proofs"]["queue_wait"]["max"] == 0);
  }
  SECTION("lognormal proving time: the mean proving time is the distribution's, median e^(sigma^2/2)")
  {
    auto run = simulate(lab("12h", R"(
children:
  - zk_rollup:
      name: zk
      block_time: 10s
      batch_interval: 60s
      provers: { count: 64, time: { lognormal: { median: 20m, sigma: 0.5 } } }
)"));
    const auto& proofs = run.chain("zk")["proofs"];
    double n           = proofs["proving_time"]["count"];
    REQUIRE(n > 600);
    double mean = 1200 * std::exp(0.125), sd = mean * std::sqrt(std::exp(0.25) - 1);
    CHECK(std::abs(proofs["proving_time"]["mean"].get<double>() - mean) < 4 * sd / std::sqrt(n));
    CHECK(proofs["queue_wait"]["max"] == 0);
  }
}

TEST_CASE("a parent halt stalls the safe and finalized heads while the sequencer keeps soft-confirming",
          "[rollup][halt]")
{
  // 2 of 5 validators (40% > 1/3) offline from 5 to 10 minutes: no parent block commits, so no batch
  // is included; child blocks keep coming every block_time; after the halt the heads catch up.
  auto run = simulate(lab("15m", R"(
children:
  - optimistic_rollup: { name: op, batch_interval: 10s }
workload:
  - { chain: op, rate: 2/s, size: 200B }
adversaries:
  - crash: { validators: [0, 1], from: 5m, until: 10m }
)", 5));
  const auto& op = run.chain("op");
  CHECK(op["blocks_produced"] == 450);                          // every 2 s for 15 min, halt or not
  CHECK(op["safe_head_lag"]["max"].get<double>() >= 300);       // the safe head stood still 5 minutes
  CHECK(op["finalized_head_lag"]["max"].get<double>() >= 300);
  // Once the parent resumes the heads catch up: at the end they trail by at most a batch interval
  // plus the batch's inclusion.
  int behind = op["heads"]["unsafe"].get<int>() - op["heads"]["safe"].get<int>();
  CHECK(behind <= (10 + 2 * (3 * d + 1.0)) / 2 + 1);
  CHECK(op["heads"]["finalized"] == op["heads"]["safe"]);
  // Soft confirmation never waited for the parent, and the unsafe head kept reaching the
  // challengers by gossip (all but a block in flight at the end).
  CHECK(op["stages"]["soft_confirmed"]["max"].get<double>() <= 2.0 + 1e-6);
  CHECK(op["challengers_unsafe_head"]["p50"].get<int>() >= 449);
}

TEST_CASE("the bridge detector flags double and premature deliveries that an unchecked bridge lets through",
          "[bridge]")
{
  // ICS-004: a packet is delivered at most once and only with a proof of the source's committed
  // (final) state. With the destination's checks on, faulty relayers are refused; with them off,
  // the detector reports each violation.
  const std::string base = R"(
children:
  - optimistic_rollup: { name: op, batch_interval: 10s, proposal_interval: 60s, challenge_window: 2m }
workload:
  - { chain: op, kind: deposit, rate: 6/min, arrivals: fixed, size: 300B }
  - { chain: op, kind: withdrawal, rate: 3/min, arrivals: fixed, size: 200B, until: 5m }
)";
  auto bridge = [&](const std::string& checks, const std::string& mode) {
    auto run = simulate(lab("12m", base + "bridges:\n  - { child: op, relayers: 1, poll_interval: 5s, " + checks +
                                       " }\nadversaries:\n  - relayer_fault: { bridge: op-bridge, mode: " + mode + " }\n"));
    return run.summary["bridges"]["op-bridge"];
  };
  SECTION("replayed messages")
  {
    auto checked = bridge("replay_protection: true", "replay");
    CHECK(checked["double_deliveries"] == 0);
    CHECK(checked["rejected_duplicates"].get<int>() > 0);
    auto unchecked = bridge("replay_protection: false", "replay");
    CHECK(unchecked["double_deliveries"].get<int>() > 0);
    CHECK(unchecked["safety_violations"].get<int>() > 0);
  }
  SECTION("withdrawals relayed before their state root settled")
  {
    auto checked = bridge("require_finality: true", "premature");
    CHECK(checked["unfinalized_deliveries"] == 0);
    CHECK(checked["rejected_unfinalized"].get<int>() > 0);
    auto unchecked = bridge("require_finality: false", "premature");
    CHECK(unchecked["unfinalized_deliveries"].get<int>() > 0);
  }
  SECTION("a relayer_fault without a mode takes the relayers down: nothing is delivered")
  {
    // The key's default is a mode the key accepts (down), and the fault does something.
    auto down = bridge("replay_protection: true", "down, from: 0s, until: 1h");
    auto run  = simulate(lab("12m", base + "bridges:\n  - { child: op, relayers: 1, poll_interval: 5s }\n"
                                         "adversaries:\n  - relayer_fault: { bridge: op-bridge }\n"));
    const auto& defaulted = run.summary["bridges"]["op-bridge"];
    CHECK(down["deposits"]["credited"]["count"] == 0);
    CHECK(defaulted["deposits"]["credited"]["count"] == 0);
    CHECK(defaulted["deposits"]["initiated"].get<int>() >= 60);
    // A distribution with no samples has no percentiles: null, not 0 (an average over runs would
    // silently count a 0).
    CHECK(defaulted["deposits"]["credited"]["p50"].is_null());
    CHECK(defaulted["deposits"]["credited"]["max"].is_null());
  }
  SECTION("honest relayers deliver everything once, after finality")
  {
    auto honest = bridge("replay_protection: true", "slow, delay: 1s, from: 1h");  // fault never active
    CHECK(honest["double_deliveries"] == 0);
    CHECK(honest["unfinalized_deliveries"] == 0);
    CHECK(honest["deposits"]["credited"]["count"].get<int>() >= 60);
    CHECK(honest["withdrawals"]["claimed"].get<int>() >= 10);
  }
}


TEST_CASE("timelines.csv has one row per child transaction and numeric stage columns that pandas reads",
          "[rollup][outputs]")
{
  // Issue 10: per-transaction timelines go to their own table (one row per transaction, one column
  // per stage in seconds since submission, empty where not reached); a test reads it back. The
  // rows must agree with the summary's stage distributions, which come from the same transactions.
  using shsim::testing::fresh_directory;
  using shsim::testing::read_file;
  std::string out = fresh_directory();
  REQUIRE(shsim::testing::run_shsim("run " + shsim::testing::source_path("scenarios/rollups.yaml") +
                                    " --set duration=15m --set 'expect=[]' --quiet --out " + out) == 0);
  std::string report = shsim::testing::write_temporary("", ".json");
  std::string script = shsim::testing::write_temporary(R"(
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
stage_columns = [c for c in df.columns if c.endswith("_s")]
out = {"numeric": all(pd.api.types.is_float_dtype(df[c]) for c in stage_columns),
       "columns": list(df.columns), "groups": {}}
for (chain, kind), group in df.groupby(["chain", "kind"]):
    out["groups"][chain + "/" + kind] = {
        "rows": int(len(group)),
        "reached": {c: int(group[c].notna().sum()) for c in stage_columns},
        "max": {c: (None if group[c].isna().all() else float(group[c].max())) for c in stage_columns}}
json.dump(out, open(sys.argv[2], "w"))
)", ".py");
  // Debian's python3 (where python3-pandas is installed), not whatever python3 comes first on PATH.
  REQUIRE(std::system(("/usr/bin/python3 " + script + " " + out + "/timelines.csv " + report).c_str()) == 0);
  nlohmann::json table   = nlohmann::json::parse(read_file(report));
  nlohmann::json summary = nlohmann::json::parse(read_file(out + "/summary.json"));
  CHECK(table["numeric"] == true);
  CHECK(table["columns"][3] == "submitted_s");
  for (const std::string chain : {"op", "zk"}) {
    INFO(chain);
    const auto& s  = summary["chains"][chain];
    const auto& tx = table["groups"][chain + "/transaction"];
    CHECK(tx["rows"] == s["transactions_submitted"]);
    // Stage columns against the summary's distributions of the same stages.
    for (auto [column, stage] : std::vector<std::pair<std::string, std::string>>{
             {"soft_confirmed_s", "soft_confirmed"}, {"included_s", "included"}, {"parent_final_s", "parent_final"},
             {"root_posted_s", "root_posted"}, {"settled_s", "settled"}}) {
      INFO(stage);
      CHECK(tx["reached"][column] == s["stages"][stage]["count"]);
      if (!s["stages"][stage]["max"].is_null())
        CHECK(tx["max"][column].get<double>() == Approx(s["stages"][stage]["max"].get<double>()).margin(1e-6));
    }
    CHECK(tx["reached"]["claimed_s"] == 0);  // only withdrawals are claimed
  }
  const auto& w = table["groups"]["op/withdrawal"];
  CHECK(w["rows"] == summary["chains"]["op"]["withdrawals"]["initiated"]);
  CHECK(w["reached"]["claimed_s"] == summary["chains"]["op"]["withdrawals"]["claimed"]["count"]);
  // The event log no longer carries timelines.
  CHECK(read_file(out + "/events.csv").find("_timeline") == std::string::npos);
  std::filesystem::remove_all(out);
}

TEST_CASE("two optimistic rollups in one run keep their own challenge windows and report separately",
          "[rollup][optimistic][chains]")
{
  // Issue 10: two chains of the same protocol in one run are independent. Identical but for the
  // challenge window W: every settled root of each settles exactly its own W after it was posted
  // (MODELS.md / OP specs: finalization period), and each chain counts only its own transactions.
  auto run = simulate(lab("45m", R"(
children:
  - optimistic_rollup: { name: fast, batch_interval: 10s, proposal_interval: 60s, challenge_window: 5m }
  - optimistic_rollup: { name: slow, batch_interval: 10s, proposal_interval: 60s, challenge_window: 15m }
workload:
  - { chain: fast, rate: 2/s, size: 200B }
  - { chain: slow, rate: 1/s, size: 200B }
)"));
  for (auto [chain, window, rate] : std::vector<std::tuple<std::string, double, double>>{
           {"fast", 300.0, 2.0}, {"slow", 900.0, 1.0}}) {
    INFO(chain);
    auto txs       = timelines(run, "transaction", chain);
    size_t settled = 0;
    for (auto& tx : txs) {
      if (tx["settled"] < 0)
        continue;
      ++settled;
      CHECK(tx["settled"] - tx["root_posted"] == Approx(window).margin(1e-6));
    }
    CHECK(settled > 100);
    // Its own workload only: Poisson arrivals at its rate for 45 min, within 5 standard deviations.
    double expected = rate * 2700;
    CHECK(std::abs(static_cast<double>(txs.size()) - expected) < 5 * std::sqrt(expected));
    CHECK(run.chain(chain)["transactions_submitted"] == txs.size());
  }
  CHECK(run.chain("fast")["heads"]["settled"] > run.chain("slow")["heads"]["settled"]);
}
