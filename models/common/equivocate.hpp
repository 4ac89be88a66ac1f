// The `equivocate` adversary, shared by the parent protocols that slash double signing (Tendermint,
// Gasper): each reads its entries when it builds its chain, and registers the kind with itself.
#pragma once

#include <memory>
#include <string>

#include "sim/adversary.hpp"
#include "sim/protocol.hpp"

namespace shsim::models {

/// Validators that double-propose and/or double-vote (conflicting values to two halves).
struct EquivocateAdversary : Window {
  ValidatorSelection who;
  std::string mode = "both";  // propose | vote | both | surround

  template <class V> void describe(V& o)
  {
    who.describe_fields(o);
    o.field("mode", mode,
            "propose, vote or both; surround (Gasper only): every other epoch vote from the genesis "
            "checkpoint, surrounding the previous vote",
            one_of({"propose", "vote", "both", "surround"}));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.validators(who); }
};

inline void register_equivocate(ProtocolRegistry& registry)
{
  registry.add_adversary(std::make_unique<AdversaryKind<EquivocateAdversary>>(
      "equivocate", "validators that double-propose and/or double-vote (conflicting values to two halves)", true));
}

}  // namespace shsim::models
