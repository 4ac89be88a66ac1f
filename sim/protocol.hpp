// The seam between the engine and the models: a protocol registers a factory that parses its own
// typed parameters (through the schema machinery, so errors and defaults work the same everywhere)
// and builds its actors. Only the entry point fills the registry (models/registry.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/schema.hpp"

namespace shsim {

class Simulation;
struct Scenario;

/// A protocol's typed parameters, opaque to the engine.
class ProtocolParams {
public:
  virtual ~ProtocolParams() = default;
  virtual YAML::Node dump() const = 0;
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
  /// Creates the chain's actors inside a running simulation.
  virtual void build(Simulation& simulation) const = 0;
};

class ProtocolRegistry {
public:
  static ProtocolRegistry& instance();
  void add_parent(std::unique_ptr<ParentProtocolFactory> factory);
  const ParentProtocolFactory* find_parent(const std::string& name) const;
  std::vector<std::string> parent_names() const;

private:
  std::map<std::string, std::unique_ptr<ParentProtocolFactory>> parents_;
};

/// A parent protocol chosen by name with its parsed parameters; written `protocol: tendermint` or
/// `protocol: {tendermint: {timeout_commit: 5s}}`.
struct ProtocolChoice {
  std::string kind = "tendermint";
  std::shared_ptr<ProtocolParams> params;

  void read_from(const YAML::Node& node, const std::string& path, const SourceContext& context);
  YAML::Node to_yaml() const;
  template <class P> const P& as() const { return dynamic_cast<const P&>(*params); }
};

}  // namespace shsim
