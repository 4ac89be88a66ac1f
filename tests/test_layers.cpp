// The engine's shape (issue 10, docs/ARCHITECTURE.md "Layers"): every file of sim/ sits in one
// layer and includes files of its own layer or lower, so that the runtime parts (node, network,
// event queue, relay, parent client) see a run only through World, never through Simulation; and
// sim/ names no model: no family, child kind or model-defined adversary kind that models/registry
// registers appears in it. A new file in sim/ must be given its layer here.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "models/registry.hpp"
#include "sim/protocol.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;

namespace {

// Lowest first; the same table as docs/ARCHITECTURE.md.
const std::vector<std::pair<std::string, std::vector<std::string>>> layers = {
    {"values", {"units", "rng", "stats", "metric", "message", "log", "interrupt", "table", "yaml_guard", "schema"}},
    {"records", {"event_log", "series", "narration", "recorder", "ledger", "expect"}},
    {"input", {"adversary", "adversaries", "protocol", "child", "application", "regions", "platform_file", "scenario", "overlay"}},
    {"runtime", {"platform", "population", "event_queue", "network", "node", "relay", "parent_client", "world"}},
    {"run", {"director", "simulation", "report"}},
    {"commands", {"output", "summary_table", "catalog", "estimate", "trace", "explain", "html_report"}},
    {"studies", {"study", "aggregate", "sweep_store", "sweep", "plot"}},
    {"command line", {"main", "sweep_mpi"}},
};

std::map<std::string, size_t> layer_of_stem()
{
  std::map<std::string, size_t> out;
  for (size_t l = 0; l < layers.size(); ++l)
    for (const auto& stem : layers[l].second)
      out[stem] = l;
  return out;
}

std::vector<fs::path> engine_files()
{
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(shsim::testing::source_path("sim")))
    if (entry.path().extension() == ".cpp" || entry.path().extension() == ".hpp")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("engine files include their own layer or lower", "[architecture]")
{
  auto layer_of = layer_of_stem();
  const std::regex include(R"(^\s*#\s*include\s+"sim/([a-z_]+)\.hpp")");
  std::vector<std::string> upward;
  for (const auto& file : engine_files()) {
    std::string stem = file.stem().string();
    INFO(file.filename().string() << " needs a layer in tests/test_layers.cpp and docs/ARCHITECTURE.md");
    REQUIRE(layer_of.count(stem) == 1);
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (!std::regex_search(line, m, include))
        continue;
      REQUIRE(layer_of.count(m[1]) == 1);
      if (layer_of[m[1]] > layer_of[stem])
        upward.push_back(file.filename().string() + " (" + layers[layer_of[stem]].first + ") includes " +
                         m[1].str() + ".hpp (" + layers[layer_of[m[1]]].first + ")");
    }
  }
  INFO([&] {
    std::string all;
    for (const auto& u : upward)
      all += u + "\n";
    return all;
  }());
  CHECK(upward.empty());
}

TEST_CASE("sim/ names no model that models/registry registers", "[architecture]")
{
  shsim::models::register_all();
  const auto& registry = shsim::ProtocolRegistry::instance();
  std::set<std::string> names;
  for (const auto& n : registry.parent_names())
    names.insert(n);
  for (const auto& n : registry.child_names())
    names.insert(n);
  for (const auto& n : registry.adversary_names())
    if (n != "crash" && n != "partition" && n != "parent_censor")  // the engine's own kinds (sim/adversaries.cpp)
      names.insert(n);
  REQUIRE(names.size() >= 8);  // 3 parents, 2 rollups, their adversaries: the check sees real names
  std::vector<std::string> found;
  for (const auto& file : engine_files()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string body = text.str();
    for (const auto& name : names)
      if (std::regex_search(body, std::regex("\\b" + name + "\\b", std::regex::icase)))
        found.push_back(file.filename().string() + ": " + name);
  }
  INFO([&] {
    std::string all;
    for (const auto& f : found)
      all += f + "\n";
    return all;
  }());
  CHECK(found.empty());
}
