// Sweeps (sim/sweep.hpp): a study file read and checked before any run, seeds that make each run
// repeatable alone, results that survive SIGKILL and are never counted twice, the aggregate's
// intervals against published values, shards merged into the table a local sweep makes, and
// boundaries found by bisection against a protocol's closed form.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/registry.hpp"
#include "sim/aggregate.hpp"
#include "sim/rng.hpp"
#include "sim/study.hpp"
#include "sim/sweep_store.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using shsim::testing::fresh_directory;
using shsim::testing::read_csv;
using shsim::testing::read_file;
using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;

namespace {

/// A small Tendermint study: 3 timeouts x 4 replications of a 7-validator, 1-minute chain.
std::string small_study(int replications = 4, const std::string& more_set = "")
{
  return "scenario: " + source_path("scenarios/quickstart.yaml") +
         "\n"
         "seed: 7\n"
         "replications: " + std::to_string(replications) + "\n"
         "set: [duration=1m, parent.validators.count=7, 'workload=[]'" + more_set + "]\n"
         "axes:\n"
         "  - { path: parent.protocol.tendermint.timeout_commit, values: [1s, 2s, 4s] }\n"
         "metrics: [parent.blocks_committed, parent.block_interval.p50, parent.liveness.stalls]\n";
}

}  // namespace

TEST_CASE("interval arithmetic matches published values: a Student t table, and Wilson intervals from Newcombe 1998", "[sweep]")
{
  // Student's t: t(0.975, 4) = 2.776 (any t table); samples 1..5 have mean 3 and s = sqrt(2.5).
  auto t = shsim::student_t_interval(3, std::sqrt(2.5), 5, 0.95);
  REQUIRE(t);
  CHECK(t->low == Approx(3 - 2.776445 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-6));
  CHECK(t->high == Approx(3 + 2.776445 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-6));
  CHECK_FALSE(shsim::student_t_interval(3, 0, 1, 0.95));
  // Wilson's score interval: Newcombe, "Two-sided confidence intervals for the single proportion"
  // (Statistics in Medicine 17, 1998), Table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to
  // 0.1605; 0/20 -> 0 to 0.1611; 1/29 -> 0.0061 to 0.1718.
  struct Case {
    double k;
    size_t n;
    double low, high;
  };
  for (const Case& c : {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605}, Case{0, 20, 0, 0.1611},
                        Case{1, 29, 0.0061, 0.1718}}) {
    auto w = shsim::wilson_interval(c.k, c.n, 0.95);
    REQUIRE(w);
    CHECK(w->low == Approx(c.low).margin(0.00006));
    CHECK(w->high == Approx(c.high).margin(0.00006));
  }
  // The aggregate picks Wilson for a fraction whose runs report 0 or 1, t otherwise.
  std::vector<double> hits(263, 0.0);
  std::fill(hits.begin(), hits.begin() + 81, 1.0);
  auto a = shsim::aggregate(hits, true);
  REQUIRE(a);
  CHECK(a->method == "wilson");
  CHECK(a->ci95->low == Approx(0.2553).margin(0.00006));
  auto b = shsim::aggregate({5, 1, 4, 2, 3}, false);
  CHECK(b->method == "t");
  CHECK(b->mean == 3);
  CHECK(b->sd == Approx(std::sqrt(2.5)));
  CHECK(b->ci95->high == Approx(t->high));
  // Nearest-rank quantiles, as every shsim distribution: of 1..5, p25 is 2 and p95 is 5.
  CHECK(b->p25 == 2);
  CHECK(b->p50 == 3);
  CHECK(b->p95 == 5);
  CHECK_FALSE(shsim::aggregate({}, false));
}

TEST_CASE("a study's points, seeds and units: grid and zip, ranges in SI units, one seed per run", "[sweep]")
{
  shsim::models::register_all();
  std::string file = write_temporary(
      "scenario: " + source_path("scenarios/quickstart.yaml") +
      "\n"
      "replications: 3\n"
      "axes:\n"
      "  - { path: parent.protocol.tendermint.timeout_commit, range: { from: 1s, to: 1m, count: 3, spacing: geometric } }\n"
      "  - { path: network.latency_scale, values: [0.5, 2] }\n");
  shsim::Study study = shsim::load_study(file);
  REQUIRE(study.points.size() == 6);  // 3 x 2, the last axis fastest
  CHECK(study.axes[0].column() == "parent.protocol.tendermint.timeout_commit_s");
  CHECK(study.axes[1].column() == "network.latency_scale");
  // Geometric: 1 s, sqrt(60) s, 60 s.
  CHECK(*study.points[0].values[0].number == 1);
  CHECK(*study.points[2].values[0].number == Approx(std::sqrt(60.0)).epsilon(1e-9));
  CHECK(*study.points[4].values[0].number == 60);
  CHECK(study.points[1].values[1].text == "2");
  // Seeds: distinct per point and replication, the same when the study is read again.
  std::set<uint64_t> seeds;
  for (const auto& p : study.points)
    for (int r = 0; r < 3; ++r)
      seeds.insert(study.run_seed(p, r));
  CHECK(seeds.size() == 18);
  CHECK(shsim::load_study(file).run_seed(study.points[3], 2) == study.run_seed(study.points[3], 2));
  // Metrics default to every declared figure but the seed.
  CHECK(std::find(study.metrics.begin(), study.metrics.end(), "parent.block_interval.p50") != study.metrics.end());
  CHECK(std::find(study.metrics.begin(), study.metrics.end(), "run.seed") == study.metrics.end());
  // Zip pairs the i-th values.
  std::string zipped = write_temporary("scenario: " + source_path("scenarios/quickstart.yaml") +
                                       "\ncombine: zip\naxes:\n"
                                       "  - { path: parent.protocol.tendermint.timeout_commit, values: [1s, 2s] }\n"
                                       "  - { path: network.latency_scale, values: [0.5, 2] }\n");
  CHECK(shsim::load_study(zipped).points.size() == 2);
  fs::remove(file);
  fs::remove(zipped);
}

TEST_CASE("every study of the bad-input corpus is refused with one line naming file:line:column", "[sweep][bad-input]")
{
  fs::path corpus = source_path("tests/bad-inputs/studies");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus))
    if (entry.path().extension() == ".yaml")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  for (const auto& file : files) {
    std::string text = read_file(file.string());
    REQUIRE(text.rfind("# expect: ", 0) == 0);
    std::string expected = text.substr(10, text.find('\n') - 10);
    DYNAMIC_SECTION(file.filename().string())
    {
      std::string out = fresh_directory(), log = write_temporary("", ".log");
      int code        = run_shsim("sweep " + file.string() + " --quiet --out " + out, log);
      std::string message = read_file(log);
      INFO(message);
      CHECK(code == 2);
      CHECK(std::count(message.begin(), message.end(), '\n') == 1);
      CHECK(message.find(expected) != std::string::npos);
      CHECK(std::regex_search(message, std::regex("^shsim: error: [^ ]+:[0-9]+:[0-9]+: ")));
      CHECK_FALSE(fs::exists(out));  // nothing ran, nothing was written
      fs::remove(log);
    }
  }
}

TEST_CASE("a sweep's table reproduces: each row's command alone gives the row's figures", "[sweep]")
{
  std::string study = write_temporary(small_study());
  std::string out   = fresh_directory();
  REQUIRE(run_shsim("sweep " + study + " -j 2 --quiet --out " + out) == 0);
  auto runs = read_csv(out + "/runs.csv");
  REQUIRE(runs.size() == 12);
  std::set<std::string> seeds;
  for (const auto& row : runs) {
    CHECK(row.at("status") == "ok");
    seeds.insert(row.at("seed"));
  }
  CHECK(seeds.size() == 12);
  // Longer timeouts, longer block intervals: the column is in seconds and the metric follows it.
  CHECK(std::stod(runs[0].at("parent.protocol.tendermint.timeout_commit_s")) == 1);
  CHECK(std::stod(runs[11].at("parent.protocol.tendermint.timeout_commit_s")) == 4);
  CHECK(std::stod(runs[11].at("parent.block_interval.p50")) > std::stod(runs[0].at("parent.block_interval.p50")) + 2);
  // Repeat one run from its command alone.
  const auto& row     = runs[6];
  std::string command = row.at("command");
  REQUIRE(command.rfind("shsim run ", 0) == 0);
  std::string again = fresh_directory();
  REQUIRE(run_shsim(command.substr(6) + " --quiet --out " + again) == 0);
  auto summary = nlohmann::json::parse(read_file(again + "/summary.json"));
  CHECK(fmt::format("{}", summary["chains"]["parent"]["block_interval"]["p50"].get<double>()) ==
        row.at("parent.block_interval.p50"));
  CHECK(std::to_string(summary["chains"]["parent"]["blocks_committed"].get<long long>()) ==
        row.at("parent.blocks_committed"));
  // The aggregate: one row per point and metric, n = 4, the mean inside its interval.
  auto points = read_csv(out + "/points.csv");
  REQUIRE(points.size() == 9);
  for (const auto& p : points) {
    CHECK(p.at("n") == "4");
    CHECK(std::stod(p.at("ci95_low")) <= std::stod(p.at("mean")));
    CHECK(std::stod(p.at("mean")) <= std::stod(p.at("ci95_high")));
  }
  // Run again: nothing is missing, nothing runs, the tables are the same bytes.
  std::string before = read_file(out + "/runs.csv");
  REQUIRE(run_shsim("sweep " + study + " --quiet --out " + out) == 0);
  CHECK(read_file(out + "/runs.csv") == before);
  // A changed study (another metric list) is refused, not mixed in.
  std::string changed = write_temporary(std::regex_replace(small_study(), std::regex("parent.liveness.stalls"),
                                                           "parent.liveness.longest_gap"));
  std::string log     = write_temporary("", ".log");
  CHECK(run_shsim("sweep " + changed + " --quiet --out " + out, log) == 2);
  CHECK(read_file(log).find("holds results of another study") != std::string::npos);
  CHECK(read_file(out + "/runs.csv") == before);
  for (const auto& path : {study, changed, log})
    fs::remove(path);
  fs::remove_all(out);
  fs::remove_all(again);
}

TEST_CASE("a sweep killed at any moment and resumed ends with one result per run, as if never killed",
          "[sweep][kill]")
{
  std::string study = write_temporary(small_study(8));  // 24 runs of about 0.1 s each
  std::string whole = fresh_directory(), killed = fresh_directory();
  auto started = std::chrono::steady_clock::now();
  REQUIRE(run_shsim("sweep " + study + " -j 2 --quiet --out " + whole) == 0);
  // Kill times are drawn as shares of the whole sweep's duration on this machine (not a test of
  // speed: fixed times in milliseconds let a fast machine finish the sweep in two or three
  // attempts, and on a loaded one every kill landed before the first run was recorded).
  double whole_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  shsim::RandomStream when(2026, "sweep-kill-test");
  int kills = 0, mid_sweep = 0;
  for (int attempt = 0; attempt < 60; ++attempt) {
    pid_t pid = shsim::testing::start_shsim({"sweep", study, "-j", "2", "--quiet", "--out", killed});
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int>(std::max(5.0, when.uniform(0.03, 0.25) * whole_ms))));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
      break;  // it finished between two kills
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ++kills;
    if (fs::exists(killed + "/study.db")) {
      size_t rows = shsim::SweepStore(killed + "/study.db").runs().size();
      mid_sweep += rows > 0 && rows < 24 ? 1 : 0;
    }
  }
  CHECK(kills >= 5);
  CHECK(mid_sweep >= 3);  // kills landed with part of the sweep recorded
  REQUIRE(run_shsim("sweep " + study + " --quiet --out " + killed) == 0);
  CHECK(read_file(killed + "/runs.csv") == read_file(whole + "/runs.csv"));
  CHECK(read_file(killed + "/points.csv") == read_file(whole + "/points.csv"));
  // The database holds exactly one row per (point, replication).
  shsim::SweepStore store(killed + "/study.db");
  CHECK(store.runs().size() == 24);
  fs::remove(study);
  fs::remove_all(whole);
  fs::remove_all(killed);
}

TEST_CASE("Slurm shards run by the generated script and merged give the local sweep's table", "[sweep]")
{
  std::string study = write_temporary(small_study());
  std::string local = fresh_directory(), cluster = fresh_directory();
  REQUIRE(run_shsim("sweep " + study + " -j 2 --quiet --out " + local) == 0);
  REQUIRE(run_shsim("sweep " + study + " --slurm 3 --out " + cluster) == 0);
  std::string script = read_file(cluster + "/sweep.slurm");
  CHECK(script.find("#SBATCH --array=0-2") != std::string::npos);
  for (int task = 0; task < 3; ++task) {
    std::string command = fmt::format("SLURM_ARRAY_TASK_ID={} bash {}/sweep.slurm >/dev/null 2>&1", task, cluster);
    REQUIRE(std::system(command.c_str()) == 0);
  }
  // The merge command the script names (its logs are kept apart, so that shards/* is the shards).
  std::string merge = script.substr(script.find("#   cd ") + 4);
  merge             = merge.substr(0, merge.find('\n'));
  REQUIRE(std::system(("bash -c \"" + merge + "\" >/dev/null 2>&1").c_str()) == 0);
  CHECK(read_file(cluster + "/runs.csv") == read_file(local + "/runs.csv"));
  CHECK(read_file(cluster + "/points.csv") == read_file(local + "/points.csv"));
  fs::remove(study);
  fs::remove_all(local);
  fs::remove_all(cluster);
}

TEST_CASE("a sweep with find locates Tendermint's liveness boundary at one third of the power crashed", "[sweep][find]")
{
  // Tendermint commits only with more than 2/3 of the voting power online (CometBFT spec): of 9
  // equal validators, 2 crashed leave 7/9 and the chain commits; 3 leave 6/9 = 2/3 and it halts.
  // A crash of stake share s takes the smallest set reaching s: ceil(9 s) validators, so the chain
  // halts exactly when s > 2/9.
  std::string scenario = write_temporary(
      "name: find-third\nseed: 3\nduration: 2m\n"
      "network: { latency_matrix: " + source_path("platforms/regions/simblock-2019.yaml") +
      ", access: { latency: 2ms, upload: 100Mbps, download: 100Mbps } }\n"
      "parent: { validators: { count: 9, stake: equal } }\n"
      "adversaries:\n  - crash: { stake: 10%, from: 0s }\n");
  std::string study = write_temporary("scenario: " + scenario +
                                      "\nreplications: 2\nmetrics: [parent.blocks_committed]\n"
                                      "axes:\n  - { path: network.latency_scale, values: [1, 3] }\n");
  std::string out = fresh_directory(), log = write_temporary("", ".log");
  REQUIRE(run_shsim("sweep " + study + " --quiet --out " + out +
                        " --find 'parent.blocks_committed > 0' --along 'adversaries[0].crash.stake=0.05..0.9'",
                    log) == 0);
  auto rows = read_csv(out + "/boundaries.csv");
  INFO(read_file(log));
  REQUIRE(rows.size() == 2);
  for (const auto& row : rows) {
    CHECK(row.at("status") == "found");
    double low = std::stod(row.at("adversaries[0].crash.stake_low"));
    double high = std::stod(row.at("adversaries[0].crash.stake_high"));
    CHECK(low <= 2.0 / 9);
    CHECK(high > 2.0 / 9);
    CHECK(high - low <= 0.85 / 64 + 1e-12);
  }
  for (const auto& path : {scenario, study, log})
    fs::remove(path);
  fs::remove_all(out);
}

#ifdef SHSIM_HAVE_MPI
TEST_CASE("a sweep on 2 MPI ranks gives the local sweep's table, and resumes a sweep begun without it", "[sweep][mpi]")
{
  // Rank 0 keeps the database and hands runs to rank 1 (sim/sweep_mpi.cpp). Half the runs are in
  // the database first (a shard run locally): the MPI sweep runs only the other half.
  std::string study = write_temporary(small_study());
  std::string local = fresh_directory(), mpi = fresh_directory(), log = write_temporary("", ".log");
  REQUIRE(run_shsim("sweep " + study + " -j 2 --quiet --out " + local) == 0);
  REQUIRE(run_shsim("sweep " + study + " --shard 0/2 --quiet --out " + mpi) == 0);
  REQUIRE(shsim::SweepStore(mpi + "/study.db").runs().size() == 6);
  std::string command = fmt::format("{} -n 2 --oversubscribe {} {} sweep {} --out {} >{} 2>&1", MPIEXEC,
                                    geteuid() == 0 ? "--allow-run-as-root" : "", SHSIM_BINARY, study, mpi, log);
  int status = std::system(command.c_str());
  INFO(read_file(log));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(read_file(log).find("6/12 runs") != std::string::npos);  // it started from the shard's six
  CHECK(read_file(mpi + "/runs.csv") == read_file(local + "/runs.csv"));
  CHECK(read_file(mpi + "/points.csv") == read_file(local + "/points.csv"));
  CHECK(shsim::SweepStore(mpi + "/study.db").runs().size() == 12);
  fs::remove(study);
  fs::remove(log);
  fs::remove_all(local);
  fs::remove_all(mpi);
}
#endif

TEST_CASE("a run that fails or times out is recorded with its error and retried only when asked", "[sweep]")
{
  // expectations: fail turns the scenario's own failed `expect` into a failed run (exit code 1);
  // a timeout of 1 ms stops every run. Neither reruns by itself; --retry-failed reruns them.
  std::string failing =
      write_temporary(small_study(1, ", 'expect=[parent.blocks_committed < 1]'") + "expectations: fail\n");
  std::string out = fresh_directory();
  CHECK(run_shsim("sweep " + failing + " --quiet --out " + out) == 1);
  auto runs = read_csv(out + "/runs.csv");
  REQUIRE(runs.size() == 3);
  for (const auto& row : runs) {
    CHECK(row.at("status") == "failed");
    CHECK(row.at("exit_code") == "1");
    CHECK(row.at("error").find("expectation failed: parent.blocks_committed < 1") != std::string::npos);
    CHECK_FALSE(row.at("parent.blocks_committed").empty());  // its figures are kept
  }
  std::string slow = write_temporary(small_study(1) + "timeout: 1ms\n");
  std::string timed = fresh_directory();
  CHECK(run_shsim("sweep " + slow + " --quiet --out " + timed) == 1);
  for (const auto& row : read_csv(timed + "/runs.csv"))
    CHECK(row.at("status") == "timeout");
  // Run again: nothing reruns (the rows stay as they were); with --retry-failed and a longer
  // timeout (the timeout is not part of the study's identity) they run and succeed.
  std::string before = read_file(timed + "/runs.csv");
  CHECK(run_shsim("sweep " + slow + " --quiet --out " + timed) == 1);
  CHECK(read_file(timed + "/runs.csv") == before);
  std::string patient = write_temporary(small_study(1) + "timeout: 10m\n");
  CHECK(run_shsim("sweep " + patient + " --retry-failed --quiet --out " + timed) == 0);
  for (const auto& row : read_csv(timed + "/runs.csv"))
    CHECK(row.at("status") == "ok");
  for (const auto& path : {failing, slow, patient})
    fs::remove(path);
  fs::remove_all(out);
  fs::remove_all(timed);
}

TEST_CASE("shsim plot draws a run's per-transaction stage CDFs from its timelines.csv", "[sweep][plot]")
{
  std::string out = fresh_directory();
  REQUIRE(run_shsim("run " + source_path("scenarios/op-honest.yaml") + " --set duration=30m --quiet --out " + out) <= 1);
  REQUIRE(run_shsim("plot " + out) == 0);
  CHECK(fs::file_size(out + "/figures/stages-cdf.png") > 10000);
  auto quantiles = read_csv(out + "/figures/stages-cdf.csv");
  REQUIRE_FALSE(quantiles.empty());
  // The CSV beside the figure holds each stage's quantiles; soft confirmation comes before inclusion.
  double soft = -1, included = -1;
  for (const auto& row : quantiles)
    if (row.at("quantile") == "0.5") {
      if (row.at("stage") == "soft_confirmed")
        soft = std::stod(row.at("seconds"));
      if (row.at("stage") == "included")
        included = std::stod(row.at("seconds"));
    }
  CHECK(soft > 0);
  CHECK(included > soft);
  fs::remove_all(out);
}
