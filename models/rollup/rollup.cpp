#include "models/rollup/rollup.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "models/workload/sources.hpp"
#include "sim/table.hpp"

namespace shsim::models::rollup {

Rollup::Rollup(Simulation& simulation, const CommonParams& common, const ForcedInclusion& forced, int first_node,
               std::string protocol)
    : simulation_(simulation)
    , common_(common)
    , forced_(forced)
    , first_node_(first_node)
    , protocol_(std::move(protocol))
    , censor_draws_(simulation.stream("sequencer_censor." + common.name))
    , reorg_draws_(simulation.stream("unsafe_reorg." + common.name))
{
}

void check_app_kinds(const AdversaryCheck& check, const std::vector<std::string>& kinds, bool revertible_only)
{
  const auto& known = ProtocolRegistry::instance().app_transaction_kinds();
  std::vector<std::string> names;
  for (const auto& [name, revertible] : known)
    if (revertible || !revertible_only)
      names.push_back(name);
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto found = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == kinds[i]; });
    if (found == known.end())
      check.fail({"kinds", std::to_string(i)}, unknown_name("applications' transaction kind", kinds[i], names));
    if (revertible_only && !found->second)
      check.fail({"kinds", std::to_string(i)},
                 fmt::format("'{}' transactions cannot be reverted by this adversary: their application does not "
                             "re-execute what followed them (kinds it can drop: {})",
                             kinds[i], fmt::join(names, ", ")));
  }
}

namespace {
/// sequencer_delay: holds the named kinds back while its window is open.
class DelayHook : public SequencerHook {
public:
  explicit DelayHook(const SequencerDelay& adversary) : adversary_(adversary) {}
  double hold(const AppTransaction& tx, double time) override
  {
    return adversary_.active(time) && adversary_.applies_to(tx.kind) ? adversary_.delay.seconds : 0;
  }

private:
  const SequencerDelay& adversary_;
};
}  // namespace

void Rollup::send(Agent& from, AppTransaction tx)
{
  auto delivery   = make_message<AppTransactionDelivery>();
  delivery->bytes = tx.bytes;
  delivery->tx    = std::move(tx);
  from.tell(first_node_, delivery);
}

void Rollup::submit_first(double, AppTransaction tx)
{
  apps_.push_back({std::move(tx)});
  enter_app(static_cast<uint32_t>(apps_.size() - 1), true);
}

void Rollup::receive_app(AppTransaction tx)
{
  double now  = operator_->time();
  double hold = 0;
  for (SequencerHook* hook : sequencer_hooks_)
    hold = std::max(hold, hook->hold(tx, now));
  apps_.push_back({std::move(tx)});
  auto app = static_cast<uint32_t>(apps_.size() - 1);
  if (hold > 0)
    simulation_.events().call_at(now + hold, [this, app] { enter_app(app, false); });
  else
    enter_app(app, false);
}

void Rollup::enter_app(uint32_t app, bool first)
{
  if (first)
    app_mempool_.push_front(app);
  else
    app_mempool_.push_back(app);
  for (SequencerHook* hook : sequencer_hooks_)
    hook->entered(apps_[app].tx, simulation_.now());
}

void Rollup::advance_app_stages(double time)
{
  // Each stage only up to where the one before it got: a transaction reaches them in order.
  const uint32_t heads[3] = {safe_head_, std::min(final_head_, safe_head_),
                             std::min({settled_head_, final_head_, safe_head_})};
  const TxStage stages[3] = {TxStage::safe, TxStage::parent_final, TxStage::settled};
  for (int s = 0; s < 3; ++s) {
    size_t& cursor = app_cursor_[s];
    for (; cursor < app_in_blocks_.size() && app_in_blocks_[cursor].first < heads[s]; ++cursor) {
      auto [block, app] = app_in_blocks_[cursor];
      AppRecord& record = apps_[app];
      if (record.block != block)
        continue;  // reverted from that block: it executes again in a later one
      if (s == 0 && record.to_revert) {
        // The batch holding this block lands without it: it did not happen, and is back in the mempool.
        record.to_revert = false;
        record.block     = std::numeric_limits<uint32_t>::max();
        record.stages_reached = 0;
        ++record.reverted;
        ++apps_reverted_;
        simulation_.recorder().event(time, common_.name, -1, "app_reverted", block, -1, {record.tx.owner + " " + record.tx.kind});
        if (record.tx.on_reverted)
          record.tx.on_reverted(time);
        enter_app(app, false);
        continue;
      }
      record.stages_reached = s + 2;
      if (record.tx.on_stage)
        record.tx.on_stage(stages[s], time);
    }
  }
}

void Rollup::start()
{
  simulation_.recorder().declare_timeline(
      common_.name, {"soft_confirmed", "included", "parent_final", "root_posted", "settled", "claimed"});
  // Node first_node_ is the operator, first_node_ + 1 the users' wallets (they force censored
  // transactions in through the parent).
  for (const SequencerDown* a : adversaries<SequencerDown>())
    simulation_.schedule_outage({first_node_}, a->from.seconds, a->end(), common_.name, "sequencer");
  for (const SequencerDelay* a : adversaries<SequencerDelay>()) {
    own_hooks_.push_back(std::make_unique<DelayHook>(*a));
    sequencer_hooks_.push_back(own_hooks_.back().get());
  }
  Agent::Handlers op;
  op.start = [this]() {
    operator_->after(common_.block_time.seconds, produce_timer);
    operator_->after(common_.batch_interval.seconds, batch_timer);
    on_operator_start();
  };
  op.recover = [this]() {
    operator_->after(common_.block_time.seconds, produce_timer);
    operator_->after(common_.batch_interval.seconds, batch_timer);
    on_operator_recover();
  };
  op.timer = [this](const TimerEvent& timer) {
    if (timer.kind == produce_timer) {
      produce_block();
      operator_->after(common_.block_time.seconds, produce_timer);
    } else if (timer.kind == batch_timer) {
      post_batches();
      operator_->after(common_.batch_interval.seconds, batch_timer);
    } else {
      on_operator_timer(timer);
    }
  };
  op.message = [this](int from, const Message& message) {
    if (message.kind() == AppTransactionDelivery::kind_id)
      receive_app(static_cast<const AppTransactionDelivery&>(message).tx);
    else if (const auto* deposit = dynamic_cast<const DepositDelivery*>(&message))
      deposits_.push_back({deposit->bridge, {deposit->deposit, deposit->relayer}});
    else
      on_operator_message(from, message);
  };
  auto op_node = std::make_unique<Agent>(simulation_, first_node_, std::move(op));
  operator_    = op_node.get();
  simulation_.add_node(std::move(op_node));

  Agent::Handlers users;
  users.timer = [this](const TimerEvent& timer) {
    if (timer.kind == force_timer)
      force_through_parent(static_cast<uint32_t>(timer.first));
  };
  auto users_node = std::make_unique<Agent>(simulation_, first_node_ + 1, std::move(users));
  users_          = users_node.get();
  simulation_.add_node(std::move(users_node));

  simulation_.ledger().on_included([this](long long height, double time) { parent_block(height, time); });
  start_sources(simulation_, common_.name, "transaction",
                [this](double time, uint64_t bytes) { submit(time, bytes, TxKind::transaction); });
  start_sources(simulation_, common_.name, "withdrawal",
                [this](double time, uint64_t bytes) { submit(time, bytes, TxKind::withdrawal); });
}

uint32_t Rollup::submit(double time, uint64_t bytes, TxKind kind)
{
  auto index = static_cast<uint32_t>(txs_.size());
  ChildTx tx{time, kind};
  tx.bytes = static_cast<uint32_t>(bytes);
  // The censoring sequencer picks its victims per transaction; they wait `patience`, then force.
  for (const SequencerCensor* a : adversaries<SequencerCensor>())
    if (a->active(time) && censor_draws_.bernoulli(a->share.value))
      tx.censored = true;
  txs_.push_back(tx);
  // A user whose transaction is not soft-confirmed after `patience` (censored, or the sequencer is
  // down) forces it in through the parent.
  users_->after(forced_.patience.seconds, force_timer, index);
  if (tx.censored)
    ++censored_;
  else
    mempool_.push_back(index);
  return index;
}

void Rollup::produce_block()
{
  std::vector<uint32_t> txs = std::move(forced_due_);
  forced_due_.clear();
  txs.insert(txs.end(), mempool_.begin(), mempool_.end());
  mempool_.clear();
  include_block(std::move(txs), false, operator_->time());
  execute_apps(operator_->time());
  auto gossip    = make_message<UnsafeBlock>();
  gossip->number = static_cast<uint32_t>(blocks_.size() - 1);
  gossip->bytes  = blocks_.back().bytes + common_.block_overhead.count;
  for (int follower : followers())
    operator_->tell(follower, gossip);
  for (const auto& [sink, deposit] : deposits_)
    sink->credited(deposit.first, deposit.second, operator_->time());
  deposits_.clear();
}

void Rollup::execute_apps(double time)
{
  // The waiting applications' transactions go in the block just made, in mempool order, and execute
  // there: each one's callbacks may put new ones in the mempool, for the next block.
  if (app_mempool_.empty())
    return;
  auto number = static_cast<uint32_t>(blocks_.size() - 1);
  std::vector<uint32_t> taken(app_mempool_.begin(), app_mempool_.end());
  app_mempool_.clear();
  std::vector<const UnsafeReorg*> reorgs;
  for (const UnsafeReorg* a : adversaries<UnsafeReorg>())
    if (a->active(time))
      reorgs.push_back(a);
  for (uint32_t app : taken) {
    AppRecord& record = apps_[app];
    record.block      = number;
    record.stages_reached = 1;
    blocks_[number].bytes += record.tx.bytes;
    blocks_[number].apps.push_back(app);
    app_in_blocks_.push_back({number, app});
    for (const UnsafeReorg* a : reorgs)
      if (a->kinds.empty() ? ProtocolRegistry::instance().app_transaction_revertible(record.tx.kind)
                           : std::find(a->kinds.begin(), a->kinds.end(), record.tx.kind) != a->kinds.end())
        record.to_revert = record.to_revert || reorg_draws_.bernoulli(a->share.value);
  }
  for (uint32_t app : taken)
    if (apps_[app].tx.on_stage)
      apps_[app].tx.on_stage(TxStage::soft, time);
}

void Rollup::include_block(std::vector<uint32_t> txs, bool derived, double time)
{
  auto number = static_cast<uint32_t>(blocks_.size());
  ChildBlock block;
  block.produced = time;
  block.derived  = derived;
  // A forced transaction may also wait in the sequencer's mempool: it goes in once.
  std::erase_if(txs, [&](uint32_t tx) { return txs_[tx].block != std::numeric_limits<uint32_t>::max(); });
  std::sort(txs.begin(), txs.end());
  txs.erase(std::unique(txs.begin(), txs.end()), txs.end());
  if (txs.empty() && derived)
    return;
  for (uint32_t tx : txs) {
    txs_[tx].block = number;
    block.bytes += txs_[tx].bytes;
    if (txs_[tx].forced && !simulation_.recorder().in_warmup(txs_[tx].submitted))
      forced_delay_.add(time - txs_[tx].submitted);
  }
  block.txs = std::move(txs);
  if (derived)
    block.included = block.final = time;  // derived from the parent block that closed the window
  simulation_.recorder().event(time, common_.name, derived ? -1 : first_node_, derived ? "derived_block" : "block",
                               number, -1, {block.txs.size(), block.bytes});
  blocks_.push_back(std::move(block));
  advance_heads();
  double safe_time  = safe_head_ > 0 ? blocks_[safe_head_ - 1].produced : blocks_.front().produced;
  double final_time = final_head_ > 0 ? blocks_[final_head_ - 1].produced : blocks_.front().produced;
  if (!simulation_.recorder().in_warmup(time)) {
    safe_lag_.add(time - safe_time);
    final_lag_.add(time - final_time);
  }
}

void Rollup::post_batches()
{
  while (next_unbatched_ < blocks_.size()) {
    Batch batch{next_unbatched_, next_unbatched_};
    uint64_t bytes = 0;
    for (uint32_t b = next_unbatched_; b < blocks_.size(); ++b) {
      uint64_t size = blocks_[b].derived ? 0 : blocks_[b].bytes + common_.block_overhead.count;
      if (b > batch.first && bytes + size > common_.max_batch_bytes.count)
        break;
      bytes += size;
      batch.last = b;
    }
    next_unbatched_ = batch.last + 1;
    size_t index    = batches_.size();
    batches_.push_back(batch);
    ParentTransaction tx{common_.name, batch_kind(), bytes};
    tx.included = [this, index](long long height, double time) {
      for (uint32_t b = batches_[index].first; b <= batches_[index].last; ++b)
        if (blocks_[b].included == never)
          blocks_[b].included = time;
      advance_heads();
      simulation_.recorder().event(time, common_.name, -1, "batch_included", static_cast<long long>(index), -1,
                                   {batches_[index].first, batches_[index].last, height});
      on_batch_included(index, height, time);
    };
    tx.finalized = [this, index](long long height, double time) {
      for (uint32_t b = batches_[index].first; b <= batches_[index].last; ++b)
        if (blocks_[b].final == never)
          blocks_[b].final = time;
      advance_heads();
      on_batch_final(index, height, time);
    };
    operator_->post(std::move(tx));
  }
}

void Rollup::advance_heads()
{
  while (safe_head_ < blocks_.size() && blocks_[safe_head_].included != never)
    ++safe_head_;
  while (final_head_ < blocks_.size() && blocks_[final_head_].final != never)
    ++final_head_;
  if (!app_in_blocks_.empty())
    advance_app_stages(simulation_.now());
}

void Rollup::force_through_parent(uint32_t tx)
{
  if (txs_[tx].block != std::numeric_limits<uint32_t>::max())
    return;
  ++forced_count_;
  ParentTransaction forced{common_.name, "forced_transaction", forced_.bytes.count};
  forced.included = [this, tx](long long height, double time) { forced_included(tx, height, time); };
  users_->post(std::move(forced));
}

void Rollup::forced_included(uint32_t tx, long long height, double time)
{
  txs_[tx].forced = true;
  simulation_.recorder().event(time, common_.name, -1, "forced_in_parent", tx, -1,
                               {height});
  // The sequencer must take it once its L1 origin passes this block; a censoring sequencer holds
  // its origin back as long as the drift rule lets it. Past the sequencing window derivation itself
  // includes it.
  if (adversary_active<SequencerCensor>(time))
    simulation_.events().call_at(time + forced_.max_drift.seconds, [this, tx]() {
      if (txs_[tx].block == std::numeric_limits<uint32_t>::max())
        forced_due_.push_back(tx);
    });
  else
    forced_due_.push_back(tx);
  forced_waiting_.push_back({height + forced_.sequencing_window, tx});
}

void Rollup::parent_block(long long height, double time)
{
  if (forced_waiting_.empty())
    return;
  std::vector<uint32_t> derived;
  for (auto it = forced_waiting_.begin(); it != forced_waiting_.end();) {
    if (it->first > height) {
      ++it;
      continue;
    }
    if (txs_[it->second].block == std::numeric_limits<uint32_t>::max())
      derived.push_back(it->second);
    it = forced_waiting_.erase(it);
  }
  if (derived.empty())
    return;
  std::erase_if(forced_due_, [&](uint32_t tx) { return std::find(derived.begin(), derived.end(), tx) != derived.end(); });
  include_block(std::move(derived), true, time);
}

void Rollup::mark_posted(uint32_t up_to, double time)
{
  advance_stage(posted_head_, up_to, &ChildBlock::posted, WithdrawalStage::provable, time);
}

void Rollup::mark_settled(uint32_t up_to, double time)
{
  advance_stage(settled_head_, up_to, &ChildBlock::settled, WithdrawalStage::claimable, time);
}

void Rollup::advance_stage(uint32_t& head, uint32_t up_to, double ChildBlock::*stage, WithdrawalStage withdrawal_stage,
                           double time)
{
  for (; head < up_to && head < blocks_.size(); ++head) {
    blocks_[head].*stage = time;
    for (uint32_t tx : blocks_[head].txs)
      if (txs_[tx].kind == TxKind::withdrawal)
        for (auto& listener : withdrawal_listeners_)
          listener(tx, withdrawal_stage, time);
  }
  if (!app_in_blocks_.empty())
    advance_app_stages(time);
}

void Rollup::withdrawal_claimed(uint64_t id, double time)
{
  if (id < txs_.size() && txs_[id].claimed == never)
    txs_[id].claimed = time;
}

void Rollup::finish()
{
  // One row per transaction in timelines.csv, stages in the order start() declared them.
  auto stamp = [](double t) { return t == never ? std::nullopt : std::optional<double>(t); };
  for (size_t i = 0; i < txs_.size(); ++i) {
    const ChildTx& tx = txs_[i];
    const ChildBlock* block = tx.block < blocks_.size() ? &blocks_[tx.block] : nullptr;
    auto at = [&](double ChildBlock::*stage) { return block ? stamp(block->*stage) : std::nullopt; };
    TimelineRow row;
    row.chain     = common_.name;
    row.kind      = tx.kind == TxKind::withdrawal ? "withdrawal" : "transaction";
    row.index     = i;
    row.submitted = tx.submitted;
    row.stages    = {at(&ChildBlock::produced), at(&ChildBlock::included), at(&ChildBlock::final),
                     at(&ChildBlock::posted),   at(&ChildBlock::settled),
                     tx.kind == TxKind::withdrawal ? stamp(tx.claimed) : std::nullopt};
    if (tx.censored)
      row.note = tx.forced ? "censored, forced in" : "censored, waiting";
    simulation_.recorder().timeline(std::move(row));
  }
}

Metrics rollup_metrics()
{
  using namespace metric;
  Metrics metrics{
      count("blocks_produced", "blocks", "child blocks the sequencer produced"),
      count("batches_posted", "batches", "batches the batcher posted to the parent"),
      count("heads.unsafe", "blocks", "the unsafe head at the end: blocks produced"),
      count("heads.safe", "blocks", "the safe head: blocks whose batch is in a parent block"),
      count("heads.finalized", "blocks", "the finalized head: blocks whose batch's parent block is final"),
      count("heads.state_posted", "blocks", "blocks covered by a posted state root (or proof)"),
      count("heads.settled", "blocks", "blocks whose state root settled on the parent"),
      distribution("safe_head_lag", "s", "age of the safe head when each block is produced"),
      distribution("finalized_head_lag", "s", "age of the finalized head when each block is produced"),
      count("transactions_submitted", "transactions", "users' child-chain transactions submitted"),
      distribution("stages.soft_confirmed", "s", "from submission to the transaction's child block"),
      distribution("stages.included", "s", "from submission to its batch's inclusion in a parent block"),
      distribution("stages.parent_final", "s", "from submission to that parent block's finality"),
      distribution("stages.root_posted", "s", "from submission to a posted state root (or proof) covering it"),
      distribution("stages.settled", "s", "from submission to that root's settlement on the parent"),
      count("withdrawals.initiated", "withdrawals", "withdrawals started on the child chain"),
      distribution("withdrawals.provable", "s", "from a withdrawal's start until a posted root covers it"),
      distribution("withdrawals.claimable", "s", "from a withdrawal's start until that root settled"),
      distribution("withdrawals.claimed", "s", "from a withdrawal's start until its claim is final on the parent"),
      count("forced_inclusion.censored", "transactions", "transactions the sequencer censored"),
      count("forced_inclusion.forced", "transactions", "censored transactions forced in through the parent"),
      distribution("forced_inclusion.delay", "s", "from submission to soft confirmation of forced transactions"),
      count("safety_violations", "roots", "invalid state roots that settled"),
      count("application_transactions", "transactions", "applications' transactions (oracle reports, trades) sent to it"),
      count("application_reverts", "transactions",
            "applications' transactions left out of the batch their gossiped block was posted in (unsafe_reorg)"),
  };
  append(metrics, child_engine_metrics());
  return metrics;
}

nlohmann::json Rollup::summary() const
{
  // Each stage's latency from submission, over the transactions that reached it.
  Samples soft, included, final, posted, settled, provable, claimable, claimed;
  size_t transactions = 0, withdrawals = 0;
  for (const ChildTx& tx : txs_) {
    bool withdrawal = tx.kind == TxKind::withdrawal;
    ++(withdrawal ? withdrawals : transactions);
    if (tx.block >= blocks_.size() || simulation_.recorder().in_warmup(tx.submitted))
      continue;
    const ChildBlock& b = blocks_[tx.block];
    auto add            = [&](Samples& s, double t) {
      if (t != never)
        s.add(t - tx.submitted);
    };
    if (withdrawal) {
      add(provable, b.posted);
      add(claimable, b.settled);
      add(claimed, tx.claimed);
      continue;
    }
    add(soft, b.produced);
    add(included, b.included);
    add(final, b.final);
    add(posted, b.posted);
    add(settled, b.settled);
  }
  nlohmann::json out;
  out["protocol"]        = protocol_;
  out["blocks_produced"] = blocks_.size();
  out["batches_posted"]  = batches_.size();
  out["heads"]           = {{"unsafe", blocks_.size()}, {"safe", safe_head_}, {"finalized", final_head_},
                            {"state_posted", posted_head_}, {"settled", settled_head_}};
  out["safe_head_lag"]      = safe_lag_.to_json();
  out["finalized_head_lag"] = final_lag_.to_json();
  out["transactions_submitted"] = transactions;
  out["stages"] = {{"soft_confirmed", soft.to_json()}, {"included", included.to_json()},
                   {"parent_final", final.to_json()},  {"root_posted", posted.to_json()},
                   {"settled", settled.to_json()}};
  out["withdrawals"] = {{"initiated", withdrawals},
                        {"provable", provable.to_json()},
                        {"claimable", claimable.to_json()},
                        {"claimed", claimed.to_json()}};
  out["forced_inclusion"] = {{"censored", censored_}, {"forced", forced_count_}, {"delay", forced_delay_.to_json()}};  // delay: submission -> soft confirmation of forced transactions
  add_summary(out);
  out["application_transactions"] = apps_.size();
  out["application_reverts"]      = apps_reverted_;
  out["safety_violations"] = safety_violations_;
  out["safety"]            = safety_;
  return out;
}

using table::human;
using table::number;
using table::stage_row;

std::string rollup_table(const std::string& name, const nlohmann::json& chain)
{
  std::string out;
  const auto& heads = chain["heads"];
  out += fmt::format("\nchain {} ({}, {} blocks; heads unsafe {}, safe {}, finalized {}, settled {})\n", name,
                     chain["protocol"].get<std::string>(), chain["blocks_produced"].get<size_t>(),
                     heads["unsafe"].get<size_t>(), heads["safe"].get<size_t>(), heads["finalized"].get<size_t>(),
                     heads["settled"].get<size_t>());
  out += table::latency_header("latency from submission");
  const auto& stages = chain["stages"];
  out += stage_row("soft-confirmed", stages["soft_confirmed"]);
  out += stage_row("batch in a parent block", stages["included"]);
  out += stage_row("parent-final", stages["parent_final"]);
  out += stage_row(chain["protocol"] == "zk_rollup" ? "validity proof verified" : "output root posted",
                   stages["root_posted"]);
  out += stage_row("settled", stages["settled"]);
  const auto& w = chain["withdrawals"];
  if (w["initiated"].get<size_t>() > 0) {
    out += stage_row("withdrawal provable", w["provable"]);
    out += stage_row("withdrawal claimable", w["claimable"]);
    out += stage_row("withdrawal claimed", w["claimed"]);
  }
  out += fmt::format("  {:<30} safe {} p50 / {} max, finalized {} max\n", "head lag behind unsafe",
                     human(number(chain["safe_head_lag"]["p50"])), human(number(chain["safe_head_lag"]["max"])),
                     human(number(chain["finalized_head_lag"]["max"])));
  const auto& forced = chain["forced_inclusion"];
  if (forced["forced"].get<size_t>() > 0)
    out += fmt::format("  {:<30} {} censored, {} forced through the parent, delay p50 {} max {}\n", "forced inclusion",
                       forced["censored"].get<size_t>(), forced["forced"].get<size_t>(),
                       human(number(forced["delay"]["p50"])), human(number(forced["delay"]["max"])));
  if (chain.contains("roots")) {
    const auto& r = chain["roots"];
    out += fmt::format("  {:<30} {} posted, {} invalid, {} challenged, {} defeated, {} settled, {} invalid settled\n",
                       "output roots", r["posted"].get<size_t>(), r["invalid"].get<size_t>(), r["challenged"].get<size_t>(),
                       r["defeated"].get<size_t>(), r["settled_valid"].get<size_t>(), r["settled_invalid"].get<size_t>());
  }
  if (chain.contains("proofs")) {
    const auto& p = chain["proofs"];
    out += fmt::format("  {:<30} {} committed, {} proven, {} verified, {} executed; proving p50 {}, queue wait max {}\n",
                       "batches and proofs", p["batches_committed"].get<size_t>(), p["proven"].get<size_t>(),
                       p["verified"].get<size_t>(), p["executed"].get<size_t>(),
                       human(number(p["proving_time"]["p50"])), human(number(p["queue_wait"]["max"])));
  }
  size_t violations = chain["safety_violations"].get<size_t>();
  out += fmt::format("  {:<30} {}\n", "safety", violations == 0 ? std::string("no invalid state settled")
                                                                  : fmt::format("{} VIOLATIONS", violations));
  for (const auto& v : chain["safety"])
    out += fmt::format("    root {} settled at {}: {}\n", v["root"].get<size_t>(), human(number(v["settled"])),
                       v["reason"].get<std::string>());
  return out;
}

void declare_rollup_events()
{
  const std::vector<EventField> block{{"txs", FieldType::integer, "transactions", "transactions in the block"},
                                      {"bytes", FieldType::integer, "bytes", "the block's size"}};
  declare_event({"block", "the sequencer made a child block", "the block's number", "", block});
  declare_event({"derived_block", "a child block derived from the parent after the sequencing window", "the block's number",
                 "", block});
  declare_event({"batch_included", "a batch of child blocks (or a ZK rollup's commitment) was included on the parent",
                 "the batch's index", "",
                 {{"first", FieldType::integer, "", "its first child block"},
                  {"last", FieldType::integer, "", "its last child block"},
                  {"parent_height", FieldType::integer, "", "parent block that included it"}}});
  declare_event({"forced_in_parent", "a user forced a censored transaction in through the parent",
                 "the transaction's index", "",
                 {{"parent_height", FieldType::integer, "", "parent block that included it"}}});
  declare_event({"app_reverted", "an application's transaction was left out of the batch its soft block was posted in",
                 "the block it had executed in", "",
                 {{"transaction", FieldType::text, "", "the application that sent it and the transaction's kind"}}});
  declare_outage_events("sequencer", "sequencer");
  declare_series({"head.unsafe", "blocks", "child: blocks the sequencer made (soft-confirmed)"});
  declare_series({"head.safe", "blocks", "child: blocks whose batch is included on the parent"});
  declare_series({"head.finalized", "blocks", "child: blocks whose batch is final on the parent"});
  declare_series({"head.settled", "blocks", "child: blocks whose state root is settled (withdrawals claimable)"});
  declare_series({"settlement_lag", "s", "child: time since the newest settled block was made"});
}

void Rollup::sample(SeriesSink& sink) const
{
  double now = sink.time();
  auto age   = [&](uint32_t head) { return head > 0 ? now - blocks_[head - 1].produced : now; };
  sink.add("head.unsafe", static_cast<double>(blocks_.size()));
  sink.add("head.safe", safe_head_);
  sink.add("head.finalized", final_head_);
  sink.add("head.settled", settled_head_);
  sink.add("finality_lag", age(final_head_));
  sink.add("settlement_lag", age(settled_head_));
  sink.add("pool.pending", static_cast<double>(mempool_.size()));
}

}  // namespace shsim::models::rollup
