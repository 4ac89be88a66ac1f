// The `equivocate` adversary on Tendermint, as a signing hook (hooks.hpp): its validators collude,
// split the other validators into two halves and show each half a different value.
//  - propose: the proposer sends its block to half A and a conflicting twin to half B;
//  - vote: a voter backs each half's value in that half when a colluding proposer split the round,
//    otherwise votes its value in half A and nil in half B (a nil vote goes to everyone).
// Below 1/3 of the power no two values reach 2/3 (arXiv 1807.04938, n > 3f), so this shows what
// accountability (slashing) catches without breaking safety; at or above 1/3 it forks the chain.
#include "models/tendermint/equivocate.hpp"

#include <utility>

#include "sim/world.hpp"

namespace shsim::models::tendermint {

EquivocationHook::EquivocationHook(World& world, std::set<int> members, Window window, bool double_propose,
                                   bool double_vote, std::shared_ptr<Twins> twins, int validators)
    : world_(world)
    , members_(std::move(members))
    , window_(std::move(window))
    , double_propose_(double_propose)
    , double_vote_(double_vote)
    , twins_(std::move(twins))
{
  // Half A: the equivocators plus every other honest validator; half B: the rest.
  halves_[0].assign(members_.begin(), members_.end());
  int position = 0;
  for (int peer = 0; peer < validators; ++peer)
    if (!members_.count(peer))
      halves_[position++ % 2].push_back(peer);
}

bool EquivocationHook::acts_on(int index, double now) const { return members_.count(index) && window_.active(now); }

std::vector<int> EquivocationHook::group(int group) const { return halves_[group == 0 ? 0 : 1]; }

bool EquivocationHook::on_propose(Validator& validator, int round, const BlockPtr& block, int valid_round)
{
  if (!double_propose_)
    return false;
  auto twin               = std::make_shared<Block>(*block);
  twin->id                = block_id(validator.height(), round, validator.index(), 1);
  (*twins_)[{validator.height(), round}] = {block->id, twin->id};
  validator.send_to_group(validator.make_proposal(round, block, valid_round), 0, round);
  validator.send_to_group(validator.make_proposal(round, twin, valid_round), 1, round);
  world_.recorder().event(validator.time(), validator.chain().name, validator.id(), "equivocate", validator.height(),
                          round, {block->id, twin->id, "proposal"});
  return true;
}

bool EquivocationHook::on_vote(Validator& validator, VoteType type, int round, uint64_t block)
{
  if (!double_vote_)
    return false;
  uint64_t for_a = block, for_b = nil;
  auto twin      = twins_->find({validator.height(), round});
  if (twin != twins_->end()) {
    for_a = twin->second.first;
    for_b = twin->second.second;
  } else if (block == nil) {
    return false;  // nothing to contradict: nil to everyone
  }
  validator.send_to_group(validator.make_vote(type, round, for_a), 0, round);
  validator.send_to_group(validator.make_vote(type, round, for_b), 1, round);
  world_.recorder().event(validator.time(), validator.chain().name, validator.id(), "equivocate", validator.height(),
                          round, {for_a, for_b, type == VoteType::prevote ? "prevote" : "precommit"});
  return true;
}

}  // namespace shsim::models::tendermint
