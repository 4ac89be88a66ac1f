// The peer-to-peer overlay (Boost.Graph): generated from the seed or read from GraphML/DOT.
// Vertices are node ids. Disconnected overlays are refused unless the scenario allows them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace shsim {

/// Out-edges in vectors (the generators never add an edge twice; files are merged on reading): a
/// set per vertex cost seconds at 100 000 nodes.
using OverlayGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

/// Builds the overlay for `nodes` nodes; throws InputError for a bad file or a disconnected graph.
OverlayGraph build_overlay(const Scenario& scenario, int nodes);
/// What build_overlay() would refuse, without building a complete overlay (for `check`).
void check_overlay(const Scenario& scenario, int nodes);
/// Neighbours of every node, sorted, for fast iteration by models.
std::vector<std::vector<int>> neighbour_lists(const OverlayGraph& graph);
int connected_components(const OverlayGraph& graph);
nlohmann::json overlay_summary(const OverlayGraph& graph);

}  // namespace shsim
