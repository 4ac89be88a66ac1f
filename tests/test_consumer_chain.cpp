// Two chains of one protocol in one run (issue 10): Tendermint as the parent and as a consumer
// chain (after Cosmos interchain security: the consumer's validators are provider validators, its
// nodes running on their machines). A toy family registered from this test places a Tendermint
// validator role on the machines of parent validators 0..3 and builds a second Tendermint chain
// there with its own pool, through the model's own ChainState and validators.
//
// Property (Buchman, Kwon, Milosevic, arXiv 1807.04938: a height commits only with more than 2/3 of
// the voting power): crashing the machines of validators 0 and 1 takes 2 of the parent's 7 equal
// validators down (5/7 > 2/3: the parent goes on) and 2 of the consumer's 4 (2/4: the consumer
// halts until they recover). The chains share machines and nothing else.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "models/tendermint/validator.hpp"
#include "sim/child.hpp"
#include "sim/protocol.hpp"
#include "sim/schema.hpp"
#include "sim/simulation.hpp"
#include "tests/support.hpp"

namespace {

namespace tm = shsim::models::tendermint;

struct ConsumerParams {
  std::string name = "consumer";
  std::vector<int> validators{0, 1, 2, 3};
  template <class V> void describe(V& v)
  {
    v.field("name", name, "chain name");
    v.field("validators", validators, "parent validators that also validate the consumer chain");
  }
};

class ConsumerChoice : public shsim::ChildParams {
public:
  ConsumerParams params;
  YAML::Node dump() const override { return shsim::SchemaWriter::write(params); }
  const std::string& chain_name() const override { return params.name; }
  std::vector<shsim::RolePlacement> placements(int) const override
  {
    std::vector<shsim::RolePlacement> roles;
    for (int v : params.validators)
      roles.push_back({"", v});
    return roles;
  }
};

class Consumer : public shsim::ChildChain {
public:
  Consumer(shsim::Simulation& simulation, const ConsumerParams& params, int first_node) : name_(params.name)
  {
    std::vector<double> stakes(params.validators.size(), 1.0);
    simulation.recorder().add_chain({name_, "tendermint", stakes});
    ledger_ = std::make_unique<shsim::ParentLedger>(simulation.recorder(), name_, shsim::ParentFees{});
    tm::Params consensus;
    chain_ = std::make_unique<tm::ChainState>(name_, consensus, std::vector<long long>(stakes.size(), 1), *ledger_);
    chain_->first_node = first_node;
    tm::add_validators(simulation, *chain_);
  }
  const std::string& name() const override { return name_; }
  std::string protocol() const override { return "consumer"; }
  shsim::SecurityFacts security() const override { return {}; }
  nlohmann::json summary() const override { return nlohmann::json::object(); }

private:
  std::string name_;
  std::unique_ptr<shsim::ParentLedger> ledger_;
  std::unique_ptr<tm::ChainState> chain_;
};


void register_consumer()
{
  shsim::models::register_all();
  auto& registry = shsim::ProtocolRegistry::instance();
  if (registry.find_child("consumer") == nullptr)
    registry.add_child(std::make_unique<shsim::SimpleChildFactory<ConsumerChoice>>(
        "consumer", "test-only: a Tendermint chain on some parent validators' machines", shsim::child_engine_metrics(),
        [](shsim::Simulation& simulation, const ConsumerChoice& choice, int first_node) {
          return std::make_unique<Consumer>(simulation, choice.params, first_node);
        }));
}

std::vector<double> commits_of(const shsim::testing::Run& run, const std::string& chain, int first, int last)
{
  std::vector<double> times;
  for (const auto& e : run.events)
    if (e.event == "commit" && e.chain == chain) {
      CHECK(e.node >= first);  // each chain's commits come from its own validators' nodes only
      CHECK(e.node <= last);
      times.push_back(e.time);
    }
  return times;
}

long long between(const std::vector<double>& times, double from, double until)
{
  return std::count_if(times.begin(), times.end(), [&](double t) { return t > from && t < until; });
}

}  // namespace

TEST_CASE("Tendermint runs as the parent and as a consumer chain on a subset of its machines", "[machines][chains]")
{
  register_consumer();
  shsim::testing::Run run = shsim::testing::simulate(
      "name: consumer\nseed: 4\nduration: 6m\nparent:\n  protocol: tendermint\n  validators: { count: 7 }\n"
      "children:\n  - consumer: { validators: [0, 1, 2, 3] }\n"
      "adversaries:\n  - crash: { validators: [0, 1], from: 2m, until: 4m }\nexpect: []\n");
  // Reported separately, each with its own detectors.
  CHECK(run.chain("parent")["blocks_committed"].get<long long>() > 0);
  CHECK(run.chain("consumer")["blocks_committed"].get<long long>() > 0);
  CHECK(run.chain("parent")["safety_violations"] == 0);
  CHECK(run.chain("consumer")["safety_violations"] == 0);
  CHECK(run.chain("consumer")["validators"] == 4);
  auto parent   = commits_of(run, "parent", 0, 6);
  auto consumer = commits_of(run, "consumer", 7, 10);
  // Before the crash both commit; during it only the parent keeps a quorum; after it both again.
  CHECK(between(parent, 0, 120) > 0);
  CHECK(between(consumer, 0, 120) > 0);
  CHECK(between(parent, 125, 240) > 0);
  CHECK(between(consumer, 125, 240) == 0);
  CHECK(between(consumer, 240, 360) > 0);
}
