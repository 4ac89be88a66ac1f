// The readable table `shsim run` prints at the end (sim/summary_table.cpp).
#pragma once

#include <string>

namespace shsim {

struct Scenario;
struct RunResult;

/// The lines `shsim run` prints before the run: what runs (name, seed, duration, nodes, chains) and
/// the scenario's description.
std::string format_run_header(const Scenario& scenario, int nodes);
/// The readable table printed at the end of `shsim run`.
std::string format_summary_table(const Scenario& scenario, const RunResult& result);

}  // namespace shsim
