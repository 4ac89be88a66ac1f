// Writing a run's outputs: summary.json, the event log, the resolved scenario and performance.json,
// each written to a temporary file and renamed into place, so a killed run leaves no half-written
// file and earlier results are replaced only by complete new ones.
#pragma once

#include <string>

#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

namespace shsim {

void write_outputs(const std::string& directory, const Scenario& scenario, const RunResult& result);
/// The readable table printed at the end of `shsim run`.
std::string format_summary_table(const Scenario& scenario, const RunResult& result);
/// Refuses expectations whose metric does not exist (checked before running). Throws InputError.
void check_expectation_metrics(const Scenario& scenario);

}  // namespace shsim
