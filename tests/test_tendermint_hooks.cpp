// Tendermint's signing hooks (models/tendermint/hooks.hpp): an adversary registered from this test
// changes how validators vote through SigningHook::on_vote, with no line in the protocol's code.
//
// The toy kind, `nil_voter`, makes its validators prevote and precommit nil whatever they saw. A
// block commits only with precommits from more than 2/3 of the voting power, and a validator
// precommits a block only after prevotes for it from more than 2/3 (Buchman, Kwon, Milosevic,
// arXiv 1807.04938, Algorithm 1 lines 36-43 and 49): with 2 of 4 equal validators voting nil no block
// can commit, yet every vote still arrives, so 2/3 "any" prevotes and precommits form and rounds keep
// failing on their timeouts (lines 34 and 47) rather than stalling as they do when the same
// validators are muted (tests/test_adversary_plugin.cpp). With 1 of 4, 3/4 > 2/3 and blocks commit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "models/registry.hpp"
#include "models/tendermint/validator.hpp"
#include "sim/adversary.hpp"
#include "sim/simulation.hpp"
#include "tests/support.hpp"

namespace {

namespace tm = shsim::models::tendermint;

class NilVoteHook : public tm::SigningHook {
public:
  NilVoteHook(std::vector<int> members, const shsim::Window& window) : members_(std::move(members)), window_(window) {}
  bool acts_on(int index, double now) const override
  {
    return window_.active(now) && std::count(members_.begin(), members_.end(), index) > 0;
  }
  bool on_vote(tm::Validator& validator, tm::VoteType type, int round, uint64_t) override
  {
    validator.send_to_group(validator.make_vote(type, round, tm::nil), -1, round);
    return true;
  }

private:
  std::vector<int> members_;
  shsim::Window window_;
};

struct NilVoter : shsim::Window {
  shsim::ValidatorSelection who;
  template <class V> void describe(V& o)
  {
    who.describe_fields(o);
    describe_window(o);
  }
  void check(const shsim::AdversaryCheck& check) const { check.validators(who); }
  void attach(shsim::Simulation& simulation, size_t index) const
  {
    auto& chain = dynamic_cast<tm::ChainState&>(simulation.parent_runtime());
    chain.hooks.push_back(std::make_shared<NilVoteHook>(simulation.select_validators(who, index), *this));
  }
};

void register_nil_voter()
{
  shsim::models::register_all();
  auto& registry = shsim::ProtocolRegistry::instance();
  if (registry.find_adversary("nil_voter") == nullptr)
    registry.add_adversary(std::make_unique<shsim::AdversaryKind<NilVoter>>(
        "nil_voter", "test-only: the validators prevote and precommit nil", false));
}

shsim::testing::Run run_with_nil_voters(const std::string& validators)
{
  return shsim::testing::simulate(
      "name: nil-voters\nseed: 7\nduration: 6m\nparent:\n  protocol: tendermint\n  validators: { count: 4 }\n"
      "adversaries:\n  - nil_voter: { validators: " +
      validators + ", from: 2m, until: 4m }\nexpect: []\n");
}

long long count_between(const shsim::testing::Run& run, const std::string& event, double from, double until)
{
  auto times = run.times_of(event);
  return std::count_if(times.begin(), times.end(), [&](double t) { return t > from && t < until; });
}

int highest_round_between(const shsim::testing::Run& run, double from, double until)
{
  int highest = 0;
  for (const auto& e : run.events)
    if (e.event == "round" && e.time > from && e.time < until)
      highest = std::max(highest, e.round);
  return highest;
}

}  // namespace

TEST_CASE("a signing hook registered from a test makes validators vote nil without touching Tendermint's code",
          "[tendermint][adversary][plugin]")
{
  register_nil_voter();
  shsim::testing::Run half = run_with_nil_voters("[0, 1]");
  CHECK(count_between(half, "commit", 0, 120) > 0);
  // Votes in flight at 2 min may still complete a height; none after.
  CHECK(count_between(half, "commit", 125, 240) == 0);
  // The nil votes arrive: rounds fail on timeout_prevote/timeout_precommit and advance.
  CHECK(count_between(half, "timeout_precommit", 125, 240) > 0);
  CHECK(highest_round_between(half, 125, 240) >= 5);
  CHECK(count_between(half, "commit", 240, 360) > 0);

  shsim::testing::Run quarter = run_with_nil_voters("[3]");
  CHECK(count_between(quarter, "commit", 125, 240) > 0);
}
