// One run of one scenario. Simulation is the World every actor shares, and it owns the jobs of a
// run, each in its own file: the Platform (SimGrid engine and hosts, sim/platform.hpp), the
// Population (stakes, machines and roles, sim/population.hpp), the Director (adversary timeline,
// outages, censorship, watchdog, sim/director.hpp) and the Report (summary, expectations,
// sim/report.hpp). It builds them in order, lets the parent protocol, the child chains and the
// bridges create their actors, attaches the adversaries and runs to the deadline.
// One Simulation per process: SimGrid's clock does not reset.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/application.hpp"
#include "sim/child.hpp"
#include "sim/director.hpp"
#include "sim/overlay.hpp"
#include "sim/platform.hpp"
#include "sim/population.hpp"
#include "sim/protocol.hpp"
#include "sim/world.hpp"

namespace shsim {

struct RunResult {
  nlohmann::json summary;       // deterministic: same scenario + seed = same bytes
  nlohmann::json performance;   // wall-clock figures, which differ run to run
  std::vector<EventRecord> events;  // empty when streamed to a file
  bool events_streamed = false;
  std::vector<TimelineRow> timelines;
  std::vector<std::string> timeline_columns;  // every declared stage, in order
  std::map<std::string, std::vector<std::string>> timeline_stages;  // the stages of each chain with rows
  bool expectations_passed = true;
  std::vector<SeriesRow> series;  // timeseries.csv, in time order
};

class Simulation : public World {
public:
  /// `engine_args` are SimGrid options passed through (--cfg=..., --log=...).
  Simulation(const Scenario& scenario, std::vector<std::string> engine_args = {});
  ~Simulation();

  RunResult run(bool show_progress = false);
  /// Streams the event log to `path` as the run goes (set before run(); "" keeps it in memory).
  void stream_events_to(std::string path) { event_log_path_ = std::move(path); }

  // ---- for models and adversaries ----
  Director& director() { return *director_; }
  /// What the proposer of parent block `height` leaves out (null: nothing), from parent_censor adversaries.
  const CensorRule* censorship(int proposer, long long height, double time) const
  {
    return director_->censorship(proposer, height, time);
  }
  /// Takes `nodes` offline from `from` to `until` (Director::schedule_outage).
  void schedule_outage(std::vector<int> nodes, double from, double until, const std::string& chain,
                       const std::string& what)
  {
    director_->schedule_outage(std::move(nodes), from, until, chain, what);
  }
  /// The child chain of that name (null before it is built or if there is none).
  ChildChain* child(const std::string& name);
  /// First node id of each child chain, bridge and application, in scenario order.
  int first_node_of_child(size_t index) const { return population_.child_first_node[index]; }
  int first_node_of_bridge(size_t index) const { return population_.bridge_first_node[index]; }
  int first_node_of_application(size_t index) const { return population_.application_first_node[index]; }
  /// The application of that name (null before it is built or if there is none).
  Application* application(const std::string& name);
  /// The bridge of that name (null if there is none).
  BridgeRuntime* bridge(const std::string& name);
  /// Where applications put transactions on `chain` (the parent, or a child that takes them; null otherwise).
  TransactionHost* transaction_host(const std::string& chain);
  const OverlayGraph& overlay() const { return overlay_; }

  // ---- for the report ----
  const Platform& platform() const { return *platform_; }
  const ParentRuntime& parent_runtime() const { return *parent_; }
  /// The parent's runtime, for an adversary's attach() that hooks into the protocol's own roles.
  ParentRuntime& parent_runtime() { return *parent_; }
  const std::vector<std::unique_ptr<ChildChain>>& children() const { return children_; }
  const std::vector<std::unique_ptr<BridgeRuntime>>& bridges() const { return bridges_; }
  const std::vector<std::unique_ptr<Application>>& applications() const { return applications_; }
  const std::string& event_log_path() const { return event_log_path_; }

private:
  void build_children_and_bridges();
  void build_applications();
  /// Samples every chain's series at step * interval, then schedules the next step before the deadline.
  void sample_series(double interval, long long step);

  std::vector<std::string> engine_args_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<Director> director_;
  std::unique_ptr<ParentRuntime> parent_;
  std::vector<std::unique_ptr<ChildChain>> children_;
  std::vector<std::unique_ptr<BridgeRuntime>> bridges_;
  std::vector<std::unique_ptr<Application>> applications_;
  std::unique_ptr<TransactionHost> parent_host_;
  OverlayGraph overlay_;
  std::string event_log_path_;
  std::vector<SeriesRow> series_;
  std::map<std::string, std::vector<int>> nodes_of_owner_;  // chain or bridge -> its nodes
  std::map<std::string, std::pair<uint64_t, uint64_t>> sent_before_;  // owner -> (messages, bytes) at the last sample
};

}  // namespace shsim
