#include "sim/scenario.hpp"

#include <filesystem>
#include <numeric>
#include <set>

#include "sim/expect.hpp"
#include "sim/regions.hpp"

namespace shsim {
namespace fs = std::filesystem;

std::string Scenario::resolve_path(const std::string& path) const
{
  // Relative to the scenario file, then to the working directory, then to shsim's own tree (so that
  // `platforms/...` works from anywhere).
  if (path.empty() || fs::path(path).is_absolute())
    return path;
  for (const fs::path& base : {fs::path(base_dir), fs::current_path(), fs::path(SHSIM_DATA_DIR)}) {
    fs::path candidate = base / path;
    if (fs::exists(candidate))
      return candidate.lexically_normal().string();
  }
  return path;
}

namespace {

// Splits "a.b[2].c" into {"a", "b", "2", "c"}.
std::vector<std::string> split_path(const std::string& path)
{
  std::vector<std::string> parts;
  std::string current;
  for (char c : path) {
    if (c == '.' || c == '[' || c == ']') {
      if (!current.empty())
        parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty())
    parts.push_back(current);
  return parts;
}

bool is_index(const std::string& part)
{
  return !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
}

// Applies one "--set a.b.c=value": the value is parsed as YAML so lists and maps work too.
std::string apply_override(YAML::Node& root, const std::string& assignment)
{
  size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw InputError(fmt::format("--set {}: expected key.path=value", assignment));
  std::string path = assignment.substr(0, equals);
  std::string text = assignment.substr(equals + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("--set {}: cannot parse the value: {}", assignment, e.msg));
  }
  std::vector<std::string> parts = split_path(path);
  // Walk with copies of node handles: yaml-cpp nodes are references into the same document.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node current = chain.back();
    if (is_index(parts[i]) && current.IsSequence()) {
      size_t index = std::stoul(parts[i]);
      if (index >= current.size())
        throw InputError(fmt::format("--set {}: index {} is past the end of the list ({} items)", assignment, index,
                                     current.size()));
      chain.push_back(current[index]);
    } else if (current.IsMap() || current.IsNull() || !current.IsDefined()) {
      chain.push_back(current[parts[i]]);
    } else {
      throw InputError(fmt::format("--set {}: '{}' is not a map", assignment, parts[i]));
    }
  }
  YAML::Node parent = chain.back();
  const std::string& last = parts.back();
  if (is_index(last) && parent.IsSequence()) {
    size_t index = std::stoul(last);
    if (index >= parent.size())
      throw InputError(fmt::format("--set {}: index {} is past the end of the list", assignment, index));
    parent[index] = value;
  } else {
    parent[last] = value;
  }
  // Normalise to the dotted form the schema reports ("a.b[2].c").
  std::string normalised;
  for (const auto& part : parts)
    normalised += is_index(part) ? "[" + part + "]" : (normalised.empty() ? "" : ".") + part;
  return normalised;
}

// YAML merge keys (`<<: *anchor`), which yaml-cpp 0.7 leaves as a literal "<<" key: the merged
// maps' entries come first, the map's own entries override them.
YAML::Node expand_merge_keys(const YAML::Node& node)
{
  if (node.IsSequence()) {
    YAML::Node copy = node;
    for (size_t i = 0; i < copy.size(); ++i)
      copy[i] = expand_merge_keys(copy[i]);
    return copy;
  }
  if (!node.IsMap())
    return node;
  YAML::Node merge = node["<<"];
  if (!merge.IsDefined()) {
    YAML::Node copy = node;
    for (auto entry : copy)
      entry.second = expand_merge_keys(entry.second);
    return copy;
  }
  YAML::Node result(YAML::NodeType::Map);
  auto add_all = [&](const YAML::Node& source) {
    if (source.IsMap())
      for (const auto& entry : source)
        if (entry.first.Scalar() != "<<")
          result[entry.first.Scalar()] = expand_merge_keys(entry.second);
  };
  if (merge.IsSequence())
    for (const auto& source : merge)
      add_all(expand_merge_keys(source));
  else
    add_all(expand_merge_keys(merge));
  add_all(node);
  return result;
}

YAML::Node node_at(const YAML::Node& root, const std::vector<std::string>& keys)
{
  YAML::Node node = root;
  for (const auto& key : keys) {
    if (!node.IsDefined() || node.IsNull())
      return node;
    YAML::Node next = is_index(key) && node.IsSequence() ? node[std::stoul(key)] : node[key];
    if (!next.IsDefined())
      return node;  // point at the closest enclosing node
    node = next;
  }
  return node;
}

// Cross-checks that need more than one key: regions, placement shares, validator indices, files.
void check_references(Scenario& s, const YAML::Node& root, const SourceContext& ctx)
{
  auto fail = [&](std::vector<std::string> keys, const std::string& path, const std::string& reason) {
    ctx.fail(node_at(root, keys), path, reason);
  };
  if (!s.children.empty())
    fail({"children"}, "children", "child chains are not implemented yet (planned: optimistic and ZK rollups)");
  if (!s.bridges.empty())
    fail({"bridges"}, "bridges", "bridges are not implemented yet");

  std::string matrix_path = s.resolve_path(s.network.latency_matrix);
  if (!fs::is_regular_file(matrix_path))
    fail({"network", "latency_matrix"}, "network.latency_matrix",
         fmt::format("file '{}' not found", s.network.latency_matrix));
  s.regions                  = load_region_matrix(matrix_path);
  const RegionMatrix& matrix = s.regions;
  if (!s.network.platform_file.empty() && !fs::is_regular_file(s.resolve_path(s.network.platform_file)))
    fail({"network", "platform_file"}, "network.platform_file",
         fmt::format("file '{}' not found", s.network.platform_file));
  if (s.network.overlay.kind == "file" && !fs::is_regular_file(s.resolve_path(s.network.overlay.file)))
    fail({"network", "overlay", "file", "path"}, "network.overlay.file.path",
         fmt::format("file '{}' not found", s.network.overlay.file));
  if (s.network.overlay.kind == "small_world" && s.network.overlay.degree % 2 != 0)
    fail({"network", "overlay", "small_world", "degree"}, "network.overlay.small_world.degree", "must be even");

  const Validators& validators = s.parent.validators;
  if (!validators.placement.empty()) {
    double total = 0;
    for (const auto& [region, share] : validators.placement) {
      if (matrix.index_of(region) < 0) {
        std::string reason = fmt::format("unknown region '{}' in {}", region, s.network.latency_matrix);
        if (auto guess = did_you_mean(region, matrix.regions))
          reason += fmt::format(" (did you mean '{}'?)", *guess);
        fail({"parent", "validators", "placement", region}, "parent.validators.placement." + region, reason);
      }
      total += share.value;
    }
    if (std::abs(total - 1) > 1e-6)
      fail({"parent", "validators", "placement"}, "parent.validators.placement",
           fmt::format("shares add up to {}, not 100%", total));
  }
  if (validators.stake.kind == "list") {
    if (static_cast<int>(validators.stake.weights.size()) != validators.count)
      fail({"parent", "validators", "stake"}, "parent.validators.stake.list.weights",
           fmt::format("{} weights for {} validators", validators.stake.weights.size(), validators.count));
    for (double w : validators.stake.weights)
      if (!(w > 0))
        fail({"parent", "validators", "stake"}, "parent.validators.stake.list.weights", "weights must be positive");
  }

  for (size_t i = 0; i < s.adversaries.size(); ++i) {
    const Adversary& a = s.adversaries[i];
    std::string index  = std::to_string(i);
    std::string path   = fmt::format("adversaries[{}].{}", i, a.kind);
    if (a.until && a.until->seconds <= a.from.seconds)
      fail({"adversaries", index, a.kind, "until"}, path + ".until", "must be after `from`");
    if (a.kind == "partition") {
      if (a.groups.empty())
        fail({"adversaries", index, a.kind}, path + ".groups", "at least one group of regions is needed");
      std::set<std::string> seen;
      for (size_t g = 0; g < a.groups.size(); ++g)
        for (size_t r = 0; r < a.groups[g].size(); ++r) {
          const std::string& region = a.groups[g][r];
          std::string where         = fmt::format("{}.groups[{}][{}]", path, g, r);
          if (matrix.index_of(region) < 0)
            fail({"adversaries", index, a.kind, "groups", std::to_string(g), std::to_string(r)}, where,
                 fmt::format("unknown region '{}'", region));
          if (!seen.insert(region).second)
            fail({"adversaries", index, a.kind, "groups", std::to_string(g), std::to_string(r)}, where,
                 fmt::format("region '{}' is in two groups", region));
        }
      continue;
    }
    if (a.who.validators.empty() && a.who.stake.value == 0)
      fail({"adversaries", index, a.kind}, path, "name `validators` or a `stake` share");
    if (!a.who.validators.empty() && a.who.stake.value > 0)
      fail({"adversaries", index, a.kind}, path, "give either `validators` or `stake`, not both");
    for (size_t v = 0; v < a.who.validators.size(); ++v)
      if (a.who.validators[v] < 0 || a.who.validators[v] >= validators.count)
        fail({"adversaries", index, a.kind, "validators", std::to_string(v)}, fmt::format("{}.validators[{}]", path, v),
             fmt::format("validator {} does not exist (0..{})", a.who.validators[v], validators.count - 1));
  }

  for (size_t i = 0; i < s.workload.size(); ++i)
    if (s.workload[i].chain != s.parent.name)
      fail({"workload", std::to_string(i), "chain"}, fmt::format("workload[{}].chain", i),
           fmt::format("unknown chain '{}' (chains: {})", s.workload[i].chain, s.parent.name));

  for (size_t i = 0; i < s.expect.size(); ++i)
    if (auto parsed = parse_expectation(s.expect[i]); !parsed.value)
      fail({"expect", std::to_string(i)}, fmt::format("expect[{}]", i), parsed.reason);
}

}  // namespace

Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides)
{
  SourceContext context{file, {}};
  if (!fs::is_regular_file(file))
    throw InputError(fmt::format("{}: cannot open scenario file (no such file)", file));
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    context.fail_at(e.mark, "", "YAML syntax error: " + e.msg);
  }
  if (root.IsNull())
    root = YAML::Node(YAML::NodeType::Map);
  root = expand_merge_keys(root);
  if (!root.IsMap())
    context.fail(root, "", "a scenario is a map of keys (name, seed, duration, network, parent, ...)");
  for (const auto& assignment : overrides) {
    std::string path = apply_override(root, assignment);
    context.overrides[path] = assignment.substr(assignment.find('=') + 1);
  }

  Scenario scenario;
  scenario.source_file = file;
  scenario.base_dir    = fs::path(file).parent_path().string();
  SchemaReader::read(root, "", context, scenario);
  if (!scenario.parent.protocol.params)  // `protocol` left out: the default protocol with its defaults
    scenario.parent.protocol.read_from(YAML::Node(scenario.parent.protocol.kind), "parent.protocol", context);
  check_references(scenario, root, context);
  for (size_t i = 0; i < scenario.expect.size(); ++i) {
    YAML::Mark mark = node_at(root, {"expect", std::to_string(i)}).Mark();
    scenario.expect_locations.push_back(context.locate(mark, fmt::format("expect[{}]", i)));
  }
  return scenario;
}

std::string dump_scenario(const Scenario& scenario)
{
  YAML::Emitter out;
  out << SchemaWriter::write(scenario);
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> document_schema()
{
  std::vector<std::string> lines;
  Scenario defaults;
  SchemaDocumenter documenter(lines, "");
  defaults.describe(documenter);
  for (const auto& name : ProtocolRegistry::instance().parent_names()) {
    lines.push_back("");
    lines.push_back(fmt::format("parent.protocol = {}: {}", name, ProtocolRegistry::instance().find_parent(name)->description()));
    ProtocolRegistry::instance().find_parent(name)->document(lines, "parent.protocol." + name);
  }
  return lines;
}

}  // namespace shsim
