#include "sim/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <numeric>
#include <set>

#include <fmt/ranges.h>

#include "sim/event_log.hpp"
#include "sim/expect.hpp"
#include "sim/ledger.hpp"
#include "sim/overlay.hpp"
#include "sim/regions.hpp"
#include "sim/platform_file.hpp"
#include "sim/yaml_guard.hpp"

namespace shsim {
namespace fs = std::filesystem;

std::string Scenario::resolve_path(const std::string& path) const
{
  // Relative to the scenario file, then to the working directory, then to shsim's own tree (so that
  // `platforms/...` works from anywhere).
  if (path.empty() || fs::path(path).is_absolute())
    return path;
  // Never throws: a name too long for the file system (the fuzzer found one) or a vanished working
  // directory simply does not resolve, and the caller's read says what is wrong with the path.
  std::error_code error;
  fs::path working = fs::current_path(error);
  for (const fs::path& base : {fs::path(base_dir), working, fs::path(SHSIM_DATA_DIR)}) {
    fs::path candidate = base / path;
    if (fs::exists(candidate, error))
      return candidate.lexically_normal().string();
  }
  return path;
}

namespace {

YAML::Node expand_merge_keys(const YAML::Node& node);

/// One step of a --set key path: a map key or a list index.
struct PathStep {
  std::string key;
  bool index = false;
};

// Parses "a.b[2].c" strictly: names of letters, digits, '_' and '-', separated by dots, each
// optionally followed by [index]es. Anything else is a command-line error naming the character.
std::vector<PathStep> parse_key_path(const std::string& path, const std::string& assignment)
{
  auto bad = [&](size_t at, const std::string& why) -> InputError {
    return InputError(fmt::format("--set {}: bad key path '{}' at character {}: {}", assignment, path, at + 1, why));
  };
  std::vector<PathStep> steps;
  size_t i = 0;
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  while (true) {
    size_t start = i;
    while (i < path.size() && is_name_char(path[i]))
      ++i;
    if (i == start)
      throw bad(i, i < path.size() ? fmt::format("expected a key name, found '{}'", path[i]) : "expected a key name");
    steps.push_back({path.substr(start, i - start), false});
    while (i < path.size() && path[i] == '[') {
      size_t digits = ++i;
      while (i < path.size() && std::isdigit(static_cast<unsigned char>(path[i])))
        ++i;
      if (i == digits || i >= path.size() || path[i] != ']')
        throw bad(i, "expected [index] with a whole number");
      if (i - digits > 9)
        throw bad(digits, "index too large");
      steps.push_back({path.substr(digits, i - digits), true});
      ++i;
    }
    if (i == path.size())
      return steps;
    if (path[i] != '.')
      throw bad(i, fmt::format("expected '.' or '[', found '{}'", path[i]));
    ++i;
  }
}

// The name of each entry of `children` or `bridges` (defaults filled in, as the scenario will
// have them), so that a key path can address an entry by name: children.op.challenge_window.
std::vector<std::string> entry_names(const YAML::Node& list, const std::string& list_key, const std::string& file)
{
  std::vector<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    if (list_key == "children") {
      ChildChoice child;
      child.read_from(item, fmt::format("children[{}]", i), SourceContext{file, {}});
      names.push_back(child.name());
    } else if (list_key == "applications") {
      AppChoice app;
      app.read_from(item, fmt::format("applications[{}]", i), SourceContext{file, {}});
      names.push_back(app.name());
    } else if (item.IsMap() && item["name"] && item["name"].IsScalar()) {
      names.push_back(item["name"].as<std::string>());
    } else {
      names.push_back(item.IsMap() && item["child"] && item["child"].IsScalar()
                          ? item["child"].as<std::string>() + "-bridge"
                          : std::string());
    }
  }
  return names;
}

// Applies one "--set a.b.c=value": the value is parsed as YAML so lists and maps work too. A child
// chain, a bridge or an application may be named instead of indexed: children.op.x is
// children[i].<kind>.x for the child named op, bridges.op-bridge.x is bridges[i].x,
// applications.perp.x is applications[i].<kind>.x.
std::string apply_override(YAML::Node& root, const std::string& assignment, const std::string& file)
{
  size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw InputError(fmt::format("--set {}: expected key.path=value", assignment));
  std::string path = assignment.substr(0, equals);
  std::string text = assignment.substr(equals + 1);
  std::vector<PathStep> steps = parse_key_path(path, assignment);
  // Entries named in place of an index: children.op -> children[i].<kind>, bridges.b -> bridges[i],
  // applications.perp -> applications[i].<kind>.
  const bool by_kind = steps.size() >= 2 && (steps[0].key == "children" || steps[0].key == "applications");
  if (steps.size() >= 2 && !steps[1].index &&
      (steps[0].key == "children" || steps[0].key == "bridges" || steps[0].key == "applications") &&
      root[steps[0].key].IsSequence()) {
    YAML::Node list                = root[steps[0].key];
    std::vector<std::string> names = entry_names(list, steps[0].key, file);
    auto found                     = std::find(names.begin(), names.end(), steps[1].key);
    if (found == names.end()) {
      std::string reason = fmt::format("--set {}: no entry of '{}' is named '{}'", assignment, steps[0].key, steps[1].key);
      if (auto guess = did_you_mean(steps[1].key, names))
        reason += fmt::format(" (did you mean '{}'?)", *guess);
      else
        reason += fmt::format(" (names: {})", fmt::join(names, ", "));
      throw InputError(reason);
    }
    size_t index = static_cast<size_t>(found - names.begin());
    std::vector<PathStep> by_index{steps[0], {std::to_string(index), true}};
    if (by_kind) {
      YAML::Node item = list[index];
      std::string kind;
      if (item.IsScalar()) {  // `- <family>` with no parameters: give it a map to set keys in
        kind = item.as<std::string>();
        YAML::Node written;
        written[kind]  = YAML::Node(YAML::NodeType::Map);
        list[index]    = written;
      } else {
        kind = item.begin()->first.as<std::string>();
        if (!item.begin()->second.IsMap())
          list[index][kind] = YAML::Node(YAML::NodeType::Map);
      }
      by_index.push_back({kind, false});
    }
    by_index.insert(by_index.end(), steps.begin() + 2, steps.end());
    steps = by_index;
  }
  if (text.find_first_not_of(" \t") == std::string::npos)
    throw InputError(fmt::format("--set {}: no value given (to write an empty list: {}=[])", assignment, path));
  YAML::Node value = load_untrusted_yaml(text, "--set " + assignment, true);
  value            = expand_merge_keys(value);
  // Normalised to the dotted form the schema reports ("a.b[2].c").
  std::string normalised;
  for (const auto& step : steps)
    normalised += step.index ? "[" + step.key + "]" : (normalised.empty() ? "" : ".") + step.key;
  // Walk with copies of node handles: yaml-cpp nodes are references into the same document.
  std::vector<YAML::Node> chain{root};
  std::string walked;
  for (size_t i = 0; i < steps.size(); ++i) {
    YAML::Node current = chain.back();
    const PathStep& step = steps[i];
    bool last            = i + 1 == steps.size();
    if (step.index) {
      if (!current.IsSequence())
        throw InputError(fmt::format("--set {}: '{}' is not a list", assignment, walked));
      size_t index = std::stoul(step.key);
      if (index >= current.size())
        throw InputError(fmt::format("--set {}: index {} is past the end of '{}' ({} items)", assignment, index, walked,
                                     current.size()));
      if (last)
        current[index] = value;
      else
        chain.push_back(current[index]);
      walked += "[" + step.key + "]";
      continue;
    }
    if (current.IsDefined() && !current.IsNull() && !current.IsMap())
      throw InputError(fmt::format("--set {}: '{}' is {}, not a map of keys", assignment, walked,
                                   current.IsSequence() ? "a list" : "a value"));
    if (last)
      current[step.key] = value;
    else
      chain.push_back(current[step.key]);
    walked += (walked.empty() ? "" : ".") + step.key;
  }
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

bool is_index(const std::string& part)
{
  return !part.empty() && part.size() <= 9 && part.find_first_not_of("0123456789") == std::string::npos;
}

// The node at a key path, or the closest enclosing one. Looks only: yaml-cpp's operator= on a node
// handle overwrites the node it refers to, and a non-const operator[] adds the key, so the walk
// rebinds handles with reset() and indexes through const references.
YAML::Node node_at(const YAML::Node& root, const std::vector<std::string>& keys)
{
  YAML::Node node;
  node.reset(root);
  for (const auto& key : keys) {
    const YAML::Node& current = node;
    YAML::Node next;
    if (current.IsSequence() && is_index(key) && std::stoul(key) < current.size())
      next.reset(current[std::stoul(key)]);
    else if (current.IsMap())
      next.reset(current[key]);
    else
      return node;
    if (!next.IsDefined())
      return node;  // point at the closest enclosing node
    node.reset(next);
  }
  return node;
}

bool contains(const std::vector<std::string>& names, const std::string& name)
{
  return std::find(names.begin(), names.end(), name) != names.end();
}

using Fail = std::function<void(std::vector<std::string>, const std::string&, const std::string&)>;

// Applications: unique names, known regions, and every chain, bridge and earlier application they
// name exists (an application is built after every chain and bridge, and after those before it).
void check_applications(const Scenario& s, std::vector<std::string>& names, const std::vector<std::string>& children,
                        const Fail& fail)
{
  std::vector<std::string> chains{s.parent.name};
  chains.insert(chains.end(), children.begin(), children.end());
  std::vector<std::string> bridges;
  for (const auto& b : s.bridges)
    bridges.push_back(b.name);
  std::vector<std::string> earlier;
  for (size_t i = 0; i < s.applications.size(); ++i) {
    const AppChoice& app = s.applications[i];
    std::string index    = std::to_string(i);
    std::string path     = fmt::format("applications[{}].{}", i, app.kind);
    if (app.name().empty())
      fail({"applications", index, app.kind, "name"}, path + ".name", "every application needs a name");
    if (auto problem = name_problem(app.name()))
      fail({"applications", index, app.kind, "name"}, path + ".name", *problem);
    if (contains(names, app.name()))
      fail({"applications", index, app.kind, "name"}, path + ".name", fmt::format("name '{}' is already used", app.name()));
    for (const auto& role : app.params->placements(s.parent.validators.count)) {
      if (!role.region.empty() && s.regions.index_of(role.region) < 0)
        fail({"applications", index, app.kind}, path, unknown_name("region", role.region, s.regions.regions));
      if (role.validator >= s.parent.validators.count)
        fail({"applications", index, app.kind}, path,
             fmt::format("a role on validator {}'s machine, but the parent has {} validators", role.validator,
                         s.parent.validators.count));
    }
    for (const AppReference& ref : app.params->references()) {
      std::vector<std::string> keys{"applications", index, app.kind};
      size_t start = 0;
      for (size_t dot = ref.key.find('.'); ; dot = ref.key.find('.', start)) {
        keys.push_back(ref.key.substr(start, dot - start));
        if (dot == std::string::npos)
          break;
        start = dot + 1;
      }
      const std::string at = path + "." + ref.key;
      if (ref.what == "chain" || ref.what == "child") {
        const auto& known = ref.what == "chain" ? chains : children;
        if (!contains(known, ref.name))
          fail(keys, at, known.empty() ? "no child chain is declared (children: ...)" : unknown_name(ref.what == "chain" ? "chain" : "child chain", ref.name, known));
        if (ref.what == "child" && !ref.kinds.empty() && !contains(ref.kinds, s.child(ref.name)->kind))
          fail(keys, at, fmt::format("'{}' is a {} chain; this needs one of: {}", ref.name, s.child(ref.name)->kind,
                                     fmt::join(ref.kinds, ", ")));
      } else if (ref.what == "bridge") {
        if (!contains(bridges, ref.name))
          fail(keys, at, bridges.empty() ? "no bridge is declared (bridges: ...)" : unknown_name("bridge", ref.name, bridges));
      } else {
        if (!contains(earlier, ref.name)) {
          std::string reason = unknown_name("application", ref.name, earlier);
          if (s.application(ref.name) != nullptr)
            reason = fmt::format("application '{}' is listed after this one: list it first", ref.name);
          else if (earlier.empty())
            reason = fmt::format("no application named '{}' is listed before this one", ref.name);
          fail(keys, at, reason);
        }
        if (!ref.kinds.empty() && !contains(ref.kinds, s.application(ref.name)->kind))
          fail(keys, at, fmt::format("'{}' is of kind {}; this needs {}", ref.name, s.application(ref.name)->kind,
                                     fmt::join(ref.kinds, " or ")));
      }
    }
    names.push_back(app.name());
    earlier.push_back(app.name());
  }
}

// Children and bridges: unique names, known regions, bridges to existing children.
void check_children(Scenario& s, const Fail& fail)
{
  std::vector<std::string> names{s.parent.name};
  for (size_t i = 0; i < s.children.size(); ++i) {
    const ChildChoice& child = s.children[i];
    std::string index        = std::to_string(i);
    if (auto problem = name_problem(child.name()))
      fail({"children", index, child.kind, "name"}, fmt::format("children[{}].{}.name", i, child.kind), *problem);
    if (contains(names, child.name()))
      fail({"children", index, child.kind, "name"}, fmt::format("children[{}].{}.name", i, child.kind),
           fmt::format("chain name '{}' is already used", child.name()));
    names.push_back(child.name());
    for (const auto& role : child.params->placements(s.parent.validators.count)) {
      if (!role.region.empty() && s.regions.index_of(role.region) < 0)
        fail({"children", index, child.kind}, fmt::format("children[{}].{}", i, child.kind),
             unknown_name("region", role.region, s.regions.regions));
      if (role.validator >= s.parent.validators.count)
        fail({"children", index, child.kind}, fmt::format("children[{}].{}", i, child.kind),
             fmt::format("a role on validator {}'s machine, but the parent has {} validators", role.validator,
                         s.parent.validators.count));
    }
  }
  std::vector<std::string> children(names.begin() + 1, names.end());
  for (size_t i = 0; i < s.bridges.size(); ++i) {
    BridgeConfig& bridge = s.bridges[i];
    std::string index    = std::to_string(i);
    if (!contains(children, bridge.child))
      fail({"bridges", index, "child"}, fmt::format("bridges[{}].child", i),
           children.empty() ? "no child chain is declared (children: ...)" : unknown_name("child chain", bridge.child, children));
    const std::string& kind = s.child(bridge.child)->kind;
    if (!ProtocolRegistry::instance().find_child(kind)->bridgeable()) {
      std::vector<std::string> bridgeable;
      for (const ChildChoice& c : s.children)
        if (ProtocolRegistry::instance().find_child(c.kind)->bridgeable())
          bridgeable.push_back(c.name());
      fail({"bridges", index, "child"}, fmt::format("bridges[{}].child", i),
           fmt::format("'{}' is a {} chain, which takes no bridge{}", bridge.child, kind,
                       bridgeable.empty() ? std::string()
                                          : fmt::format(" (chains that do: {})", fmt::join(bridgeable, ", "))));
    }
    if (bridge.name.empty())
      bridge.name = bridge.child + "-bridge";
    if (auto problem = name_problem(bridge.name))
      fail({"bridges", index, "name"}, fmt::format("bridges[{}].name", i), *problem);
    if (contains(names, bridge.name))
      fail({"bridges", index, "name"}, fmt::format("bridges[{}].name", i),
           fmt::format("name '{}' is already used", bridge.name));
    names.push_back(bridge.name);
    if (!bridge.region.empty() && s.regions.index_of(bridge.region) < 0)
      fail({"bridges", index, "region"}, fmt::format("bridges[{}].region", i),
           unknown_name("region", bridge.region, s.regions.regions));
  }
  check_applications(s, names, children, fail);
}

// Cross-checks that need more than one key: regions, placement shares, validator indices, files.
void check_references(Scenario& s, const YAML::Node& root, const SourceContext& ctx)
{
  auto fail = [&](std::vector<std::string> keys, const std::string& path, const std::string& reason) {
    ctx.fail(node_at(root, keys), path, reason);
  };
  // The name becomes a folder (results/<name>/): a plain file name only, never a path; chain names
  // become CSV cells and event-log fields.
  if (auto problem = name_problem(s.name))
    fail({"name"}, "name", *problem);
  if (auto problem = name_problem(s.parent.name))
    fail({"parent", "name"}, "parent.name", *problem);
  // A path with a control character in it is a trick, never a file name.
  auto check_path = [&](std::vector<std::string> keys, const std::string& path, const std::string& file) {
    if (auto problem = path_problem(file))
      fail(std::move(keys), path, *problem);
  };
  check_path({"network", "latency_matrix"}, "network.latency_matrix", s.network.latency_matrix);
  if (!s.network.platform_file.empty())
    check_path({"network", "platform_file"}, "network.platform_file", s.network.platform_file);
  if (s.network.overlay.kind == "file")
    check_path({"network", "overlay", "file", "path"}, "network.overlay.file.path", s.network.overlay.file);
  std::string matrix_path = s.resolve_path(s.network.latency_matrix);
  auto where = [&](std::vector<std::string> keys, const std::string& path) {
    return fmt::format("{}: {}", ctx.locate(node_at(root, keys).Mark(), path), path);
  };
  read_untrusted_file(matrix_path, max_yaml_bytes, "latency matrix",
                      where({"network", "latency_matrix"}, "network.latency_matrix"));
  s.regions = load_region_matrix(matrix_path);
  for (auto& row : s.regions.one_way_seconds)
    for (double& latency : row)
      latency *= s.network.latency_scale;
  const RegionMatrix& matrix = s.regions;
  if (s.network.access.regional_bandwidth && (matrix.upload_bps.empty() || matrix.download_bps.empty()))
    fail({"network", "access", "regional_bandwidth"}, "network.access.regional_bandwidth",
         fmt::format("the latency matrix file '{}' gives no upload_bps and download_bps per region",
                     s.network.latency_matrix));
  if (!s.network.platform_file.empty()) {
    // Read against shsim's allow-list (no engine options, no other files, no library): SimGrid is
    // given the canonical copy, never the file.
    std::string path = s.resolve_path(s.network.platform_file);
    std::string text = read_untrusted_file(path, 64 * 1024 * 1024, "SimGrid platform",
                                           where({"network", "platform_file"}, "network.platform_file"));
    s.platform_xml   = sanitize_platform_file(text, path);
  }
  const Overlay& overlay = s.network.overlay;
  int node_count         = s.parent.validators.count;
  if (overlay.kind == "file")
    read_untrusted_file(s.resolve_path(overlay.file), 256 * 1024 * 1024, "overlay graph",
                        where({"network", "overlay", "file", "path"}, "network.overlay.file.path"));
  if (overlay.kind == "small_world" && overlay.degree % 2 != 0)
    fail({"network", "overlay", "small_world", "degree"}, "network.overlay.small_world.degree", "must be even");
  if ((overlay.kind == "random_regular" || overlay.kind == "small_world") && overlay.degree >= node_count)
    fail({"network", "overlay", overlay.kind, "degree"}, "network.overlay." + overlay.kind + ".degree",
         fmt::format("{} peers per node is impossible with {} nodes (at most {})", overlay.degree, node_count,
                     node_count - 1));
  if (overlay.kind == "scale_free" && overlay.edges_per_node >= node_count)
    fail({"network", "overlay", "scale_free", "edges_per_node"}, "network.overlay.scale_free.edges_per_node",
         fmt::format("{} edges per node is impossible with {} nodes (at most {})", overlay.edges_per_node, node_count,
                     node_count - 1));
  if (overlay.kind == "complete" && node_count > 5000)
    fail({"network", "overlay"}, "network.overlay",
         fmt::format("a complete overlay of {} nodes has {} edges; use random_regular, small_world or scale_free "
                     "above 5000 nodes",
                     node_count, static_cast<long long>(node_count) * (node_count - 1) / 2));

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

  check_children(s, fail);
  // Adversaries: the window, then whether the parent protocol implements a kind that acts through its
  // validators, then the kind's own checks (sim/adversary.hpp).
  const auto& registry = ProtocolRegistry::instance();
  for (size_t i = 0; i < s.adversaries.size(); ++i) {
    const AdversaryChoice& a = s.adversaries[i];
    AdversaryCheck check(s, i, a.kind, fail);
    if (a.window().until && a.window().until->seconds <= a.window().from.seconds)
      check.fail({"until"}, "must be after `from`");
    const AdversaryFactory* kind = registry.find_adversary(a.kind);
    if (const auto* parent = registry.find_parent(s.parent.protocol.kind);
        kind->implemented_by_parent() && parent != nullptr && !parent->supports_adversary(a.kind))
      check.fail({}, fmt::format("the {} parent protocol has no '{}' adversary", s.parent.protocol.kind, a.kind));
    kind->check(*a.params, check);
  }
  for (size_t i = 0; i < s.workload.size(); ++i) {
    const Workload& w = s.workload[i];
    std::vector<std::string> chains{s.parent.name};
    for (const auto& c : s.children)
      chains.push_back(c.name());
    std::string index = std::to_string(i);
    if (!contains(chains, w.chain))
      fail({"workload", index, "chain"}, fmt::format("workload[{}].chain", i), unknown_name("chain", w.chain, chains));
    if (w.kind != "transaction" && w.chain == s.parent.name)
      fail({"workload", index, "kind"}, fmt::format("workload[{}].kind", i),
           fmt::format("{}s go between the parent and a child chain: set `chain` to the child", w.kind));
    if (w.kind == "deposit" && std::none_of(s.bridges.begin(), s.bridges.end(),
                                            [&](const BridgeConfig& b) { return b.child == w.chain; }))
      fail({"workload", index, "kind"}, fmt::format("workload[{}].kind", i),
           fmt::format("deposits into '{}' need a bridge to it (bridges: - {{child: {}}})", w.chain, w.chain));
  }

  std::vector<std::string> kinds;
  for (const EventKindSpec* kind : event_kinds())
    kinds.push_back(kind->name);
  for (size_t i = 0; i < s.output.event_kinds.size(); ++i)
    if (find_event(s.output.event_kinds[i]) == nullptr)
      fail({"output", "event_kinds", std::to_string(i)}, fmt::format("output.event_kinds[{}]", i),
           unknown_name("event kind", s.output.event_kinds[i], kinds));
  if (double step = s.output.sample_interval.seconds; step > 0 && s.duration.seconds / step > 100000)
    fail({"output", "sample_interval"}, "output.sample_interval",
         fmt::format("{:g} s gives {:.0f} samples of each series over the run's {:g} s: at most 100000 (0: automatic)", step,
                     s.duration.seconds / step, s.duration.seconds));
  if (s.output.trace && s.output.events == "none")
    fail({"output", "trace"}, "output.trace", "the trace is made from the event log: set output.events to csv or jsonl");
  if (int nodes = s.output.messages ? scenario_node_count(s) : 0; nodes > max_message_recording_nodes)
    fail({"output", "messages"}, "output.messages",
         fmt::format("message-level recording is for small runs: this one has {} nodes (at most {})", nodes,
                     max_message_recording_nodes));
  if (s.output.messages && s.output.events == "none")
    fail({"output", "messages"}, "output.messages", "messages are recorded in the event log: set output.events to csv or jsonl");
  for (size_t i = 0; i < s.expect.size(); ++i)
    if (auto parsed = parse_expectation(s.expect[i]); !parsed.value)
      fail({"expect", std::to_string(i)}, fmt::format("expect[{}]", i), parsed.reason);
}

}  // namespace

int scenario_node_count(const Scenario& s)
{
  int nodes = s.parent.validators.count;
  for (const auto& child : s.children)
    nodes += static_cast<int>(child.params->placements(s.parent.validators.count).size());
  for (const auto& bridge : s.bridges)
    nodes += bridge.relayers;
  for (const auto& app : s.applications)
    nodes += static_cast<int>(app.params->placements(s.parent.validators.count).size());
  return nodes;
}

std::string Scenario::where(const std::string& key_path) const
{
  std::vector<std::string> keys;
  std::string current;
  for (char c : key_path) {
    if (c == '.' || c == '[' || c == ']') {
      if (!current.empty())
        keys.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty())
    keys.push_back(current);
  YAML::Mark mark = source_root.IsDefined() ? node_at(source_root, keys).Mark() : YAML::Mark::null_mark();
  SourceContext context = source_context;
  if (context.file.empty())
    context.file = source_file;
  return fmt::format("{}: {}", context.locate(mark, key_path), key_path);
}

bool safe_file_name(const std::string& name) { return !name_problem(name); }

Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides)
{
  return load_scenario_text(read_untrusted_file(file, max_yaml_bytes, "scenario", ""), file, overrides);
}

Scenario load_scenario_text(const std::string& text, const std::string& file, const std::vector<std::string>& overrides)
{
  SourceContext context{file, {}};
  YAML::Node root = load_untrusted_yaml(text, file, false);
  root = expand_merge_keys(root);
  if (!root.IsMap())
    context.fail(root, "", "a scenario is a map of keys (name, seed, duration, network, parent, ...)");
  for (const auto& assignment : overrides) {
    std::string path = apply_override(root, assignment, file);
    context.overrides[path] = assignment.substr(assignment.find('=') + 1);
  }

  Scenario scenario;
  scenario.source_file    = file;
  scenario.source_root    = root;
  scenario.source_context = context;
  scenario.base_dir    = fs::path(file).parent_path().string();
  SchemaReader::read(root, "", context, scenario);
  if (!scenario.parent.protocol.params)  // `protocol` left out: the default protocol with its defaults
    scenario.parent.protocol.read_default(context);
  check_references(scenario, root, context);
  if (scenario.detectors.warmup.seconds >= scenario.duration.seconds)
    context.fail(node_at(root, {"detectors", "warmup"}), "detectors.warmup",
                 fmt::format("{} is not shorter than the run ({}): nothing would be measured",
                             format_duration(scenario.detectors.warmup), format_duration(scenario.duration)));
  for (size_t i = 0; i < scenario.expect.size(); ++i) {
    YAML::Mark mark = node_at(root, {"expect", std::to_string(i)}).Mark();
    scenario.expect_locations.push_back(context.locate(mark, fmt::format("expect[{}]", i)));
  }
  // The overlay is built here too (in milliseconds), so that an unreadable graph file or a
  // disconnected graph is refused by `check`, not when the run starts. A complete overlay cannot be
  // disconnected and its only limit is its size: check that without building millions of edges
  // (the fuzzer found a 2 000-node complete overlay taking 11 s to check).
  check_overlay(scenario, scenario.parent.validators.count);
  for (size_t i = 0; i < scenario.adversaries.size(); ++i) {
    const auto& a = scenario.adversaries[i];
    YAML::Mark mark = node_at(root, {"adversaries", std::to_string(i), a.kind, "from"}).Mark();
    scenario.adversary_locations.push_back(
        context.locate(mark, fmt::format("adversaries[{}].{}.from", i, a.kind)));
  }
  return scenario;
}

const ChildChoice* Scenario::child(const std::string& chain) const
{
  for (const auto& c : children)
    if (c.name() == chain)
      return &c;
  return nullptr;
}

const AppChoice* Scenario::application(const std::string& name) const
{
  for (const auto& a : applications)
    if (a.name() == name)
      return &a;
  return nullptr;
}

std::string Scenario::application_path(const std::string& name) const
{
  for (size_t i = 0; i < applications.size(); ++i)
    if (applications[i].name() == name)
      return fmt::format("applications[{}].{}", i, applications[i].kind);
  return "applications";
}

void Scenario::fail_application(const std::string& name, const std::string& key, const std::string& reason) const
{
  std::string path = application_path(name) + (key.empty() ? "" : "." + key);
  throw InputError(fmt::format("{}: {}", where(path), reason));
}

std::vector<std::string> review_scenario(const Scenario& scenario)
{
  const auto& registry = ProtocolRegistry::instance();
  std::vector<std::string> warnings = registry.find_parent(scenario.parent.protocol.kind)->review(scenario);
  for (size_t i = 0; i < scenario.adversaries.size(); ++i)
    if (scenario.adversaries[i].from() >= scenario.duration.seconds)
      warnings.push_back(fmt::format("{}: adversaries[{}].{}.from: starts at {}, at or after the end of the run ({}): "
                                     "it never acts",
                                     scenario.adversary_locations.empty() ? scenario.source_file
                                                                          : scenario.adversary_locations[i],
                                     i, scenario.adversaries[i].kind, format_duration(scenario.adversaries[i].window().from),
                                     format_duration(scenario.duration)));
  for (const auto& child : scenario.children)
    for (auto& warning : registry.find_child(child.kind)->review(scenario, *child.params))
      warnings.push_back(std::move(warning));
  for (const auto& app : scenario.applications)
    for (auto& warning : registry.find_application(app.kind)->review(scenario, *app.params))
      warnings.push_back(std::move(warning));
  return warnings;
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
  for (const auto& name : ProtocolRegistry::instance().child_names()) {
    lines.push_back("");
    lines.push_back(fmt::format("children[] = {}: {}", name, ProtocolRegistry::instance().find_child(name)->description()));
    ProtocolRegistry::instance().find_child(name)->document(lines, "children[]." + name);
  }
  for (const auto& name : ProtocolRegistry::instance().application_names()) {
    lines.push_back("");
    lines.push_back(
        fmt::format("applications[] = {}: {}", name, ProtocolRegistry::instance().find_application(name)->description()));
    ProtocolRegistry::instance().find_application(name)->document(lines, "applications[]." + name);
  }
  lines.push_back("");
  BridgeConfig bridge;
  SchemaDocumenter bridges(lines, "bridges[]");
  bridge.describe(bridges);
  lines.push_back("");
  Workload workload;
  SchemaDocumenter workloads(lines, "workload[]");
  workload.describe(workloads);
  for (const auto& name : ProtocolRegistry::instance().adversary_names()) {
    const auto* kind = ProtocolRegistry::instance().find_adversary(name);
    lines.push_back("");
    lines.push_back(fmt::format("adversaries[] = {}: {}", name, kind->description()));
    kind->document(lines, "adversaries[]." + name);
  }
  return lines;
}

}  // namespace shsim
