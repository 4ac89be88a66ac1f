// output.trace: the run as Chrome's trace-event JSON (opens in ui.perfetto.dev and chrome://tracing),
// made from the typed event log after the run. One process per chain; in it a track per machine and
// role, sorted by region, and tracks for the chain as a whole. Slices: heights and their rounds
// (from `propose`, `round` and `commit` events), epochs (`epoch` events), partitions and outages,
// proving jobs; async slices for state roots from posting to settlement or defeat (dispute games);
// instants for proposals, commits, blocks, dispute moves,
// slashings and safety violations; counters for the time series; flow arrows for messages when
// output.messages recorded them (the first max_trace_flows).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/event_log.hpp"
#include "sim/series.hpp"

namespace shsim {

struct Scenario;

/// Messages drawn as flow arrows at most (the rest are counted in the trace's metadata).
constexpr size_t max_trace_flows = 20000;

/// The trace of a run: its scenario, its events in time order, its summary and time series.
std::string trace_json(const Scenario& scenario, const std::vector<EventRecord>& events, const nlohmann::json& summary,
                       const std::vector<SeriesRow>& series);

}  // namespace shsim
