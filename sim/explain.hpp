// `shsim run --explain`: the run told in plain sentences, in order, from its typed event log. The
// engine tells its own events (crashes and recoveries, partitions with the stake each side holds,
// stalls of the parent, safety violations, slashings); each chain's protocol tells the rest through
// its factory's narrate() (sim/narration.hpp). The text goes to explain.txt in the output set.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/event_log.hpp"

namespace shsim {

struct Scenario;

/// The narration of a run: its scenario, its events in time order and its summary.
std::string explain_run(const Scenario& scenario, const std::vector<EventRecord>& events, const nlohmann::json& summary);

}  // namespace shsim
