// Adversaries as plug-ins. Each kind (crash, partition, and each model's own)
// registers, in the folder of whoever implements it, its own parameter struct with its time window,
// its cross-checks against the scenario, and optionally hooks that attach it to roles at run time.
// The engine parses `adversaries: [- kind: {...}]` through the registry and names no model's kind;
// the engine's own kinds (crash, partition, parent_censor) register the same way (sim/adversaries.cpp).
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/schema.hpp"
#include "sim/units.hpp"

namespace shsim {

struct Scenario;
struct ChildChoice;
struct AppChoice;
struct BridgeConfig;
class Simulation;

/// When an adversary acts: from `from` until `until` (never stops by default).
struct Window {
  Duration from{0};
  std::optional<Duration> until;

  bool active(double time) const { return time >= from.seconds && (!until || time < until->seconds); }
  /// When the window closes: `until`, or never (infinity).
  double end() const { return until ? until->seconds : std::numeric_limits<double>::infinity(); }
  template <class V> void describe_window(V& o)
  {
    o.field("from", from, "start time");
    o.field("until", until, "end time (default: never)");
  }
};

/// A set of validators picked by index or by stake share.
struct ValidatorSelection {
  std::vector<int> validators;
  Fraction stake{0};
  std::string pick = "first";  // first | last | random

  template <class V> void describe_fields(V& o)
  {
    o.field("validators", validators, "validator indices (0-based)");
    o.field("stake", stake, "alternatively, the smallest set whose stake reaches this share");
    o.field("pick", pick, "order in which `stake` picks validators: first, last or random",
            one_of({"first", "last", "random"}));
  }
};

/// One adversary entry's parameters, opaque to the engine but for its window.
class AdversaryParams {
public:
  virtual ~AdversaryParams()             = default;
  virtual YAML::Node dump() const         = 0;
  virtual const Window& window() const    = 0;
  /// The parent validators it names (null when it names none).
  virtual const ValidatorSelection* validators() const = 0;
};

/// What a kind's check() may ask and how it refuses: errors name the entry's file, line and key.
class AdversaryCheck {
public:
  using FailFunction = std::function<void(std::vector<std::string>, const std::string&, const std::string&)>;
  AdversaryCheck(const Scenario& scenario, size_t index, std::string kind, FailFunction fail)
      : scenario_(scenario), index_(index), kind_(std::move(kind)), fail_(std::move(fail))
  {
  }
  const Scenario& scenario() const { return scenario_; }
  /// Refuses the entry at `keys` below it (e.g. {"groups", "0"}) with `reason`.
  [[noreturn]] void fail(const std::vector<std::string>& keys, const std::string& reason) const;
  /// `validators` or a `stake` share, not both (optional: neither is allowed), indices in range.
  void validators(const ValidatorSelection& who, bool optional = false) const;
  /// The child chain `name` under key `key`; when `kinds` is not empty it must be one of them.
  const ChildChoice& child(const std::string& name, const std::vector<std::string>& kinds = {},
                           const std::string& key = "chain") const;
  /// The application `name` under key `key`; when `kinds` is not empty it must be one of them.
  const AppChoice& application(const std::string& name, const std::vector<std::string>& kinds = {},
                               const std::string& key = "application") const;
  /// The bridge `name` under key `key`.
  const BridgeConfig& bridge(const std::string& name, const std::string& key = "bridge") const;
  /// Region `name` exists, at `keys`.
  void region(const std::string& name, const std::vector<std::string>& keys) const;

private:
  const Scenario& scenario_;
  size_t index_;
  std::string kind_;
  FailFunction fail_;
};

/// One adversary kind: parses, documents and checks its entries, and attaches them to a run.
class AdversaryFactory {
public:
  virtual ~AdversaryFactory()              = default;
  virtual std::string name() const          = 0;
  virtual std::string description() const   = 0;
  /// The parent protocol's own code carries it out (a double-signing or block-withholding strategy), so the scenario's
  /// protocol must say it does (ParentProtocolFactory::supports_adversary). False for kinds that act
  /// through hooks or on a child chain, which work whatever the parent.
  virtual bool implemented_by_parent() const = 0;
  virtual std::shared_ptr<AdversaryParams> parse(const YAML::Node& node, const std::string& path,
                                                 const SourceContext& context) const = 0;
  virtual void document(std::vector<std::string>& lines, const std::string& prefix) const = 0;
  /// Cross-checks against the rest of the scenario; refuses through `check`.
  virtual void check(const AdversaryParams&, const AdversaryCheck&) const {}
  /// Called once the run's nodes exist (after every chain is built): a kind that acts through hooks
  /// (Node::add_hook) installs them here. Kinds that a model reads itself do nothing.
  virtual void attach(Simulation&, const AdversaryParams&, size_t /*index*/) const {}
};

/// An adversary kind's parameters P (a struct deriving from Window, with describe(V&)).
template <class P> class TypedAdversaryParams final : public AdversaryParams {
public:
  P params;
  YAML::Node dump() const override { return SchemaWriter::write(params); }
  const Window& window() const override { return params; }
  const ValidatorSelection* validators() const override
  {
    if constexpr (requires { params.who; })
      return &params.who;
    else
      return nullptr;
  }
};

/// The usual factory for parameters P: P::check(const AdversaryCheck&) and
/// P::attach(Simulation&, size_t index) are used when P has them.
template <class P> class AdversaryKind : public AdversaryFactory {
public:
  AdversaryKind(std::string name, std::string description, bool implemented_by_parent)
      : name_(std::move(name)), description_(std::move(description)), implemented_by_parent_(implemented_by_parent)
  {
  }
  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  bool implemented_by_parent() const override { return implemented_by_parent_; }
  std::shared_ptr<AdversaryParams> parse(const YAML::Node& node, const std::string& path,
                                         const SourceContext& context) const override
  {
    auto typed = std::make_shared<TypedAdversaryParams<P>>();
    if (node.IsDefined() && !node.IsNull())
      SchemaReader::read(node, path, context, typed->params);
    return typed;
  }
  void document(std::vector<std::string>& lines, const std::string& prefix) const override
  {
    P defaults;
    SchemaDocumenter documenter(lines, prefix);
    defaults.describe(documenter);
  }
  void check(const AdversaryParams& params, const AdversaryCheck& check) const override
  {
    if constexpr (requires(const P& p) { p.check(check); })
      dynamic_cast<const TypedAdversaryParams<P>&>(params).params.check(check);
  }
  void attach(Simulation& simulation, const AdversaryParams& params, size_t index) const override
  {
    if constexpr (requires(const P& p) { p.attach(simulation, index); })
      dynamic_cast<const TypedAdversaryParams<P>&>(params).params.attach(simulation, index);
  }

private:
  std::string name_, description_;
  bool implemented_by_parent_;
};

/// One entry of `adversaries`, written `- crash: {validators: [0], from: 10s}`.
struct AdversaryChoice {
  std::string kind;
  std::shared_ptr<AdversaryParams> params;

  void read_from(const YAML::Node& node, const std::string& path, const SourceContext& context);
  YAML::Node to_yaml() const;
  /// The entry's parameters as kind P (the caller checked `kind`).
  template <class P> const P& as() const { return dynamic_cast<const TypedAdversaryParams<P>&>(*params).params; }
  const Window& window() const { return params->window(); }
  bool active(double time) const { return window().active(time); }
  double from() const { return window().from.seconds; }
  double end() const { return window().end(); }
};

}  // namespace shsim

namespace shsim {

// ---- The engine's own kinds (sim/adversaries.cpp): they act on machines, the network and the
// parent's pool, whatever the protocols. ----

/// `crash`: validators offline between `from` and `until`, then recover and catch up.
struct CrashAdversary : Window {
  ValidatorSelection who;
  template <class V> void describe(V& o)
  {
    who.describe_fields(o);
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.validators(who); }
  void attach(Simulation& simulation, size_t index) const;  // sim/director.cpp, like the two below
};

/// `partition`: messages between groups of regions are dropped.
struct PartitionAdversary : Window {
  std::vector<std::vector<std::string>> groups;
  template <class V> void describe(V& o)
  {
    o.field("groups", groups, "lists of regions; regions not named form one more group");
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const;
  void attach(Simulation& simulation, size_t index) const;
};

/// `parent_censor`: parent proposers leave out chosen transactions.
struct ParentCensorAdversary : Window {
  std::vector<std::string> targets;  // parent transaction kinds
  std::vector<std::string> owners;   // chains or bridges
  Fraction share{1};
  ValidatorSelection who;
  template <class V> void describe(V& o)
  {
    o.field("targets", targets, "kinds of parent transactions censored (empty: all kinds)");
    o.field("owners", owners, "chains or bridges whose transactions are censored (empty: all)");
    o.field("share", share, "share of parent blocks whose proposer censors, drawn per block (used unless "
                            "validators or stake name the censoring proposers)");
    o.field("validators", who.validators, "alternatively, the censoring proposers by index");
    o.field("stake", who.stake, "or the smallest set of proposers whose stake reaches this share");
    o.field("pick", who.pick, "order in which `stake` picks validators", one_of({"first", "last", "random"}));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const;
  void attach(Simulation& simulation, size_t index) const;
  /// Censors a share of blocks rather than named proposers.
  bool by_share() const { return who.validators.empty() && who.stake.value == 0; }
};

class ProtocolRegistry;
/// Registers crash, partition and parent_censor (the registry does it when it is created).
void register_engine_adversaries(ProtocolRegistry& registry);

}  // namespace shsim
