// The selfish pool and the double spender, as mining hooks (hooks.hpp; strategies.cpp).
#pragma once

#include <memory>
#include <set>

#include "models/nakamoto/hooks.hpp"
#include "sim/adversary.hpp"

namespace shsim::models::nakamoto {

/// Eyal and Sirer's selfish pool of `members` with tie share `gamma`, acting within `window`.
std::unique_ptr<MiningHook> selfish_pool(std::set<int> members, double gamma, Window window);
/// A double spender of `members` against a merchant waiting `confirmations` blocks, within `window`;
/// it gives up when catching up becomes less likely than one in a million for its `hash_share`.
std::unique_ptr<MiningHook> double_spender(std::set<int> members, int confirmations, Window window, double hash_share);

}  // namespace shsim::models::nakamoto
