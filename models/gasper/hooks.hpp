// Duty hooks: how a Byzantine node proposes and attests under Gasper, attached from outside the
// honest code. Each slot the chain asks for the hook acting on the proposer, and on each attester,
// at that moment (the first whose window and nodes cover it); a hook may add a conflicting block
// after the honest one and change or add to the honest attestation. The `equivocate` adversary is
// such a hook (equivocate.cpp).
#pragma once

#include <vector>

namespace shsim::models::gasper {

class BeaconChain;
struct Vote;

class DutyHook {
public:
  virtual ~DutyHook() = default;
  /// Whether it acts on node `node` at time `now`.
  virtual bool acts_on(int node, double now) const = 0;
  /// After `node`'s honest block at `slot`: it may propose more (BeaconChain::propose_twin).
  virtual void on_propose(BeaconChain& /*chain*/, long long /*slot*/, int /*node*/) {}
  /// `votes` holds `node`'s honest attestation for `epoch`: it may change it or add conflicting ones,
  /// all of which go to the node's aggregator.
  virtual void on_vote(const BeaconChain& /*chain*/, long long /*epoch*/, std::vector<Vote>& /*votes*/) {}
};

}  // namespace shsim::models::gasper
