#include "models/perp/perp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::perp {

std::vector<RolePlacement> PerpParams::placements(int) const
{
  // The traders' wallets, the latency arbitrageur, then the keepers.
  std::vector<RolePlacement> roles{{region, -1}, {region, -1}};
  for (int k = 0; k < keepers.count; ++k)
    roles.push_back({keepers.region, -1});
  return roles;
}

void SequencerFrontRun::check(const AdversaryCheck& check) const
{
  const auto& venue_entry = check.application(venue, {"perp_venue"}, "venue");
  const auto& p           = venue_entry.as<PerpParams>();
  const AppChoice* feed   = check.scenario().application(p.feed);
  if (feed == nullptr || feed->kind != "oracle_network")
    check.fail({"venue"}, fmt::format("'{}' reads a reference price directly: there are no oracle reports to front-run", venue));
}

double twap_cost_closed_form(double y, double move, double fee, long long pushes)
{
  double k = 1 + move, root = std::sqrt(k);
  double per_push = y * (root + 1 / root - 2) + fee * std::abs(y * (root - 1));
  return static_cast<double>(pushes) * per_push;
}

namespace {

/// One swap against a constant-product pool (Uniswap v2: x y = k, the fee taken from the input,
/// which stays in the pool): `in_reserve` goes in until (in_reserve + in)(in_reserve + (1 - fee) in)
/// = c, which sets the pool's price; returns what went in less what came out, both worth 1 (the
/// pool's price before the block).
double swap_to(double& in_reserve, double& out_reserve, double c, double fee)
{
  double g = 1 - fee, half_b = (1 + g) * in_reserve / 2;
  double in  = (-half_b + std::sqrt(half_b * half_b - g * (in_reserve * in_reserve - c))) / g;
  double effective = in * g;
  double out = out_reserve * effective / (in_reserve + effective);
  in_reserve += in;
  out_reserve -= out;
  return in - out;
}

}  // namespace

double twap_cost_simulated(double y, double move, double fee, long long pushes)
{
  // A pool of x base and y quote at price y / x = 1. Each block the attacker swaps until the price
  // is k = 1 + move (quote in to raise it: (y + in)(y + (1 - fee) in) = k x y; base in to lower it:
  // ... = x y / k), then an arbitrageur swaps the other reserve in until it is back at 1; the
  // attacker's loss is what it paid less what it got, both worth 1. The pool keeps both fees.
  const double k = 1 + move;
  double x = y, loss = 0;
  double& attacker_in  = k > 1 ? y : x;
  double& attacker_out = k > 1 ? x : y;
  for (long long b = 0; b < pushes; ++b) {
    loss += swap_to(attacker_in, attacker_out, k > 1 ? k * x * y : x * y / k, fee);
    swap_to(attacker_out, attacker_in, x * y, fee);  // the arbitrageur, back to price 1
  }
  return loss;
}

namespace {

enum class Owner : uint8_t { trader, arbitrageur, sequencer };
constexpr double never        = -1;
constexpr double resend_after = 60;  // s: a keeper sends a liquidation again when it has not executed

struct Position {
  Owner owner      = Owner::trader;
  int side         = 1;  // +1 long, -1 short
  double notional  = 0;  // asked for, at opening
  double collateral = 0;
  double units = 0, entry = 0, margin = 0;
  double arrived = never, opened = never, closed = never;
  double fees = 0;
  bool open = false, pending = false, closing = false;
  double trigger_time = never, trigger_price = 0, reference_cross = never, last_sent = never;
  double target = 0;   // an arbitrageur's: the reference price it traded on
  int adversary = -1;  // the arbitrage or front-running entry it belongs to
};

class Venue;

/// sequencer_front_run: the sequencer sees an oracle report enter its mempool and trades ahead of it.
class FrontRunHook : public SequencerHook {
public:
  FrontRunHook(Venue& venue, const SequencerFrontRun& adversary, int index)
      : venue_(venue), adversary_(adversary), index_(index)
  {
  }
  void entered(const AppTransaction& tx, double time) override;

private:
  Venue& venue_;
  const SequencerFrontRun& adversary_;
  int index_;
};

class Venue : public Application, public LiquidityPool {
public:
  Venue(Simulation& simulation, const PerpParams& params, int first_node);
  double liquidity() const override { return pool_; }
  void add_liquidity(double amount) override
  {
    pool_ += amount;
    rebalanced_ += amount;
  }
  BridgeRuntime* collateral_bridge() const override { return bridge_; }
  const std::string& chain_name() const override { return params_.chain; }
  const std::string& name() const override { return params_.name; }
  std::string kind() const override { return "perp_venue"; }
  void finish() override;
  nlohmann::json summary(const nlohmann::json& so_far) const override;
  void sample(SeriesSink& sink) const override;

  // ---- for the front-running hook ----
  void front_run(const AppTransaction& report_tx, int adversary, double time);

private:
  enum Timers { arrival_timer = 1, close_timer, poll_timer, liquidate_timer, arbitrage_timer };

  /// The venue's price now, and the oracle report it comes from (0: genesis or the reference feed).
  double price(double time) const;
  uint64_t current_report() const { return consumed_.empty() ? 0 : consumed_.back(); }
  double staleness(double time) const;
  Agent& users() { return *agents_[0]; }
  Agent& arbitrageur() { return *agents_[1]; }
  Agent& keeper(int k) { return *agents_[static_cast<size_t>(2 + k)]; }

  void arrive();
  uint32_t new_position(Owner owner, int side, double notional, double collateral, int adversary);
  void send(Agent& from, const char* kind, uint32_t position, void (Venue::*execute)(uint32_t, double), bool first = false);
  void execute_open(uint32_t id, double time);
  void execute_close(uint32_t id, double time);
  void execute_liquidation(uint32_t id, double time);
  /// Closes position `id` at `p`: the pool takes its loss or pays its gain, fees go to the pool and
  /// (liquidation) the insurance fund; returns what goes back to its owner.
  double settle(uint32_t id, double p, double liquidation_fee, double time, double& bad_debt);
  void note_use(double time, double notional);
  void remove_open(uint32_t id);
  void pay_back(uint32_t id, double amount, double time);
  void poll(int keeper_index);
  void pay_funding();
  void arbitrage(int index);
  void forget_arbitrage(uint32_t id);
  void on_report(const oracle::Report& report, TxStage stage, double time);
  void on_revert(const oracle::Report& report, double time);
  void change_transit(double delta, double time);
  void twap_attack(int index);
  double open_interest(double p) const;

  Simulation& simulation_;
  PerpParams params_;
  TxStage consume_at_ = TxStage::safe;
  TransactionHost* host_          = nullptr;
  oracle::OracleNetwork* oracle_  = nullptr;
  price::ReferencePrice* price_   = nullptr;
  BridgeRuntime* bridge_          = nullptr;
  std::vector<Agent*> agents_;
  RandomStream draws_;
  std::vector<uint64_t> consumed_;  // reports taken as the price, in order (a reverted one is taken out)
  std::map<uint64_t, std::pair<size_t, double>> uses_;  // report -> (executions at its price, their notional)
  std::vector<Position> positions_;
  std::vector<uint32_t> open_;
  std::vector<size_t> open_slot_;
  std::vector<const LatencyArbitrage*> arbitrages_;
  std::vector<std::vector<uint32_t>> arbitrage_positions_;  // per entry: its open (or opening) positions
  std::vector<const SequencerFrontRun*> front_runs_;
  std::vector<std::unique_ptr<FrontRunHook>> hooks_;
  std::map<uint64_t, std::vector<uint32_t>> waiting_for_report_;  // front-running positions to close
  std::vector<const TwapManipulation*> twaps_;
  // Accounts (in the scenario's currency).
  double pool_ = 0, fees_ = 0, insurance_ = 0, insurance_drawn_ = 0, bad_debt_ = 0, socialized_ = 0, funding_ = 0;
  double volume_ = 0, peak_open_interest_ = 0, rebalanced_ = 0;
  // Figures.
  size_t arrived_ = 0, opened_ = 0, closed_ = 0, liquidated_ = 0, attempts_ = 0, refused_ = 0, bad_debt_count_ = 0;
  size_t reverted_reports_ = 0, reverted_uses_ = 0;
  double reverted_notional_ = 0;
  Samples staleness_, liquidation_delay_, delay_from_reference_;
  double arbitrage_profit_ = 0, front_run_profit_ = 0;
  size_t arbitrage_trades_ = 0, front_run_trades_ = 0;
  // Collateral.
  size_t deposits_ = 0, withdrawals_ = 0, fast_withdrawals_ = 0;
  Samples deposit_latency_, withdrawal_latency_;
  double in_transit_ = 0, transit_integral_ = 0, transit_since_ = 0, fast_fees_ = 0, fast_fronted_ = 0, fast_lost_ = 0;
  double capital_lock_ = 0;  // currency x seconds users waited for withdrawals
  bool bridge_compromised_ = false;
  std::map<uint64_t, double> fronted_;  // withdrawal number -> amount a fast-withdrawal provider fronted
  uint64_t next_withdrawal_ = 0;
  nlohmann::json twap_ = nlohmann::json::object();
};

void FrontRunHook::entered(const AppTransaction& tx, double time)
{
  if (adversary_.active(time) && tx.kind == "oracle_report")
    venue_.front_run(tx, index_, time);
}

Venue::Venue(Simulation& simulation, const PerpParams& params, int first_node)
    : simulation_(simulation)
    , params_(params)
    , draws_(simulation.stream("perp." + params.name))
    , pool_(params.liquidity)
    , insurance_(params.insurance_fund)
{
  parse_stage(params.consume_at, consume_at_);
  host_   = simulation.transaction_host(params.chain);
  Application* feed = simulation.application(params.feed);
  oracle_ = dynamic_cast<oracle::OracleNetwork*>(feed);
  price_  = oracle_ != nullptr ? &oracle_->price() : dynamic_cast<price::ReferencePrice*>(feed);
  if (host_ == nullptr || price_ == nullptr)
    throw std::logic_error("perp venue '" + params.name + "' without its chain or feed");
  if (!params.collateral.bridge.empty())
    bridge_ = simulation.bridge(params.collateral.bridge);
  if (oracle_ != nullptr)
    oracle_->subscribe({[this](const oracle::Report& r, TxStage s, double t) { on_report(r, s, t); },
                        [this](const oracle::Report& r, double t) { on_revert(r, t); }});
  if (bridge_ != nullptr)
    bridge_->on_compromised([this](double) {
      // A wrong state root settled: the bridge can be drained; what fast-withdrawal providers fronted
      // and have not been repaid for is lost.
      bridge_compromised_ = true;
      for (const auto& [id, amount] : fronted_)
        fast_lost_ += amount;
      fronted_.clear();
    });
  for (const auto& choice : simulation.scenario().adversaries) {
    if (choice.kind == "latency_arbitrage" && choice.as<LatencyArbitrage>().venue == params.name)
      arbitrages_.push_back(&choice.as<LatencyArbitrage>());
    if (choice.kind == "sequencer_front_run" && choice.as<SequencerFrontRun>().venue == params.name)
      front_runs_.push_back(&choice.as<SequencerFrontRun>());
    if (choice.kind == "twap_manipulation" && choice.as<TwapManipulation>().venue == params.name)
      twaps_.push_back(&choice.as<TwapManipulation>());
  }
  arbitrage_positions_.resize(arbitrages_.size());
  for (size_t i = 0; i < front_runs_.size(); ++i) {
    hooks_.push_back(std::make_unique<FrontRunHook>(*this, *front_runs_[i], static_cast<int>(i)));
    host_->add_sequencer_hook(hooks_.back().get());
  }

  auto make_agent = [&](int index, Agent::Handlers h) {
    auto agent = std::make_unique<Agent>(simulation, first_node + index, std::move(h));
    agents_.push_back(agent.get());
    simulation.add_node(std::move(agent));
  };
  Agent::Handlers users;
  users.start = [this] {
    if (params_.traders.rate.per_second > 0)
      this->users().after(draws_.exponential(1 / params_.traders.rate.per_second), arrival_timer);
  };
  users.timer = [this](const TimerEvent& t) {
    if (t.kind == arrival_timer) {
      arrive();
      this->users().after(draws_.exponential(1 / params_.traders.rate.per_second), arrival_timer);
    } else if (t.kind == close_timer) {
      auto id = static_cast<uint32_t>(t.first);
      if (positions_[id].open && !positions_[id].closing) {
        positions_[id].closing = true;
        send(this->users(), "trade", id, &Venue::execute_close);
      }
    }
  };
  make_agent(0, std::move(users));
  Agent::Handlers arbitrageur;
  arbitrageur.timer = [this](const TimerEvent& t) {
    if (t.kind == arbitrage_timer) {
      auto index = static_cast<int>(t.first);
      arbitrage(index);
      this->arbitrageur().after(arbitrages_[static_cast<size_t>(index)]->poll.seconds, arbitrage_timer, index);
    }
  };
  arbitrageur.start = [this] {
    for (size_t i = 0; i < arbitrages_.size(); ++i)
      this->arbitrageur().after(arbitrages_[i]->from.seconds, arbitrage_timer, static_cast<long long>(i));
  };
  make_agent(1, std::move(arbitrageur));
  const int keepers = params.keepers.count;
  for (int k = 0; k < keepers; ++k) {
    Agent::Handlers h;
    // Keepers take turns: together they look at every position once a poll.
    h.start = [this, k] { keeper(k).after(params_.keepers.poll.seconds * (k + 1), poll_timer); };
    h.recover = [this, k] { keeper(k).after(params_.keepers.poll.seconds * params_.keepers.count, poll_timer); };
    h.timer = [this, k](const TimerEvent& t) {
      if (t.kind == poll_timer) {
        poll(k);
        keeper(k).after(params_.keepers.poll.seconds * params_.keepers.count, poll_timer);
      } else if (t.kind == liquidate_timer) {
        auto id = static_cast<uint32_t>(t.first);
        if (positions_[id].open)
          send(keeper(k), "liquidation", id, &Venue::execute_liquidation);
      }
    };
    make_agent(2 + k, std::move(h));
  }
  if (params.funding.coefficient.value > 0)
    simulation.events().call_at(params.funding.interval.seconds, [this] { pay_funding(); });
  for (size_t i = 0; i < twaps_.size(); ++i)
    simulation.events().call_at(twaps_[i]->from.seconds, [this, i] { twap_attack(static_cast<int>(i)); });
}

double Venue::price(double time) const
{
  if (oracle_ == nullptr)
    return price_->at(time);
  return oracle_->reports()[current_report()].median;
}

double Venue::staleness(double time) const
{
  if (oracle_ == nullptr)
    return time - price_->time_of(price_->index_of(time));
  return time - oracle_->reports()[current_report()].observed_at;
}

double Venue::open_interest(double p) const
{
  double total = 0;
  for (uint32_t id : open_)
    total += positions_[id].units * p;
  return total;
}

// ---- trading ----

uint32_t Venue::new_position(Owner owner, int side, double notional, double collateral, int adversary)
{
  Position pos;
  pos.owner      = owner;
  pos.side       = side;
  pos.notional   = notional;
  pos.collateral = collateral;
  pos.arrived    = simulation_.now();
  pos.adversary  = adversary;
  positions_.push_back(pos);
  open_slot_.push_back(std::numeric_limits<size_t>::max());
  return static_cast<uint32_t>(positions_.size() - 1);
}

void Venue::arrive()
{
  ++arrived_;
  const TraderParams& t = params_.traders;
  int side        = draws_.bernoulli(t.long_share.value) ? 1 : -1;
  double notional = draws_.lognormal(t.notional, t.notional_sigma);
  double leverage = draws_.uniform(t.min_leverage, std::max(t.min_leverage, t.max_leverage));
  uint32_t id     = new_position(Owner::trader, side, notional, notional / leverage, -1);
  if (bridge_ == nullptr) {
    send(users(), "trade", id, &Venue::execute_open);
    return;
  }
  // The collateral comes from the parent: the position opens once the deposit is credited.
  ++deposits_;
  double now = simulation_.now();
  change_transit(positions_[id].collateral, now);
  bridge_->deposit(now, params_.collateral.bytes.count, [this, id, now](double time) {
    deposit_latency_.add(time - now);
    change_transit(-positions_[id].collateral, time);
    send(users(), "trade", id, &Venue::execute_open);
  });
}

void Venue::send(Agent& from, const char* kind, uint32_t position, void (Venue::*execute)(uint32_t, double), bool first)
{
  AppTransaction tx;
  tx.owner     = params_.name;
  tx.kind      = kind;
  tx.bytes     = params_.tx_bytes.count;
  tx.reference = position;
  tx.on_stage  = [this, position, execute](TxStage stage, double time) {
    if (stage == TxStage::soft)
      (this->*execute)(position, time);
  };
  if (first)
    host_->submit_first(simulation_.now(), std::move(tx));
  else
    host_->send(from, std::move(tx));
}

void Venue::note_use(double time, double notional)
{
  if (!simulation_.recorder().in_warmup(time))
    staleness_.add(staleness(time));
  auto& use = uses_[current_report()];
  ++use.first;
  use.second += notional;
}

void Venue::execute_open(uint32_t id, double time)
{
  Position& pos = positions_[id];
  double p      = price(time);
  double fee    = params_.fee.value * pos.notional;
  pos.units     = pos.notional / p;
  pos.entry     = p;
  pos.margin    = pos.collateral - fee;
  pos.fees      = fee;
  pos.opened    = time;
  pos.open      = true;
  open_slot_[id] = open_.size();
  open_.push_back(id);
  pool_ += fee;
  fees_ += fee;
  volume_ += pos.notional;
  ++opened_;
  note_use(time, pos.notional);
  peak_open_interest_ = std::max(peak_open_interest_, open_interest(p));
  simulation_.recorder().event(time, params_.name, -1, "perp_open", id, -1,
                               {pos.side, pos.notional, p, current_report(), staleness(time),
                                std::string(pos.owner == Owner::trader ? "trader"
                                            : pos.owner == Owner::arbitrageur ? "arbitrageur" : "sequencer")});
  if (pos.owner == Owner::trader)
    users().after(draws_.exponential(params_.traders.hold.seconds), close_timer, id);
}

void Venue::remove_open(uint32_t id)
{
  size_t slot = open_slot_[id];
  uint32_t last = open_.back();
  open_[slot]       = last;
  open_slot_[last]  = slot;
  open_.pop_back();
  open_slot_[id]    = std::numeric_limits<size_t>::max();
  positions_[id].open = false;
}

double Venue::settle(uint32_t id, double p, double liquidation_fee, double time, double& bad_debt)
{
  Position& pos = positions_[id];
  double pnl    = pos.side * pos.units * (p - pos.entry);
  double equity = pos.margin + pnl;
  double back   = 0;
  bad_debt      = 0;
  if (equity >= 0) {
    pool_ -= pnl;  // the pool takes the loss or pays the gain
    double fee = std::min(equity, params_.fee.value * pos.units * p);
    pool_ += fee;
    fees_ += fee;
    pos.fees += fee;
    equity -= fee;
    double to_fund = std::min(equity, liquidation_fee * pos.units * p);
    insurance_ += to_fund;
    back = equity - to_fund;
  } else {
    // The loss passed the margin: the pool keeps the margin, the fund covers what it can, the pool the rest.
    pool_ += pos.margin;
    bad_debt = -equity;
    double drawn = std::min(bad_debt, insurance_);
    insurance_ -= drawn;
    insurance_drawn_ += drawn;
    pool_ += drawn;
    socialized_ += bad_debt - drawn;
    bad_debt_ += bad_debt;
    ++bad_debt_count_;
  }
  volume_ += pos.units * p;
  pos.closed = time;
  remove_open(id);
  double profit = back - pos.collateral;  // what came back less what went in
  if (pos.owner == Owner::arbitrageur)
    arbitrage_profit_ += profit;
  else if (pos.owner == Owner::sequencer)
    front_run_profit_ += profit;
  return back;
}

void Venue::execute_close(uint32_t id, double time)
{
  Position& pos = positions_[id];
  if (!pos.open)
    return;  // liquidated first
  double p = price(time), bad = 0;
  note_use(time, pos.units * p);
  double back = settle(id, p, 0, time, bad);
  ++closed_;
  simulation_.recorder().event(time, params_.name, -1, "perp_close", id, -1,
                               {pos.side * pos.units * (p - pos.entry), p, current_report(), staleness(time), bad});
  if (pos.owner == Owner::arbitrageur && pos.adversary >= 0)
    forget_arbitrage(id);
  if (pos.owner == Owner::trader)
    pay_back(id, back, time);
}

void Venue::execute_liquidation(uint32_t id, double time)
{
  Position& pos = positions_[id];
  if (!pos.open)
    return;
  ++attempts_;
  double p           = price(time);
  double equity      = pos.margin + pos.side * pos.units * (p - pos.entry);
  double zero_price  = pos.entry - pos.side * pos.margin / pos.units;
  bool liquidatable  = equity < params_.margin.maintenance.value * pos.units * p;
  note_use(time, pos.units * p);
  double bad = 0;
  if (liquidatable) {
    double back = settle(id, p, params_.margin.liquidation_fee.value, time, bad);
    ++liquidated_;
    if (!simulation_.recorder().in_warmup(pos.trigger_time)) {
      liquidation_delay_.add(time - pos.trigger_time);
      if (pos.reference_cross != never)
        delay_from_reference_.add(time - pos.reference_cross);
    }
    if (pos.owner == Owner::trader)
      pay_back(id, back, time);
    if (pos.owner == Owner::arbitrageur && pos.adversary >= 0)
      forget_arbitrage(id);
  } else {
    ++refused_;  // healthy again by the time it executed
  }
  pos.pending = false;
  double trigger_time = pos.trigger_time;
  pos.trigger_time    = never;
  simulation_.recorder().event(time, params_.name, -1, "perp_liquidation", id, -1,
                               {trigger_time, pos.trigger_price, zero_price, p, bad, liquidatable ? 1 : 0,
                                current_report(), staleness(time)});
}

void Venue::pay_back(uint32_t, double amount, double time)
{
  if (bridge_ == nullptr || amount <= 0)
    return;
  // Back to the parent through the child's withdrawal path, or at once through a fast-withdrawal provider.
  ++withdrawals_;
  uint64_t number = next_withdrawal_++;
  bool fast       = params_.collateral.fast_withdrawal_fee.value > 0 && !bridge_compromised_;
  if (fast) {
    ++fast_withdrawals_;
    fast_fees_ += amount * params_.collateral.fast_withdrawal_fee.value;
    fast_fronted_ += amount;
    fronted_[number] = amount;
  }
  change_transit(amount, time);
  bridge_->withdraw(time, params_.collateral.bytes.count, nullptr, [this, number, amount, time, fast](double claimed) {
    change_transit(-amount, claimed);
    withdrawal_latency_.add(claimed - time);
    if (fast)
      fronted_.erase(number);  // the provider is repaid by the claim
    else
      capital_lock_ += amount * (claimed - time);
  });
}

void Venue::change_transit(double delta, double time)
{
  transit_integral_ += in_transit_ * (time - transit_since_);
  transit_since_ = time;
  in_transit_ += delta;
}

// ---- keepers, funding, oracle reports ----

void Venue::poll(int k)
{
  double now = simulation_.now();
  double p = price(now), reference = price_->at(now);
  const double maintenance = params_.margin.maintenance.value;
  for (uint32_t id : open_) {
    Position& pos = positions_[id];
    if (pos.reference_cross == never &&
        pos.margin + pos.side * pos.units * (reference - pos.entry) < maintenance * pos.units * reference)
      pos.reference_cross = now;
    if (pos.margin + pos.side * pos.units * (p - pos.entry) >= maintenance * pos.units * p)
      continue;
    if (pos.trigger_time == never) {  // first seen liquidatable (since it was last found healthy)
      pos.trigger_time  = now;
      pos.trigger_price = p;
    }
    // A liquidation sent and not executed after a while (a keeper crashed, a sequencer holds it) is sent again.
    if (pos.pending && now - pos.last_sent < params_.keepers.reaction.seconds + resend_after)
      continue;
    pos.pending   = true;
    pos.last_sent = now;
    keeper(k).after(params_.keepers.reaction.seconds, liquidate_timer, id);
  }
}

void Venue::pay_funding()
{
  double now = simulation_.now(), p = price(now), longs = 0, shorts = 0;
  for (uint32_t id : open_)
    (positions_[id].side > 0 ? longs : shorts) += positions_[id].units * p;
  if (longs + shorts > 0) {
    double rate = params_.funding.coefficient.value * (longs - shorts) / (longs + shorts);
    rate        = std::clamp(rate, -params_.funding.cap.value, params_.funding.cap.value);
    for (uint32_t id : open_) {
      Position& pos = positions_[id];
      double pay    = rate * pos.side * pos.units * p;  // longs pay a positive rate, shorts receive it
      pos.margin -= pay;
      pool_ += pay;
      funding_ += std::abs(pay);
    }
  }
  double next = now + params_.funding.interval.seconds;
  if (next < simulation_.scenario().duration.seconds)
    simulation_.events().call_at(next, [this] { pay_funding(); });
}

void Venue::on_report(const oracle::Report& report, TxStage stage, double time)
{
  if (stage != consume_at_ || report.id <= current_report())
    return;
  consumed_.push_back(report.id);
  simulation_.recorder().event(time, params_.name, -1, "perp_price", static_cast<long long>(report.id), -1,
                               {report.median, time - report.observed_at});
  // Front-running positions waiting for this report close now that its price counts.
  if (auto waiting = waiting_for_report_.find(report.id); waiting != waiting_for_report_.end()) {
    for (uint32_t id : waiting->second)
      if (positions_[id].open)
        send(users(), "trade", id, &Venue::execute_close, true);
    waiting_for_report_.erase(waiting);
  }
}

void Venue::on_revert(const oracle::Report& report, double time)
{
  auto found = std::find(consumed_.begin(), consumed_.end(), report.id);
  if (found == consumed_.end())
    return;
  // The price returns to the newest earlier report; what executed at this one's price stays counted.
  consumed_.erase(found);
  ++reverted_reports_;
  const auto& use = uses_[report.id];
  reverted_uses_ += use.first;
  reverted_notional_ += use.second;
  simulation_.recorder().event(time, params_.name, -1, "perp_price_reverted", static_cast<long long>(report.id), -1,
                               {use.first});
}

// ---- adversaries ----

void Venue::forget_arbitrage(uint32_t id)
{
  auto& held = arbitrage_positions_[static_cast<size_t>(positions_[id].adversary)];
  held.erase(std::remove(held.begin(), held.end(), id), held.end());
}

void Venue::arbitrage(int index)
{
  const LatencyArbitrage& a = *arbitrages_[static_cast<size_t>(index)];
  double now = simulation_.now();
  if (!a.active(now))
    return;
  double seen = price_->at(std::max(0.0, now - a.latency.seconds)), p = price(now);
  auto& held  = arbitrage_positions_[static_cast<size_t>(index)];
  // Close what the venue has caught up with (its price has reached the position's target), or held too long.
  for (uint32_t id : held) {
    Position& pos = positions_[id];
    if (!pos.open || pos.closing)
      continue;
    if (pos.side * (p - pos.target) >= 0 || now - pos.opened >= a.max_hold.seconds) {
      pos.closing = true;
      send(arbitrageur(), "trade", id, &Venue::execute_close);
    }
  }
  double gap = seen / p - 1;
  if (std::abs(gap) <= a.threshold.value || static_cast<int>(held.size()) >= a.max_positions)
    return;
  int side = gap > 0 ? 1 : -1;
  // Another position only when the reference has run `threshold` past every open target on its side.
  for (uint32_t id : held) {
    const Position& pos = positions_[id];
    if (pos.side != side || pos.closing)
      continue;
    if (side * (seen / pos.target - 1) <= a.threshold.value)
      return;
  }
  uint32_t id = new_position(Owner::arbitrageur, side, a.notional, a.notional, index);
  positions_[id].target = seen;
  held.push_back(id);
  ++arbitrage_trades_;
  send(arbitrageur(), "trade", id, &Venue::execute_open);
}

void Venue::front_run(const AppTransaction& report_tx, int adversary, double time)
{
  if (oracle_ == nullptr || report_tx.owner != oracle_->name() || report_tx.reference <= current_report())
    return;
  const oracle::Report& report = oracle_->reports()[report_tx.reference];
  double move                  = report.median / price(time) - 1;
  if (std::abs(move) <= 2 * params_.fee.value)
    return;  // not worth the fees
  const SequencerFrontRun& a = *front_runs_[static_cast<size_t>(adversary)];
  uint32_t id = new_position(Owner::sequencer, move > 0 ? 1 : -1, a.notional, a.notional, adversary);
  ++front_run_trades_;
  waiting_for_report_[report.id].push_back(id);
  send(users(), "trade", id, &Venue::execute_open, true);  // ahead of the report in the same block
}

void Venue::twap_attack(int index)
{
  const TwapManipulation& a = *twaps_[static_cast<size_t>(index)];
  // Arbitrageurs restore the pool every block of the pool's chain; the attacker pushes it back every block.
  auto pushes        = static_cast<long long>(std::ceil(a.window.seconds / a.block_time.seconds - 1e-9));
  double y           = a.depth / 2;
  double now         = simulation_.now();
  double interest    = open_interest(price(now));
  double closed_form = twap_cost_closed_form(y, a.move.value, a.pool_fee.value, pushes);
  double simulated   = twap_cost_simulated(y, a.move.value, a.pool_fee.value, pushes);
  double profit      = interest * std::abs(a.move.value);
  twap_ = {{"pushes", pushes},
           {"cost", simulated},
           {"cost_closed_form", closed_form},
           {"open_interest", interest},
           {"profit", profit},
           {"profitable", profit > simulated}};
  simulation_.recorder().event(now, params_.name, -1, "twap_manipulation", index, -1, {simulated, profit});
}

void Venue::finish() { change_transit(0, simulation_.scenario().duration.seconds); }

void Venue::sample(SeriesSink& sink) const
{
  double now = sink.time();
  double p   = price(now);
  sink.add("price", p);
  sink.add("venue.open_interest", open_interest(p));
  sink.add("venue.insurance_fund", insurance_);
  sink.add("venue.bad_debt", bad_debt_);
  sink.add("venue.staleness", staleness(now));
  sink.add("venue.liquidations", static_cast<double>(liquidated_));
  if (bridge_ != nullptr)
    sink.add("collateral.in_transit", in_transit_);
}

nlohmann::json Venue::summary(const nlohmann::json& so_far) const
{
  double duration = simulation_.scenario().duration.seconds;
  nlohmann::json out;
  out["feed"]       = params_.feed;
  out["reference"]  = price_->name();
  out["consume_at"] = oracle_ != nullptr ? params_.consume_at : std::string("reference");
  out["positions"]  = {{"arrived", arrived_},
                       {"opened", opened_},
                       {"closed", closed_},
                       {"liquidated", liquidated_},
                       {"open_at_end", open_.size()}};
  out["volume"]          = volume_;
  out["open_interest"]   = {{"end", open_interest(price(duration))}, {"peak", peak_open_interest_}};
  out["liquidations"]    = {{"attempts", attempts_},
                            {"refused", refused_},
                            {"delay", liquidation_delay_.to_json()},
                            {"delay_from_reference", delay_from_reference_.to_json()}};
  out["bad_debt"]        = {{"positions", bad_debt_count_},
                            {"total", bad_debt_},
                            {"insurance_drawn", insurance_drawn_},
                            {"socialized", socialized_}};
  out["insurance_fund"]  = insurance_;
  out["pool"]            = {{"pnl", pool_ - params_.liquidity - rebalanced_}, {"fees", fees_}, {"funding", funding_}};
  out["staleness"]       = staleness_.to_json();
  out["reverted_data"]   = {{"reports", reverted_reports_}, {"trades", reverted_uses_}, {"notional", reverted_notional_}};
  if (!arbitrages_.empty())
    out["arbitrage"] = {{"trades", arbitrage_trades_}, {"extracted", arbitrage_profit_}};
  if (!front_runs_.empty())
    out["front_running"] = {{"trades", front_run_trades_}, {"extracted", front_run_profit_}};
  if (!twaps_.empty() && !twap_.empty())
    out["twap"] = twap_;
  if (bridge_ != nullptr)
    out["collateral"] = {{"deposits", deposits_},
                         {"deposit_latency", deposit_latency_.to_json()},
                         {"withdrawals", withdrawals_},
                         {"withdrawal_latency", withdrawal_latency_.to_json()},
                         {"in_transit_mean", duration > 0 ? transit_integral_ / duration : 0},
                         {"locked_hours", capital_lock_ / 3600},
                         {"fast_withdrawals", fast_withdrawals_},
                         {"fast_fees", fast_fees_},
                         {"fast_fronted", fast_fronted_},
                         {"fast_losses", fast_lost_}};
  // The chain of trust behind the venue's positions: the feed, the chain, the collateral's bridge.
  nlohmann::json links = nlohmann::json::array();
  double move          = params_.manipulation_move.value;
  if (oracle_ != nullptr)
    links.push_back({{"link", "oracle " + oracle_->name()},
                     {"cost", oracle_->cost_of_corruption()},
                     {"profit", peak_open_interest_ * move},
                     {"how", fmt::format("{} colluding oracles choose the median", oracle_->oracles_to_move_median())}});
  const nlohmann::json none = nlohmann::json::object();
  const auto& chains = so_far.contains("chains") ? so_far["chains"] : none;
  const auto& entry  = chains.contains(params_.chain) ? chains[params_.chain] : none;
  const auto& chain  = entry.contains("economic_security") ? entry["economic_security"] : none;
  if (chain.contains("cost_of_corruption")) {
    links.push_back({{"link", "child " + params_.chain},
                     {"cost", chain["cost_of_corruption"]},
                     {"profit", chain["profit_from_corruption"].get<double>() + peak_open_interest_ * move},
                     {"how", chain["cheapest_attack"]}});
    if (bridge_ != nullptr)
      links.push_back({{"link", "bridge " + bridge_->name()},
                       {"cost", chain["cost_of_corruption"]},
                       {"profit", bridge_->tvl()},
                       {"how", "settle a wrong state root on the child and drain the bridge"}});
  }
  std::string weakest;
  double weakest_ratio = std::numeric_limits<double>::infinity();
  for (auto& link : links) {
    double cost = link["cost"].get<double>(), profit = link["profit"].get<double>();
    double ratio = profit > 0 ? cost / profit : std::numeric_limits<double>::infinity();
    link["cost_to_profit_ratio"] = profit > 0 ? nlohmann::json(ratio) : nlohmann::json(nullptr);
    if (weakest.empty() || ratio < weakest_ratio) {
      weakest       = link["link"].get<std::string>();
      weakest_ratio = ratio;
    }
  }
  out["economic_security"] = {{"links", links},
                              {"weakest_link", weakest},
                              {"weakest_ratio", std::isfinite(weakest_ratio) ? nlohmann::json(weakest_ratio)
                                                                             : nlohmann::json(nullptr)}};
  return out;
}

class PerpFactory : public TypedApplicationFactory<PerpParams> {
public:
  std::string name() const override { return "perp_venue"; }
  std::string description() const override
  {
    return "a perpetual-futures venue on a child chain, priced by an oracle read at a chosen stage; keepers, insurance "
           "fund, bad debt, collateral through a bridge";
  }
  std::vector<std::string> review(const Scenario& scenario, const ApplicationParams& base) const override
  {
    const PerpParams& p = params_of(base);
    if (p.traders.max_leverage < p.traders.min_leverage)
      scenario.fail_application(p.name, "traders.max_leverage", "must be at least min_leverage");
    if (1 / p.traders.max_leverage <= p.margin.maintenance.value)
      scenario.fail_application(p.name, "margin.maintenance",
                                fmt::format("a position at the largest leverage ({}x, margin {:.3g} %) opens below the "
                                            "maintenance margin ({:.3g} %)",
                                            p.traders.max_leverage, 100 / p.traders.max_leverage,
                                            100 * p.margin.maintenance.value));
    if (!p.collateral.bridge.empty()) {
      const BridgeConfig* bridge = nullptr;
      for (const auto& b : scenario.bridges)
        if (b.name == p.collateral.bridge)
          bridge = &b;
      if (bridge != nullptr && bridge->child != p.chain)
        scenario.fail_application(p.name, "collateral.bridge",
                                  fmt::format("bridge '{}' goes to '{}', not to the venue's chain '{}'", bridge->name,
                                              bridge->child, p.chain));
    }
    const AppChoice* feed = scenario.application(p.feed);
    if (feed != nullptr && feed->kind == "oracle_network") {
      const auto& oracle = feed->as<oracle::OracleParams>();
      if (oracle.chain != p.chain && oracle.chain != scenario.parent.name)
        scenario.fail_application(p.name, "feed",
                                  fmt::format("oracle '{}' reports to '{}': the venue on '{}' cannot read it", p.feed,
                                              oracle.chain, p.chain));
    }
    return {};
  }
  Metrics metrics() const override
  {
    using namespace metric;
    const std::string arb = "with a latency_arbitrage adversary", front = "with a sequencer_front_run adversary",
                      twap = "with a twap_manipulation adversary once it has acted", bridge = "with collateral.bridge";
    return {
        count("positions.arrived", "positions", "traders who came to open a position"),
        count("positions.opened", "positions", "positions opened"),
        count("positions.closed", "positions", "positions their traders closed"),
        count("positions.liquidated", "positions", "positions liquidated"),
        count("positions.open_at_end", "positions", "positions still open when the run ended"),
        value("volume", "currency", "notional traded, opening and closing"),
        value("open_interest.end", "currency", "notional of the open positions at the end"),
        value("open_interest.peak", "currency", "largest notional open at once"),
        count("liquidations.attempts", "liquidations", "liquidations that reached the chain"),
        count("liquidations.refused", "liquidations", "liquidations that found the position healthy again"),
        distribution("liquidations.delay", "s", "from the keeper's trigger to the liquidation's execution"),
        distribution("liquidations.delay_from_reference", "s",
                     "from the moment the position was liquidatable at the reference price to its liquidation"),
        count("bad_debt.positions", "positions", "positions closed or liquidated with a loss beyond their margin"),
        value("bad_debt.total", "currency", "losses beyond margins"),
        value("bad_debt.insurance_drawn", "currency", "bad debt the insurance fund covered"),
        value("bad_debt.socialized", "currency", "bad debt beyond the fund, borne by the pool"),
        value("insurance_fund", "currency", "the insurance fund at the end"),
        value("pool.pnl", "currency", "what the pool (the liquidity providers) won or lost"),
        value("pool.fees", "currency", "trading fees the pool took"),
        value("pool.funding", "currency", "funding paid between positions and the pool"),
        distribution("staleness", "s", "age of the price each trade, close and liquidation executed at"),
        count("reverted_data.reports", "reports", "oracle reports the venue used that later reverted"),
        count("reverted_data.trades", "executions", "trades, closes and liquidations executed at a price that later reverted"),
        value("reverted_data.notional", "currency", "their notional"),
        count("arbitrage.trades", "positions", "positions the latency arbitrageur opened").only(arb),
        value("arbitrage.extracted", "currency", "its profit net of fees, at the pool's expense").only(arb),
        count("front_running.trades", "positions", "positions the sequencer opened ahead of oracle reports").only(front),
        value("front_running.extracted", "currency", "its profit net of fees").only(front),
        count("twap.pushes", "blocks", "blocks the attacker must push the pool's price back").only(twap),
        value("twap.cost", "currency", "cost of holding the TWAP's pool at the move for its window").only(twap),
        value("twap.cost_closed_form", "currency", "the same by the constant-product closed form").only(twap),
        value("twap.open_interest", "currency", "open interest when it acted").only(twap),
        value("twap.profit", "currency", "open interest x the move").only(twap),
        count("collateral.deposits", "deposits", "collateral deposits from the parent").only(bridge),
        distribution("collateral.deposit_latency", "s", "from a deposit on the parent to its credit on the child").only(bridge),
        count("collateral.withdrawals", "withdrawals", "collateral sent back to the parent").only(bridge),
        distribution("collateral.withdrawal_latency", "s", "from a withdrawal's start to its claim on the parent").only(bridge),
        value("collateral.in_transit_mean", "currency", "collateral in the bridge on average (deposits and withdrawals)").only(bridge),
        value("collateral.locked_hours", "currency x h", "collateral users waited for, times the wait").only(bridge),
        count("collateral.fast_withdrawals", "withdrawals", "withdrawals a liquidity provider paid out at once").only(bridge),
        value("collateral.fast_fees", "currency", "fees users paid for them").only(bridge),
        value("collateral.fast_fronted", "currency", "what providers paid out ahead of the claims").only(bridge),
        value("collateral.fast_losses", "currency", "fronted and unclaimed when a wrong state root settled").only(bridge),
        value("economic_security.weakest_ratio", "1",
              "cost to profit of the weakest link (oracle, child chain, bridge; null when nothing can be taken)"),
    };
  }
  std::string table(const std::string& name, const nlohmann::json& e) const override
  {
    using table::number;
    std::string out = fmt::format("\nvenue {} (perpetuals on {}, price at {})\n", name, e["feed"].get<std::string>(),
                                  e["consume_at"].get<std::string>());
    const auto& pos = e["positions"];
    out += fmt::format("  {:<30} {} opened, {} closed, {} liquidated ({} refused), {} open at the end; peak open interest {:.6g}\n",
                       "positions", pos["opened"].get<size_t>(), pos["closed"].get<size_t>(), pos["liquidated"].get<size_t>(),
                       e["liquidations"]["refused"].get<size_t>(), pos["open_at_end"].get<size_t>(),
                       number(e["open_interest"]["peak"]));
    out += table::latency_header("latency");
    out += table::stage_row("staleness at use", e["staleness"]);
    out += table::stage_row("liquidation delay", e["liquidations"]["delay"]);
    out += table::stage_row("from reference crossing", e["liquidations"]["delay_from_reference"]);
    const auto& bad = e["bad_debt"];
    out += fmt::format("  {:<30} {:.6g} on {} positions ({:.6g} from the insurance fund, {:.6g} socialized); fund now {:.6g}\n",
                       "bad debt", number(bad["total"]), bad["positions"].get<size_t>(), number(bad["insurance_drawn"]),
                       number(bad["socialized"]), number(e["insurance_fund"]));
    out += fmt::format("  {:<30} {:.6g} (fees {:.6g}); {} trades on data that later reverted ({:.6g} notional)\n", "pool pnl",
                       number(e["pool"]["pnl"]), number(e["pool"]["fees"]), e["reverted_data"]["trades"].get<size_t>(),
                       number(e["reverted_data"]["notional"]));
    if (e.contains("arbitrage"))
      out += fmt::format("  {:<30} {} positions, {:.6g} extracted\n", "latency arbitrage",
                         e["arbitrage"]["trades"].get<size_t>(), number(e["arbitrage"]["extracted"]));
    if (e.contains("front_running"))
      out += fmt::format("  {:<30} {} positions, {:.6g} extracted\n", "sequencer front-running",
                         e["front_running"]["trades"].get<size_t>(), number(e["front_running"]["extracted"]));
    if (e.contains("twap"))
      out += fmt::format("  {:<30} cost {:.6g} over {} blocks against {:.6g} from the open interest: {}\n", "TWAP manipulation",
                         number(e["twap"]["cost"]), e["twap"]["pushes"].get<long long>(), number(e["twap"]["profit"]),
                         e["twap"]["profitable"].get<bool>() ? "PROFITABLE" : "not profitable");
    if (e.contains("collateral")) {
      const auto& c = e["collateral"];
      out += table::stage_row("deposit -> credited", c["deposit_latency"]);
      out += table::stage_row("withdrawal -> claimed", c["withdrawal_latency"]);
      out += fmt::format("  {:<30} {:.6g} in transit on average; {} fast withdrawals, {:.6g} in fees, {:.6g} lost\n",
                         "collateral", number(c["in_transit_mean"]), c["fast_withdrawals"].get<size_t>(),
                         number(c["fast_fees"]), number(c["fast_losses"]));
    }
    const auto& sec = e["economic_security"];
    for (const auto& link : sec["links"])
      out += fmt::format("  {:<30} cost {:.6g} against {:.6g}{}\n", "link " + link["link"].get<std::string>(),
                         number(link["cost"]), number(link["profit"]),
                         link["link"] == sec["weakest_link"] ? "  <- weakest" : "");
    return out;
  }
  double events_per_second(const Scenario& scenario, const ApplicationParams& base) const override
  {
    // A position: its arrival, trade, close and their deliveries; a keeper's look scans every open
    // position (Little's law: rate x mean holding time of them), about 20 per event's worth of work.
    const PerpParams& p = params_of(base);
    double open = p.traders.rate.per_second * std::min(p.traders.hold.seconds, scenario.duration.seconds);
    return 8 * p.traders.rate.per_second + (1 + open / 20) / p.keepers.poll.seconds;
  }
  double memory_bytes(const Scenario& scenario, const ApplicationParams& base) const override
  {
    // Every position is kept to the end (its record, its slot and its uses): about 200 bytes each.
    return 200 * params_of(base).traders.rate.per_second * scenario.duration.seconds;
  }
  void narrate(const NarrationInput& input, Narration& narration) const override
  {
    // The first few liquidations, and the first few that left bad debt, then the count of the rest.
    int liquidations = 0, with_bad_debt = 0, told = 0;
    double bad_total = 0, last = 0;
    for (const EventRecord* e : input.events) {
      last = e->time;
      if (e->event == "perp_liquidation") {
        auto f   = input.fields(*e);
        bool bad = f["bad_debt"].get<double>() > 0;
        if (!f["executed"].get<bool>())
          continue;
        ++liquidations;
        with_bad_debt += bad ? 1 : 0;
        bad_total += f["bad_debt"].get<double>();
        if ((bad ? with_bad_debt : liquidations) <= 4 && told++ < 8)
          narration.say(e->time, fmt::format("{}: position {} liquidated at {:.6g} ({:.1f} s after the keeper saw it at "
                                             "{:.6g}){}",
                                             input.chain, e->height, f["price"].get<double>(),
                                             e->time - f["trigger_time"].get<double>(), f["trigger_price"].get<double>(),
                                             f["bad_debt"].get<double>() > 0
                                                 ? fmt::format(": its loss passed its margin, {:.6g} of bad debt",
                                                               f["bad_debt"].get<double>())
                                                 : std::string()));
      } else if (e->event == "perp_price_reverted") {
        narration.say(e->time, fmt::format("{}: oracle report {} was not in the posted batch: {} trades executed at its "
                                           "price",
                                           input.chain, e->height, input.fields(*e)["uses"].get<long long>()));
      } else if (e->event == "twap_manipulation") {
        auto f = input.fields(*e);
        narration.say(e->time, fmt::format("{}: moving the TWAP costs {:.6g}; the open interest it moves is worth {:.6g}",
                                           input.chain, f["cost"].get<double>(), f["profit"].get<double>()));
      }
    }
    if (liquidations > 0)
      narration.say(last, fmt::format("{}: {} liquidations in all, {} of them too late to cover the loss ({:.6g} of bad debt)",
                                      input.chain, liquidations, with_bad_debt, bad_total));
  }
  std::unique_ptr<Application> build(Simulation& simulation, const ApplicationParams& params, int first_node) const override
  {
    return std::make_unique<Venue>(simulation, params_of(params), first_node);
  }
};

}  // namespace

void register_perp(ProtocolRegistry& registry)
{
  registry.add_application(std::make_unique<PerpFactory>());
  registry.add_app_transaction_kind("trade", false);
  registry.add_app_transaction_kind("liquidation", false);
  registry.add_adversary(std::make_unique<AdversaryKind<LatencyArbitrage>>(
      "latency_arbitrage", "a trader who sees the reference price first trades against the venue's stale price", false));
  registry.add_adversary(std::make_unique<AdversaryKind<SequencerFrontRun>>(
      "sequencer_front_run", "the venue's sequencer trades ahead of oracle reports waiting in its mempool", false));
  registry.add_adversary(std::make_unique<AdversaryKind<TwapManipulation>>(
      "twap_manipulation", "what holding a thin pool's TWAP away for its window costs, against the open interest it moves",
      false));
  const EventField report{"report", FieldType::integer, "", "the oracle report whose price it used (0: none)"};
  const EventField stale{"staleness", FieldType::real, "s", "age of that price", 3};
  declare_event({"perp_open", "a position opened", "the position", "",
                 {{"side", FieldType::integer, "", "+1 long, -1 short"},
                  {"notional", FieldType::real, "currency", "its size", 2},
                  {"price", FieldType::real, "price", "the venue's price it opened at", 6},
                  report, stale,
                  {"owner", FieldType::text, "", "trader, arbitrageur or sequencer"}}});
  declare_event({"perp_close", "a position closed", "the position", "",
                 {{"pnl", FieldType::real, "currency", "its gain or loss", 2},
                  {"price", FieldType::real, "price", "the venue's price it closed at", 6},
                  report, stale,
                  {"bad_debt", FieldType::real, "currency", "loss beyond its margin", 2}}});
  declare_event({"perp_liquidation", "a liquidation executed (or found the position healthy)", "the position", "",
                 {{"trigger_time", FieldType::real, "s", "when the keeper saw it liquidatable", 3},
                  {"trigger_price", FieldType::real, "price", "the venue's price then", 6},
                  {"zero_price", FieldType::real, "price", "the price at which its equity is zero", 6},
                  {"price", FieldType::real, "price", "the venue's price at execution", 6},
                  {"bad_debt", FieldType::real, "currency", "loss beyond its margin", 2},
                  {"executed", FieldType::flag, "", "false: healthy again, refused"},
                  report, stale}});
  declare_event({"perp_price", "an oracle report became the venue's price (it reached the stage the venue reads)",
                 "the report", "",
                 {{"value", FieldType::real, "price", "the new price", 6},
                  {"age", FieldType::real, "s", "age of its observations", 3}}});
  declare_event({"perp_price_reverted", "a report the venue used was not in the posted batch", "the report", "",
                 {{"uses", FieldType::integer, "", "trades executed at its price"}}});
  declare_event({"twap_manipulation", "a TWAP manipulation's cost and what it would gain", "the entry", "",
                 {{"cost", FieldType::real, "currency", "holding the pool away for the window", 2},
                  {"profit", FieldType::real, "currency", "open interest x the move", 2}}});
  declare_series({"venue.open_interest", "currency", "application: notional of the venue's open positions"});
  declare_series({"venue.insurance_fund", "currency", "application: the venue's insurance fund"});
  declare_series({"venue.bad_debt", "currency", "application: the venue's bad debt so far"});
  declare_series({"venue.staleness", "s", "application: age of the venue's price"});
  declare_series({"venue.liquidations", "positions", "application: liquidations so far"});
  declare_series({"collateral.in_transit", "currency", "application: collateral in the bridge (deposits and withdrawals)"});
}

}  // namespace shsim::models::perp
