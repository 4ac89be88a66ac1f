// Platforms and overlays: user platform files, generated and loaded overlay graphs.
#include <catch2/catch.hpp>

#include "models/registry.hpp"
#include "sim/overlay.hpp"
#include "sim/scenario.hpp"
#include "tests/support.hpp"

using namespace shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;

namespace {
Scenario scenario_with(const std::string& network_extra, int nodes = 100)
{
  models::register_all();
  return load_scenario(write_temporary("name: t\nnetwork:\n" + network_extra + "parent: { validators: { count: " +
                                       std::to_string(nodes) + " } }\n"),
                       {});
}
}  // namespace

TEST_CASE("a SimGrid platform file places nodes on its hosts and its route latencies drive the protocol",
          "[network]")
{
  // four-hosts-lab.xml: every route is one 10 ms link, so Tendermint commits 3 x 10 ms after the
  // proposal (arXiv 1807.04938: proposal, prevote, precommit), plus serialization at 1 Gbps.
  auto run = shsim::testing::simulate("name: xml\nduration: 1m\nnetwork:\n  platform_file: " +
                                      source_path("platforms/xml/four-hosts-lab.xml") +
                                      "\n  jitter: none\nparent: { validators: { count: 4 } }\n");
  double serialization = (1024 + 2 * 150) * 8 / 1e9;
  CHECK(run.chain()["commit_latency"]["p50"].get<double>() == Approx(0.030 + serialization).margin(1e-6));
  CHECK(run.chain()["safety_violations"] == 0);
}

TEST_CASE("a random regular overlay gives every node exactly its degree and is connected", "[network]")
{
  Scenario s     = scenario_with("  overlay: { random_regular: { degree: 8 } }\n", 200);
  OverlayGraph g = build_overlay(s, 200);
  for (size_t v = 0; v < boost::num_vertices(g); ++v)
    CHECK(boost::degree(v, g) == 8);
  CHECK(connected_components(g) == 1);
  CHECK(boost::num_edges(g) == 200 * 8 / 2);
}

TEST_CASE("small-world and scale-free overlays have the edge counts of their constructions", "[network]")
{
  // Watts-Strogatz keeps n x k/2 edges (rewiring moves edges, never adds); Barabasi-Albert with m
  // edges per node has m(m+1)/2 seed edges plus m per later node.
  OverlayGraph ws = build_overlay(scenario_with("  overlay: { small_world: { degree: 6, rewire: 0% } }\n"), 100);
  CHECK(boost::num_edges(ws) == 300);
  OverlayGraph ba = build_overlay(scenario_with("  overlay: { scale_free: { edges_per_node: 3 } }\n"), 100);
  CHECK(boost::num_edges(ba) == 6 + 3 * 96);
  CHECK(connected_components(ba) == 1);
}

TEST_CASE("overlays load from GraphML and DOT, a disconnected one is refused unless allowed", "[network]")
{
  OverlayGraph ring = build_overlay(
      scenario_with("  overlay: { file: { path: " + source_path("platforms/overlays/ring-8.graphml") + " } }\n", 8), 8);
  CHECK(boost::num_edges(ring) == 10);
  std::string islands = "  overlay: { file: { path: " + source_path("platforms/overlays/two-islands-6.dot") + " } }\n";
  CHECK_THROWS_WITH(build_overlay(scenario_with(islands, 6), 6), Catch::Contains("has 2 disconnected components"));
  OverlayGraph allowed = build_overlay(scenario_with(islands + "  allow_disconnected_overlay: true\n", 6), 6);
  CHECK(connected_components(allowed) == 2);
  CHECK_THROWS_WITH(build_overlay(scenario_with(islands, 7), 7), Catch::Contains("has 6 vertices but the scenario has 7"));
}
