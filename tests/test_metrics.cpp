// Metrics are declared once (sim/metric.hpp); a scenario's catalog (sim/catalog.hpp) is what
// `shsim metrics` lists and what `expect` lines are checked against before a run. These tests hold
// the declarations to the summaries real runs write: every figure a chain or bridge reports is
// declared, and every declared figure is reported (a conditional one, all of it or none of it).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/catalog.hpp"
#include "sim/scenario.hpp"
#include "tests/support.hpp"

using shsim::testing::fresh_directory;
using shsim::testing::read_file;
using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

namespace {
std::string quoted(const std::vector<std::string>& overrides)
{
  std::string out;
  for (const auto& o : overrides)
    out += " --set '" + o + "'";
  return out;
}
}  // namespace

TEST_CASE("every figure a run reports is declared, and every declared figure is reported", "[metrics]")
{
  shsim::models::register_all();
  auto [file, overrides] = GENERATE(table<std::string, std::vector<std::string>>({
      {"scenarios/quickstart.yaml", {"duration=1m"}},
      {"scenarios/gasper.yaml", {"duration=30m"}},
      {"scenarios/nakamoto-selfish-mining.yaml",
       {"duration=2d", "adversaries=[{selfish_mining: {stake: 30%}}, {double_spend: {validators: [99]}}]"}},
      {"scenarios/rollups.yaml", {"duration=10m"}},  // Tendermint parent: children, bridges, slashing
      {"scenarios/nakamoto-rollups.yaml", {"duration=1h"}},  // a parent that slashes no stake
  }));
  INFO(file);
  std::vector<std::string> all = overrides;
  all.push_back("expect=[]");
  shsim::Scenario scenario = shsim::load_scenario(source_path(file), all);
  auto catalog             = shsim::scenario_metrics(scenario);

  std::string out = fresh_directory();
  REQUIRE(run_shsim("run " + source_path(file) + quoted(all) + " --quiet --out " + out) == 0);
  nlohmann::json summary = nlohmann::json::parse(read_file(out + "/summary.json"));
  fs::remove_all(out);
  for (const auto& problem : shsim::summary_disagreements(summary, catalog))
    FAIL_CHECK(problem);
  // Every declared metric of these scenarios is reported always, or under a condition they meet.
  for (const auto& m : catalog)
    if (m.metric.condition.empty())
      CHECK(shsim::find_scenario_metric(catalog, m.owner + "." + m.metric.figures().front()) != nullptr);
}

TEST_CASE("a summary that strays from the declarations is caught, figure by figure", "[metrics]")
{
  // The run command refuses to write such a summary (sim/main.cpp); each kind of disagreement is
  // named: an undeclared figure, a missing always-reported one, a conditional metric half reported.
  shsim::models::register_all();
  shsim::Scenario scenario = shsim::load_scenario(source_path("scenarios/nakamoto-selfish-mining.yaml"),
                                                  {"duration=1d", "expect=[]"});
  auto catalog = shsim::scenario_metrics(scenario);
  std::string out = fresh_directory();
  REQUIRE(run_shsim("run " + source_path("scenarios/nakamoto-selfish-mining.yaml") +
                    " --set duration=1d --set 'expect=[]' --quiet --out " + out) == 0);
  nlohmann::json summary = nlohmann::json::parse(read_file(out + "/summary.json"));
  fs::remove_all(out);
  REQUIRE(shsim::summary_disagreements(summary, catalog).empty());

  nlohmann::json stray = summary;
  stray["chains"]["parent"]["selfish_mining"]["bonus"] = 1;
  stray["chains"]["parent"].erase("stale_rate");
  stray["chains"]["parent"]["selfish_mining"].erase("gamma");
  stray["run"]["overlay"]["degree"].erase("p99");
  auto problems = shsim::summary_disagreements(stray, catalog);
  auto mentions = [&](const std::string& text) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  CHECK(problems.size() == 4);
  CHECK(mentions("parent.selfish_mining.bonus is reported but no metric declares it"));
  CHECK(mentions("parent.stale_rate is declared but 1 of its 1 figures are missing"));
  CHECK(mentions("parent: figures reported with a selfish_mining adversary are partly missing: "
                 "parent.selfish_mining.gamma"));
  CHECK(mentions("run.overlay.degree is declared but 1 of its 7 figures are missing"));
}

TEST_CASE("the adversaries a scenario names decide which conditional metrics a run reports", "[metrics]")
{
  // Source: nakamoto.cpp declares selfish_mining.* only with a selfish pool; a run without one must
  // not report them, a run with one must (checked together with the previous test's all-or-none).
  std::string out = fresh_directory();
  REQUIRE(run_shsim("run " + source_path("scenarios/nakamoto-selfish-mining.yaml") +
                    " --set duration=1d --set 'adversaries=[]' --set 'expect=[]' --quiet --out " + out) == 0);
  nlohmann::json summary = nlohmann::json::parse(read_file(out + "/summary.json"));
  fs::remove_all(out);
  CHECK_FALSE(summary["chains"]["parent"].contains("selfish_mining"));
  CHECK_FALSE(summary["chains"]["parent"].contains("double_spend"));
}

TEST_CASE("an expectation naming an undeclared metric is refused at check with a suggestion", "[metrics]")
{
  // Issue 10: `expect` naming an undeclared metric is refused at check, with a suggestion.
  std::string scenario = source_path("scenarios/rollups.yaml");
  std::string log      = write_temporary("", ".log");
  auto refused    = [&](const std::string& expectation) {
    int code = run_shsim("check " + scenario + " --set 'expect=[\"" + expectation + "\"]' 2>&1", log);
    return std::make_pair(code, read_file(log));
  };
  auto [code, message] = refused("op.stages.setled.p50 < 1h");
  CHECK(code == 2);
  CHECK(message.find("unknown metric 'op.stages.setled.p50'") != std::string::npos);
  CHECK(message.find("did you mean 'op.stages.settled.p50'") != std::string::npos);
  std::tie(code, message) = refused("op.stages.settled.p42 < 1h");  // not a statistic
  CHECK(code == 2);
  std::tie(code, message) = refused("zk.proofs.queue_wait.p99 < 1h");
  CHECK(code == 0);
  std::tie(code, message) = refused("parent.child_load.bytes_per_block.max < 1MB");
  CHECK(code == 0);
}

TEST_CASE("shsim metrics lists every metric of the scenario with kind, unit and meaning", "[metrics][cli]")
{
  shsim::models::register_all();
  std::string listing = write_temporary("", ".json");
  REQUIRE(run_shsim("metrics " + source_path("scenarios/rollups.yaml") + " --json", listing) == 0);
  nlohmann::json metrics = nlohmann::json::parse(read_file(listing));
  shsim::Scenario scenario = shsim::load_scenario(source_path("scenarios/rollups.yaml"), {});
  REQUIRE(metrics.size() == shsim::scenario_metrics(scenario).size());
  std::set<std::string> paths;
  for (const auto& m : metrics) {
    INFO(m.dump());
    CHECK(!m["unit"].get<std::string>().empty());
    CHECK(!m["meaning"].get<std::string>().empty());
    CHECK(paths.insert(m["path"].get<std::string>()).second);  // no metric declared twice
  }
  CHECK(paths.count("op.stages.settled") == 1);
  CHECK(paths.count("parent.block_interval") == 1);
  CHECK(paths.count("op-bridge.deposits.credited") == 1);
  CHECK(paths.count("run.events_processed") == 1);
}
