// What optimistic and ZK rollups share: a sequencer that turns the chain's workload into blocks
// (soft confirmation, the unsafe head), a batcher that posts them to the parent (safe head once a
// batch is in a parent block, finalized head once that block is final), forced inclusion through the
// parent, deposits from bridges, withdrawals to them, and each transaction's timeline:
//   submitted -> soft-confirmed -> batch included in a parent block -> that block final
//             -> state root posted (optimistic: output root; ZK: validity proof) -> settled.
// The two models (optimistic.cpp, zk.cpp) differ in how state roots are posted and settle.
//
// Simplifications, stated so that results are read correctly:
//  - users sit next to the sequencer: a transaction reaches it when submitted;
//  - the roles of one operator (sequencer, batcher, proposer) share one node;
//  - child nodes see a parent block when its first validator commits it (an RPC node next to them);
//  - derivation is not re-run: a batch in the first parent block that includes it makes its blocks
//    safe, and the ledger reports inclusion once (a Gasper or Nakamoto fork that drops that block
//    does not roll the safe head back); a batch never reorgs out unsafe blocks;
//  - every child block and batch is valid except the state roots an adversary falsifies.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "models/rollup/adversaries.hpp"
#include "models/rollup/params.hpp"
#include "sim/child.hpp"
#include "sim/parent_client.hpp"
#include "sim/simulation.hpp"
#include "sim/stats.hpp"

namespace shsim::models::rollup {

constexpr double never = -1;

enum class TxKind : uint8_t { transaction, withdrawal };

struct ChildTx {
  double submitted;
  TxKind kind;
  bool censored   = false;  // the sequencer leaves it out; its user forces it through the parent
  bool forced     = false;  // went through the parent
  uint32_t block  = std::numeric_limits<uint32_t>::max();
  uint32_t bytes  = 0;
  double claimed  = never;  // withdrawals: paid out on the parent
};

/// A new child block as the sequencer gossips it (the unsafe head).
struct UnsafeBlock : Message {
  uint32_t number = 0;
  static inline const MessageKind kind_id{"unsafe_block"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {number, -1, 0}; }
};

struct ChildBlock {
  double produced = never;
  double included = never, final = never, posted = never, settled = never;
  std::vector<uint32_t> txs;
  std::vector<uint32_t> apps;  // applications' transactions (indices into Rollup::apps_), in execution order
  uint64_t bytes = 0;
  bool derived   = false;  // made by derivation from forced transactions, not by the sequencer
};

/// A batch of consecutive blocks posted in one parent transaction.
struct Batch {
  uint32_t first, last;  // block numbers, inclusive
};

/// An application's transaction on the chain (sim/child.hpp), and where it stands.
struct AppRecord {
  AppTransaction tx;
  uint32_t block     = std::numeric_limits<uint32_t>::max();  // the block it last executed in
  int stages_reached = 0;  // soft, safe, parent_final, settled: how many it has reached
  bool to_revert     = false;  // an equivocating sequencer posts its block without it
  size_t reverted    = 0;
};

class Rollup : public ChildChain, public BridgeEndpoint, public TransactionHost {
public:
  Rollup(Simulation& simulation, const CommonParams& common, const ForcedInclusion& forced, int first_node,
         std::string protocol);

  const std::string& name() const override { return common_.name; }
  std::string protocol() const override { return protocol_; }
  BridgeEndpoint* bridge_endpoint() override { return this; }
  TransactionHost* transaction_host() override { return this; }
  // ---- TransactionHost: applications' transactions go to the sequencer over the network ----
  void send(Agent& from, AppTransaction tx) override;
  void submit_first(double time, AppTransaction tx) override;
  bool add_sequencer_hook(SequencerHook* hook) override
  {
    sequencer_hooks_.push_back(hook);
    return true;
  }
  int deposit_node() const override { return first_node_; }
  void on_withdrawal(WithdrawalListener listener) override { withdrawal_listeners_.push_back(std::move(listener)); }
  void withdrawal_claimed(uint64_t id, double time) override;
  uint64_t start_withdrawal(double time, uint64_t bytes) override { return submit(time, bytes, TxKind::withdrawal); }
  void on_safety_violation(std::function<void(double)> listener) override
  {
    violation_listeners_.push_back(std::move(listener));
  }
  nlohmann::json summary() const override;
  void sample(SeriesSink& sink) const override;
  /// Writes every transaction's and withdrawal's timeline (timelines.csv; once, at the end).
  void finish() override;

protected:
  // ---- for the two models ----
  /// Creates the operator and users' nodes and the workload sources; call once from the model's build.
  void start();
  Simulation& simulation() const { return simulation_; }
  Agent& operator_node() { return *operator_; }
  const std::vector<ChildBlock>& blocks() const { return blocks_; }
  /// The parent-transaction kind of a batch ("batch", or "commit" for a ZK rollup).
  virtual const char* batch_kind() const = 0;
  /// The operator's own timers (kinds >= 100) and messages beyond deposits.
  virtual void on_operator_start() {}
  virtual void on_operator_timer(const TimerEvent&) {}
  virtual void on_operator_message(int, const Message&) {}
  virtual void on_operator_recover() {}
  /// Nodes that follow the unsafe head: the sequencer gossips each new block to them.
  virtual std::vector<int> followers() const { return {}; }
  virtual void on_batch_included(size_t, long long, double) {}
  virtual void on_batch_final(size_t, long long, double) {}
  /// Blocks [0, up_to) whose state is now on the parent / settled (first time only).
  void mark_posted(uint32_t up_to, double time);
  void mark_settled(uint32_t up_to, double time);
  uint32_t final_head() const { return final_head_; }
  const std::vector<Batch>& batches() const { return batches_; }
  /// This chain's adversaries of kind P (models/rollup/adversaries.hpp).
  template <class P> std::vector<const P*> adversaries() const
  {
    std::vector<const P*> found;
    for (const auto& choice : simulation_.scenario().adversaries)
      if (choice.kind == P::kind && choice.as<P>().chain == common_.name)
        found.push_back(&choice.as<P>());
    return found;
  }
  template <class P> bool adversary_active(double time) const
  {
    for (const P* a : adversaries<P>())
      if (a->active(time))
        return true;
    return false;
  }
  /// The model's entries of the summary (roots, disputes, proofs).
  virtual void add_summary(nlohmann::json& out) const = 0;

  Simulation& simulation_;
  CommonParams common_;
  ForcedInclusion forced_;
  int first_node_;
  std::string protocol_;
  size_t safety_violations_ = 0;
  std::vector<std::function<void(double)>> violation_listeners_;  // told when a wrong state settles
  nlohmann::json safety_ = nlohmann::json::array();

private:
  enum Timers { produce_timer = 1, batch_timer, force_timer };
  uint32_t submit(double time, uint64_t bytes, TxKind kind);
  void produce_block();
  void post_batches();
  void include_block(std::vector<uint32_t> txs, bool derived, double time);
  void force_through_parent(uint32_t tx);
  void forced_included(uint32_t tx, long long height, double time);
  void parent_block(long long height, double time);
  void advance_heads();
  /// Puts the waiting applications' transactions in the block just made and executes them.
  void execute_apps(double time);
  /// An application's transaction reached the sequencer (hooks may hold it back first).
  void receive_app(AppTransaction tx);
  void enter_app(uint32_t app, bool first);
  /// Applications' transactions in blocks that reached safe, parent_final or settled since last time.
  void advance_app_stages(double time);
  /// Blocks [head, up_to) reach `stage` at `time`; their withdrawals reach `withdrawal_stage`.
  void advance_stage(uint32_t& head, uint32_t up_to, double ChildBlock::*stage, WithdrawalStage withdrawal_stage,
                     double time);

  Agent* operator_ = nullptr;
  Agent* users_    = nullptr;
  std::vector<ChildTx> txs_;
  std::vector<ChildBlock> blocks_;
  std::vector<Batch> batches_;
  std::deque<uint32_t> mempool_;                  // user transactions waiting for the sequencer
  std::vector<AppRecord> apps_;
  std::deque<uint32_t> app_mempool_;              // applications' transactions waiting, in order
  std::vector<std::pair<uint32_t, uint32_t>> app_in_blocks_;  // (block, app) in execution order
  size_t app_cursor_[3] = {0, 0, 0};              // next entry of app_in_blocks_ to reach safe, final, settled
  std::vector<SequencerHook*> sequencer_hooks_;
  std::vector<std::unique_ptr<SequencerHook>> own_hooks_;  // the chain's sequencer_delay entries
  size_t apps_reverted_ = 0;
  std::vector<uint32_t> forced_due_;              // forced transactions the sequencer must include now
  std::vector<std::pair<long long, uint32_t>> forced_waiting_;  // (parent height of its deadline, tx)
  std::vector<std::pair<DepositSink*, std::pair<uint64_t, int>>> deposits_;  // delivered, not yet credited
  uint32_t next_unbatched_ = 0;
  uint32_t safe_head_ = 0, final_head_ = 0;  // blocks [0, head) are safe / final
  uint32_t posted_head_ = 0, settled_head_ = 0;
  Samples safe_lag_, final_lag_;
  size_t censored_ = 0, forced_count_ = 0;
  Samples forced_delay_;  // submission -> soft confirmation of transactions forced through the parent
  std::vector<WithdrawalListener> withdrawal_listeners_;
  RandomStream censor_draws_;
  RandomStream reorg_draws_;
};

/// Tells a rollup's events in sentences (models/rollup/narrate.cpp).
void narrate_rollup(const NarrationInput& input, Narration& narration);

/// Registers a rollup model: parses and documents its parameters P (defaults from P, chain name
/// `default_name` when none is given) and builds a Chain; the model adds its own review().
/// The figures every rollup reports (summary()), plus what the engine adds to each child chain.
Metrics rollup_metrics();

/// Declares the events every rollup records (blocks, forced inclusion, sequencer outages).
void declare_rollup_events();

/// A rollup's section of the summary table: heads, latency per stage, withdrawals, roots or proofs.
std::string rollup_table(const std::string& name, const nlohmann::json& chain);

template <class P, class Chain> class RollupFactory : public ChildProtocolFactory {
public:
  RollupFactory(std::string name, std::string description, std::string default_name)
      : name_(std::move(name)), description_(std::move(description)), default_name_(std::move(default_name))
  {
  }
  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  std::shared_ptr<ChildParams> parse(const YAML::Node& node, const std::string& path,
                                     const SourceContext& context) const override
  {
    auto typed                = std::make_shared<TypedParams<P>>();
    typed->params.common.name = default_name_;
    read_params(node, path, context, typed->params);
    return typed;
  }
  void document(std::vector<std::string>& lines, const std::string& prefix) const override
  {
    document_params<P>(lines, prefix);
  }
  std::string table(const std::string& name, const nlohmann::json& chain) const override
  {
    return rollup_table(name, chain);
  }
  double events_per_second(const Scenario&, const ChildParams& base) const override
  {
    // A block a block time, gossiped to the workers; a batch each interval with its parent
    // transactions; and the model's own (roots and disputes, proofs).
    const P& p     = params_of(base);
    double workers = p.workers().first;
    return (2.0 + workers) / p.common.block_time.seconds + (10.0 + workers) / p.common.batch_interval.seconds;
  }
  bool bridgeable() const override { return true; }
  void narrate(const NarrationInput& input, Narration& narration) const override { narrate_rollup(input, narration); }
  Metrics metrics() const override
  {
    Metrics all = rollup_metrics();
    append(all, Chain::own_metrics());
    return all;
  }
  std::unique_ptr<ChildChain> build(Simulation& simulation, const ChildParams& base, int first_node) const override
  {
    return std::make_unique<Chain>(simulation, params_of(base), first_node);
  }

protected:
  static const P& params_of(const ChildParams& base) { return dynamic_cast<const TypedParams<P>&>(base).params; }

private:
  std::string name_, description_, default_name_;
};

}  // namespace shsim::models::rollup
