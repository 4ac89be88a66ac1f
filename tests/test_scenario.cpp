// The scenario language: defaults, overrides, and one-line errors that name file:line:column and key.
#include <catch2/catch.hpp>

#include <regex>

#include "models/common/equivocate.hpp"
#include "models/registry.hpp"
#include "sim/expect.hpp"
#include "sim/scenario.hpp"
#include "tests/support.hpp"

using namespace shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;

namespace {
std::string matrix() { return source_path("platforms/regions/simblock-2019.yaml"); }

std::string minimal(const std::string& extra = "")
{
  return "name: t\nduration: 1m\nnetwork:\n  latency_matrix: " + matrix() + "\n" + extra;
}

/// Loads `text` and returns the error message (empty if it loaded).
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {})
{
  models::register_all();
  std::string file = write_temporary(text);
  try {
    load_scenario(file, overrides);
  } catch (const InputError& e) {
    std::string message = e.what();
    // Replace the temporary file's name so messages can be compared.
    return std::regex_replace(message, std::regex("/tmp/shsim-test-[A-Za-z0-9]+\\.yaml"), "scenario.yaml");
  }
  return "";
}

/// Loads the scenario file with overrides and returns the error message (empty if it loaded).
std::string error_of_file(const std::string& file, const std::vector<std::string>& overrides)
{
  try {
    load_scenario(file, overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a scenario that names only a few keys gets every other default", "[scenario]")
{
  models::register_all();
  Scenario s = load_scenario(write_temporary(minimal()), {});
  CHECK(s.duration.seconds == 60);
  CHECK(s.parent.validators.count == 50);
  CHECK(s.network.model == "CM02");
  CHECK(s.parent.protocol.kind == "tendermint");
  // The resolved scenario loads back to the same resolved scenario.
  std::string dumped = dump_scenario(s);
  CHECK(dump_scenario(load_scenario(write_temporary(dumped), {})) == dumped);
}

TEST_CASE("an unknown key is an error naming its line, column and path, with a suggestion", "[scenario]")
{
  std::string message = error_of(minimal("parent:\n  validators:\n    cout: 10\n"));
  CHECK(message == "scenario.yaml:7:5: parent.validators.cout: unknown key 'cout' (did you mean 'count'?)");
}

TEST_CASE("a value with a bad unit is an error naming its line and key", "[scenario]")
{
  std::string message = error_of(minimal("parent:\n  protocol: { tendermint: { timeout_commit: 5 } }\n"));
  CHECK_THAT(message, Catch::StartsWith("scenario.yaml:6:"));
  CHECK_THAT(message, Catch::Contains("parent.protocol.tendermint.timeout_commit: '5' has no unit"));
}

TEST_CASE("an out-of-range value is an error naming its line and key", "[scenario]")
{
  std::string message = error_of(minimal("parent:\n  validators: { count: 0 }\n"));
  CHECK_THAT(message, Catch::StartsWith("scenario.yaml:6:"));
  CHECK_THAT(message, Catch::Contains("parent.validators.count: must be between 1 and 100000"));
  CHECK_THAT(error_of(minimal("adversaries:\n  - crash: { stake: 140%, from: 1m }\n")),
             Catch::Contains("adversaries[0].crash.stake: '140%' is outside [0, 1]"));
}

TEST_CASE("a missing file is an error naming the key that refers to it", "[scenario]")
{
  std::string message = error_of("name: t\nnetwork:\n  latency_matrix: platforms/regions/nowhere.yaml\n");
  CHECK(message == "scenario.yaml:3:19: network.latency_matrix: file 'platforms/regions/nowhere.yaml' not found");
  models::register_all();
  CHECK_THROWS_WITH(load_scenario("/tmp/does-not-exist.yaml", {}),
                    "/tmp/does-not-exist.yaml: cannot open scenario file (no such file)");
}

TEST_CASE("YAML syntax errors, unknown options and unknown regions point at the place", "[scenario]")
{
  CHECK_THAT(error_of("name: [unclosed\n"), Catch::StartsWith("scenario.yaml:"));
  CHECK_THAT(error_of("name: [unclosed\n"), Catch::Contains("YAML syntax error"));
  CHECK(error_of(minimal("  jitter: { paretto: { shape: 2 } }\n")) ==
        "scenario.yaml:5:11: network.jitter: unknown option 'paretto' (did you mean 'pareto'?)");
  CHECK(error_of(minimal("parent:\n  validators:\n    placement: { europ: 100% }\n")) ==
        "scenario.yaml:7:25: parent.validators.placement.europ: unknown region 'europ' in " + matrix() +
            " (did you mean 'europe'?)");
  CHECK_THAT(error_of(minimal("parent:\n  protocol: tendermnt\n")),
             Catch::Contains("parent.protocol: unknown protocol 'tendermnt' (did you mean 'tendermint'?)"));
  CHECK_THAT(error_of(minimal("children:\n  - optimistic_rolup: {}\n")),
             Catch::Contains("children[0]: unknown child chain kind 'optimistic_rolup' (did you mean 'optimistic_rollup'?)"));
}

TEST_CASE("cross-checks: placement shares, validator indices, time windows, expectations", "[scenario]")
{
  CHECK_THAT(error_of(minimal("parent:\n  validators:\n    placement: { europe: 50%, japan: 40% }\n")),
             Catch::Contains("shares add up to 0.9, not 100%"));
  CHECK_THAT(error_of(minimal("parent: { validators: { count: 4 } }\nadversaries:\n  - crash: { validators: [7] }\n")),
             Catch::Contains("adversaries[0].crash.validators[0]: validator 7 does not exist (0..3)"));
  CHECK_THAT(error_of(minimal("adversaries:\n  - crash: { validators: [1], from: 2m, until: 1m }\n")),
             Catch::Contains("adversaries[0].crash.until: must be after `from`"));
  CHECK_THAT(error_of(minimal("expect:\n  - parent.safety_violations ~ 0\n")),
             Catch::Contains("expect[0]: 'parent.safety_violations ~ 0': unknown operator '~'"));
}

TEST_CASE("overrides given with --set take any key with the same validation, and errors name the override", "[scenario]")
{
  models::register_all();
  std::string file = write_temporary(minimal("adversaries:\n  - crash: { validators: [1], from: 1m }\n"));
  Scenario s = load_scenario(file, {"parent.validators.count=7", "seed=9", "adversaries[0].crash.from=30s",
                                    "network.jitter={uniform: {max: 3ms}}"});
  CHECK(s.parent.validators.count == 7);
  CHECK(s.seed == 9);
  CHECK(s.adversaries[0].from() == 30);
  CHECK(s.network.jitter.kind == "uniform");
  CHECK(s.network.jitter.max.seconds == Approx(0.003));
  CHECK(error_of(minimal(), {"duration=5"}) ==
        "--set duration=5: duration: '5' has no unit (expected a duration such as 250ms, 2h or 7d; units: ns, us, "
        "ms, s, sec, m, min, h, d, day, w)");
  CHECK_THAT(error_of(minimal(), {"parent.validators.cuont=3"}),
             Catch::Contains("parent.validators.cuont: unknown key 'cuont' (did you mean 'count'?)"));
  CHECK_THAT(error_of(minimal(), {"nonsense"}), Catch::Contains("--set nonsense: expected key.path=value"));
}

TEST_CASE("overrides address children and bridges by name as well as by index", "[scenario]")
{
  // Issue 11: studies vary children.op.challenge_window, not children[0].optimistic_rollup...
  models::register_all();
  std::string rollups = source_path("scenarios/rollups.yaml");
  Scenario by_name    = load_scenario(rollups, {"children.op.challenge_window=2h", "children.zk.batch_interval=3m",
                                                "bridges.op-bridge.relayers=5"});
  Scenario by_index   = load_scenario(rollups, {"children[0].optimistic_rollup.challenge_window=2h",
                                                "children[1].zk_rollup.batch_interval=3m", "bridges[0].relayers=5"});
  CHECK(dump_scenario(by_name) == dump_scenario(by_index));
  CHECK(dump_scenario(by_name) != dump_scenario(load_scenario(rollups, {})));
  CHECK(by_name.bridges[0].relayers == 5);
  // A misspelt name is refused with a suggestion; a bad value names the override.
  CHECK_THAT(error_of_file(rollups, {"children.opp.challenge_window=2h"}),
             Catch::Contains("--set children.opp.challenge_window=2h: no entry of 'children' is named 'opp' "
                             "(did you mean 'op'?)"));
  CHECK_THAT(error_of_file(rollups, {"children.op.challenge_window=2"}),
             Catch::Contains("--set children[0].optimistic_rollup.challenge_window=2"));
  // A child written by its kind alone, with its default name.
  std::string bare = write_temporary(minimal("children:\n  - optimistic_rollup\n"));
  Scenario set     = load_scenario(bare, {"children.optimistic.challenge_window=1h"});
  CHECK(dump_scenario(set).find("challenge_window: 1h") != std::string::npos);
}

TEST_CASE("expectations compare a summary metric with a number, with units allowed", "[scenario]")
{
  auto e = parse_expectation("parent.block_interval.p50 < 7s");
  REQUIRE(e.value);
  CHECK(e.value->metric == "parent.block_interval.p50");
  CHECK(e.value->value == 7);
  nlohmann::json summary = {{"chains", {{"parent", {{"block_interval", {{"p50", 6.5}}}}}}}};
  CHECK(evaluate(*e.value, summary).passed);
  CHECK_FALSE(evaluate(*parse_expectation("parent.block_interval.p50 >= 1h").value, summary).passed);
  CHECK_FALSE(evaluate(*parse_expectation("parent.nothing == 0").value, summary).found);
}

TEST_CASE("YAML anchors and aliases work, so shared settings are written once", "[scenario]")
{
  models::register_all();
  Scenario s = load_scenario(write_temporary(minimal("adversaries:\n"
                                                     "  - crash: &window { validators: [1], from: 1m, until: 2m }\n"
                                                     "  - crash: *window\n"
                                                     "  - equivocate: { <<: *window, mode: vote }\n")),
                             {});
  REQUIRE(s.adversaries.size() == 3);
  CHECK(s.adversaries[1].window().until->seconds == 120);
  CHECK(s.adversaries[2].kind == "equivocate");
  CHECK(s.adversaries[2].from() == 60);
  CHECK(s.adversaries[2].as<shsim::models::EquivocateAdversary>().mode == "vote");
}

TEST_CASE("child chains, bridges and their adversaries are checked against each other", "[scenario][rollup]")
{
  const std::string op = "children:\n  - optimistic_rollup: { name: op }\n";
  CHECK_THAT(error_of(minimal(op + "workload:\n  - { chain: opp, rate: 1/s }\n")),
             Catch::Contains("workload[0].chain: unknown chain 'opp' (did you mean 'op'?)"));
  CHECK_THAT(error_of(minimal(op + "workload:\n  - { chain: op, kind: deposit, rate: 1/s }\n")),
             Catch::Contains("workload[0].kind: deposits into 'op' need a bridge to it"));
  CHECK_THAT(error_of(minimal("children:\n  - zk_rollup: { name: zk }\nadversaries:\n  - invalid_root: { chain: zk }\n")),
             Catch::Contains("adversaries[0].invalid_root.chain: 'zk' is a zk_rollup; invalid_root applies to an "
                             "optimistic_rollup"));
  CHECK_THAT(error_of(minimal(op + "adversaries:\n  - parent_censor: { targets: [chalenge] }\n")),
             Catch::Contains("targets[0]: unknown parent transaction kind 'chalenge' (did you mean 'challenge'?)"));
  CHECK_THAT(error_of(minimal(op + "bridges:\n  - { child: zk }\n")),
             Catch::Contains("bridges[0].child: unknown child chain 'zk'"));
  CHECK_THAT(error_of(minimal(op + "  - zk_rollup: { name: op }\n")),
             Catch::Contains("children[1].zk_rollup.name: chain name 'op' is already used"));
  CHECK_THAT(error_of(minimal(op + "bridges:\n  - { child: op }\nadversaries:\n  - relayer_fault: { bridge: op-bridge, "
                                   "mode: slow }\n")),
             Catch::Contains("relayer_fault.delay: a slow relayer needs a positive delay"));
  CHECK(error_of(minimal(op + "bridges:\n  - { child: op }\nworkload:\n  - { chain: op, kind: deposit, rate: 1/s }\n"))
            .empty());
}

TEST_CASE("parent protocols refuse adversaries and settings they do not implement", "[scenario]")
{
  // Selfish mining and double spends are proof-of-work attacks; surround votes need Gasper's checkpoints.
  CHECK_THAT(error_of(minimal("adversaries:\n  - selfish_mining: { stake: 30% }\n")),
             Catch::Contains("adversaries[0].selfish_mining: the tendermint parent protocol has no 'selfish_mining' adversary"));
  CHECK_THAT(error_of(minimal("parent:\n  protocol: gasper\nadversaries:\n  - double_spend: { stake: 30% }\n")),
             Catch::Contains("the gasper parent protocol has no 'double_spend' adversary"));
  CHECK_THAT(error_of(minimal("parent:\n  protocol: nakamoto\nadversaries:\n  - equivocate: { stake: 30% }\n")),
             Catch::Contains("the nakamoto parent protocol has no 'equivocate' adversary"));
  CHECK(error_of(minimal("parent:\n  protocol: nakamoto\nadversaries:\n  - selfish_mining: { stake: 30%, gamma: 0.5 }\n"))
            .empty());
  // Regional bandwidth needs a matrix file that gives it.
  std::string lab = write_temporary("source: lab\nunit: one_way_ms\nregions: [lab]\nmatrix: [[10]]\n");
  CHECK_THAT(error_of("name: t\nduration: 1m\nnetwork:\n  latency_matrix: " + lab +
                      "\n  access: { regional_bandwidth: true }\n"),
             Catch::Contains("network.access.regional_bandwidth: the latency matrix file"));
  std::string bad = write_temporary("source: lab\nunit: one_way_ms\nregions: [a, b]\nmatrix: [[10, 20], [20, 10]]\n"
                                    "upload_bps: [1.0e6]\n");
  CHECK_THAT(error_of("name: t\nduration: 1m\nnetwork:\n  latency_matrix: " + bad + "\n"),
             Catch::Contains("upload_bps: expected 2 values, one per region"));
}
