// The command line as a user meets it: exit codes, outputs, determinism, and no partial output on
// bad input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support.hpp"

using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

using shsim::testing::fresh_directory;

namespace {
std::string read(const fs::path& path) { return shsim::testing::read_file(path.string()); }

const std::string quick_scenario = source_path("scenarios/quickstart.yaml") + " --set duration=2m";
const std::string quick          = quick_scenario + " --set expect=[] --quiet";
}  // namespace

TEST_CASE("the same scenario and seed give byte-identical outputs and another seed gives others", "[cli][determinism]")
{
  // The parent alone, a parent with both rollups, a bridge and relayers, a Gasper parent under the
  // same children, and proof of work with block relay and a selfish pool.
  std::string scenario = GENERATE(
      as<std::string>{}, quick,
      source_path("scenarios/rollups.yaml") + " --set duration=15m --set expect=[] --quiet",
      source_path("scenarios/gasper-rollups.yaml") + " --set duration=30m --set expect=[] --quiet",
      source_path("scenarios/nakamoto-selfish-mining.yaml") +
          " --set duration=3d --set parent.validators.count=300 --set output.events=csv --set expect=[] --quiet",
      source_path("scenarios/teach/02-crashed-proposer.yaml") + " --explain --report --set output.trace=true --quiet");
  std::string a = fresh_directory(), b = fresh_directory(), c = fresh_directory();
  REQUIRE(run_shsim("run " + scenario + " --out " + a) == 0);
  REQUIRE(run_shsim("run " + scenario + " --out " + b) == 0);
  REQUIRE(run_shsim("run " + scenario + " --seed 9 --out " + c) == 0);
  for (const char* file : {"summary.json", "events.csv", "scenario.resolved.yaml", "timeseries.csv"}) {
    INFO(file);
    CHECK_FALSE(read(fs::path(a) / file).empty());
    CHECK(read(fs::path(a) / file) == read(fs::path(b) / file));
  }
  for (const char* file : {"trace.json", "explain.txt", "report.html", "timelines.csv"})
    if (fs::exists(fs::path(a) / file)) {
      INFO(file);
      CHECK(read(fs::path(a) / file) == read(fs::path(b) / file));
    }
  // Lesson 2's lab network has fixed latencies and no jitter: nothing in it is drawn, so another seed
  // changes only the seed the summary records. Every other scenario draws, and another seed differs.
  bool draws = scenario.find("02-crashed-proposer") == std::string::npos;
  INFO("another seed: " << scenario);
  CHECK((read(fs::path(a) / "events.csv") != read(fs::path(c) / "events.csv")) == draws);
  CHECK(read(fs::path(a) / "summary.json") != read(fs::path(c) / "summary.json"));
}

TEST_CASE("bad input exits 2 with a one-line error and writes nothing", "[cli]")
{
  std::string out    = fresh_directory();
  std::string log    = write_temporary("", ".log");
  std::string broken = write_temporary("name: broken\nduration: 1h\nparent:\n  validators: { cuont: 4 }\n");
  CHECK(run_shsim("run " + broken + " --out " + out, log) == 2);
  CHECK_FALSE(fs::exists(out));
  std::string message = read(log);
  CHECK(message == "shsim: error: " + broken + ":4:17: parent.validators.cuont: unknown key 'cuont' (did you mean "
                   "'count'?)\n");
  CHECK(run_shsim("run " + quick + " --set parent.validators.count=0 --out " + out) == 2);
  CHECK(run_shsim("run /nonexistent.yaml --out " + out) == 2);
  CHECK(run_shsim("run " + quick + " --bogus-flag --out " + out) == 2);
  CHECK(run_shsim("run " + quick + " --set 'expect=[\"parent.no_such_metric == 0\"]' --out " + out) == 2);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a failed expectation exits 1, after writing the outputs that show why", "[cli]")
{
  std::string out = fresh_directory();
  CHECK(run_shsim("run " + quick + " --set 'expect=[\"parent.blocks_committed > 1000000\"]' --out " + out) == 1);
  CHECK(fs::exists(fs::path(out) / "summary.json"));
  CHECK(read(fs::path(out) / "summary.json").find("\"passed\": false") != std::string::npos);
}

TEST_CASE("check validates without running, config prints the resolved scenario, schema lists every key", "[cli]")
{
  std::string log = write_temporary("", ".log");
  CHECK(run_shsim("check " + quick_scenario, log) == 0);
  CHECK(run_shsim("config " + quick_scenario, log) == 0);
  std::string resolved = read(log);
  CHECK(resolved.find("timeout_propose: 3s") != std::string::npos);  // a default the file leaves out
  CHECK(resolved.find("duration: 2m") != std::string::npos);         // the --set override
  CHECK(run_shsim("schema", log) == 0);
  CHECK(read(log).find("parent.protocol.tendermint.timeout_commit") != std::string::npos);
}

TEST_CASE("SimGrid's own --cfg and --log options pass through to the engine", "[cli]")
{
  std::string plain = fresh_directory(), tuned = fresh_directory(), log = write_temporary("", ".log");
  REQUIRE(run_shsim("run " + quick + " --out " + plain) == 0);
  // A context option that changes nothing simulated, and a log threshold.
  REQUIRE(run_shsim("run " + quick + " --cfg=contexts/stack-size:1024 --log=root.thres:critical --out " + tuned) == 0);
  auto plain_summary = nlohmann::json::parse(read(fs::path(plain) / "summary.json"));
  auto tuned_summary = nlohmann::json::parse(read(fs::path(tuned) / "summary.json"));
  CHECK(plain_summary["chains"] == tuned_summary["chains"]);
  CHECK(tuned_summary["run"]["engine_options"] ==
        nlohmann::json::array({"--cfg=contexts/stack-size:1024", "--log=root.thres:critical"}));
  // An option SimGrid does not know is bad input: one line, exit 2.
  CHECK(run_shsim("run " + quick + " --cfg=no/such-option:1 --out " + fresh_directory(), log) == 2);
  CHECK(read(log) == "shsim: error: SimGrid rejected --cfg=no/such-option:1: Bad config key: no/such-option\n");
  // SimGrid aborts on some bad options; shsim tries them first and reports them as bad input.
  CHECK(run_shsim("run " + quick + " --log=nonsense --out " + fresh_directory(), log) == 2);
  CHECK(read(log) == "shsim: error: SimGrid rejected --log=nonsense: Invalid control string 'nonsense'\n");
  // The network model is the scenario's business, so that the metadata says which one ran.
  CHECK(run_shsim("run " + quick + " --cfg=network/model:LV08 --out " + fresh_directory(), log) == 2);
}

TEST_CASE("an engine abort ends in one clear line and exit 3, and small actor stacks avoid it", "[cli]")
{
#ifndef SHSIM_SANITIZED  // AddressSanitizer cannot run under an address-space limit
  // Every vote of 40 validators as a SimGrid flow, each carried by its own actor (1 600 at once),
  // under a 3 GB address-space limit: SimGrid's default 8 MiB stacks do not fit (it aborts: "Failed
  // to allocate stack"), shsim's 128 KiB stacks do.
  std::string scenario = source_path("scenarios/quickstart.yaml") +
                         " --quiet --set parent.validators.count=40 --set network.transport.mode=flow "
                         "--set duration=5s --set 'expect=[]'";
  std::string log = write_temporary("", ".log");
  auto limited    = [&](const std::string& extra) {
    std::string script = write_temporary("ulimit -v 3000000\nexec " + std::string(SHSIM_BINARY) + " run " + scenario +
                                             extra + " --out " + fresh_directory() + "\n",
                                         ".sh");
    int status = std::system(("sh " + script + " >" + log + " 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  CHECK(limited("") == 0);
  CHECK(limited(" --cfg=contexts/stack-size:8192") == 3);
  std::string message = read(log);
  CHECK_THAT(message, Catch::EndsWith("see `shsim check` for its estimate\n"));
#endif
}
