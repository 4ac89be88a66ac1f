// One run of one scenario: builds the SimGrid platform from the regions, places the nodes, lets the
// chosen protocol create its actors, applies lifecycle adversaries, runs to the deadline and
// assembles the summary. One Simulation per process: SimGrid's clock does not reset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <simgrid/s4u.hpp>

#include "sim/event_queue.hpp"
#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/overlay.hpp"
#include "sim/recorder.hpp"
#include "sim/regions.hpp"
#include "sim/rng.hpp"
#include "sim/scenario.hpp"

namespace shsim {

struct RunResult {
  nlohmann::json summary;       // deterministic: same scenario + seed = same bytes
  nlohmann::json performance;   // wall-clock figures, which differ run to run
  std::vector<EventRecord> events;
  bool expectations_passed = true;
};

class Simulation {
public:
  /// `engine_args` are SimGrid options passed through (--cfg=..., --log=...).
  Simulation(const Scenario& scenario, std::vector<std::string> engine_args = {});
  ~Simulation();

  RunResult run(bool show_progress = false);
  /// SimGrid aborts the process on some invalid options (--log=nonsense, an unknown context factory):
  /// try them in a forked child first. Throws InputError with SimGrid's first line of complaint.
  static void check_engine_options(const std::vector<std::string>& engine_args);

  // ---- for models ----
  const Scenario& scenario() const { return scenario_; }
  const RegionMatrix& regions() const { return scenario_.regions; }
  Recorder& recorder() { return *recorder_; }
  Network& network() { return *network_; }
  EventQueue& events() { return *queue_; }
  const OverlayGraph& overlay() const { return overlay_; }
  Node& node(int id) { return *nodes_[id]; }
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
  bool stopped() const { return stopped_; }

private:
  void configure_engine();
  std::vector<Placement> place_nodes(int count);
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
  OverlayGraph overlay_;
  std::vector<double> stakes_;
  uint64_t events_ = 0;
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
