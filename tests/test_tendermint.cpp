// Tendermint against closed-form results. Source: Buchman, Kwon, Milosevic, "The latest gossip on
// BFT consensus", arXiv 1807.04938, Algorithm 1; CometBFT default timeouts.
//
// The lab network: one region whose one-way latency is 40 ms, access links of 5 ms at both ends,
// so every message takes d = 50 ms (+ size / 1 Gbps), no jitter.
#include <catch2/catch.hpp>

#include <algorithm>

#include "models/tendermint/messages.hpp"
#include "tests/support.hpp"

using shsim::testing::lab_matrix;
using shsim::testing::simulate;

namespace {

constexpr double d = 0.050;  // one message delay

std::string lab(int validators, const std::string& duration, const std::string& extra = "")
{
  return "name: lab\nseed: 1\nduration: " + duration + "\nnetwork:\n  latency_matrix: " + lab_matrix() +
         "\n  access: { latency: 5ms, upload: 1Gbps, download: 1Gbps }\n  jitter: none\n"
         "parent:\n  validators: { count: " +
         std::to_string(validators) + ", placement: { lab: 100% } }\n" + extra;
}

}  // namespace

TEST_CASE("with a fixed delay d a block commits 3d after its proposal, and blocks come every 3d + timeout_commit",
          "[tendermint]")
{
  // Proposal at T arrives at T + d; prevotes sent then arrive at T + 2d; precommits at T + 3d:
  // commit. The next proposer starts timeout_commit later. At 1 Gbps the proposal (1 KiB header)
  // and the two 150-byte votes add 10.6 us of serialization.
  auto run               = simulate(lab(4, "2m"));
  const auto& chain      = run.chain();
  double serialization   = (1024 + 2 * 150) * 8 / 1e9;  // proposal header, prevote, precommit
  double timeout_commit  = 1.0;
  CHECK(chain["safety_violations"] == 0);
  CHECK(chain["rounds_per_height"]["max"] == 1);
  CHECK(chain["commit_latency"]["p50"].get<double>() == Approx(3 * d + serialization).margin(1e-6));
  CHECK(chain["commit_latency"]["max"].get<double>() == Approx(3 * d + serialization).margin(1e-6));
  CHECK(chain["block_interval"]["p50"].get<double>() == Approx(3 * d + serialization + timeout_commit).margin(1e-6));
  // Over 2 minutes: the first commit at 3d, then one every interval.
  double interval = 3 * d + serialization + timeout_commit;
  CHECK(chain["blocks_committed"].get<double>() == Approx(std::floor((120 - 3 * d) / interval) + 1).margin(1));
}

TEST_CASE("a crashed proposer costs one round: timeout_propose, two delays and timeout_precommit", "[tendermint]")
{
  // Equal stakes: CometBFT's weighted round-robin gives proposer(h, r) = (h - 1 + r) mod 4, so the
  // crashed validator 0 proposes round 0 of heights 1, 5, 9, ... Those heights go: timeout_propose
  // (3 s), prevote nil (d), precommit nil (d), timeout_precommit (1 s), round 1 decides in 3d.
  auto run          = simulate(lab(4, "3m", "adversaries:\n  - crash: { validators: [0], from: 0s }\n"));
  const auto& chain = run.chain();
  double normal     = 3 * d + 1.0;
  double crashed    = normal + 3.0 + 2 * d + 1.0;
  CHECK(chain["safety_violations"] == 0);
  CHECK(chain["rounds_per_height"]["max"] == 2);
  long long heights = chain["height"].get<long long>();
  CHECK(chain["heights_with_extra_rounds"].get<long long>() == (heights + 3) / 4);
  CHECK(chain["block_interval"]["p50"].get<double>() == Approx(normal).margin(1e-4));
  CHECK(chain["block_interval"]["max"].get<double>() == Approx(crashed).margin(1e-4));
  // Every height whose round-0 proposer was validator 0 needed a second round, and no other did.
  for (const auto& e : run.events)
    if (e.event == "round" && e.node == 1)
      CHECK((e.height - 1) % 4 == 0);
}

TEST_CASE("with less than 1/3 of the stake equivocating no two different blocks are ever committed", "[tendermint]")
{
  // Safety of Tendermint holds for f < n/3 Byzantine (arXiv 1807.04938, Lemma 1): 2 of 7 equal
  // validators (28.6 %) double-propose and double-vote, on a jittery network, over many seeds, with
  // direct sends and with gossip over a random 4-regular overlay (where relays mix both versions).
  int equivocations_seen = 0;
  for (int seed = 1; seed <= 12; ++seed) {
    std::vector<std::string> overrides{"seed=" + std::to_string(seed), "network.jitter={exponential: {mean: 20ms}}"};
    if (seed % 2 == 0) {
      overrides.push_back("parent.protocol.tendermint.dissemination=gossip");
      overrides.push_back("network.overlay={random_regular: {degree: 4}}");
    }
    auto run = simulate(lab(7, "3m", "adversaries:\n  - equivocate: { validators: [0, 1], mode: both }\n"), overrides);
    INFO("seed " << seed << (seed % 2 == 0 ? " (gossip)" : " (direct)"));
    CHECK(run.chain()["safety_violations"] == 0);
    CHECK(run.chain()["blocks_committed"].get<int>() > 50);
    equivocations_seen += static_cast<int>(run.times_of("equivocate").size());
  }
  CHECK(equivocations_seen > 100);  // the attack really ran
}

TEST_CASE("with more than 1/3 of the stake equivocating, the detector reports a fork and the accountable stake",
          "[tendermint]")
{
  // The converse: 3 of 7 (42.9 %) colluding, splitting the honest validators in two halves of 2,
  // give each half a quorum (2 + 3 = 5 > 14/3) on a different block when one of them proposes.
  // The detector must catch it and hold exactly the equivocators accountable (they signed both).
  auto run          = simulate(lab(7, "1m", "adversaries:\n  - equivocate: { validators: [0, 1, 2], mode: both }\n"));
  const auto& chain = run.chain();
  REQUIRE(chain["safety_violations"].get<int>() > 0);
  for (const auto& violation : chain["safety"]) {
    CHECK(violation["accountable_validators"] == nlohmann::json::array({0, 1, 2}));
    CHECK(violation["accountable_stake_share"].get<double>() == Approx(3.0 / 7));
    CHECK(violation["accountable_stake_share"].get<double>() > 1.0 / 3);
  }
}

TEST_CASE("with 1/3 of the stake offline the chain halts without forking and resumes when it returns",
          "[tendermint]")
{
  // 2 of 6 equal validators offline: 4/6 is not more than 2/3, so no quorum forms from 60 s to 180 s.
  auto run = simulate(lab(6, "5m", "adversaries:\n  - crash: { validators: [4, 5], from: 60s, until: 180s }\n"));
  const auto& chain = run.chain();
  CHECK(chain["safety_violations"] == 0);
  auto commits = run.times_of("commit");
  // Nothing is decided while they are away (beyond what was already under way at 60 s)...
  CHECK(std::none_of(commits.begin(), commits.end(), [](double t) { return t > 60 + 4 * d && t < 180; }));
  // ...and the chain resumes soon after they return (they catch up, then a round completes).
  auto resumed = std::find_if(commits.begin(), commits.end(), [](double t) { return t >= 180; });
  REQUIRE(resumed != commits.end());
  CHECK(*resumed < 180 + 10);
  CHECK(chain["liveness"]["longest_gap"].get<double>() > 115);
  CHECK(chain["liveness"]["stalls"] == 1);
}

TEST_CASE("a partition isolating more than 1/3 halts commits until it heals, a smaller one does not",
          "[tendermint]")
{
  // Two regions of the lab; the partition separates them from 60 s to 180 s.
  std::string partition = "adversaries:\n  - partition: { groups: [[lab], [lab2]], from: 60s, until: 180s }\n";
  SECTION("half the stake on each side: no side has a quorum")
  {
    auto run = simulate(lab(6, "5m", partition), {"parent.validators.placement={lab: 50%, lab2: 50%}"});
    auto commits = run.times_of("commit");
    CHECK(run.chain()["safety_violations"] == 0);
    CHECK(std::none_of(commits.begin(), commits.end(), [](double t) { return t > 60 + 4 * d && t < 180; }));
    CHECK(std::any_of(commits.begin(), commits.end(), [](double t) { return t > 180 && t < 200; }));
  }
  SECTION("a quarter of the stake cut off: the majority keeps committing, the minority catches up after")
  {
    auto run = simulate(lab(8, "5m", partition), {"parent.validators.placement={lab: 75%, lab2: 25%}"});
    auto commits = run.times_of("commit");
    CHECK(run.chain()["safety_violations"] == 0);
    CHECK(std::count_if(commits.begin(), commits.end(), [](double t) { return t > 70 && t < 170; }) > 50);
    CHECK(run.chain()["catchup_commits"].get<int>() > 0);
    CHECK(run.chain()["liveness"]["stalls"] == 0);
  }
}

TEST_CASE("gossip over a complete overlay commits as fast as direct sends, over a ring it pays the hops",
          "[tendermint][gossip]")
{
  // On a complete overlay the first copy of every message comes straight from its author, so the
  // commit still follows the proposal by 3d. On ring-8.graphml (diameter 3) each of the three
  // message steps can take up to 3 hops: commit latency lies in (3d, 9d].
  double serialization = (1024 + 2 * 150) * 8 / 1e9;
  auto complete        = simulate(lab(8, "1m"), {"parent.protocol.tendermint.dissemination=gossip"});
  CHECK(complete.chain()["commit_latency"]["p50"].get<double>() == Approx(3 * d + serialization).margin(1e-6));
  CHECK(complete.chain()["commit_latency"]["max"].get<double>() == Approx(3 * d + serialization).margin(1e-6));

  auto ring = simulate(lab(8, "1m"), {"parent.protocol.tendermint.dissemination=gossip",
                                      "network.overlay={file: {path: " +
                                          shsim::testing::source_path("platforms/overlays/ring-8.graphml") + "}}"});
  const auto& chain = ring.chain();
  CHECK(chain["safety_violations"] == 0);
  CHECK(chain["blocks_committed"].get<int>() > 40);
  CHECK(chain["commit_latency"]["p50"].get<double>() > 3 * d + 1e-3);
  CHECK(chain["commit_latency"]["max"].get<double>() <= 9 * (d + serialization) + 1e-6);
}

TEST_CASE("votes go to the chain's members only, not to the other nodes of the run", "[tendermint][membership]")
{
  // Algorithm 1 broadcasts to the validators. With 4 validators every height costs 4 x 4 prevotes
  // (each validator's own included) per round, however many sequencers and provers the run holds:
  // 32 ZK provers must not raise it to 4 x 36.
  auto run = simulate(lab(4, "2m", R"(
children:
  - zk_rollup: { name: zk, batch_interval: 30s, provers: { count: 32, time: { fixed: { value: 20s } } } }
)"));
  const auto& chain   = run.chain();
  const auto& classes = run.summary["run"]["transports"]["classes"];
  double rounds = chain["rounds_per_height"]["mean"].get<double>() * chain["blocks_committed"].get<double>();
  REQUIRE(rounds > 0);
  CHECK(classes["prevote"]["latency_transport"]["messages"].get<double>() / rounds == Approx(16).margin(0.5));
  CHECK(classes["precommit"]["latency_transport"]["messages"].get<double>() / rounds == Approx(16).margin(0.5));
  // Per-node message counts say so: a validator sends about 2 x 4 votes per round, plus proposals.
  CHECK(chain["messages_per_node"]["mean"].get<double>() / rounds < 12);
}

TEST_CASE("message kinds compare by name, not by the address of the string that made them", "[message]")
{
  // Identical string literals may or may not be merged by the linker (they are not under
  // -fsanitize=address); a kind built from a run-time string is the same kind all the same.
  std::string runtime_name = std::string("pre") + "vote";
  shsim::MessageKind rebuilt{runtime_name};
  CHECK(rebuilt == shsim::models::tendermint::Vote::prevote_kind);
  CHECK_FALSE(rebuilt == shsim::models::tendermint::Vote::precommit_kind);
  CHECK(rebuilt.name() == "prevote");
  shsim::models::tendermint::Vote vote;
  vote.type = shsim::models::tendermint::VoteType::precommit;
  CHECK(vote.kind() == shsim::MessageKind{std::string("precommit")});
}
