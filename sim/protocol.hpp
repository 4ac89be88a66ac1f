// The seam between the engine and the models: a protocol registers a factory that parses its own
// typed parameters (through the schema machinery, so errors and defaults work the same everywhere)
// and builds its actors. Only models/registry.hpp lists the models; the entry point calls its register_all().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "sim/adversary.hpp"
#include "sim/metric.hpp"
#include "sim/narration.hpp"
#include "sim/schema.hpp"
#include "sim/series.hpp"

namespace shsim {

class Simulation;
struct Scenario;

/// The parent adversary kinds the engine implements for every protocol (crash, parent_censor).
bool engine_adversary(const std::string& kind);

/// A protocol's typed parameters, opaque to the engine.
class ProtocolParams {
public:
  virtual ~ProtocolParams() = default;
  virtual YAML::Node dump() const = 0;
};

/// A parent chain at run time, owned by the run (one per chain, never by its factory): the state its
/// nodes share and its own figures.
class ParentRuntime {
public:
  virtual ~ParentRuntime() = default;
  /// The protocol's own figures, merged into its chain's summary after the run.
  virtual nlohmann::json summary() const { return nlohmann::json::object(); }
  /// The protocol's own series at one sampling instant (the engine adds heads, lag, pool, stake).
  virtual void sample(SeriesSink& /*sink*/) const {}
};

/// Builds one parent-chain protocol.
class ParentProtocolFactory {
public:
  virtual ~ParentProtocolFactory()                       = default;
  virtual std::string name() const                        = 0;
  virtual std::string description() const                 = 0;
  /// Parses `node` (may be undefined: all defaults); errors go through `context`.
  virtual std::shared_ptr<ProtocolParams> parse(const YAML::Node& node, const std::string& path,
                                                const SourceContext& context) const = 0;
  virtual void document(std::vector<std::string>& lines, const std::string& prefix) const = 0;
  /// Warnings about parameters that make results questionable (empty when all is well).
  virtual std::vector<std::string> review(const Scenario& scenario) const = 0;
  /// Creates the chain's runtime and its nodes inside a running simulation; the run owns the runtime.
  virtual std::unique_ptr<ParentRuntime> build(Simulation& simulation) const = 0;
  /// Share of stake that must double-sign to break safety (all of it then accountable).
  virtual double safety_threshold() const = 0;
  /// Share of stake whose absence halts the chain.
  virtual double liveness_threshold() const = 0;
  /// Whether misbehaving stake is slashed (false for proof of work: the economic-security summary
  /// then says the cost of corruption is not modelled instead of computing one from slashing).
  virtual bool slashes_stake() const { return true; }
  /// Whether the protocol implements an adversary kind that acts through the parent's validators
  /// (AdversaryFactory::implemented_by_parent). The engine's own kinds work under every protocol.
  virtual bool supports_adversary(const std::string& kind) const { return engine_adversary(kind); }
  /// Rough cost of the scenario's parent, for `shsim check`'s estimate (sim/estimate.hpp): events
  /// (message deliveries and timers) per simulated second, and bytes of state per node.
  virtual double events_per_second(const Scenario& scenario) const = 0;
  virtual double bytes_per_node(const Scenario&) const { return 16 * 1024; }
  /// Every figure summary() adds to the chain's entry (sim/metric.hpp; the engine's own figures are
  /// parent_engine_metrics()), so that expectations on them are checked before the run; tests check
  /// the declaration against real summaries.
  virtual Metrics metrics() const { return {}; }

  // ---- its part of the summary table (sim/table.hpp) ----
  /// Who the chain's members are, for the chain's heading ("7 validators").
  virtual std::string table_members(const nlohmann::json& chain) const;
  /// The label of the row counting decided blocks.
  virtual std::string table_blocks_label() const { return "blocks final"; }
  /// The row on the chain's cadence (default: the block interval's percentiles).
  virtual std::string table_cadence(const nlohmann::json& chain) const;
  /// Rows of the protocol's own figures, after the transactions row.
  virtual std::string table_rows(const nlohmann::json&) const { return ""; }
  /// Tells its chain's events in sentences (`shsim run --explain`; sim/narration.hpp).
  virtual void narrate(const NarrationInput& /*input*/, Narration& /*narration*/) const {}
};

/// Reads `node` into a protocol's parameter struct; undefined or null leaves every default.
template <class P>
void read_params(const YAML::Node& node, const std::string& path, const SourceContext& context, P& params)
{
  if (node.IsDefined() && !node.IsNull())
    SchemaReader::read(node, path, context, params);
}
/// Documents a parameter struct's keys with their defaults.
template <class P> void document_params(std::vector<std::string>& lines, const std::string& prefix)
{
  P defaults;
  SchemaDocumenter documenter(lines, prefix);
  defaults.describe(documenter);
}

/// A parent protocol's parameters of type P, as the engine holds them.
template <class P> class TypedParentParams : public ProtocolParams {
public:
  P params;
  YAML::Node dump() const override { return SchemaWriter::write(params); }
};

/// The parse/document pair every parent protocol with a parameter struct P shares; the protocol
/// reads its parameters back with params_of().
template <class P> class TypedParentFactory : public ParentProtocolFactory {
public:
  using Typed = TypedParentParams<P>;
  std::shared_ptr<ProtocolParams> parse(const YAML::Node& node, const std::string& path,
                                        const SourceContext& context) const override
  {
    auto typed = std::make_shared<Typed>();
    read_params(node, path, context, typed->params);
    return typed;
  }
  void document(std::vector<std::string>& lines, const std::string& prefix) const override
  {
    document_params<P>(lines, prefix);
  }
  template <class S> static const P& params_of(const S& scenario) { return scenario.parent.protocol.template as<Typed>().params; }
};

class ChildChain;
class BridgeEndpoint;

/// Where one of a chain's roles runs: on a new machine in `region` ("" lets the engine pick), or on
/// the machine of parent validator `validator`, whose host, region, crashes and partitions it shares.
struct RolePlacement {
  std::string region;
  int validator = -1;
};

/// A child chain's parameters: every child has a name and says where its roles run.
class ChildParams : public ProtocolParams {
public:
  virtual const std::string& chain_name() const = 0;
  /// Regions of the new machines the chain's roles run on (operator first); "" lets the engine pick.
  virtual std::vector<std::string> node_regions() const { return {}; }
  /// Where each role runs, in node order, given the parent's validator count. Default: one new
  /// machine per node_regions() entry. A family run by the parent's own validators returns
  /// {"", v} for each validator v it uses.
  virtual std::vector<RolePlacement> placements(int validators) const;
};

/// Builds one kind of child chain: parses its parameters and creates its actors.
class ChildProtocolFactory {
public:
  virtual ~ChildProtocolFactory()                       = default;
  virtual std::string name() const                        = 0;
  virtual std::string description() const                 = 0;
  virtual std::shared_ptr<ChildParams> parse(const YAML::Node& node, const std::string& path,
                                             const SourceContext& context) const = 0;
  virtual void document(std::vector<std::string>& lines, const std::string& prefix) const = 0;
  /// Warnings about parameters that make results questionable; may throw InputError.
  virtual std::vector<std::string> review(const Scenario& scenario, const ChildParams& params) const = 0;
  /// Every figure this kind puts in its summary.json entry (sim/metric.hpp), the engine's
  /// child_engine_metrics() included. Expectations are checked against it before the run; tests
  /// check it against real summaries.
  virtual Metrics metrics() const = 0;
  /// The chain's section of the summary table (sim/table.hpp); the engine adds the economic-security
  /// row. Default: the heading only.
  virtual std::string table(const std::string& name, const nlohmann::json& chain) const;
  /// Events per simulated second the chain causes besides its users' transactions (for the estimate).
  virtual double events_per_second(const Scenario& scenario, const ChildParams& params) const = 0;
  /// Whether its chains take a bridge (their ChildChain::bridge_endpoint() is not null).
  virtual bool bridgeable() const { return false; }
  /// Tells its chain's events in sentences (`shsim run --explain`; sim/narration.hpp).
  virtual void narrate(const NarrationInput& /*input*/, Narration& /*narration*/) const {}
  /// Creates the chain's nodes, with ids first_node, first_node + 1, ... (one per placements()).
  virtual std::unique_ptr<ChildChain> build(Simulation& simulation, const ChildParams& params,
                                            int first_node) const = 0;
};

/// A child family whose parameters are `Choice` (a ChildParams holding a `params` struct with
/// describe()), without review warnings or an estimate of its own: parse, document and metrics come
/// from the arguments, build from a function. Small families (and the toy families of the tests)
/// register with one line: `registry.add_child(std::make_unique<SimpleChildFactory<Choice>>(...))`.
template <class Choice> class SimpleChildFactory : public ChildProtocolFactory {
public:
  using Build = std::function<std::unique_ptr<ChildChain>(Simulation&, const Choice&, int first_node)>;
  SimpleChildFactory(std::string name, std::string description, Metrics metrics, Build build)
      : name_(std::move(name)), description_(std::move(description)), metrics_(std::move(metrics)),
        build_(std::move(build))
  {
  }
  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  std::shared_ptr<ChildParams> parse(const YAML::Node& node, const std::string& path,
                                     const SourceContext& context) const override
  {
    auto typed = std::make_shared<Choice>();
    read_params(node, path, context, typed->params);
    return typed;
  }
  void document(std::vector<std::string>& lines, const std::string& prefix) const override
  {
    document_params<decltype(Choice::params)>(lines, prefix);
  }
  std::vector<std::string> review(const Scenario&, const ChildParams&) const override { return {}; }
  Metrics metrics() const override { return metrics_; }
  double events_per_second(const Scenario&, const ChildParams&) const override { return 0; }
  std::unique_ptr<ChildChain> build(Simulation& simulation, const ChildParams& params, int first_node) const override
  {
    return build_(simulation, dynamic_cast<const Choice&>(params), first_node);
  }

private:
  std::string name_, description_;
  Metrics metrics_;
  Build build_;
};

class BridgeRuntime;
struct BridgeConfig;
/// Builds a bridge's relayers (models/bridge/), with node ids from first_node.
using BridgeBuilder = std::function<std::unique_ptr<BridgeRuntime>(Simulation&, const BridgeConfig&, size_t index,
                                                                    BridgeEndpoint&, int first_node)>;

class ApplicationFactory;

class ProtocolRegistry {
public:
  ProtocolRegistry();
  ~ProtocolRegistry();
  void set_bridge_builder(BridgeBuilder builder) { bridge_builder_ = std::move(builder); }
  const BridgeBuilder& bridge_builder() const { return bridge_builder_; }
  /// A bridge's figures in summary.json "bridges.<name>", declared as ChildProtocolFactory::metrics().
  void set_bridge_metrics(Metrics metrics) { bridge_metrics_ = std::move(metrics); }
  const Metrics& bridge_metrics() const { return bridge_metrics_; }
  /// A bridge's section of the summary table, from its summary.json entry.
  using BridgeTable = std::function<std::string(const std::string& name, const nlohmann::json& bridge)>;
  void set_bridge_table(BridgeTable table) { bridge_table_ = std::move(table); }
  const BridgeTable& bridge_table() const { return bridge_table_; }
  /// Kinds of parent transactions a model posts (ParentTransaction::kind), which `parent_censor`
  /// targets may name; each model registers its own.
  void add_parent_transaction_kinds(const std::vector<std::string>& kinds);
  /// Every registered kind, in registration order, each once.
  const std::vector<std::string>& parent_transaction_kinds() const { return transaction_kinds_; }
  static ProtocolRegistry& instance();
  void add_parent(std::unique_ptr<ParentProtocolFactory> factory);
  const ParentProtocolFactory* find_parent(const std::string& name) const;
  std::vector<std::string> parent_names() const;
  /// The parent protocol of a scenario that names none (models/registry.hpp sets it).
  void set_default_parent(std::string name) { default_parent_ = std::move(name); }
  const std::string& default_parent() const { return default_parent_; }
  void add_child(std::unique_ptr<ChildProtocolFactory> factory);
  const ChildProtocolFactory* find_child(const std::string& name) const;
  std::vector<std::string> child_names() const;
  /// Application kinds (sim/application.hpp): price processes, oracles, venues, collateral.
  void add_application(std::unique_ptr<ApplicationFactory> factory);
  const ApplicationFactory* find_application(const std::string& name) const;
  std::vector<std::string> application_names() const;
  /// Kinds of transactions applications put on chains (AppTransaction::kind, sim/child.hpp), which
  /// sequencer adversaries may name; `revertible`: its application copes with the transaction being
  /// dropped from the block it executed in (an equivocating sequencer may do that only to these).
  void add_app_transaction_kind(const std::string& kind, bool revertible);
  /// Every registered kind, in registration order, each once, with whether it is revertible.
  const std::vector<std::pair<std::string, bool>>& app_transaction_kinds() const { return app_kinds_; }
  bool app_transaction_revertible(const std::string& kind) const;
  /// Adversary kinds (sim/adversary.hpp): the engine's own and each model's, registered by name.
  void add_adversary(std::unique_ptr<AdversaryFactory> factory);
  const AdversaryFactory* find_adversary(const std::string& name) const;
  std::vector<std::string> adversary_names() const;

private:
  std::map<std::string, std::unique_ptr<ParentProtocolFactory>> parents_;
  std::map<std::string, std::unique_ptr<ChildProtocolFactory>> children_;
  std::map<std::string, std::unique_ptr<AdversaryFactory>> adversaries_;
  std::map<std::string, std::unique_ptr<ApplicationFactory>> applications_;
  std::vector<std::pair<std::string, bool>> app_kinds_;
  BridgeBuilder bridge_builder_;
  Metrics bridge_metrics_;
  BridgeTable bridge_table_;
  std::string default_parent_;
  std::vector<std::string> transaction_kinds_;
};

/// A parent protocol chosen by name with its parsed parameters; written `protocol: <name>` or
/// `protocol: {<name>: {<parameter>: <value>, ...}}`.
struct ProtocolChoice {
  std::string kind;  // empty until read: the registry's default parent
  std::shared_ptr<ProtocolParams> params;

  void read_from(const YAML::Node& node, const std::string& path, const SourceContext& context);
  /// `protocol` left out: the registry's default protocol with its defaults.
  void read_default(const SourceContext& context);
  YAML::Node to_yaml() const;
  template <class P> const P& as() const { return dynamic_cast<const P&>(*params); }
};

}  // namespace shsim

namespace shsim {

/// One entry of `children`: a child-chain kind with its parameters, written
/// `- <kind>: {name: <chain>, <parameter>: <value>, ...}`.
struct ChildChoice {
  std::string kind;
  std::shared_ptr<ChildParams> params;

  void read_from(const YAML::Node& node, const std::string& path, const SourceContext& context);
  YAML::Node to_yaml() const;
  const std::string& name() const { return params->chain_name(); }
  template <class P> const P& as() const { return dynamic_cast<const P&>(*params); }
};

}  // namespace shsim
