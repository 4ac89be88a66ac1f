// Applications: what runs on the chains rather than being one. A reference price, an oracle network
// that reports it on a chain, a derivatives venue that consumes the reports, the collateral that
// moves between chains through the bridges. Each kind registers a factory, like the child families
// (sim/protocol.hpp): it parses its own typed parameters, says where its roles run and which chains,
// bridges and earlier applications it names (the engine checks those before the run), and builds its
// runtime after every chain and bridge exists. The engine names no application kind.
//
// In a scenario: `applications: [- <kind>: {name: <name>, ...}]`, built in list order, so an
// application may name only those listed before it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "sim/metric.hpp"
#include "sim/narration.hpp"
#include "sim/protocol.hpp"
#include "sim/series.hpp"

namespace shsim {

class Simulation;
struct Scenario;

/// Something an application's parameters name, checked at load: a chain (`chain`: the parent or a
/// child; `child`: a child only), a bridge, or an earlier application (`application`, of one of
/// `kinds` when that is not empty). `key` is its key inside the entry ("oracle", "collateral.bridge").
struct AppReference {
  std::string key;
  std::string what;  // chain | child | bridge | application
  std::string name;
  std::vector<std::string> kinds;
};

/// An application's parameters: every application has a name, may have roles on machines and may
/// name chains, bridges and earlier applications.
class ApplicationParams : public ProtocolParams {
public:
  virtual const std::string& app_name() const = 0;
  /// Where each of its roles runs, in node order (new machines, or parent validators' machines).
  virtual std::vector<RolePlacement> placements(int /*validators*/) const { return {}; }
  virtual std::vector<AppReference> references() const { return {}; }
};

/// Parameters P (with `name`, describe(), and optionally placements(int) and references()).
template <class P> class TypedAppParams : public ApplicationParams {
public:
  P params;
  YAML::Node dump() const override { return SchemaWriter::write(params); }
  const std::string& app_name() const override { return params.name; }
  std::vector<RolePlacement> placements(int validators) const override
  {
    if constexpr (requires(const P& p) { p.placements(validators); })
      return params.placements(validators);
    else
      return {};
  }
  std::vector<AppReference> references() const override
  {
    if constexpr (requires(const P& p) { p.references(); })
      return params.references();
    else
      return {};
  }
};

/// One link of a chain of trust, for the economic-security comparison a venue reports: what
/// corrupting it costs an attacker and what it can take.
struct SecurityLink {
  std::string link;  // "oracle eth-usd", "child op", "bridge op-bridge"
  double cost   = 0;
  double profit = 0;
  std::string how;   // the cheapest attack on it
};

/// An application at run time.
class Application {
public:
  virtual ~Application()                       = default;
  virtual const std::string& name() const      = 0;
  virtual std::string kind() const             = 0;
  /// Called once when the run ends, before summary().
  virtual void finish() {}
  /// Its entry of summary.json "applications". `so_far` holds the chains, the bridges and the
  /// applications listed before it, so that it can compare itself with them.
  virtual nlohmann::json summary(const nlohmann::json& so_far) const = 0;
  /// Its series at one sampling instant.
  virtual void sample(SeriesSink& /*sink*/) const {}
};

/// The figures the engine adds to every application's summary entry that has nodes (traffic per node).
Metrics application_engine_metrics();

/// Builds one kind of application.
class ApplicationFactory {
public:
  virtual ~ApplicationFactory()            = default;
  virtual std::string name() const          = 0;
  virtual std::string description() const   = 0;
  virtual std::shared_ptr<ApplicationParams> parse(const YAML::Node& node, const std::string& path,
                                                   const SourceContext& context) const = 0;
  virtual void document(std::vector<std::string>& lines, const std::string& prefix) const = 0;
  /// Cross-checks beyond its references (may throw InputError naming the entry); returns warnings.
  virtual std::vector<std::string> review(const Scenario&, const ApplicationParams&) const { return {}; }
  /// Every figure its summary() reports (checked against real summaries like a chain's).
  virtual Metrics metrics() const = 0;
  /// Its section of the printed summary table. Default: none.
  virtual std::string table(const std::string& /*name*/, const nlohmann::json& /*entry*/) const { return ""; }
  /// Events per simulated second it causes, its own work per step counted in events (for the estimate).
  virtual double events_per_second(const Scenario&, const ApplicationParams&) const { return 0; }
  /// Memory it holds at its peak, in bytes (for the estimate: a run that cannot fit is refused).
  virtual double memory_bytes(const Scenario&, const ApplicationParams&) const { return 0; }
  virtual void narrate(const NarrationInput& /*input*/, Narration& /*narration*/) const {}
  /// Creates its nodes (ids first_node, first_node + 1, ..., one per placements()) and its runtime.
  virtual std::unique_ptr<Application> build(Simulation& simulation, const ApplicationParams& params,
                                             int first_node) const = 0;
};

/// The usual factory for parameters P: parse, document and params_of come from P.
template <class P> class TypedApplicationFactory : public ApplicationFactory {
public:
  using Typed = TypedAppParams<P>;
  std::shared_ptr<ApplicationParams> parse(const YAML::Node& node, const std::string& path,
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
  static const P& params_of(const ApplicationParams& base) { return dynamic_cast<const Typed&>(base).params; }
};

/// One entry of `applications`, written `- <kind>: {name: <name>, ...}`.
struct AppChoice {
  std::string kind;
  std::shared_ptr<ApplicationParams> params;

  void read_from(const YAML::Node& node, const std::string& path, const SourceContext& context);
  YAML::Node to_yaml() const;
  const std::string& name() const { return params->app_name(); }
  template <class P> const P& as() const { return dynamic_cast<const TypedAppParams<P>&>(*params).params; }
};

}  // namespace shsim
