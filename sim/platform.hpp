// The SimGrid side of a run: starts the engine with shsim's options (real latencies, small actor
// stacks, Ctrl-C handled by us) and builds one host per machine from the region matrix, or loads a
// user's platform file (its canonical copy: sim/platform_file.hpp). One Platform per process: SimGrid's clock does not reset.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "sim/scenario.hpp"

namespace shsim {

namespace sg4 = simgrid::s4u;

/// Stack of each SimGrid actor, KiB (sanitizer builds need more).
#ifndef SHSIM_ACTOR_STACK_KIB
#define SHSIM_ACTOR_STACK_KIB 128
#endif
constexpr int actor_stack_kib = SHSIM_ACTOR_STACK_KIB;

/// Where a machine sits: its region (index into the matrix) and its SimGrid host.
struct Placement {
  int region = 0;
  sg4::Host* host = nullptr;
};

class Platform {
public:
  /// Starts the engine; `engine_args` are SimGrid options passed through (--cfg=..., --log=...).
  Platform(const Scenario& scenario, std::vector<std::string> engine_args);
  ~Platform();
  /// SimGrid aborts the process on some invalid options (--log=nonsense, an unknown context factory)
  /// and on a platform it cannot build (a route to an unknown host): before any simulation, start
  /// an engine with them and load the scenario's platform file in a forked child. Throws InputError
  /// with SimGrid's first line of complaint (naming the platform file's line).
  static void check(const Scenario& scenario, const std::vector<std::string>& engine_args);
  /// One host per machine, in the region given (ignored with a platform file, whose hosts are
  /// dealt to machines in name order and whose zones name the regions).
  std::vector<Placement> build(const std::vector<int>& region_of_machine);
  void run() { engine_->run(); }
  const std::vector<std::string>& engine_args() const { return engine_args_; }
  /// What summary.json "run.network_model" says.
  std::string network_model() const;

private:
  /// SimGrid's command line for a run of `scenario`: the network model with real latencies, small
  /// actor stacks, then the user's options.
  static std::vector<std::string> engine_arguments(const Scenario& scenario, const std::vector<std::string>& engine_args);
  /// Loads the scenario's platform file, as sanitized when it was read (sim/platform_file.hpp),
  /// from a file in memory: SimGrid opens no file of the user's.
  static void load_platform(sg4::Engine& engine, const Scenario& scenario);

  const Scenario& scenario_;
  std::vector<std::string> engine_args_;
  std::unique_ptr<sg4::Engine> engine_;
};

}  // namespace shsim
