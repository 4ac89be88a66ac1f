#include "sim/population.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/protocol.hpp"
#include "sim/rng.hpp"

namespace shsim {

std::vector<double> draw_stakes(const Validators& validators, uint64_t seed)
{
  std::vector<double> stakes(validators.count, 1.0);
  if (validators.stake.kind == "pareto") {
    RandomStream rng(seed, "validators.stake");
    for (double& stake : stakes)
      stake = rng.pareto(1.0, validators.stake.alpha);
  } else if (validators.stake.kind == "list") {
    stakes = validators.stake.weights;
  } else if (validators.stake.kind == "normal") {
    RandomStream rng(seed, "validators.stake");
    for (double& stake : stakes)
      stake = std::max(0.01 * validators.stake.mean, validators.stake.mean + validators.stake.deviation * rng.normal());
  }
  return stakes;
}

namespace {
/// How many validators go to each region: largest remainder of count x share.
std::vector<int> region_counts(const Validators& validators, const RegionMatrix& regions)
{
  size_t n = regions.regions.size();
  std::vector<double> shares(n, 0);
  if (validators.placement.empty())
    std::fill(shares.begin(), shares.end(), 1.0 / static_cast<double>(n));
  else
    for (const auto& [region, share] : validators.placement)
      shares[regions.index_of(region)] = share.value;
  // Largest remainder: floors first, then one more to the largest fractional parts (ties: lower index).
  std::vector<int> counts(n);
  std::vector<std::pair<double, size_t>> remainders;
  int assigned = 0;
  for (size_t r = 0; r < n; ++r) {
    double exact = shares[r] * validators.count;
    counts[r]    = static_cast<int>(std::floor(exact + 1e-9));
    assigned += counts[r];
    remainders.push_back({exact - counts[r], r});
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t i = 0; assigned < validators.count; ++i, ++assigned)
    ++counts[remainders[i % n].second];
  return counts;
}
}  // namespace

ChosenValidators choose_validators(const ValidatorSelection& selection, const std::vector<double>& stakes,
                                   uint64_t seed, size_t adversary_index)
{
  ChosenValidators out;
  double total = std::accumulate(stakes.begin(), stakes.end(), 0.0);
  auto share   = [&](const std::vector<int>& chosen) {
    double sum = 0;
    for (int v : chosen)
      sum += v >= 0 && static_cast<size_t>(v) < stakes.size() ? stakes[static_cast<size_t>(v)] : 0;
    return total > 0 ? sum / total : 0;
  };
  if (!selection.validators.empty()) {
    out.validators = selection.validators;
    out.share      = share(out.validators);
    return out;
  }
  std::vector<int> order(stakes.size());
  std::iota(order.begin(), order.end(), 0);
  if (selection.pick == "last") {
    std::reverse(order.begin(), order.end());
  } else if (selection.pick == "random") {
    RandomStream rng(seed, "adversary.pick", adversary_index);
    for (size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng.below(i)]);
  }
  const double target = selection.stake.value * total, cap = (selection.stake.value + 0.01) * total;
  const double slack  = 1e-9 * total;  // rounding of the sums, not a tolerance of the rule
  double taken        = 0;
  std::vector<bool> in(stakes.size(), false);
  for (int v : order) {
    if (taken >= target - slack)
      break;
    if (taken + stakes[static_cast<size_t>(v)] <= cap + slack) {
      in[static_cast<size_t>(v)] = true;
      taken += stakes[static_cast<size_t>(v)];
    }
  }
  if (taken < target - slack) {
    // Every validator left would pass the cap: the smallest that closes the gap (first in pick order on a tie).
    int closing = -1;
    for (int v : order)
      if (!in[static_cast<size_t>(v)] && (closing < 0 || stakes[static_cast<size_t>(v)] < stakes[static_cast<size_t>(closing)]))
        closing = v;
    if (closing >= 0) {
      in[static_cast<size_t>(closing)] = true;
      out.overshoot                    = true;
    }
  }
  for (size_t v = 0; v < in.size(); ++v)
    if (in[v])
      out.validators.push_back(static_cast<int>(v));
  out.share = share(out.validators);
  return out;
}

std::vector<int> select_validators(const ValidatorSelection& selection, const std::vector<double>& stakes,
                                   uint64_t seed, size_t adversary_index)
{
  return choose_validators(selection, stakes, seed, adversary_index).validators;
}

std::vector<int> Population::select_validators(const ValidatorSelection& selection, size_t adversary_index) const
{
  return shsim::select_validators(selection, stakes, seed, adversary_index);
}

ChosenValidators Population::choose_validators(const ValidatorSelection& selection, size_t adversary_index) const
{
  return shsim::choose_validators(selection, stakes, seed, adversary_index);
}

Population Population::of(const Scenario& scenario)
{
  Population p;
  p.seed                  = static_cast<uint64_t>(scenario.seed);
  p.stakes                = draw_stakes(scenario.parent.validators, p.seed);
  const int validators    = scenario.parent.validators.count;
  std::vector<int> counts = region_counts(scenario.parent.validators, scenario.regions);
  // Smooth weighted round-robin spreads the regions over the node ids (no region clusters on low ids).
  std::vector<int> current(counts.size(), 0), left = counts;
  for (int node = 0; node < validators; ++node) {
    size_t best = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      current[r] += left[r] > 0 ? counts[r] : 0;
      if (left[r] > 0 && (left[best] == 0 || current[r] > current[best]))
        best = r;
    }
    current[best] -= validators;
    --left[best];
    p.region_of_machine.push_back(static_cast<int>(best));
    p.machine_of_node.push_back(node);
    p.owner.push_back(scenario.parent.name);
  }
  // Child chains' and bridges' roles follow: on new machines in their region (or spread over the
  // regions in turn), or on a validator's machine.
  int regions = static_cast<int>(scenario.regions.regions.size());
  int turn    = 0;
  auto place  = [&](const RolePlacement& role, const std::string& owner) {
    if (role.validator >= 0) {
      p.machine_of_node.push_back(role.validator);
    } else {
      p.machine_of_node.push_back(p.machine_count());
      p.region_of_machine.push_back(role.region.empty() ? turn++ % regions : scenario.regions.index_of(role.region));
    }
    p.owner.push_back(owner);
  };
  for (const auto& child : scenario.children) {
    p.child_first_node.push_back(p.node_count());
    for (const auto& role : child.params->placements(validators))
      place(role, child.name());
  }
  for (const auto& bridge : scenario.bridges) {
    p.bridge_first_node.push_back(p.node_count());
    for (int r = 0; r < bridge.relayers; ++r)
      place({bridge.region, -1}, bridge.name);
  }
  for (const auto& app : scenario.applications) {
    p.application_first_node.push_back(p.node_count());
    for (const auto& role : app.params->placements(validators))
      place(role, app.name());
  }
  p.roles_of_machine.assign(p.region_of_machine.size(), {});
  for (int node = 0; node < p.node_count(); ++node)
    p.roles_of_machine[static_cast<size_t>(p.machine_of_node[static_cast<size_t>(node)])].push_back(node);
  return p;
}

}  // namespace shsim
