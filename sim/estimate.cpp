#include "sim/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/scenario.hpp"
#include "sim/platform.hpp"

namespace shsim {

double mean_overlay_degree(const Scenario& scenario)
{
  const Overlay& overlay = scenario.network.overlay;
  double n               = scenario.parent.validators.count;
  if (overlay.kind == "complete")
    return n - 1;
  if (overlay.kind == "scale_free")
    return 2.0 * overlay.edges_per_node;
  if (overlay.kind == "file")
    return 8;
  return std::min<double>(overlay.degree, n - 1);
}

double mean_one_way_latency(const Scenario& scenario)
{
  const auto& matrix = scenario.regions.one_way_seconds;
  double total = 0, count = 0;
  for (const auto& row : matrix)
    for (double latency : row) {
      total += latency;
      ++count;
    }
  return (count > 0 ? total / count : 0.05) + 2 * scenario.network.access.latency.seconds;
}

ResourceEstimate estimate_resources(const Scenario& scenario)
{
  const auto& registry = ProtocolRegistry::instance();
  const double duration = scenario.duration.seconds;
  ResourceEstimate e;
  double nodes = scenario.parent.validators.count;
  double per_second = 0;
  double node_bytes = 0;
  if (const auto* parent = registry.find_parent(scenario.parent.protocol.kind)) {
    per_second += parent->events_per_second(scenario);
    node_bytes = parent->bytes_per_node(scenario);
  }
  for (const auto& child : scenario.children) {
    if (const auto* factory = registry.find_child(child.kind))
      per_second += factory->events_per_second(scenario, *child.params);
    nodes += static_cast<double>(child.params->placements(scenario.parent.validators.count).size());
  }
  for (const auto& bridge : scenario.bridges) {
    nodes += bridge.relayers;
    per_second += bridge.relayers / std::max(bridge.poll_interval.seconds, 1e-3);
  }
  double application_bytes = 0;
  for (const auto& app : scenario.applications) {
    if (const auto* factory = registry.find_application(app.kind)) {
      per_second += factory->events_per_second(scenario, *app.params);
      application_bytes += factory->memory_bytes(scenario, *app.params);
    }
    nodes += static_cast<double>(app.params->placements(scenario.parent.validators.count).size());
  }
  for (const auto& w : scenario.workload) {
    double from  = std::min(w.from.seconds, duration);
    double until = w.until ? std::min(w.until->seconds, duration) : duration;
    e.transactions += w.rate.per_second * std::max(0.0, until - from);
  }
  // A transaction is submitted, carried to its chain and included: a few events each.
  e.events = per_second * duration + 4 * e.transactions + nodes;
  // Memory: the engine and SimGrid, each node's state and actor, and every transaction kept for its
  // timeline (the event log streams to disk as the run goes).
  e.memory_bytes = 40.0 * 1024 * 1024 + nodes * (node_bytes + 8 * 1024) + 400 * e.transactions + application_bytes;
  e.address_bytes = e.memory_bytes + nodes * actor_stack_kib * 1024.0 + 512.0 * 1024 * 1024;  // + libraries
  e.seconds       = e.events / 2.5e6;
  return e;
}

double address_space_available()
{
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    return static_cast<double>(limit.rlim_cur);
  return std::numeric_limits<double>::infinity();
}

double memory_available()
{
  double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  return std::min(physical, address_space_available());
}

namespace {
std::string amount(double x)
{
  if (x >= 1e12)
    return fmt::format("{:.1e}", x);
  if (x >= 1e9)
    return fmt::format("{:.1f} G", x / 1e9);
  if (x >= 1e6)
    return fmt::format("{:.1f} M", x / 1e6);
  if (x >= 1e3)
    return fmt::format("{:.0f} k", x / 1e3);
  return fmt::format("{:.0f}", x);
}

std::string memory(double bytes)
{
  if (bytes >= 1024.0 * 1024 * 1024 * 1024)
    return fmt::format("{:.1e} GiB", bytes / (1024.0 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024 * 1024)
    return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
  return fmt::format("{:.0f} MiB", bytes / (1024.0 * 1024));
}

std::string wall(double seconds)
{
  if (seconds < 120)
    return fmt::format("{:.0f} s", std::max(1.0, seconds));
  if (seconds < 7200)
    return fmt::format("{:.0f} min", seconds / 60);
  if (seconds < 2 * 86400)
    return fmt::format("{:.0f} h", seconds / 3600);
  if (seconds < 1e9)
    return fmt::format("{:.0f} days", seconds / 86400);
  return fmt::format("{:.1e} years", seconds / 3.15e7);
}
}  // namespace

std::string describe(const ResourceEstimate& estimate)
{
  return fmt::format("~{}events, ~{} transactions, ~{} peak memory, ~{} on one core", amount(estimate.events) + " ",
                     amount(estimate.transactions), memory(estimate.memory_bytes), wall(estimate.seconds));
}

void check_resources(const Scenario& scenario, const ResourceEstimate& estimate, bool force)
{
  if (force)
    return;
  double available = memory_available();
  if (estimate.memory_bytes > 0.9 * available)
    throw InputError(fmt::format("{}: the run needs about {} of memory and this machine has {} for it ({}); "
                                 "shorten `duration`, lower the workload's `rate` or the node count, or pass "
                                 "--force to try anyway",
                                 scenario.where("duration"), memory(estimate.memory_bytes), memory(available),
                                 describe(estimate)));
  if (estimate.address_bytes > address_space_available())
    throw InputError(fmt::format("{}: the run needs about {} of address space (memory and {} KiB of stack per "
                                 "actor) and `ulimit -v` allows {}; raise the limit, use fewer nodes, or pass "
                                 "--force to try anyway",
                                 scenario.where("parent.validators.count"), memory(estimate.address_bytes),
                                 actor_stack_kib, memory(address_space_available())));
  if (scenario.output.messages && estimate.events > max_recorded_messages)
    throw InputError(fmt::format("{}: message-level recording is for small runs: this one handles about {:.1f} M "
                                 "events (at most {:.0f} M); shorten `duration`, use fewer nodes, or pass --force",
                                 scenario.where("output.messages"), estimate.events / 1e6, max_recorded_messages / 1e6));
  // A run that would not end in a year is a mistake, not an experiment.
  if (estimate.seconds > 365 * 86400.0)
    throw InputError(fmt::format("{}: the run would take about {} ({}); shorten `duration` or lower the rates, "
                                 "or pass --force to try anyway",
                                 scenario.where("duration"), wall(estimate.seconds), describe(estimate)));
}

}  // namespace shsim
