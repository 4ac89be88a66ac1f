// What every actor of a run shares: the scenario, the clock, the population (stakes, machines,
// roles), the nodes, the network, the event queue, the parent ledger, the recorder and the seeded
// random streams. The engine's runtime parts (node, network, event_queue, relay, parent_client) see
// the run only through World, never through Simulation, which builds it and sits above them.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <simgrid/s4u.hpp>

#include "sim/event_queue.hpp"
#include "sim/interrupt.hpp"
#include "sim/ledger.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/platform.hpp"
#include "sim/population.hpp"
#include "sim/recorder.hpp"
#include "sim/rng.hpp"
#include "sim/scenario.hpp"

namespace shsim {

class World {
public:
  World(const World&)            = delete;
  World& operator=(const World&) = delete;

  const Scenario& scenario() const { return scenario_; }
  const RegionMatrix& regions() const { return scenario_.regions; }
  const Population& population() const { return population_; }
  Recorder& recorder() { return *recorder_; }
  /// The parent chain's pool, blocks and finality, shared by the parent protocol and its users.
  ParentLedger& ledger() { return *ledger_; }
  Network& network() { return *network_; }
  EventQueue& events() { return *queue_; }
  Node& node(int id) { return *nodes_[static_cast<size_t>(id)]; }
  int node_count() const { return population_.node_count(); }
  /// The machine a node (a role) runs on: validator i's machine is machine i; roles placed on a
  /// validator's machine share its number (ChildParams::placements).
  int machine_of(int node) const { return population_.machine_of_node[static_cast<size_t>(node)]; }
  /// The nodes (roles) on a machine, in node order.
  const std::vector<int>& roles_on_machine(int machine) const
  {
    return population_.roles_of_machine[static_cast<size_t>(machine)];
  }
  /// The region (index into the latency matrix) a node's machine is in.
  int region_of(int node) const { return placements_[static_cast<size_t>(node)].region; }
  /// Stake of each parent validator (node i is validator i).
  const std::vector<double>& stakes() const { return population_.stakes; }
  /// The validators an adversary entry names, explicitly or by stake share.
  std::vector<int> select_validators(const ValidatorSelection& selection, size_t adversary_index) const
  {
    return population_.select_validators(selection, adversary_index);
  }
  /// Registers the node with id nodes_.size() and starts its actor on its machine's host.
  void add_node(std::unique_ptr<Node> node);
  RandomStream stream(std::string_view purpose, uint64_t index = 0) const
  {
    return RandomStream(population_.seed, purpose, index);
  }
  /// Simulated time (sim/event_queue.hpp: the running event's time).
  double now() const { return queue_->now(); }
  void count_event() { ++events_; }
  uint64_t events_processed() const { return events_; }
  /// The run is over: its deadline passed (events still queued in the kernel are then ignored), or
  /// the user interrupted it (sim/interrupt.hpp).
  bool stopped() const { return stopped_ || interrupt_signal() != 0; }

protected:
  friend class Director;  // starts actors on a host and stops the run
  World(const Scenario& scenario) : scenario_(scenario), population_(Population::of(scenario)) {}
  ~World();

  const Scenario& scenario_;
  Population population_;
  std::vector<Placement> placements_;  // of each node: its machine's region and host
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<EventQueue> queue_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<ParentLedger> ledger_;
  uint64_t events_ = 0;
  bool stopped_    = false;
};

}  // namespace shsim
