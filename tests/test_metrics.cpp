// Metrics are declared once (sim/metric.hpp); a scenario's catalog (sim/catalog.hpp) is what
// `shsim metrics` lists and what `expect` lines are checked against before a run. These tests hold
// the declarations to the summaries real runs write: every figure a chain or bridge reports is
// declared, and every declared figure is reported (a conditional one, all of it or none of it).
#include <catch2/catch.hpp>

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
/// Every figure of a summary entry as a full path: numbers and nulls; a distribution's statistics.
void figures(const nlohmann::json& node, const std::string& prefix, std::set<std::string>& out)
{
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      // A breakdown keyed by "owner/kind" (ledger.cpp), not a metric.
      if (key == "by_owner_and_kind")
        continue;
      figures(value, prefix + "." + key, out);
    }
  } else if (node.is_number() || node.is_null()) {
    out.insert(prefix);
  }
}

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
  std::set<std::string> reported;
  for (const auto& [name, chain] : summary["chains"].items())
    figures(chain, name, reported);
  if (summary.contains("bridges"))
    for (const auto& [name, bridge] : summary["bridges"].items())
      figures(bridge, name, reported);

  for (const auto& figure : reported) {
    INFO("reported but not declared: " << figure);
    CHECK(shsim::find_scenario_metric(catalog, figure) != nullptr);
  }
  for (const auto& m : catalog) {
    size_t present = 0, figures_count = m.metric.figures().size();
    for (const auto& figure : m.metric.figures()) {
      std::string path = m.owner + "." + figure;
      bool found       = m.owner == "run" ? summary["run"].contains(figure) : reported.count(path) > 0;
      present += found ? 1 : 0;
    }
    INFO("declared: " << m.full_path() << " (" << present << " of " << figures_count << " figures reported)");
    if (m.metric.condition.empty())
      CHECK(present == figures_count);
    else
      CHECK((present == 0 || present == figures_count));
  }
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
