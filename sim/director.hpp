// The run's director: the timeline of lifecycle adversaries (machines down and up, partitions
// starting and ending), outages that models schedule, the parent proposers' censorship rules, and
// the watchdog that ends the run at its deadline. It knows no adversary kind: each kind's attach()
// (sim/director.cpp for the engine's own kinds) hands it actions and rules.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sim/ledger.hpp"
#include "sim/world.hpp"

namespace shsim {

class Director {
public:
  explicit Director(World& world) : world_(world) {}

  /// Schedules the director's first event. Call it before any node exists, so that an action at
  /// t = 0 (a crash) precedes every node's start; actions may be added until the engine runs.
  void start();
  /// Runs `action` at simulated `time`; actions at one instant run in the order they were added.
  void at(double time, std::function<void()> action);
  /// Takes nodes offline from `from` to `until` (events scheduled now: schedule them before the
  /// nodes exist so that an outage at t = 0 precedes their start). `chain` names them in the event log.
  void schedule_outage(std::vector<int> nodes, double from, double until, const std::string& chain,
                       const std::string& what);
  /// Takes machines down (`online` false) or up with every role on them, recording `what` per role.
  void set_machines(const std::vector<int>& machines, bool online, const std::string& what);

  /// A parent proposer's censorship: adversary entry `adversary` (its window decides when), the
  /// transactions it leaves out, and who censors: the proposers flagged in `proposers`, or when that
  /// is empty a `share` of blocks drawn per height.
  struct Censor {
    size_t adversary = 0;
    CensorRule rule;
    std::vector<char> proposers;
    double share = 0;
  };
  void add_censor(Censor censor) { censors_.push_back(std::move(censor)); }
  /// What the proposer of parent block `height` leaves out at `time` (null: nothing).
  const CensorRule* censorship(int proposer, long long height, double time) const;

  /// Ends the run at the scenario's deadline (DESIGN.md), printing progress when asked.
  void start_watchdog(bool show_progress);

private:
  struct Action {
    double time;
    std::function<void()> apply;
  };
  World& world_;
  std::vector<Action> actions_;
  std::vector<Censor> censors_;
};

}  // namespace shsim
