#include "sim/overlay.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>

#include <boost/graph/connected_components.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/dynamic_property_map.hpp>

#include "sim/rng.hpp"
#include "sim/stats.hpp"

namespace shsim {
namespace {

void add_edge_once(OverlayGraph& g, int a, int b)
{
  if (a != b && !boost::edge(a, b, g).second)
    boost::add_edge(a, b, g);
}

// Random d-regular graph by the pairing model with local retries (Steger and Wormald 1999): pair two
// random free stubs when they make a new edge between different nodes; restart when stuck.
OverlayGraph random_regular(int n, int degree, RandomStream& rng)
{
  degree = std::min(degree, n - 1);
  if ((static_cast<long long>(n) * degree) % 2 != 0)
    throw InputError(fmt::format("network.overlay.random_regular: {} nodes of degree {} is impossible (n x degree "
                                 "must be even)",
                                 n, degree));
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::vector<int> stubs;
    for (int v = 0; v < n; ++v)
      for (int k = 0; k < degree; ++k)
        stubs.push_back(v);
    OverlayGraph g(n);
    auto take = [&](size_t i, size_t j) {  // remove stubs i and j (i != j)
      if (i < j)
        std::swap(i, j);
      std::swap(stubs[i], stubs.back());
      stubs.pop_back();
      std::swap(stubs[j], stubs.back());
      stubs.pop_back();
    };
    bool stuck = false;
    while (!stubs.empty() && !stuck) {
      bool paired = false;
      for (int tries = 0; tries < 64 && !paired; ++tries) {
        size_t i = rng.below(stubs.size()), j = rng.below(stubs.size());
        int a = stubs[i], b = stubs[j];
        if (i != j && a != b && !boost::edge(a, b, g).second) {
          boost::add_edge(a, b, g);
          take(i, j);
          paired = true;
        }
      }
      if (paired)
        continue;
      // Few stubs left: look for any valid pair before giving up on this attempt.
      stuck = true;
      for (size_t i = 0; i < stubs.size() && stuck; ++i)
        for (size_t j = i + 1; j < stubs.size() && stuck; ++j)
          if (stubs[i] != stubs[j] && !boost::edge(stubs[i], stubs[j], g).second) {
            boost::add_edge(stubs[i], stubs[j], g);
            take(i, j);
            stuck = false;
          }
    }
    if (!stuck)
      return g;
  }
  throw InputError(fmt::format("network.overlay.random_regular: no simple {}-regular graph found on {} nodes", degree, n));
}

// Watts-Strogatz: ring lattice with degree/2 neighbours each side, each edge rewired with probability p.
OverlayGraph small_world(int n, int degree, double rewire, RandomStream& rng)
{
  OverlayGraph g(n);
  for (int v = 0; v < n; ++v)
    for (int k = 1; k <= degree / 2; ++k) {
      int target = (v + k) % n;
      if (rng.bernoulli(rewire)) {
        int candidate = static_cast<int>(rng.below(n));
        if (candidate != v && !boost::edge(v, candidate, g).second)
          target = candidate;
      }
      add_edge_once(g, v, target);
    }
  return g;
}

// Barabasi-Albert: each new node attaches m edges to existing nodes with probability ~ degree.
OverlayGraph scale_free(int n, int m, RandomStream& rng)
{
  OverlayGraph g(n);
  std::vector<int> endpoints;  // each node appears once per incident edge
  int seed_nodes = std::min(n, m + 1);
  for (int a = 0; a < seed_nodes; ++a)
    for (int b = a + 1; b < seed_nodes; ++b) {
      boost::add_edge(a, b, g);
      endpoints.push_back(a);
      endpoints.push_back(b);
    }
  for (int v = seed_nodes; v < n; ++v) {
    std::vector<int> chosen;
    while (static_cast<int>(chosen.size()) < std::min(m, v)) {
      int target = endpoints.empty() ? static_cast<int>(rng.below(v)) : endpoints[rng.below(endpoints.size())];
      if (std::find(chosen.begin(), chosen.end(), target) == chosen.end())
        chosen.push_back(target);
    }
    for (int target : chosen) {
      boost::add_edge(v, target, g);
      endpoints.push_back(v);
      endpoints.push_back(target);
    }
  }
  return g;
}

// Bitcoin's outbound connection counts in 2015, as the cumulative share of nodes with at most
// k + 1 outbound links (k = 0 .. 19). Source: SimBlock (dsg-titech/simblock, settings/
// NetworkConfiguration.java, DEGREE_DISTRIBUTION_BITCOIN_2015), from measurements of the Bitcoin
// network in 2015.
constexpr double bitcoin_2015_outbound_cdf[] = {0.025, 0.050, 0.075, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70,
                                                0.80,  0.85,  0.90,  0.95, 0.97, 0.97, 0.98, 0.99, 0.995, 1.0};

// Each node's outbound count comes from the distribution, stratified: the n counts are the
// distribution's n quantiles (so a small network has the distribution's shape, not a sample's),
// dealt to the nodes in random order. Each node then links to random peers it is not yet linked
// to, in either direction, until it has opened that many; a link is one undirected edge, so a
// node's degree is what it opened plus what others opened to it.
OverlayGraph bitcoin_2015(int n, RandomStream& rng)
{
  OverlayGraph g(n);
  if (n < 2)
    return g;
  std::vector<int> outbound;
  outbound.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    double quantile = (i + 0.5) / n;
    int k           = 0;
    while (bitcoin_2015_outbound_cdf[k] < quantile)
      ++k;
    outbound.push_back(std::min(k + 1, n - 1));
  }
  for (size_t i = outbound.size(); i > 1; --i)  // Fisher-Yates with our own stream
    std::swap(outbound[i - 1], outbound[rng.below(i)]);
  for (int v = 0; v < n; ++v) {
    int opened = 0;
    // Rejection: a random peer, drawn again when it is the node itself or already linked. A node
    // linked to every other one stops early (only in tiny networks).
    for (int tries = 0; opened < outbound[static_cast<size_t>(v)] && tries < 64 * n; ++tries) {
      int peer = static_cast<int>(rng.below(static_cast<uint64_t>(n)));
      if (peer == v || boost::edge(v, peer, g).second)
        continue;
      boost::add_edge(v, peer, g);
      ++opened;
    }
  }
  return g;
}

OverlayGraph read_graph_file(const std::string& path, int n, const std::string& where)
{
  std::ifstream in(path);
  if (!in)
    throw InputError(fmt::format("{}: cannot open overlay file '{}'", where, path));
  // Read into a graph with a set of out-edges per vertex, which merges an edge listed twice.
  boost::adjacency_list<boost::setS, boost::vecS, boost::undirectedS> g;
  boost::dynamic_properties properties(boost::ignore_other_properties);
  try {
    if (path.size() > 4 && path.substr(path.size() - 4) == ".dot")
      boost::read_graphviz(in, g, properties, "node_id");
    else
      boost::read_graphml(in, g, properties);
  } catch (const std::exception& e) {
    std::string reason = e.what();
    for (char& c : reason)
      c = c == '\n' ? ' ' : c;
    throw InputError(fmt::format("{}: cannot read the overlay graph in '{}': {}", where, path, reason));
  }
  if (static_cast<int>(boost::num_vertices(g)) != n)
    throw InputError(fmt::format("{}: the overlay in '{}' has {} vertices but the scenario has {} nodes", where, path,
                                 boost::num_vertices(g), n));
  OverlayGraph out(static_cast<size_t>(n));
  for (auto [it, end] = boost::edges(g); it != end; ++it)
    add_edge_once(out, static_cast<int>(boost::source(*it, g)), static_cast<int>(boost::target(*it, g)));
  return out;
}

}  // namespace

namespace {
constexpr int max_complete_overlay_nodes = 5000;

void check_complete_size(const Scenario& scenario, int n)
{
  if (n > max_complete_overlay_nodes)
    throw InputError(fmt::format("{}: a complete overlay of {} nodes has {} edges; use random_regular, "
                                 "small_world or scale_free above {} nodes",
                                 scenario.where("network.overlay"), n, static_cast<long long>(n) * (n - 1) / 2,
                                 max_complete_overlay_nodes));
}
}  // namespace

void check_overlay(const Scenario& scenario, int n)
{
  if (scenario.network.overlay.kind == "complete")
    check_complete_size(scenario, n);
  else
    build_overlay(scenario, n);
}

OverlayGraph build_overlay(const Scenario& scenario, int n)
{
  const Overlay& config = scenario.network.overlay;
  RandomStream rng(static_cast<uint64_t>(scenario.seed), "overlay");
  OverlayGraph g(n);
  if (config.kind == "complete") {
    check_complete_size(scenario, n);
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b)
        boost::add_edge(a, b, g);
  } else if (config.kind == "random_regular") {
    g = random_regular(n, config.degree, rng);
  } else if (config.kind == "small_world") {
    g = small_world(n, config.degree, config.rewire.value, rng);
  } else if (config.kind == "scale_free") {
    g = scale_free(n, config.edges_per_node, rng);
  } else if (config.kind == "bitcoin_2015") {
    g = bitcoin_2015(n, rng);
  } else if (config.kind == "file") {
    g = read_graph_file(scenario.resolve_path(config.file), n, scenario.where("network.overlay.file.path"));
  }
  int components = connected_components(g);
  if (components > 1 && !scenario.network.allow_disconnected_overlay)
    throw InputError(fmt::format("{}: the {} overlay has {} disconnected components (set "
                                 "network.allow_disconnected_overlay: true to accept it)",
                                 scenario.where("network.overlay"), config.kind, components));
  return g;
}

std::vector<std::vector<int>> neighbour_lists(const OverlayGraph& graph)
{
  std::vector<std::vector<int>> lists(boost::num_vertices(graph));
  for (size_t v = 0; v < lists.size(); ++v) {
    for (auto [it, end] = boost::adjacent_vertices(v, graph); it != end; ++it)
      lists[v].push_back(static_cast<int>(*it));
    std::sort(lists[v].begin(), lists[v].end());
  }
  return lists;
}

int connected_components(const OverlayGraph& graph)
{
  if (boost::num_vertices(graph) == 0)
    return 0;
  std::vector<int> component(boost::num_vertices(graph));
  return boost::connected_components(graph, component.data());
}

nlohmann::json overlay_summary(const OverlayGraph& graph)
{
  Samples degree;
  for (size_t v = 0; v < boost::num_vertices(graph); ++v)
    degree.add(static_cast<double>(boost::degree(v, graph)));
  return {{"nodes", boost::num_vertices(graph)},
          {"edges", boost::num_edges(graph)},
          {"components", connected_components(graph)},
          {"degree", degree.to_json()}};
}

}  // namespace shsim
