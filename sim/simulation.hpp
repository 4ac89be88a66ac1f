// One run of one scenario: builds the SimGrid platform from the regions, places the nodes, lets the
// chosen protocol create its actors, applies lifecycle adversaries, runs to the deadline and
// assembles the summary. One Simulation per process: SimGrid's clock does not reset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <simgrid/s4u.hpp>

#include "sim/interrupt.hpp"
#include "sim/child.hpp"
#include "sim/event_queue.hpp"
#include "sim/ledger.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/overlay.hpp"
#include "sim/recorder.hpp"
#include "sim/regions.hpp"
#include "sim/rng.hpp"
#include "sim/scenario.hpp"

namespace shsim {

/// Stack of each SimGrid actor, KiB (sanitizer builds need more).
#ifndef SHSIM_ACTOR_STACK_KIB
#define SHSIM_ACTOR_STACK_KIB 128
#endif
constexpr int actor_stack_kib = SHSIM_ACTOR_STACK_KIB;

struct RunResult {
  nlohmann::json summary;       // deterministic: same scenario + seed = same bytes
  nlohmann::json performance;   // wall-clock figures, which differ run to run
  std::vector<EventRecord> events;  // empty when streamed to a file
  bool events_streamed = false;
  std::vector<TimelineRow> timelines;
  std::vector<std::string> timeline_columns;  // every declared stage, in order
  std::map<std::string, std::vector<std::string>> timeline_stages;  // the stages of each chain with rows
  bool expectations_passed = true;
};

/// The figures of summary.json "run" (the rest of it describes the run and is not a metric).
Metrics run_metrics();

class Simulation {
public:
  /// `engine_args` are SimGrid options passed through (--cfg=..., --log=...).
  Simulation(const Scenario& scenario, std::vector<std::string> engine_args = {});
  ~Simulation();

  RunResult run(bool show_progress = false);
  /// Streams the event log to `path` as the run goes (set before run(); "" keeps it in memory).
  void stream_events_to(std::string path) { event_log_path_ = std::move(path); }
  /// SimGrid aborts the process on some invalid options (--log=nonsense, an unknown context factory):
  /// try them in a forked child first. Throws InputError with SimGrid's first line of complaint.
  static void check_engine_options(const std::vector<std::string>& engine_args);

  // ---- for models ----
  const Scenario& scenario() const { return scenario_; }
  const RegionMatrix& regions() const { return scenario_.regions; }
  Recorder& recorder() { return *recorder_; }
  /// The parent chain's pool, blocks and finality, shared by the parent protocol and its users.
  ParentLedger& ledger() { return *ledger_; }
  /// What the proposer of parent block `height` leaves out (null: nothing), from parent_censor adversaries.
  const CensorRule* censorship(int proposer, long long height, double time) const;
  /// Takes `nodes` offline from `from` to `until` (an actor; create it before the nodes' actors so
  /// that an outage at t = 0 precedes their start). `chain` names them in the event log.
  void schedule_outage(std::vector<int> nodes, double from, double until, const std::string& chain,
                       const std::string& what);
  /// The child chain of that name (null before it is built or if there is none).
  ChildChain* child(const std::string& name);
  /// First node id of each child chain and bridge, in scenario order, then one past the last.
  int first_node_of_child(size_t index) const { return child_first_node_[index]; }
  int first_node_of_bridge(size_t index) const { return bridge_first_node_[index]; }
  Network& network() { return *network_; }
  EventQueue& events() { return *queue_; }
  const OverlayGraph& overlay() const { return overlay_; }
  Node& node(int id) { return *nodes_[id]; }
  /// The machine a node (a role) runs on: validator i's machine is machine i; roles placed on a
  /// validator's machine share its number (ChildParams::placements).
  int machine_of(int node) const { return machine_of_node_[static_cast<size_t>(node)]; }
  /// The nodes (roles) on a machine, in node order.
  const std::vector<int>& roles_on_machine(int machine) const { return roles_of_machine_[static_cast<size_t>(machine)]; }
  /// The region (index into the latency matrix) a node's machine is in.
  int region_of(int node) const { return placements_[static_cast<size_t>(node)].region; }
  int node_count() const { return static_cast<int>(placements_.size()); }
  /// Registers the node with id nodes_.size() and starts its actor on its host.
  void add_node(std::unique_ptr<Node> node);
  /// Stake of each parent validator (node i is validator i).
  const std::vector<double>& stakes() const { return stakes_; }
  /// The validators an adversary entry names, explicitly or by stake share.
  std::vector<int> select_validators(const ValidatorSelection& selection, size_t adversary_index) const;
  RandomStream stream(std::string_view purpose, uint64_t index = 0) const;
  double now() const { return sg4::Engine::get_clock(); }
  void count_event() { ++events_; }
  /// True once the deadline has passed: events still queued in the kernel are then ignored.
  /// The run is over: its deadline passed, or the user interrupted it (sim/interrupt.hpp).
  bool stopped() const { return stopped_ || interrupt_signal() != 0; }

private:
  void configure_engine();
  std::vector<Placement> place_nodes();
  void build_children_and_bridges();
  void attach_adversaries();
  nlohmann::json economic_security(const ChildChain& child) const;
  void build_platform(const std::vector<int>& regions_of_nodes, std::vector<Placement>& placements);
  void schedule_lifecycle_adversaries();
  void start_watchdog(bool show_progress);

  const Scenario& scenario_;
  std::vector<std::string> engine_args_;
  std::unique_ptr<sg4::Engine> engine_;
  std::vector<Placement> placements_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<EventQueue> queue_;
  std::unique_ptr<Network> network_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<ParentLedger> ledger_;
  std::unique_ptr<ParentRuntime> parent_;
  std::vector<std::unique_ptr<ChildChain>> children_;
  std::vector<std::unique_ptr<BridgeRuntime>> bridges_;
  std::vector<int> child_first_node_, bridge_first_node_;
  std::vector<std::string> node_owner_;  // chain or bridge of each node
  std::vector<int> machine_of_node_;                // machine of each node (role)
  std::vector<std::vector<int>> roles_of_machine_;  // nodes of each machine
  struct Censor {
    size_t adversary;
    CensorRule rule;
    std::vector<char> proposers;  // empty: a share of blocks, drawn per height
  };
  std::vector<Censor> censors_;
  OverlayGraph overlay_;
  std::vector<double> stakes_;
  uint64_t events_ = 0;
  std::string event_log_path_;
  bool stopped_     = false;
};

/// Draws the validators' stakes from the scenario (deterministic for a seed).
std::vector<double> draw_stakes(const Validators& validators, uint64_t seed);
/// The validators an adversary entry names: explicitly, or the smallest set in `pick` order whose
/// stake reaches the share.
std::vector<int> select_validators(const ValidatorSelection& selection, const std::vector<double>& stakes,
                                   uint64_t seed, size_t adversary_index);
/// How many validators go to each region: largest remainder of count x share.
std::vector<int> region_counts(const Validators& validators, const RegionMatrix& regions);

}  // namespace shsim
