#include "sim/director.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <yaml-cpp/yaml.h>

#include "sim/simulation.hpp"

namespace shsim {

void Director::start()
{
  // The timeline is read at t = 0, when every adversary has attached: this first event of the run
  // applies the actions due at once (before any node starts: their starts are later events of the
  // same instant) and schedules the others, in order of time, then of addition.
  world_.events().call_at(0, [this]() {
    std::stable_sort(actions_.begin(), actions_.end(), [](auto& a, auto& b) { return a.time < b.time; });
    for (auto& action : actions_) {
      if (action.time <= world_.now())
        action.apply();
      else
        world_.events().call_at(action.time, std::move(action.apply));
    }
    actions_.clear();
  });
}

void Director::at(double time, std::function<void()> action) { actions_.push_back({time, std::move(action)}); }

void Director::set_machines(const std::vector<int>& machines, bool online, const std::string& what)
{
  for (int machine : machines)
    for (int node : world_.roles_on_machine(machine)) {
      world_.node(node).set_online(online);
      world_.recorder().event(world_.now(), world_.population().owner[static_cast<size_t>(node)], node, what);
    }
}

void Director::schedule_outage(std::vector<int> nodes, double from, double until, const std::string& chain,
                               const std::string& what)
{
  World& world = world_;
  world_.events().call_at(std::max(from, world_.now()), [&world, nodes, chain, what]() {
    for (int n : nodes) {
      world.node(n).set_online(false);
      world.recorder().event(world.now(), chain, n, what + "_down");
    }
  });
  if (until >= world_.scenario().duration.seconds)
    return;
  world_.events().call_at(std::max(until, world_.now()), [&world, nodes, chain, what]() {
    for (int n : nodes) {
      world.node(n).set_online(true);
      world.recorder().event(world.now(), chain, n, what + "_up");
    }
  });
}

const CensorRule* Director::censorship(int proposer, long long height, double time) const
{
  const Scenario& scenario = world_.scenario();
  for (const auto& censor : censors_) {
    if (!scenario.adversaries[censor.adversary].active(time))
      continue;
    if (!censor.proposers.empty()) {
      if (censor.proposers[static_cast<size_t>(proposer)])
        return &censor.rule;
      continue;
    }
    // One draw per (adversary, height): every round's proposer of that block decides alike.
    RandomStream draw(world_.population().seed, "parent_censor",
                      (static_cast<uint64_t>(censor.adversary) << 40) + static_cast<uint64_t>(height));
    if (draw.bernoulli(censor.share))
      return &censor.rule;
  }
  return nullptr;
}

void Director::start_watchdog(bool show_progress)
{
  // A run that must end at a deadline: sleep until it, then stop every actor (DESIGN.md).
  double deadline = world_.scenario().duration.seconds;
  sg4::Actor::create("watchdog", world_.placements_[0].host, [this, deadline, show_progress]() {
    auto start      = std::chrono::steady_clock::now();
    auto last_print = start;
    const int steps = show_progress ? 200 : 1;
    for (int step = 1; step <= steps; ++step) {
      // The event queue may run ahead of SimGrid's clock up to this wake-up (sim/event_queue.hpp).
      world_.events().set_horizon(deadline * step / steps);
      sg4::this_actor::sleep_until(deadline * step / steps);
      auto wall = std::chrono::steady_clock::now();
      if (show_progress && std::chrono::duration<double>(wall - last_print).count() > 1.0) {
        double elapsed = std::chrono::duration<double>(wall - start).count();
        double left    = elapsed * static_cast<double>(steps - step) / static_cast<double>(step);
        std::fprintf(stderr, "\r[shsim] simulated %.0fs of %.0fs (%3d%%), %.0fs elapsed, about %.0fs left, %.2fM events/s   ",
                     world_.now(), deadline, 100 * step / steps, elapsed, left,
                     static_cast<double>(world_.events_processed()) / elapsed / 1e6);
        last_print = wall;
      }
    }
    if (show_progress)
      std::fprintf(stderr, "\r%110s\r", "");
    world_.stopped_ = true;
    sg4::Actor::kill_all();
  });
}

// ---- The engine's own adversary kinds act through the director and the network. ----

void CrashAdversary::attach(Simulation& simulation, size_t index) const
{
  // A crash takes each validator's machine down, with every role on it (machine i is validator i's).
  std::vector<int> machines = simulation.select_validators(who, index);
  Director& director        = simulation.director();
  director.at(from.seconds, [&director, machines]() { director.set_machines(machines, false, "crash"); });
  if (end() < simulation.scenario().duration.seconds)
    director.at(end(), [&director, machines]() { director.set_machines(machines, true, "recover"); });
}

void PartitionAdversary::attach(Simulation& simulation, size_t) const
{
  const RegionMatrix& matrix = simulation.regions();
  std::vector<int> group_of_region(matrix.regions.size(), static_cast<int>(groups.size()));
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& region : groups[g])
      group_of_region[static_cast<size_t>(matrix.index_of(region))] = static_cast<int>(g);
  simulation.network().add_partition(from.seconds, end(), std::move(group_of_region));
  YAML::Emitter flow;
  flow << YAML::Flow << YAML::Node(groups);
  std::string text = flow.c_str();
  World& world     = simulation;
  simulation.director().at(from.seconds, [&world, text]() {
    world.recorder().event(world.now(), "network", -1, "partition_start", -1, -1, {text});
  });
  if (end() < simulation.scenario().duration.seconds)
    simulation.director().at(end(), [&world, text]() {
      world.recorder().event(world.now(), "network", -1, "partition_end", -1, -1, {text});
    });
}

void ParentCensorAdversary::attach(Simulation& simulation, size_t index) const
{
  Director::Censor censor{index, {{targets.begin(), targets.end()}, {owners.begin(), owners.end()}}, {}, share.value};
  if (!by_share()) {
    censor.proposers.assign(simulation.stakes().size(), 0);
    for (int v : simulation.select_validators(who, index))
      censor.proposers[static_cast<size_t>(v)] = 1;
  }
  simulation.director().add_censor(std::move(censor));
}

}  // namespace shsim
