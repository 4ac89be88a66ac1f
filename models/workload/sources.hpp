// Transaction sources: one actor per workload entry, submitting transactions of a fixed size at
// Poisson or fixed intervals into the chain's mempool.
#pragma once

#include <string>

#include "models/workload/mempool.hpp"
#include "sim/simulation.hpp"

namespace shsim::models {

void start_transaction_sources(Simulation& simulation, const std::string& chain, Mempool& mempool);

}  // namespace shsim::models
