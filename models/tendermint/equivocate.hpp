// The `equivocate` adversary's signing hook on Tendermint (equivocate.cpp).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "models/tendermint/validator.hpp"
#include "sim/adversary.hpp"

namespace shsim {
class World;
}

namespace shsim::models::tendermint {

/// Double proposals made by colluding proposers: (height, round) -> (value for half A, for half B).
/// Shared by every equivocate entry of a chain, so voters back the split of any colluding proposer.
using Twins = std::map<std::pair<long long, int>, std::pair<uint64_t, uint64_t>>;

class EquivocationHook final : public SigningHook {
public:
  /// `members` (validator numbers) equivocate within `window` on a chain of `validators`.
  EquivocationHook(World& world, std::set<int> members, Window window, bool double_propose, bool double_vote,
                   std::shared_ptr<Twins> twins, int validators);
  bool acts_on(int index, double now) const override;
  bool on_propose(Validator& validator, int round, const BlockPtr& block, int valid_round) override;
  bool on_vote(Validator& validator, VoteType type, int round, uint64_t block) override;
  /// Half A (0): the equivocators and every other honest validator; half B (1): the rest.
  std::vector<int> group(int group) const override;

private:
  World& world_;
  std::set<int> members_;
  Window window_;
  bool double_propose_, double_vote_;
  std::shared_ptr<Twins> twins_;
  std::vector<int> halves_[2];
};

}  // namespace shsim::models::tendermint
