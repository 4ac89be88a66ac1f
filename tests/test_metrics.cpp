// Parent protocols declare the figures they add to the summary (ParentProtocolFactory::metrics()),
// and expectations are checked against the declaration before the run: the declaration must be
// exactly what the summaries report.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "tests/support.hpp"

using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

namespace {
void figures(const nlohmann::json& node, const std::string& prefix, std::set<std::string>& out)
{
  if (node.is_object() && node.contains("count") && node.contains("p50")) {
    out.insert(prefix + "{}");
  } else if (node.is_object()) {
    for (const auto& [key, value] : node.items())
      figures(value, prefix.empty() ? key : prefix + "." + key, out);
  } else if (node.is_number() || node.is_null()) {
    out.insert(prefix);
  }
}

std::set<std::string> parent_figures(const std::string& arguments)
{
  std::string out = write_temporary("", ".out");
  fs::remove(out);
  REQUIRE(run_shsim("run " + arguments + " --set 'expect=[]' --quiet --out " + out) == 0);
  std::ifstream in(fs::path(out) / "summary.json");
  std::set<std::string> found;
  figures(nlohmann::json::parse(in)["chains"]["parent"], "", found);
  fs::remove_all(out);
  return found;
}
}  // namespace

TEST_CASE("Gasper and Nakamoto declare exactly the figures they add to the parent's summary", "[metrics]")
{
  shsim::models::register_all();
  // What every parent reports (the recorder's figures), from a Tendermint run.
  std::set<std::string> common = parent_figures(source_path("scenarios/quickstart.yaml") + " --set duration=1m");
  auto [protocol, arguments] = GENERATE(table<std::string, std::string>(
      {{"gasper", "scenarios/gasper.yaml --set duration=30m"},
       {"nakamoto", "scenarios/nakamoto-selfish-mining.yaml --set duration=2d --set 'adversaries=[{selfish_mining: "
                    "{stake: 30%}}, {double_spend: {validators: [99]}}]'"}}));
  std::set<std::string> reported = parent_figures(source_path(arguments.substr(0, arguments.find(' '))) +
                                                  arguments.substr(arguments.find(' ')));
  auto declared = shsim::ProtocolRegistry::instance().find_parent(protocol)->metrics();
  for (const auto& figure : reported) {
    INFO(protocol << " reports " << figure);
    CHECK((common.count(figure) > 0 || std::find(declared.begin(), declared.end(), figure) != declared.end()));
  }
  for (const auto& figure : declared) {
    INFO(protocol << " declares " << figure);
    CHECK(reported.count(figure) > 0);
  }
}
