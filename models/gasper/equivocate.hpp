// The `equivocate` adversary's duty hook on Gasper (equivocate.cpp).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "models/gasper/hooks.hpp"
#include "sim/adversary.hpp"

namespace shsim::models::gasper {

class EquivocationHook final : public DutyHook {
public:
  /// `nodes` equivocate within `window`; `mode` is the entry's (propose, vote, both or surround).
  EquivocationHook(std::set<int> nodes, Window window, std::string mode);
  bool acts_on(int node, double now) const override;
  void on_propose(BeaconChain& chain, long long slot, int node) override;
  void on_vote(const BeaconChain& chain, long long epoch, std::vector<Vote>& votes) override;

private:
  std::set<int> nodes_;
  Window window_;
  std::string mode_;
};

}  // namespace shsim::models::gasper
