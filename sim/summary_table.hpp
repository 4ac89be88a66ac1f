// The readable table `shsim run` prints at the end (sim/summary_table.cpp).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shsim {

struct Scenario;
struct RunResult;

/// The lines `shsim run` prints before the run: what runs (name, seed, duration, nodes, chains), the
/// scenario's description, and each adversary with the validators it takes and their share of the
/// stake (`adversaries`: sim/report.hpp's adversaries_summary).
std::string format_run_header(const Scenario& scenario, int nodes, const nlohmann::json& adversaries);
/// The readable table printed at the end of `shsim run`.
std::string format_summary_table(const Scenario& scenario, const RunResult& result);

}  // namespace shsim
