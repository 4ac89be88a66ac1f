// Machines and roles (issue 10): a child family run by the parent's own validators places a role on
// every validator's machine (as a Polkadot collator-checker runs on each relay validator, or a
// consumer-chain validator on each opted-in provider validator). The toy family below is
// registered from this test (no engine or model file knows it). Its roles tick every second and
// send each other a small message per tick. A machine's crash must take both of its roles down, and
// a partition must cut both: the engine applies crashes and partitions to machines, not node numbers.
#include <catch2/catch.hpp>

#include <algorithm>
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

struct CheckerParams {
  std::string name = "checkers";
  template <class V> void describe(V& v) { v.field("name", name, "chain name"); }
};

class CheckerChoice : public shsim::ChildParams {
public:
  CheckerParams params;
  YAML::Node dump() const override { return shsim::SchemaWriter::write(params); }
  const std::string& chain_name() const override { return params.name; }
  std::vector<shsim::RolePlacement> placements(int validators) const override
  {
    std::vector<shsim::RolePlacement> roles;
    for (int v = 0; v < validators; ++v)
      roles.push_back({"", v});
    return roles;
  }
};

struct Ping : shsim::Message {
  static inline const shsim::MessageKind kind_id{"test_ping"};
  shsim::MessageKind kind() const override { return kind_id; }
};

struct Tally {
  std::vector<long long> ticks;
  long long cross_region_during_partition = 0, cross_region_outside = 0;
  double partition_from = 0, partition_until = 0;
};

class Checker : public shsim::Node {
public:
  Checker(shsim::Simulation& simulation, int id, int index, int first, int count, Tally& tally)
      : Node(simulation, id), index_(index), first_(first), count_(count), tally_(tally)
  {
  }

protected:
  void on_start() override { set_timer(1, {1, 0, 0}); }
  void on_recover() override { set_timer(1, {1, 0, 0}); }
  void on_timer(const shsim::TimerEvent&) override
  {
    ++tally_.ticks[static_cast<size_t>(index_)];
    for (int peer = first_; peer < first_ + count_; ++peer)
      if (peer != id())
        send(peer, shsim::make_message<Ping>());
    set_timer(1, {1, 0, 0});
  }
  void on_message(int from, const shsim::Message&) override
  {
    if (world().region_of(from) == world().region_of(id()))
      return;
    bool cut = now() >= tally_.partition_from && now() < tally_.partition_until;
    ++(cut ? tally_.cross_region_during_partition : tally_.cross_region_outside);
  }

private:
  int index_, first_, count_;
  Tally& tally_;
};

class Checkers : public shsim::ChildChain {
public:
  Checkers(shsim::Simulation& simulation, const CheckerParams& params, int first_node)
      : simulation_(simulation), name_(params.name), first_node_(first_node)
  {
    int count = simulation.scenario().parent.validators.count;
    tally_.ticks.assign(static_cast<size_t>(count), 0);
    for (const auto& a : simulation.scenario().adversaries)
      if (a.kind == "partition") {
        // Messages already in flight when the cut starts may land just after it.
        tally_.partition_from  = a.from() + 1;
        tally_.partition_until = a.end();
      }
    for (int i = 0; i < count; ++i)
      simulation.add_node(std::make_unique<Checker>(simulation, first_node + i, i, first_node, count, tally_));
  }
  const std::string& name() const override { return name_; }
  std::string protocol() const override { return "checker"; }
  shsim::SecurityFacts security() const override { return {}; }
  nlohmann::json summary() const override
  {
    nlohmann::json same_machine = nlohmann::json::array();
    for (int i = 0; i < static_cast<int>(tally_.ticks.size()); ++i)
      same_machine.push_back(simulation_.machine_of(first_node_ + i) == simulation_.machine_of(i) &&
                             simulation_.region_of(first_node_ + i) == simulation_.region_of(i));
    return {{"protocol", "checker"},
            {"ticks", tally_.ticks},
            {"on_validator_machine", same_machine},
            {"cross_region_during_partition", tally_.cross_region_during_partition},
            {"cross_region_outside", tally_.cross_region_outside}};
  }

private:
  shsim::Simulation& simulation_;
  std::string name_;
  int first_node_;
  Tally tally_;
};


void register_checker()
{
  shsim::models::register_all();
  auto& registry = shsim::ProtocolRegistry::instance();
  if (registry.find_child("checker") == nullptr)
    registry.add_child(std::make_unique<shsim::SimpleChildFactory<CheckerChoice>>(
        "checker", "test-only: a role on every parent validator's machine", shsim::child_engine_metrics(),
        [](shsim::Simulation& simulation, const CheckerChoice& choice, int first_node) {
          return std::make_unique<Checkers>(simulation, choice.params, first_node);
        }));
}

const std::string parent = "parent:\n  protocol: tendermint\n  validators:\n    count: 4\n"
                           "    placement: { north-america: 50%, europe: 50% }\n";

}  // namespace

TEST_CASE("a crash takes down every role on the machine", "[machines]")
{
  register_checker();
  shsim::testing::Run run = shsim::testing::simulate(
      "name: machines\nseed: 2\nduration: 5m\n" + parent +
      "children:\n  - checker: {}\nadversaries:\n  - crash: { validators: [1], from: 1m, until: 3m }\nexpect: []\n");
  const auto& checkers = run.chain("checkers");
  for (const auto& same : checkers["on_validator_machine"])
    CHECK(same.get<bool>());
  auto ticks = checkers["ticks"].get<std::vector<long long>>();
  // 300 s of one tick a second for the others; the crashed machine's checker lost the 120 s down.
  CHECK(ticks[0] >= 298);
  CHECK(ticks[1] <= ticks[0] - 118);
  CHECK(ticks[1] >= ticks[0] - 122);
  // The validator on that machine went down with it: the crash and recovery name both roles.
  CHECK(run.times_of("crash", 1).size() == 1);
  CHECK(run.times_of("recover", 1).size() == 1);
  CHECK(run.times_of("crash", 4 + 1).size() == 1);
}

TEST_CASE("a partition cuts every role on the machines it separates", "[machines]")
{
  register_checker();
  shsim::testing::Run run = shsim::testing::simulate(
      "name: machines\nseed: 2\nduration: 5m\n" + parent +
      "children:\n  - checker: {}\nadversaries:\n"
      "  - partition: { groups: [[north-america], [europe]], from: 1m, until: 3m }\nexpect: []\n");
  const auto& checkers = run.chain("checkers");
  CHECK(checkers["cross_region_outside"].get<long long>() > 0);
  CHECK(checkers["cross_region_during_partition"].get<long long>() == 0);
  // The parent's validators, on the same machines, were cut too: nothing committed meanwhile.
  auto commits = run.times_of("commit");
  CHECK(std::none_of(commits.begin(), commits.end(), [](double t) { return t > 65 && t < 180; }));
}

// ---- Roles that share a machine share its network: two roles on validator 0's machine and one on a
// machine of its own. At t = 1 s both co-located roles send the remote one a 1 MB message over the
// queued transport, and the first also pings its neighbour on the same machine. SimBlock's queued
// model sends one large message at a time per upload link (../shared/peers: the sender's queue frees
// when a transfer ends), so the second message leaves when the first is through: it arrives exactly
// one transfer time, 8 Mbit / 100 Mbit/s = 80 ms, after the first. The ping never leaves the machine.

namespace {

struct PairParams {
  std::string name = "pair";
  template <class V> void describe(V& v) { v.field("name", name, "chain name"); }
};

class PairChoice : public shsim::ChildParams {
public:
  PairParams params;
  YAML::Node dump() const override { return shsim::SchemaWriter::write(params); }
  const std::string& chain_name() const override { return params.name; }
  std::vector<shsim::RolePlacement> placements(int) const override { return {{"", 0}, {"", 0}, {"europe", -1}}; }
};

struct Bulk : shsim::Message {
  static inline const shsim::MessageKind kind_id{"test_bulk"};
  shsim::MessageKind kind() const override { return kind_id; }
};

struct Arrivals {
  double ping = -1;
  std::vector<double> bulk;
};

class PairRole : public shsim::Node {
public:
  PairRole(shsim::Simulation& simulation, int id, int index, int first, Arrivals& arrivals)
      : Node(simulation, id), index_(index), first_(first), arrivals_(arrivals)
  {
  }

protected:
  void on_start() override
  {
    if (index_ < 2)
      set_timer(1, {1, 0, 0});
  }
  void on_timer(const shsim::TimerEvent&) override
  {
    auto bulk   = shsim::make_message<Bulk>();
    bulk->bytes = 1000000;
    send(first_ + 2, bulk);
    if (index_ == 0)
      send(first_ + 1, shsim::make_message<Ping>());
  }
  void on_message(int, const shsim::Message& message) override
  {
    if (message.kind() == Ping::kind_id)
      arrivals_.ping = now();
    else
      arrivals_.bulk.push_back(now());
  }

private:
  int index_, first_;
  Arrivals& arrivals_;
};

class Pair : public shsim::ChildChain {
public:
  Pair(shsim::Simulation& simulation, const PairParams& params, int first_node)
      : simulation_(simulation), name_(params.name), first_node_(first_node)
  {
    for (int i = 0; i < 3; ++i)
      simulation.add_node(std::make_unique<PairRole>(simulation, first_node + i, i, first_node, arrivals_));
  }
  const std::string& name() const override { return name_; }
  std::string protocol() const override { return "pair"; }
  shsim::SecurityFacts security() const override { return {}; }
  nlohmann::json summary() const override
  {
    return {{"protocol", "pair"},
            {"co_located", simulation_.machine_of(first_node_) == simulation_.machine_of(first_node_ + 1) &&
                               simulation_.machine_of(first_node_) == simulation_.machine_of(0)},
            {"ping_at", arrivals_.ping},
            {"bulk_at", arrivals_.bulk}};
  }

private:
  shsim::Simulation& simulation_;
  std::string name_;
  int first_node_;
  Arrivals arrivals_;
};

}  // namespace

TEST_CASE("roles on one machine share its upload queue and reach each other without the network", "[machines]")
{
  shsim::models::register_all();
  auto& registry = shsim::ProtocolRegistry::instance();
  if (registry.find_child("pair") == nullptr)
    registry.add_child(std::make_unique<shsim::SimpleChildFactory<PairChoice>>(
        "pair", "test-only: two roles on validator 0's machine and one elsewhere", shsim::child_engine_metrics(),
        [](shsim::Simulation& simulation, const PairChoice& choice, int first_node) {
          return std::make_unique<Pair>(simulation, choice.params, first_node);
        }));
  shsim::testing::Run run = shsim::testing::simulate(
      "name: machines\nseed: 2\nduration: 10s\n" + parent +
      "network: { jitter: none, transport: { mode: queued } }\nchildren:\n  - pair: {}\nexpect: []\n");
  const auto& pair = run.chain("pair");
  CHECK(pair["co_located"].get<bool>());
  CHECK(pair["ping_at"].get<double>() == Approx(1.0).margin(1e-12));
  auto bulk = pair["bulk_at"].get<std::vector<double>>();
  REQUIRE(bulk.size() == 2);
  CHECK(bulk[1] - bulk[0] == Approx(8e6 / 100e6).margin(1e-9));
  CHECK(bulk[0] > 1.08);  // the first transfer, then the path latency
}

TEST_CASE("a bridge to a family that takes none is refused at check, naming the chains that do", "[machines][bridge]")
{
  // The checker family has no bridge endpoint (ChildProtocolFactory::bridgeable() is false), so a
  // bridge to it is bad input, refused with its file and key before any simulation.
  register_checker();
  std::string path = shsim::testing::write_temporary(
      "name: machines\nseed: 2\nduration: 5m\n" + parent +
      "children:\n  - checker: {}\n  - optimistic_rollup: { name: op }\nbridges:\n  - child: checkers\nexpect: []\n");
  CHECK_THROWS_WITH(shsim::load_scenario(path, {}),
                    Catch::Contains("bridges[0].child") &&
                        Catch::Contains("'checkers' is a checker chain, which takes no bridge (chains that do: op)"));
  // The same bridge to the rollup loads.
  std::string good = shsim::testing::write_temporary(
      "name: machines\nseed: 2\nduration: 5m\n" + parent +
      "children:\n  - checker: {}\n  - optimistic_rollup: { name: op }\nbridges:\n  - child: op\nexpect: []\n");
  CHECK_NOTHROW(shsim::load_scenario(good, {}));
}
