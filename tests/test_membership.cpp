// Chain membership: a chain's protocol messages go to its members only (issue 9: Tendermint sent
// every vote to every node of the run, sequencers and provers included). A toy child family,
// registered from this test (no engine or model file knows it), puts listening nodes in the run;
// under every parent protocol they must receive nothing, while the parent's own nodes talk.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "sim/child.hpp"
#include "sim/node.hpp"
#include "sim/protocol.hpp"
#include "sim/schema.hpp"
#include "sim/simulation.hpp"
#include "tests/support.hpp"

namespace {

struct ListenerParams {
  std::string name = "ears";
  int nodes        = 3;
  template <class V> void describe(V& v)
  {
    v.field("name", name, "chain name");
    v.field("nodes", nodes, "listening nodes", shsim::between<int>(1, 100));
  }
};

class ListenerChoice : public shsim::ChildParams {
public:
  ListenerParams params;
  YAML::Node dump() const override { return shsim::SchemaWriter::write(params); }
  const std::string& chain_name() const override { return params.name; }
  std::vector<std::string> node_regions() const override
  {
    return std::vector<std::string>(static_cast<size_t>(params.nodes), "");
  }
};

/// Counts what reaches it, by message kind.
class Listener : public shsim::Node {
public:
  Listener(shsim::Simulation& simulation, int id, std::map<std::string, long long>& heard)
      : Node(simulation, id), heard_(heard)
  {
  }

protected:
  void on_message(int, const shsim::Message& message) override { ++heard_[std::string(message.kind().name())]; }

private:
  std::map<std::string, long long>& heard_;
};

class Ears : public shsim::ChildChain {
public:
  Ears(shsim::Simulation& simulation, const ListenerParams& params, int first_node)
      : name_(params.name)
  {
    for (int i = 0; i < params.nodes; ++i)
      simulation.add_node(std::make_unique<Listener>(simulation, first_node + i, heard_));
  }
  const std::string& name() const override { return name_; }
  std::string protocol() const override { return "listener"; }
  shsim::SecurityFacts security() const override { return {}; }
  nlohmann::json summary() const override
  {
    long long total = 0;
    for (const auto& [kind, count] : heard_)
      total += count;
    return {{"protocol", "listener"}, {"messages_received", total}, {"kinds_received", heard_}};
  }

private:
  std::string name_;
  std::map<std::string, long long> heard_;
};

void register_listener()
{
  auto& registry = shsim::ProtocolRegistry::instance();
  if (registry.find_child("listener") == nullptr)
    registry.add_child(std::make_unique<shsim::SimpleChildFactory<ListenerChoice>>(
        "listener", "test-only: nodes that count what they receive",
        [] {
          shsim::Metrics all{
              shsim::metric::count("messages_received", "messages", "messages the listeners received")};
          shsim::append(all, shsim::child_engine_metrics());
          return all;
        }(),
        [](shsim::Simulation& simulation, const ListenerChoice& choice, int first_node) {
          return std::make_unique<Ears>(simulation, choice.params, first_node);
        }));
  shsim::models::register_all();
}

}  // namespace

TEST_CASE("only a chain's members receive its protocol messages, on every parent", "[membership]")
{
  register_listener();
  auto [protocol, parent] = GENERATE(table<std::string, std::string>({
      {"tendermint", "protocol: tendermint\n  validators: { count: 7 }"},
      {"gasper", "protocol: { gasper: { slots_per_epoch: 4 } }\n  validators: { count: 16 }"},
      {"nakamoto", "protocol: { nakamoto: { block_interval: 30s } }\n  validators: { count: 12 }"},
  }));
  INFO(protocol);
  std::string scenario = "name: membership\nseed: 3\nduration: 10m\nparent:\n  " +
                         parent + "\nchildren:\n  - listener: { name: ears, nodes: 5 }\nexpect: []\n";
  shsim::testing::Run run = shsim::testing::simulate(scenario);
  // The parent's members talked (so a count of zero below means something) ...
  CHECK(run.chain()["messages_per_node"]["mean"].get<double>() > 0);
  CHECK(run.chain()["blocks_committed"].get<long long>() > 0);
  // ... and the five non-members heard none of it.
  CHECK(run.chain("ears")["messages_received"] == 0);
  CHECK(run.chain("ears")["kinds_received"].empty());
}
