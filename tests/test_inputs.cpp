// Nothing silently other than asked: adversary sizes, nulls, bounds, study identity, shards and
// late failures. Each case is one of the reproducers of the issue of that name, and failed before
// its fix; where the issue gives a rule (the stake walk, refusing a null), the test states it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <regex>

#include <nlohmann/json.hpp>

#include "sim/population.hpp"
#include "tests/support.hpp"

using shsim::testing::fresh_directory;
using shsim::testing::read_file;
using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

TEST_CASE("stake: a share takes validators in pick order within one point of it, never a whale past it", "[inputs]")
{
  // The reproducer: quickstart's Pareto stakes, stake 20 %, every pick, nine seeds. The old rule
  // (a prefix until the share is reached) took up to 60 %.
  for (int seed = 1; seed <= 9; ++seed)
    for (const char* pick : {"first", "last", "random"}) {
      std::string out = fresh_directory(), log = write_temporary("", ".log");
      REQUIRE(run_shsim(fmt::format("run {} --seed {} --set 'adversaries=[{{crash: {{stake: 20%, pick: {}, from: 5s}}}}]' "
                                    "--set duration=10s --set 'expect=[]' --out {}",
                                    source_path("scenarios/quickstart.yaml"), seed, pick, out),
                        log) == 0);
      auto summary = nlohmann::json::parse(read_file(out + "/summary.json"));
      const auto& entry = summary["adversaries"][0];
      INFO("seed " << seed << ", pick " << pick << ": " << entry.dump());
      double share = entry["stake_share"].get<double>();
      CHECK(share >= 0.20 - 1e-9);
      CHECK(share <= 0.21 + 1e-9);
      CHECK(entry["stake_asked"].get<double>() == 0.20);
      // The header names them too, with the share.
      CHECK(read_file(log).find(fmt::format("{:.1f} % of the stake; 20.0 % asked", 100 * share)) != std::string::npos);
      fs::remove_all(out);
    }
}

TEST_CASE("stake: the walk follows the rule, and a walk that ends short adds the smallest validator that closes the "
          "gap",
          "[inputs]")
{
  using shsim::choose_validators;
  shsim::ValidatorSelection who;
  // Equal stakes: 34 % of ten is more than a third, so four of them (40 %): no three reach it, and
  // each fourth passes the cap of 35 %, so the walk ends short and closes with the smallest.
  std::vector<double> equal(10, 1.0);
  who.stake = shsim::Fraction{0.34};
  auto chosen = choose_validators(who, equal, 1, 0);
  CHECK(chosen.validators == std::vector<int>{0, 1, 2, 3});
  CHECK(chosen.share == Approx(0.4));
  CHECK(chosen.overshoot);
  who.stake = shsim::Fraction{0.3};
  chosen    = choose_validators(who, equal, 1, 0);
  CHECK(chosen.validators == std::vector<int>{0, 1, 2});
  CHECK_FALSE(chosen.overshoot);
  // A whale in the way is walked past, not taken: 20 % of {5, 60, 5, 5, 5, 5, 5, 5, 5} (total 100).
  std::vector<double> whale{5, 60, 5, 5, 5, 5, 5, 5, 5};
  who.stake = shsim::Fraction{0.2};
  chosen    = choose_validators(who, whale, 1, 0);
  CHECK(chosen.validators == std::vector<int>{0, 2, 3, 4});
  CHECK(chosen.share == Approx(0.2));
  who.pick = "last";
  chosen   = choose_validators(who, whale, 1, 0);
  CHECK(chosen.validators == std::vector<int>{5, 6, 7, 8});
  // Only whales left: the smallest one that closes the gap, whatever the pick order says.
  std::vector<double> uneven{10, 10, 50, 30};
  who.pick  = "first";
  who.stake = shsim::Fraction{0.25};
  chosen    = choose_validators(who, uneven, 1, 0);
  CHECK(chosen.validators == std::vector<int>{0, 1, 3});
  CHECK(chosen.share == Approx(0.5));
  CHECK(chosen.overshoot);
}

TEST_CASE("an adversary that cannot be met within one point warns before the run, naming the entry", "[inputs]")
{
  std::string scenario = write_temporary(
      "name: uneven\nduration: 10s\nparent:\n  validators:\n    count: 4\n    stake: { list: { weights: [10, 10, 50, 30] } }\n"
      "adversaries:\n  - crash: { stake: 25%, from: 5s }\n");
  std::string log = write_temporary("", ".log");
  CHECK(run_shsim("check " + scenario, log) == 0);
  std::string message = read_file(log);
  INFO(message);
  CHECK(std::regex_search(message, std::regex("warning: .*:8:.*adversaries\\[0\\]\\.crash\\.stake: 25\\.0 % asked, "
                                              "50\\.0 % taken")));
}
