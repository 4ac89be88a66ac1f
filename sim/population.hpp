// Who is in a run and where: the parent validators' stakes, the machines (each in a region), and the
// roles (nodes) on them. Validator i has machine i and node i; each child chain's roles, then each
// bridge's relayers, then each application's roles, follow, on new machines or on a validator's
// machine (ChildParams::placements, ApplicationParams::placements).
// Pure data drawn from the scenario and its seed: no SimGrid, no actor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/adversary.hpp"
#include "sim/regions.hpp"
#include "sim/scenario.hpp"

namespace shsim {

/// The validators an adversary entry names, and their share of the stake.
struct ChosenValidators {
  std::vector<int> validators;  // in index order
  double share = 0;             // of the parent's stake
  bool overshoot = false;       // `stake:` could not be met within one percentage point
};
struct Population {
  uint64_t seed = 0;
  std::vector<double> stakes;                    // stake of each parent validator
  std::vector<int> region_of_machine;            // index into the latency matrix
  std::vector<int> machine_of_node;              // the machine each node (role) runs on
  std::vector<std::vector<int>> roles_of_machine;  // the nodes of each machine, in node order
  std::vector<std::string> owner;                // the chain or bridge of each node
  std::vector<int> child_first_node, bridge_first_node;  // first node of each child and bridge, scenario order
  std::vector<int> application_first_node;             // first node of each application, scenario order

  /// Draws the stakes and places every role of the scenario (deterministic for a seed).
  static Population of(const Scenario& scenario);
  int node_count() const { return static_cast<int>(machine_of_node.size()); }
  int machine_count() const { return static_cast<int>(region_of_machine.size()); }
  /// The validators an adversary entry names, explicitly or by stake share.
  std::vector<int> select_validators(const ValidatorSelection& selection, size_t adversary_index) const;
  /// The same, with their share of the stake.
  ChosenValidators choose_validators(const ValidatorSelection& selection, size_t adversary_index) const;
};

/// Draws the validators' stakes from the scenario (deterministic for a seed).
std::vector<double> draw_stakes(const Validators& validators, uint64_t seed);

/// The validators an adversary entry names: its list, or by `stake: share` the walk over the
/// validators in `pick` order (index order, reversed, or a seeded shuffle) that takes each one whose
/// stake keeps the total at or below the share plus one percentage point, and stops once the total
/// reaches the share. A walk that ends short adds the smallest validator that closes the gap
/// (`overshoot`: the caller warns). So `stake: 34%` still means more than a third.
ChosenValidators choose_validators(const ValidatorSelection& selection, const std::vector<double>& stakes,
                                   uint64_t seed, size_t adversary_index);
/// choose_validators(...).validators.
std::vector<int> select_validators(const ValidatorSelection& selection, const std::vector<double>& stakes,
                                   uint64_t seed, size_t adversary_index);

}  // namespace shsim
