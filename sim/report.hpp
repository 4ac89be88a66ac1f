// The report of a run: after the engine stops, the summary (run facts, each chain's figures from the
// recorder, its protocol and its model, economic security of each child, bridges), the expectations
// evaluated against it, the wall-clock performance, and the event log and timelines to write.
#pragma once

#include <nlohmann/json.hpp>

#include "sim/metric.hpp"
#include "sim/population.hpp"

namespace shsim {

class Simulation;
struct RunResult;

/// The figures of summary.json "run" (the rest of it describes the run and is not a metric).
Metrics run_metrics();
/// summary.json "adversaries": each entry's kind and window, and for one that names parent
/// validators, which ones and their share of the stake (with the share asked by `stake:`).
nlohmann::json adversaries_summary(const Scenario& scenario, const Population& population);
/// Everything a finished run hands to sim/output.cpp; `wall_seconds` is the run's wall-clock time.
RunResult report(Simulation& simulation, double wall_seconds);

}  // namespace shsim
