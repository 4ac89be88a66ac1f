#include "sim/protocol.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/ranges.h>

#include "sim/application.hpp"
#include "sim/recorder.hpp"
#include "sim/table.hpp"

namespace shsim {

std::string ParentProtocolFactory::table_members(const nlohmann::json& chain) const
{
  return fmt::format("{} validators", chain["validators"].get<int>());
}

std::string ParentProtocolFactory::table_cadence(const nlohmann::json& chain) const
{
  return table::row("block interval p50/90/99/max", table::percentiles(chain["block_interval"], 1, "s"));
}

std::string ChildProtocolFactory::table(const std::string& name, const nlohmann::json& chain) const
{
  return fmt::format("\nchain {} ({})\n", name, chain["protocol"].get<std::string>());
}

std::vector<RolePlacement> ChildParams::placements(int) const
{
  std::vector<RolePlacement> roles;
  for (const auto& region : node_regions())
    roles.push_back({region, -1});
  return roles;
}

ProtocolRegistry::ProtocolRegistry()
{
  register_engine_adversaries(*this);
  declare_engine_events();
  declare_engine_series();
}

ProtocolRegistry::~ProtocolRegistry() = default;

bool engine_adversary(const std::string& kind) { return kind == "crash" || kind == "parent_censor"; }

ProtocolRegistry& ProtocolRegistry::instance()
{
  static ProtocolRegistry registry;
  return registry;
}

void ProtocolRegistry::add_parent_transaction_kinds(const std::vector<std::string>& kinds)
{
  for (const auto& kind : kinds)
    if (std::find(transaction_kinds_.begin(), transaction_kinds_.end(), kind) == transaction_kinds_.end())
      transaction_kinds_.push_back(kind);
}

void ProtocolRegistry::add_parent(std::unique_ptr<ParentProtocolFactory> factory)
{
  std::string name = factory->name();
  parents_[name]   = std::move(factory);
}

namespace {
template <class Factory>
const Factory* find_in(const std::map<std::string, std::unique_ptr<Factory>>& factories, const std::string& name)
{
  auto found = factories.find(name);
  return found == factories.end() ? nullptr : found->second.get();
}

template <class Factory> std::vector<std::string> names_in(const std::map<std::string, std::unique_ptr<Factory>>& factories)
{
  std::vector<std::string> names;
  for (const auto& entry : factories)
    names.push_back(entry.first);
  return names;
}
}  // namespace

const ParentProtocolFactory* ProtocolRegistry::find_parent(const std::string& name) const
{
  return find_in(parents_, name);
}

std::vector<std::string> ProtocolRegistry::parent_names() const { return names_in(parents_); }

void ProtocolRegistry::add_child(std::unique_ptr<ChildProtocolFactory> factory)
{
  std::string name = factory->name();
  children_[name]  = std::move(factory);
}

const ChildProtocolFactory* ProtocolRegistry::find_child(const std::string& name) const
{
  return find_in(children_, name);
}

std::vector<std::string> ProtocolRegistry::child_names() const { return names_in(children_); }

void ProtocolRegistry::add_adversary(std::unique_ptr<AdversaryFactory> factory)
{
  std::string name    = factory->name();
  adversaries_[name] = std::move(factory);
}

const AdversaryFactory* ProtocolRegistry::find_adversary(const std::string& name) const
{
  return find_in(adversaries_, name);
}

std::vector<std::string> ProtocolRegistry::adversary_names() const { return names_in(adversaries_); }

void ProtocolRegistry::add_application(std::unique_ptr<ApplicationFactory> factory)
{
  std::string name     = factory->name();
  applications_[name] = std::move(factory);
}

const ApplicationFactory* ProtocolRegistry::find_application(const std::string& name) const
{
  return find_in(applications_, name);
}

std::vector<std::string> ProtocolRegistry::application_names() const { return names_in(applications_); }

bool ProtocolRegistry::app_transaction_revertible(const std::string& kind) const
{
  for (const auto& known : app_kinds_)
    if (known.first == kind)
      return known.second;
  return false;
}

void ProtocolRegistry::add_app_transaction_kind(const std::string& kind, bool revertible)
{
  for (const auto& known : app_kinds_)
    if (known.first == kind)
      return;
  app_kinds_.push_back({kind, revertible});
}

namespace {
[[noreturn]] void unknown_kind(const std::string& what, const std::string& kind, const std::vector<std::string>& names,
                               const YAML::Node& node, const std::string& path, const SourceContext& context)
{
  std::string reason = fmt::format("unknown {} '{}' (available: {})", what, kind, fmt::join(names, ", "));
  if (auto guess = did_you_mean(kind, names))
    reason = fmt::format("unknown {} '{}' (did you mean '{}'?)", what, kind, *guess);
  context.fail(node, path, reason);
}
}  // namespace

void ChildChoice::read_from(const YAML::Node& node, const std::string& path, const SourceContext& context)
{
  YAML::Node params_node;
  std::tie(kind, params_node) = split_choice(node, path, context);
  const auto& registry                = ProtocolRegistry::instance();
  const ChildProtocolFactory* factory = registry.find_child(kind);
  if (factory == nullptr)
    unknown_kind("child chain kind", kind, registry.child_names(), node, path, context);
  params = factory->parse(params_node, path + "." + kind, context);
}

YAML::Node ChildChoice::to_yaml() const { return choice_to_yaml(kind, params); }

void ProtocolChoice::read_from(const YAML::Node& node, const std::string& path, const SourceContext& context)
{
  YAML::Node params_node;
  std::tie(kind, params_node) = split_choice(node, path, context);
  const auto& registry                  = ProtocolRegistry::instance();
  const ParentProtocolFactory* factory = registry.find_parent(kind);
  if (factory == nullptr)
    unknown_kind("protocol", kind, registry.parent_names(), node, path, context);
  params = factory->parse(params_node, path + "." + kind, context);
}

void ProtocolChoice::read_default(const SourceContext& context)
{
  read_from(YAML::Node(ProtocolRegistry::instance().default_parent()), "parent.protocol", context);
}

YAML::Node ProtocolChoice::to_yaml() const
{
  YAML::Node node(YAML::NodeType::Map);
  std::string name = kind.empty() ? ProtocolRegistry::instance().default_parent() : kind;
  std::shared_ptr<ProtocolParams> resolved = params;
  if (!resolved) {
    if (const auto* factory = ProtocolRegistry::instance().find_parent(name))
      resolved = factory->parse(YAML::Node(), "parent.protocol." + name, SourceContext{});
  }
  node[name] = resolved ? resolved->dump() : YAML::Node(YAML::NodeType::Map);
  return node;
}

}  // namespace shsim

namespace shsim {

void AppChoice::read_from(const YAML::Node& node, const std::string& path, const SourceContext& context)
{
  YAML::Node params_node;
  std::tie(kind, params_node) = split_choice(node, path, context);
  const auto& registry              = ProtocolRegistry::instance();
  const ApplicationFactory* factory = registry.find_application(kind);
  if (factory == nullptr)
    unknown_kind("application kind", kind, registry.application_names(), node, path, context);
  params = factory->parse(params_node, path + "." + kind, context);
}

YAML::Node AppChoice::to_yaml() const { return choice_to_yaml(kind, params); }

}  // namespace shsim
