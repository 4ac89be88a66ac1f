// A bridge between the parent and one child chain, served by relayers (cosmos/ibc ICS-004 packet
// relaying; the OP Stack's and zkSync's deposit and withdrawal flows):
//  - deposit: a user posts it on the parent; once its parent block is final, a relayer hands it to
//    the child's sequencer, which credits it in its next block;
//  - withdrawal: starts as a child transaction; once the child's state root covering it settles
//    (optimistic: challenge window; ZK: proof verified and executed, final), a relayer posts the
//    claim on the parent; it is paid out when that parent block is final.
// Each relayer polls every poll_interval and re-sends what is still undelivered after ten polls.
// The destination refuses duplicates and not-yet-final messages unless the scenario turns those
// checks off; the detector counts every double delivery and every delivery of a message not final
// at its source, so a faulty relayer against an unchecked bridge shows up as a violation.
#include <limits>
#include <map>

#include <fmt/format.h>

#include "models/registry.hpp"
#include "models/workload/sources.hpp"
#include "sim/parent_client.hpp"
#include "sim/table.hpp"

namespace shsim::models::bridge {
namespace {

/// `relayer_fault`: relayers of a bridge misbehave.
struct RelayerFault : Window {
  std::string bridge;
  std::string mode = "down";  // down | slow | premature | replay
  Duration delay{0};
  int count = 0;
  template <class V> void describe(V& o)
  {
    o.field("bridge", bridge, "the bridge");
    o.field("mode", mode,
            "down: relay nothing; slow: relay after `delay`; premature: relay before the source finalized; "
            "replay: relay every message twice",
            one_of({"down", "slow", "premature", "replay"}));
    o.field("delay", delay, "extra delay of a slow relayer");
    o.field("count", count, "how many relayers (0: all)", at_least<int>(0));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const
  {
    const BridgeConfig& target = check.bridge(bridge);
    if (count > target.relayers)
      check.fail({"count"}, fmt::format("the bridge has only {} relayers", target.relayers));
    if (mode == "slow" && delay.seconds <= 0)
      check.fail({"delay"}, "a slow relayer needs a positive delay");
  }
};

constexpr double not_yet = -1;

class Bridge : public BridgeRuntime, public DepositSink {
public:
  Bridge(Simulation& simulation, const BridgeConfig& config, BridgeEndpoint& child, int first_node)
      : simulation_(simulation), config_(config), child_(child), first_node_(first_node)
  {
    std::vector<int> all;
    for (int r = 0; r < config.relayers; ++r)
      all.push_back(first_node + r);
    for (const auto& choice : simulation.scenario().adversaries)
      if (choice.kind == "relayer_fault" && choice.as<RelayerFault>().bridge == config.name) {
        const auto& a = choice.as<RelayerFault>();
        faults_.push_back(&a);
        if (a.mode == "down") {
          int count = a.count == 0 ? config.relayers : a.count;
          simulation.schedule_outage(std::vector<int>(all.begin(), all.begin() + count), a.from.seconds,
                                     a.end(), config.name, "relayer");
        }
      }
    for (int r = 0; r < config.relayers; ++r) {
      Agent::Handlers h;
      // Relayers poll in turn, spread over the interval, as independent operators would.
      h.start = [this, r]() {
        relayers_[r]->after(config_.poll_interval.seconds * (r + 1) / config_.relayers, poll_timer);
      };
      h.recover = [this, r]() { relayers_[r]->after(config_.poll_interval.seconds, poll_timer); };
      h.timer   = [this, r](const TimerEvent& timer) {
        if (timer.kind == poll_timer) {
          poll(r);
          relayers_[r]->after(config_.poll_interval.seconds, poll_timer);
        } else {
          relay(r, timer.kind == deposit_timer, static_cast<uint64_t>(timer.first));
        }
      };
      auto node = std::make_unique<Agent>(simulation, first_node + r, std::move(h));
      relayers_.push_back(node.get());
      simulation.add_node(std::move(node));
    }
    child.on_withdrawal([this](uint64_t id, WithdrawalStage stage, double time) {
      Transfer& w = withdrawals_[id];
      if (stage == WithdrawalStage::provable) {
        w.source_included = time;
      } else {
        w.source_final = time;
      }
      if (auto hook = withdrawal_hooks_.find(id); hook != withdrawal_hooks_.end() && hook->second.first)
        hook->second.first(stage, time);
    });
    start_sources(simulation, config.child, "deposit", [this](double time, uint64_t bytes) { deposit(time, bytes); });
    child.on_safety_violation([this](double time) {
      for (const auto& listener : compromised_listeners_)
        listener(time);
    });
  }

  void deposit(double time, uint64_t bytes, std::function<void(double)> credited) override
  {
    credited_hooks_[deposits_.size()] = std::move(credited);
    deposit(time, bytes);
  }

  void withdraw(double time, uint64_t bytes, std::function<void(WithdrawalStage, double)> stage,
                std::function<void(double)> claimed) override
  {
    uint64_t id = child_.start_withdrawal(time, bytes);
    withdrawal_hooks_[id] = {std::move(stage), std::move(claimed)};
  }

  void on_compromised(std::function<void(double)> listener) override
  {
    compromised_listeners_.push_back(std::move(listener));
  }

  const std::string& name() const override { return config_.name; }
  const std::string& child() const override { return config_.child; }
  double tvl() const override { return config_.tvl; }

  void credited(uint64_t id, int relayer, double time) override { arrive(deposits_[id], id, relayer, time, true); }

  nlohmann::json summary() const override
  {
    Samples included, final, credited, claimable_to_claimed;
    for (const auto& d : deposits_) {
      if (simulation_.recorder().in_warmup(d.initiated))
        continue;
      if (d.source_included != not_yet)
        included.add(d.source_included - d.initiated);
      if (d.source_final != not_yet)
        final.add(d.source_final - d.initiated);
      if (d.delivered != not_yet)
        credited.add(d.delivered - d.initiated);
    }
    size_t claimable = 0, claimed = 0;
    for (const auto& [id, w] : withdrawals_) {
      claimable += w.source_final != not_yet ? 1 : 0;
      if (w.delivered != not_yet) {
        ++claimed;
        if (!simulation_.recorder().in_warmup(w.source_final))
          claimable_to_claimed.add(w.delivered - w.source_final);
      }
    }
    return {{"child", config_.child},
            {"relayers", config_.relayers},
            {"tvl", config_.tvl},
            {"deposits",
             {{"initiated", deposits_.size()},
              {"included_on_parent", included.to_json()},
              {"final_on_parent", final.to_json()},
              {"credited", credited.to_json()}}},
            {"withdrawals",
             {{"claimable", claimable}, {"claimed", claimed}, {"claimable_to_claimed", claimable_to_claimed.to_json()}}},
            {"double_deliveries", double_deliveries_},
            {"unfinalized_deliveries", unfinalized_deliveries_},
            {"rejected_duplicates", rejected_duplicates_},
            {"rejected_unfinalized", rejected_unfinalized_},
            {"safety_violations", double_deliveries_ + unfinalized_deliveries_}};
  }

private:
  enum Timers { poll_timer = 1, deposit_timer, withdrawal_timer };
  struct Transfer {
    double initiated = not_yet, source_included = not_yet, source_final = not_yet, delivered = not_yet;
    std::map<int, double> relayed_at;  // per relayer, last time it sent this message
  };

  const RelayerFault* fault_of(int relayer, double time) const
  {
    for (const RelayerFault* a : faults_)
      if (a->active(time) && (a->count == 0 || relayer < a->count))
        return a;
    return nullptr;
  }

  void deposit(double time, uint64_t bytes)
  {
    uint64_t id = deposits_.size();
    Transfer d;
    d.initiated = time;
    deposits_.push_back(std::move(d));
    ParentTransaction tx{config_.name, "deposit", bytes};
    tx.included  = [this, id](long long, double t) { deposits_[id].source_included = t; };
    tx.finalized = [this, id](long long, double t) { deposits_[id].source_final = t; };
    simulation_.ledger().submit(time, std::move(tx));
  }

  /// A relayer looks at both sides and carries what is ready and undelivered.
  void poll(int r)
  {
    double now             = relayers_[r]->time();
    const RelayerFault* fault = fault_of(r, now);
    bool premature         = fault != nullptr && fault->mode == "premature";
    double retry           = 10 * config_.poll_interval.seconds;
    auto due               = [&](const Transfer& m) {
      double ready = premature ? m.source_included : m.source_final;
      if (ready == not_yet || m.delivered != not_yet)
        return false;
      auto sent = m.relayed_at.find(r);
      return sent == m.relayed_at.end() || now - sent->second >= retry;
    };
    double delay = fault != nullptr && fault->mode == "slow" ? fault->delay.seconds : 0;
    int copies   = fault != nullptr && fault->mode == "replay" ? 2 : 1;
    for (uint64_t id = first_open_deposit_; id < deposits_.size(); ++id) {
      Transfer& d = deposits_[id];
      if (!due(d))
        continue;
      d.relayed_at[r] = now;
      for (int c = 0; c < copies; ++c)
        relayers_[r]->after(delay, deposit_timer, static_cast<long long>(id));
    }
    while (first_open_deposit_ < deposits_.size() && deposits_[first_open_deposit_].delivered != not_yet)
      ++first_open_deposit_;
    for (auto& [id, w] : withdrawals_) {
      if (!due(w))
        continue;
      w.relayed_at[r] = now;
      for (int c = 0; c < copies; ++c)
        relayers_[r]->after(delay, withdrawal_timer, static_cast<long long>(id));
    }
  }

  void relay(int r, bool is_deposit, uint64_t id)
  {
    if (is_deposit) {
      auto message     = make_message<DepositDelivery>();
      message->bridge  = this;
      message->deposit = id;
      message->relayer = r;
      message->bytes   = 300;
      relayers_[r]->tell(child_.deposit_node(), message);
      return;
    }
    ParentTransaction claim{config_.name, "claim", config_.claim_bytes.count};
    claim.finalized = [this, id, r](long long, double time) { arrive(withdrawals_[id], id, r, time, false); };
    relayers_[r]->post(std::move(claim));
  }

  /// The destination receives a message: the detector checks it was final and new.
  void arrive(Transfer& m, uint64_t id, int relayer, double time, bool is_deposit)
  {
    const char* what = is_deposit ? "deposit" : "withdrawal";
    if (m.delivered != not_yet) {
      if (config_.replay_protection) {
        ++rejected_duplicates_;
        return;
      }
      ++double_deliveries_;
      simulation_.recorder().event(time, config_.name, first_node_ + relayer, "double_delivery", static_cast<long long>(id),
                                   -1, {what});
      return;
    }
    if (m.source_final == not_yet) {
      if (config_.require_finality) {
        ++rejected_unfinalized_;
        m.relayed_at.erase(relayer);  // the relayer will try again once it is final
        return;
      }
      ++unfinalized_deliveries_;
      simulation_.recorder().event(time, config_.name, first_node_ + relayer, "unfinalized_delivery",
                                   static_cast<long long>(id), -1, {what});
    }
    m.delivered = time;
    simulation_.recorder().event(time, config_.name, first_node_ + relayer, is_deposit ? "deposit_credited" : "withdrawal_claimed",
                                 static_cast<long long>(id));
    if (!is_deposit)
      child_.withdrawal_claimed(id, time);
    if (is_deposit) {
      if (auto hook = credited_hooks_.find(id); hook != credited_hooks_.end()) {
        auto credited = std::move(hook->second);
        credited_hooks_.erase(hook);
        credited(time);
      }
    } else if (auto hook = withdrawal_hooks_.find(id); hook != withdrawal_hooks_.end()) {
      auto claimed = std::move(hook->second.second);
      withdrawal_hooks_.erase(hook);
      if (claimed)
        claimed(time);
    }
  }

  Simulation& simulation_;
  BridgeConfig config_;
  BridgeEndpoint& child_;
  int first_node_;
  std::vector<Agent*> relayers_;
  std::vector<const RelayerFault*> faults_;
  std::vector<Transfer> deposits_;
  std::map<uint64_t, Transfer> withdrawals_;
  uint64_t first_open_deposit_ = 0;
  // Applications' own transfers (BridgeRuntime::deposit, withdraw) and who hears of a compromise.
  std::map<uint64_t, std::function<void(double)>> credited_hooks_;
  std::map<uint64_t, std::pair<std::function<void(WithdrawalStage, double)>, std::function<void(double)>>> withdrawal_hooks_;
  std::vector<std::function<void(double)>> compromised_listeners_;
  size_t double_deliveries_ = 0, unfinalized_deliveries_ = 0, rejected_duplicates_ = 0, rejected_unfinalized_ = 0;
};

}  // namespace

namespace {
/// The bridge's section of the summary table.
std::string bridge_table(const std::string& name, const nlohmann::json& bridge)
{
  std::string out = fmt::format("\nbridge {} (parent <-> {}, {} relayers)\n", name, bridge["child"].get<std::string>(),
                                bridge["relayers"].get<int>());
  out += table::latency_header("latency");
  out += table::stage_row("deposit final on parent", bridge["deposits"]["final_on_parent"]);
  out += table::stage_row("deposit credited on child", bridge["deposits"]["credited"]);
  out += table::stage_row("claimable -> claimed", bridge["withdrawals"]["claimable_to_claimed"]);
  out += fmt::format("  {:<30} {} double deliveries, {} unfinalized deliveries ({} duplicates and {} early messages "
                     "refused)\n",
                     "delivery detector", bridge["double_deliveries"].get<size_t>(),
                     bridge["unfinalized_deliveries"].get<size_t>(), bridge["rejected_duplicates"].get<size_t>(),
                     bridge["rejected_unfinalized"].get<size_t>());
  return out;
}

}  // namespace

void register_bridge(ProtocolRegistry& registry)
{
  registry.set_bridge_table(bridge_table);
  const std::vector<EventField> what{{"message", FieldType::text, "", "deposit or withdrawal"}};
  declare_event({"double_delivery", "a message was delivered a second time (replay protection off)",
                 "the message's id", "", what});
  declare_event({"unfinalized_delivery", "a message was delivered before it was final at its source (finality "
                                         "check off)",
                 "the message's id", "", what});
  declare_event({"deposit_credited", "the child's sequencer credited a relayed deposit", "the deposit's id", "", {}});
  declare_event({"withdrawal_claimed", "a withdrawal's claim was accepted on the parent", "the withdrawal's id", "",
                 {}});
  declare_outage_events("relayer", "relayer");
  registry.add_adversary(
      std::make_unique<AdversaryKind<RelayerFault>>("relayer_fault", "relayers of a bridge misbehave", false));
  registry.add_parent_transaction_kinds({"deposit", "claim"});
  using namespace metric;
  registry.set_bridge_metrics({
      count("relayers", "relayers", "relayers of the bridge"),
      value("tvl", "currency", "value locked in the bridge (the scenario's tvl)"),
      count("deposits.initiated", "deposits", "deposits users made on the parent"),
      distribution("deposits.included_on_parent", "s", "from a deposit's start to its inclusion in a parent block"),
      distribution("deposits.final_on_parent", "s", "from a deposit's start to that parent block's finality"),
      distribution("deposits.credited", "s", "from a deposit's start until the child's sequencer credited it"),
      count("withdrawals.claimable", "withdrawals", "withdrawals that became claimable on the parent"),
      count("withdrawals.claimed", "withdrawals", "withdrawals a relayer claimed on the parent"),
      distribution("withdrawals.claimable_to_claimed", "s", "from a withdrawal's becoming claimable to its claim"),
      count("double_deliveries", "messages", "messages delivered twice (a replaying relayer got through)"),
      count("unfinalized_deliveries", "messages", "messages delivered before their source was final"),
      count("rejected_duplicates", "messages", "second deliveries the bridge refused"),
      count("rejected_unfinalized", "messages", "premature deliveries the bridge refused"),
      count("safety_violations", "messages", "double_deliveries + unfinalized_deliveries"),
  });
  registry.set_bridge_builder([](Simulation& simulation, const BridgeConfig& config, size_t, BridgeEndpoint& child,
                                 int first_node) -> std::unique_ptr<BridgeRuntime> {
    return std::make_unique<Bridge>(simulation, config, child, first_node);
  });
}

}  // namespace shsim::models::bridge
