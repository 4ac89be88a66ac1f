// What a run will cost, estimated from the scenario alone, before anything runs: `shsim check`
// prints it, and `run` and `check` refuse a scenario whose estimated peak memory does not fit in
// this machine (its physical memory, or the address-space limit when one is set) unless --force.
// Each model says how many events per simulated second it causes (ParentProtocolFactory and
// ChildProtocolFactory::events_per_second); the engine adds its users' transactions and the event
// log. The figures are rough (within a few times of the truth for every shipped scenario, checked
// by tests/test_estimate.cpp): they exist to stop a run of 1e30 seconds or 1e12 transactions per
// second before it starts, not to predict the wall time to the second.
#pragma once

#include <string>

namespace shsim {

struct Scenario;

struct ResourceEstimate {
  double events       = 0;  // handled in the whole run
  double transactions = 0;  // submitted by the workload
  double memory_bytes = 0;  // peak resident memory
  double address_bytes = 0; // address space: memory plus every actor's stack
  double seconds      = 0;  // wall time at a typical 2.5 M events per second
};

ResourceEstimate estimate_resources(const Scenario& scenario);
/// output.messages is refused (without --force) for a run estimated to handle more events than this.
constexpr double max_recorded_messages = 2e6;
/// The memory a run may use here: physical memory, or the address-space limit if lower (bytes).
double memory_available();
/// The address-space limit (ulimit -v), or infinity.
double address_space_available();
/// "~13 M events, ~90 MiB peak memory, ~5 s": for `shsim check`.
std::string describe(const ResourceEstimate& estimate);
/// Throws InputError when the estimate does not fit (unless `force`).
void check_resources(const Scenario& scenario, const ResourceEstimate& estimate, bool force);

/// Helpers for the models' estimates: a node's mean number of overlay peers, and the mean one-way
/// latency between two nodes (seconds, access links included).
double mean_overlay_degree(const Scenario& scenario);
double mean_one_way_latency(const Scenario& scenario);

}  // namespace shsim
