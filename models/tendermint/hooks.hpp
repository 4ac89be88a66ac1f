// Signing hooks: how a Byzantine validator proposes and votes, attached to validators from outside
// the honest code. The honest validator (validator.cpp) asks the chain for the hook acting on it at
// that moment and, when there is one, lets it send the proposal or vote in its own way; otherwise it
// broadcasts one message to every member. The `equivocate` adversary is such a hook
// (equivocate.cpp); a test registers its own (tests/test_tendermint_hooks.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "models/tendermint/messages.hpp"

namespace shsim::models::tendermint {

class Validator;

class SigningHook {
public:
  virtual ~SigningHook() = default;
  /// Whether it acts on validator `index` (its number in the chain) at time `now`.
  virtual bool acts_on(int index, double now) const = 0;
  /// Sends `validator`'s proposal of `block` for `round` of its current height; false leaves it to
  /// the honest broadcast. The proposal event is recorded before.
  virtual bool on_propose(Validator& /*validator*/, int /*round*/, const BlockPtr& /*block*/, int /*valid_round*/)
  {
    return false;
  }
  /// Sends `validator`'s vote of `type` for `block` (nil included) in `round`; false: the honest broadcast.
  virtual bool on_vote(Validator& /*validator*/, VoteType /*type*/, int /*round*/, uint64_t /*block*/)
  {
    return false;
  }
  /// The chain's validators (by number) that a message sent to `group` (0, 1, ...) reaches; a stuck
  /// round re-sends each message to the same group while the hook acts, to everyone after.
  virtual std::vector<int> group(int /*group*/) const { return {}; }
};

}  // namespace shsim::models::tendermint
