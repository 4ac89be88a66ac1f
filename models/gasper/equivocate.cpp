// The `equivocate` adversary on Gasper, as a duty hook (hooks.hpp), in the three ways the spec's
// slashing conditions catch (consensus-specs phase0 is_slashable_attestation_data, and
// ProposerSlashing for two signed headers of one slot):
//  - propose: a second block for the same slot on the proposer's head (a double proposal);
//  - vote: a second attestation for the same target epoch with the head's parent as its head (a
//    double vote);
//  - surround: in every even epoch, an attestation whose source is the genesis checkpoint, so its
//    span surrounds the previous epoch's vote (a surround vote).
// "both" is propose and vote.
#include "models/gasper/equivocate.hpp"

#include <utility>

#include "models/gasper/gasper.hpp"

namespace shsim::models::gasper {

EquivocationHook::EquivocationHook(std::set<int> nodes, Window window, std::string mode)
    : nodes_(std::move(nodes)), window_(std::move(window)), mode_(std::move(mode))
{
}

bool EquivocationHook::acts_on(int node, double now) const { return nodes_.count(node) && window_.active(now); }

void EquivocationHook::on_propose(BeaconChain& chain, long long slot, int node)
{
  if (mode_ == "propose" || mode_ == "both")
    chain.propose_twin(slot, node);
}

void EquivocationHook::on_vote(const BeaconChain& chain, long long epoch, std::vector<Vote>& votes)
{
  Vote& vote = votes.front();
  if (mode_ == "surround" && epoch % 2 == 0)
    vote.source = Checkpoint{};  // from genesis: surrounds the vote of the previous epoch
  if ((mode_ == "vote" || mode_ == "both") && vote.head != 0) {
    Vote twin = vote;  // a second vote for the same target epoch with another head: a double vote
    twin.head = chain.parent_of(vote.head);
    votes.push_back(twin);
  }
}

}  // namespace shsim::models::gasper
