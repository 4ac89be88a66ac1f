// CometBFT's proposer selection (docs.cometbft.com, spec/consensus/proposer-selection.md): weighted
// round-robin by proposer priority, ties to the lower address.
#include <catch2/catch.hpp>

#include <map>

#include "models/tendermint/validator.hpp"

using shsim::models::tendermint::ProposerSchedule;

TEST_CASE("the proposer schedule follows the spec's basic algorithm and its example", "[tendermint][proposer]")
{
  // Spec example: p1 with voting power 1, p2 with 3. Priorities (p1, p2) after each increment:
  // (1, 3) -> p2 proposes -> (1, -1); (2, 2) -> tie, p1 -> (-2, 2); (-1, 5) -> p2 -> (-1, 1);
  // (0, 4) -> p2 -> (0, 0): the sequence p2, p1, p2, p2 repeats.
  ProposerSchedule schedule({1, 3});
  std::vector<int> expected{1, 0, 1, 1, 1, 0, 1, 1};
  for (size_t k = 0; k < expected.size(); ++k)
    CHECK(schedule.proposer(static_cast<long long>(k) + 1, 0) == expected[k]);
  // Round r of height h is the (h - 1 + r)-th pick: rounds continue the same sequence.
  CHECK(schedule.proposer(1, 1) == schedule.proposer(2, 0));
  CHECK(schedule.proposer(3, 2) == schedule.proposer(5, 0));
}

TEST_CASE("in every window of P elections each validator proposes exactly its voting power (R2 fairness)",
          "[tendermint][proposer]")
{
  std::vector<long long> power{5, 1, 3, 7, 2, 2};
  long long total = 0;
  for (long long p : power)
    total += p;
  ProposerSchedule schedule(power);
  for (long long start = 1; start <= 3 * total; start += total) {
    std::map<int, long long> elected;
    for (long long k = 0; k < total; ++k)
      ++elected[schedule.proposer(start + k, 0)];
    for (size_t v = 0; v < power.size(); ++v)
      CHECK(elected[static_cast<int>(v)] == power[v]);
  }
}
