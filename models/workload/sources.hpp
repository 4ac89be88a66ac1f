// Workload sources: one actor per workload entry, submitting items (transactions, deposits or
// withdrawals) of a fixed size at Poisson or fixed intervals. What "submitting" means is the
// receiving model's business: the parent's pool, a rollup's sequencer, a bridge.
#pragma once

#include <functional>
#include <string>

#include "sim/simulation.hpp"

namespace shsim::models {

/// Called at each arrival with (time, bytes).
using Submit = std::function<void(double, uint64_t)>;

/// Starts a source for every workload entry of `chain` and `kind` (transaction, deposit, withdrawal).
void start_sources(Simulation& simulation, const std::string& chain, const std::string& kind, Submit submit);
/// The parent chain's own transactions, submitted to its pool (every parent protocol starts these).
void start_parent_workload(Simulation& simulation);

}  // namespace shsim::models
