// A child chain at run time, as the engine and the bridges see it. Each child family (models/)
// implements it; bridges move deposits into it and withdrawals out of it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/message.hpp"
#include "sim/metric.hpp"
#include "sim/series.hpp"

namespace shsim {

/// Where a withdrawal stands on its way out of a child chain.
enum class WithdrawalStage { provable, claimable };

/// Receives deposits that relayers deliver to a child chain's sequencer.
class DepositSink {
public:
  virtual ~DepositSink() = default;
  /// The sequencer put deposit `id`, delivered by `relayer`, in a child block at `time`.
  virtual void credited(uint64_t id, int relayer, double time) = 0;
};

/// A relayer hands a deposit to the child chain's sequencer.
struct DepositDelivery : Message {
  DepositSink* bridge = nullptr;
  uint64_t deposit    = 0;
  int relayer         = -1;
  static inline const MessageKind kind_id{"deposit_delivery"};
  MessageKind kind() const override { return kind_id; }
};

/// A way to make a child chain accept a state it should not, and what the attacker loses.
struct AttackPath {
  std::string path;         // what the attacker does
  double stake_share = 0;   // share of parent stake it needs
  double cost        = 0;   // what it loses
};

/// Figures a child chain reports for the economic-security summary. The engine always counts the
/// attack on the parent's safety; the rest comes from the family.
struct SecurityFacts {
  /// Its state settles unless disputed in a window, so halting the parent through the window (which
  /// costs only downtime slashing) is an attack path too.
  bool needs_parent_liveness = false;
  std::vector<AttackPath> own_paths;  // attacks on the family's own mechanism (cost in currency)
  double bonds_slashed = 0;           // bonds lost in this run by posters of states proven wrong
};

/// The figures the engine adds to every child chain's summary entry: traffic per node and the
/// economic-security summary (declared as ChildProtocolFactory::metrics()).
Metrics child_engine_metrics();

/// What a bridge (models/bridge/) needs from the child chain it joins to the parent: where deposits
/// land and when withdrawals become provable and claimable. A family whose chains take a bridge
/// implements it, returns it from ChildChain::bridge_endpoint() and says so in
/// ChildProtocolFactory::bridgeable(), so that a bridge to any other chain is refused at check.
class BridgeEndpoint {
public:
  virtual ~BridgeEndpoint() = default;
  /// The node bridges deliver deposits to (the chain's block producer).
  virtual int deposit_node() const = 0;
  /// Withdrawals start on the child chain; the bridge hears when each becomes provable and claimable.
  using WithdrawalListener = std::function<void(uint64_t id, WithdrawalStage stage, double time)>;
  virtual void on_withdrawal(WithdrawalListener listener) = 0;
  /// The bridge paid withdrawal `id` out on the parent (its claim is in a final parent block).
  virtual void withdrawal_claimed(uint64_t id, double time) = 0;
  /// Starts a withdrawal on the child for an application (a user's transaction of `bytes`); its id.
  virtual uint64_t start_withdrawal(double time, uint64_t bytes) = 0;
  /// Called when a wrong state settles on the parent: whatever the bridge holds can then be taken.
  virtual void on_safety_violation(std::function<void(double time)> listener) = 0;
};

/// The stages an application's transaction passes on a chain, in order. On a rollup: soft (in a
/// sequencer block: it executes then, in block order), safe (the batch holding it is in a parent
/// block), parent_final (that parent block is final), settled (the state root covering it is
/// settled on the parent). On the parent: soft and safe when a block includes it, parent_final and
/// settled when that block is final.
enum class TxStage : uint8_t { soft, safe, parent_final, settled };
constexpr int tx_stage_count = 4;
/// "soft", "safe", "parent_final", "settled".
const char* stage_name(TxStage stage);
/// The stage of that name (false when there is none).
bool parse_stage(const std::string& name, TxStage& stage);
/// Every stage's name, in order.
std::vector<std::string> stage_names();

/// A transaction an application (sim/application.hpp) puts on a chain: a price report, a trade, a
/// liquidation. The chain calls back as it reaches each stage.
struct AppTransaction {
  std::string owner;  // the application
  std::string kind;   // registered with ProtocolRegistry::add_app_transaction_kind
  uint64_t bytes = 200;
  uint64_t reference = 0;  // the application's own number for what it carries (a report, a position)
  /// Reached `stage` at `time`; each stage once, in order. At `soft` it executes: the calls of one
  /// block come in the block's order.
  std::function<void(TxStage stage, double time)> on_stage;
  /// The block it executed in was not the one the sequencer posted: it did not happen, and it is
  /// back in the sequencer's mempool (it will reach `soft` again).
  std::function<void(double time)> on_reverted;
};

/// A sequencer's say over the transactions that reach it (sequencer adversaries).
class SequencerHook {
public:
  virtual ~SequencerHook() = default;
  /// `tx` reached the sequencer at `time`: how long to hold it back before it enters the mempool (0: none).
  virtual double hold(const AppTransaction& /*tx*/, double /*time*/) { return 0; }
  /// `tx` entered the mempool at `time` (after any hold).
  virtual void entered(const AppTransaction& /*tx*/, double /*time*/) {}
};

class Agent;

/// A chain that carries applications' transactions: the parent, or a child family that takes them.
class TransactionHost {
public:
  virtual ~TransactionHost() = default;
  /// Sends `tx` from `from`'s node to the chain: it travels the network to the block producer (a
  /// crash or a partition on the way delays it).
  virtual void send(Agent& from, AppTransaction tx) = 0;
  /// The block producer's own transaction, put ahead of every waiting one (on the parent: in the pool).
  virtual void submit_first(double time, AppTransaction tx) = 0;
  /// Adds a hook to the block producer (a child's sequencer; the parent has none: false).
  virtual bool add_sequencer_hook(SequencerHook* /*hook*/) { return false; }
};

/// An application's transaction on its way to a child chain's sequencer.
struct AppTransactionDelivery : Message {
  AppTransaction tx;
  static inline const MessageKind kind_id{"app_transaction"};
  MessageKind kind() const override { return kind_id; }
};

class ChildChain {
public:
  virtual ~ChildChain() = default;
  virtual const std::string& name() const = 0;
  virtual std::string protocol() const = 0;
  /// Its bridge interface, or null when its family takes no bridge.
  virtual BridgeEndpoint* bridge_endpoint() { return nullptr; }
  /// Where applications put their transactions, or null when its family takes none.
  virtual TransactionHost* transaction_host() { return nullptr; }
  virtual SecurityFacts security() const = 0;
  /// Called once when the run ends, before summary().
  virtual void finish() {}
  /// This chain's entry of summary.json "chains".
  virtual nlohmann::json summary() const = 0;
  /// Its series at one sampling instant (heads, finality lag, pool); the engine adds its nodes'
  /// messages and the share online.
  virtual void sample(SeriesSink& /*sink*/) const {}
};

}  // namespace shsim

namespace shsim {

/// A bridge at run time (models/bridge/).
class BridgeRuntime {
public:
  virtual ~BridgeRuntime() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& child() const = 0;
  virtual double tvl() const = 0;
  virtual nlohmann::json summary() const = 0;
  // ---- for applications that move value through it (models/perp/) ----
  /// A deposit of `bytes` posted on the parent at `time`; `credited` when the child credits it.
  virtual void deposit(double time, uint64_t bytes, std::function<void(double time)> credited) = 0;
  /// A withdrawal started on the child at `time`: `stage` as it becomes provable and claimable,
  /// `claimed` when its claim is final on the parent.
  virtual void withdraw(double time, uint64_t bytes, std::function<void(WithdrawalStage, double)> stage,
                        std::function<void(double time)> claimed) = 0;
  /// Called when the child settles a wrong state (its bridge can be drained from then on).
  virtual void on_compromised(std::function<void(double time)> listener) = 0;
};

}  // namespace shsim
