// Adversaries as plug-ins (issue 10): a kind registered from this test, which no engine or model
// file knows, parses from a scenario, is checked like the built-in kinds, and attaches to the parent
// validators' roles through a node hook, without a line of the protocol's code.
//
// The toy kind, `mute`, holds back everything its validators send. Under Tendermint, a height
// commits only with precommits from more than 2/3 of the voting power (Buchman, Kwon, Milosevic,
// arXiv 1807.04938, n > 3f): muting 2 of 4 equal validators must stop commits while it lasts, and
// muting 1 of 4 must not.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "models/registry.hpp"
#include "sim/adversary.hpp"
#include "sim/node.hpp"
#include "sim/protocol.hpp"
#include "sim/simulation.hpp"
#include "tests/support.hpp"

namespace {

class MuteHook : public shsim::NodeHook {
public:
  MuteHook(const shsim::Simulation& simulation, const shsim::Window& window) : simulation_(simulation), window_(window) {}
  bool on_send(const shsim::Node&, int, const shsim::Message&) override { return !window_.active(simulation_.now()); }

private:
  const shsim::Simulation& simulation_;
  const shsim::Window& window_;
};

struct Mute : shsim::Window {
  shsim::ValidatorSelection who;
  template <class V> void describe(V& o)
  {
    who.describe_fields(o);
    describe_window(o);
  }
  void check(const shsim::AdversaryCheck& check) const { check.validators(who); }
  void attach(shsim::Simulation& simulation, size_t index) const
  {
    auto hook = std::make_shared<MuteHook>(simulation, *this);
    for (int v : simulation.select_validators(who, index))
      simulation.node(v).add_hook(hook);
  }
};

void register_mute()
{
  shsim::models::register_all();
  auto& registry = shsim::ProtocolRegistry::instance();
  if (registry.find_adversary("mute") == nullptr)
    registry.add_adversary(std::make_unique<shsim::AdversaryKind<Mute>>(
        "mute", "test-only: the validators' messages are held back", false));
}

std::string scenario(const std::string& validators)
{
  return "name: mute\nseed: 5\nduration: 6m\nparent:\n  protocol: tendermint\n  validators: { count: 4 }\n"
         "adversaries:\n  - mute: { validators: " +
         validators + ", from: 2m, until: 4m }\nexpect: []\n";
}

long long commits_between(const shsim::testing::Run& run, double from, double until)
{
  auto times = run.times_of("commit");
  return std::count_if(times.begin(), times.end(), [&](double t) { return t > from && t < until; });
}

}  // namespace

TEST_CASE("a toy adversary registered from a test mutes validators through a node hook", "[adversary][plugin]")
{
  register_mute();
  // With half the power muted no quorum forms: no commit from shortly after 2 min (votes already in
  // flight may still land) to 4 min; commits resume after.
  shsim::testing::Run half = shsim::testing::simulate(scenario("[0, 1]"));
  CHECK(commits_between(half, 0, 120) > 0);
  CHECK(commits_between(half, 125, 240) == 0);
  CHECK(commits_between(half, 240, 360) > 0);
  // A quarter muted leaves 3/4 > 2/3: commits go on through the window.
  shsim::testing::Run quarter = shsim::testing::simulate(scenario("[3]"));
  CHECK(commits_between(quarter, 125, 240) > 0);
}

TEST_CASE("a registered adversary kind is checked like the built-in ones", "[adversary][plugin]")
{
  register_mute();
  std::string bad = shsim::testing::write_temporary(scenario("[9]"));
  CHECK_THROWS_WITH(shsim::load_scenario(bad, {}),
                    Catch::Contains("adversaries[0].mute.validators[0]: validator 9 does not exist (0..3)"));
  std::string misspelt = shsim::testing::write_temporary(
      "parent: { validators: { count: 4 } }\nadversaries:\n  - mutte: { validators: [0] }\n");
  CHECK_THROWS_WITH(shsim::load_scenario(misspelt, {}), Catch::Contains("did you mean 'mute'?"));
}
