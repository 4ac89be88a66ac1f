// Tendermint told in sentences (`shsim run --explain`, sim/narration.hpp).
#pragma once

#include "models/tendermint/params.hpp"
#include "sim/narration.hpp"

namespace shsim::models::tendermint {

/// Tells each height of `input`'s chain: proposals, votes (when recorded), timeouts, commits.
void narrate(const NarrationInput& input, const Params& params, Narration& narration);

}  // namespace shsim::models::tendermint
