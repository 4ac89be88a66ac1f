// The adversary registry's engine side: parsing an entry through its kind, the checks every kind
// may call, and the engine's own kinds (crash, partition, parent_censor).
#include "sim/adversary.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "sim/protocol.hpp"
#include "sim/scenario.hpp"

namespace shsim {

namespace {
bool contains(const std::vector<std::string>& names, const std::string& name)
{
  return std::find(names.begin(), names.end(), name) != names.end();
}
}  // namespace

void AdversaryCheck::fail(const std::vector<std::string>& keys, const std::string& reason) const
{
  std::vector<std::string> full{"adversaries", std::to_string(index_), kind_};
  std::string path = fmt::format("adversaries[{}].{}", index_, kind_);
  for (const auto& key : keys) {
    full.push_back(key);
    bool index = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
    path += index ? "[" + key + "]" : "." + key;
  }
  fail_(full, path, reason);
  throw InputError(path + ": " + reason);  // fail_ throws; this keeps [[noreturn]] true regardless
}

void AdversaryCheck::validators(const ValidatorSelection& who, bool optional) const
{
  bool named = !who.validators.empty(), by_stake = who.stake.value > 0;
  if (!named && !by_stake && !optional)
    fail({}, "name `validators` or a `stake` share");
  if (named && by_stake)
    fail({}, "give either `validators` or `stake`, not both");
  int count = scenario_.parent.validators.count;
  for (size_t v = 0; v < who.validators.size(); ++v)
    if (who.validators[v] < 0 || who.validators[v] >= count)
      fail({"validators", std::to_string(v)},
           fmt::format("validator {} does not exist (0..{})", who.validators[v], count - 1));
}

const ChildChoice& AdversaryCheck::child(const std::string& name, const std::vector<std::string>& kinds,
                                         const std::string& key) const
{
  std::vector<std::string> names;
  for (const auto& c : scenario_.children)
    names.push_back(c.name());
  const ChildChoice* found = scenario_.child(name);
  if (found == nullptr)
    fail({key}, names.empty() ? "no child chain is declared (children: ...)" : unknown_name("child chain", name, names));
  if (!kinds.empty() && !contains(kinds, found->kind)) {
    auto article = [](const std::string& word) { return std::string("aeiou").find(word[0]) != std::string::npos ? "an " : "a "; };
    std::string wanted;
    for (size_t k = 0; k < kinds.size(); ++k)
      wanted += std::string(k == 0 ? "" : " or ") + article(kinds[k]) + kinds[k];
    fail({key}, fmt::format("'{}' is a {}; {} applies to {}", name, found->kind, kind_, wanted));
  }
  return *found;
}

const BridgeConfig& AdversaryCheck::bridge(const std::string& name, const std::string& key) const
{
  std::vector<std::string> names;
  for (const auto& b : scenario_.bridges)
    names.push_back(b.name);  // check_children() gave every bridge its name before adversaries are checked
  auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end())
    fail({key}, unknown_name("bridge", name, names));
  return scenario_.bridges[static_cast<size_t>(found - names.begin())];
}

const AppChoice& AdversaryCheck::application(const std::string& name, const std::vector<std::string>& kinds,
                                             const std::string& key) const
{
  std::vector<std::string> names;
  for (const auto& a : scenario_.applications)
    if (kinds.empty() || contains(kinds, a.kind))
      names.push_back(a.name());
  const AppChoice* found = scenario_.application(name);
  if (found == nullptr)
    fail({key}, names.empty() ? fmt::format("no {} is declared (applications: ...)",
                                            kinds.empty() ? std::string("application") : fmt::format("{}", fmt::join(kinds, " or ")))
                              : unknown_name("application", name, names));
  if (!kinds.empty() && !contains(kinds, found->kind))
    fail({key}, fmt::format("'{}' is a {}; {} applies to a {}", name, found->kind, kind_, fmt::join(kinds, " or ")));
  return *found;
}

void AdversaryCheck::region(const std::string& name, const std::vector<std::string>& keys) const
{
  if (scenario_.regions.index_of(name) < 0)
    fail(keys, fmt::format("unknown region '{}'", name));
}

void AdversaryChoice::read_from(const YAML::Node& node, const std::string& path, const SourceContext& context)
{
  YAML::Node params_node;
  std::tie(kind, params_node) = split_choice(node, path, context);
  const auto& registry           = ProtocolRegistry::instance();
  const AdversaryFactory* factory = registry.find_adversary(kind);
  if (factory == nullptr)
    context.fail(node, path, unknown_name("adversary kind", kind, registry.adversary_names()));
  params = factory->parse(params_node, path + "." + kind, context);
}

YAML::Node AdversaryChoice::to_yaml() const { return choice_to_yaml(kind, params); }

void PartitionAdversary::check(const AdversaryCheck& check) const
{
  if (groups.empty())
    check.fail({"groups"}, "at least one group of regions is needed");
  for (size_t g = 0; g < groups.size(); ++g)
    if (groups[g].empty())
      check.fail({"groups", std::to_string(g)}, "an empty group cuts nothing off: name its regions");
  std::set<std::string> seen;
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t r = 0; r < groups[g].size(); ++r) {
      check.region(groups[g][r], {"groups", std::to_string(g), std::to_string(r)});
      if (!seen.insert(groups[g][r]).second)
        check.fail({"groups", std::to_string(g), std::to_string(r)},
                   fmt::format("region '{}' is in two groups", groups[g][r]));
    }
}

void ParentCensorAdversary::check(const AdversaryCheck& check) const
{
  const auto& kinds = ProtocolRegistry::instance().parent_transaction_kinds();
  for (size_t t = 0; t < targets.size(); ++t)
    if (!contains(kinds, targets[t]))
      check.fail({"targets", std::to_string(t)}, unknown_name("parent transaction kind", targets[t], kinds));
  std::vector<std::string> names;
  for (const auto& c : check.scenario().children)
    names.push_back(c.name());
  for (const auto& b : check.scenario().bridges)
    names.push_back(b.name);
  for (size_t o = 0; o < owners.size(); ++o)
    if (!contains(names, owners[o]))
      check.fail({"owners", std::to_string(o)}, unknown_name("chain or bridge", owners[o], names));
  check.validators(who, true);  // neither: a share of blocks
}

void register_engine_adversaries(ProtocolRegistry& registry)
{
  registry.add_adversary(std::make_unique<AdversaryKind<CrashAdversary>>(
      "crash", "validators offline between `from` and `until`, then recover and catch up", true));
  registry.add_adversary(std::make_unique<AdversaryKind<PartitionAdversary>>(
      "partition", "messages between groups of regions are dropped", false));
  registry.add_adversary(std::make_unique<AdversaryKind<ParentCensorAdversary>>(
      "parent_censor", "parent proposers leave out chosen transactions (e.g. dispute moves)", true));
}

}  // namespace shsim
