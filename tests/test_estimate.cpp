// The estimate `shsim check` prints and `run` enforces (sim/estimate.hpp): close enough to what runs
// really cost to catch absurd scenarios, and it does catch them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/estimate.hpp"
#include "sim/scenario.hpp"
#include "tests/support.hpp"

using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

TEST_CASE("the estimate is within a factor of four of the events and memory a run really takes", "[estimate]")
{
  shsim::models::register_all();
  // One scenario of each parent protocol, and the children, shortened.
  auto [file, duration] = GENERATE(table<std::string, std::string>({{"quickstart", "5m"},
                                                                    {"rollups", "15m"},
                                                                    {"gasper", "30m"},
                                                                    {"simblock-bitcoin", "2000min"},
                                                                    {"gossip-overlay", "5m"}}));
  std::string scenario = source_path("scenarios/" + file + ".yaml");
  auto estimate = shsim::estimate_resources(shsim::load_scenario(scenario, {"duration=" + duration}));
  std::string out = write_temporary("", ".out");
  fs::remove(out);
  REQUIRE(run_shsim("run " + scenario + " --set duration=" + duration + " --set 'expect=[]' --quiet --out " + out) == 0);
  std::ifstream in(fs::path(out) / "performance.json");
  auto performance = nlohmann::json::parse(in);
  double events    = performance["events_processed"].get<double>();
  double memory    = performance["peak_memory_mib"].get<double>() * 1024 * 1024;
  INFO(file << ": estimated " << shsim::describe(estimate) << "; ran " << events << " events, " << memory / 1048576
            << " MiB");
  CHECK(estimate.events > events / 4);
  CHECK(estimate.events < events * 4);
#ifndef SHSIM_SANITIZED  // AddressSanitizer's shadow memory and quarantine say nothing about shsim's
  CHECK(estimate.memory_bytes > memory / 4);
  CHECK(estimate.memory_bytes < memory * 4);
#endif
  fs::remove_all(out);
}

TEST_CASE("a run that cannot fit in memory or end in a year is refused before it starts, unless forced", "[estimate]")
{
  std::string quickstart = source_path("scenarios/quickstart.yaml");
  std::string log        = write_temporary("", ".log");
  std::string out        = write_temporary("", ".out");
  fs::remove(out);
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  // 1e9 transactions a second for a day: 8.6e13 transactions to keep.
  CHECK(run_shsim("run " + quickstart + " --set workload[0].rate=1e9/s --set duration=1d --out " + out, log) == 2);
  std::string message = read(log);
  CHECK(message.find("of memory and this machine has") != std::string::npos);
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(out));
  CHECK(run_shsim("check " + quickstart + " --set workload[0].rate=1e9/s --set duration=1d", log) == 2);
  CHECK(run_shsim("check " + quickstart + " --set workload[0].rate=1e9/s --set duration=1d --force", log) == 0);
  CHECK(read(log).find("estimate: ~") != std::string::npos);
}
