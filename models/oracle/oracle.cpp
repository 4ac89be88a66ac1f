#include "models/oracle/oracle.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/table.hpp"

namespace shsim::models::oracle {

// ---- the protocol's messages (OCR's names) ----

/// The leader asks for fresh observations (OBSERVE-REQ).
struct ObserveRequest : Message {
  long long epoch = 0, round = 0;
  static inline const MessageKind kind_id{"ocr_observe_req"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {epoch, static_cast<int>(round), 0}; }
};
/// An oracle's signed observation (OBSERVE).
struct ObservationMessage : Message {
  long long epoch = 0, round = 0;
  double value = 0, observed_at = 0;
  static inline const MessageKind kind_id{"ocr_observe"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {epoch, static_cast<int>(round), 0}; }
};
/// The leader's report, to be signed (REPORT-REQ).
struct ReportRequest : Message {
  long long epoch = 0, round = 0;
  double median = 0;
  int observations = 0;
  static inline const MessageKind kind_id{"ocr_report_req"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {epoch, static_cast<int>(round), 0}; }
};
/// A follower's signature on the report (REPORT).
struct Signature : Message {
  long long epoch = 0, round = 0;
  static inline const MessageKind kind_id{"ocr_report"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {epoch, static_cast<int>(round), 0}; }
};
/// The attested report, or that the round ended with nothing due (FINAL).
struct Final : Message {
  long long epoch = 0, round = 0;
  uint64_t report = 0;  // 0: nothing was due
  static inline const MessageKind kind_id{"ocr_final"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {epoch, static_cast<int>(round), 0}; }
};
/// An oracle asks to move to a new epoch, with a new leader (NEWEPOCH).
struct NewEpoch : Message {
  long long epoch = 0;
  static inline const MessageKind kind_id{"ocr_new_epoch"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {epoch, -1, 0}; }
};

struct OracleNetwork::Observation {
  int oracle;
  double value, observed_at;
};

/// What one oracle knows and, while it leads, its round.
struct OracleNetwork::OracleState {
  long long epoch    = 0;
  long long asked    = 0;  // highest epoch it asked for
  unsigned progress  = 0;  // token of the live progress timer
  double last_value  = 0;  // the last report it knows, for the report condition
  double last_time   = 0;
  std::map<long long, std::set<int>> heard;  // epoch -> oracles heard asking for it
  // As leader:
  long long round     = 0;
  bool collecting     = false, grace = false, signing = false, complete = true, next_due = false;
  double round_started = 0;
  std::vector<Observation> observations, chosen;
  std::set<int> signatures;
  double draft_median = 0;
  bool draft_heartbeat = false;
};

std::vector<RolePlacement> OracleParams::placements(int) const
{
  std::vector<RolePlacement> roles;
  for (int i = 0; i < count; ++i)
    roles.push_back(on_validators ? RolePlacement{"", i} : RolePlacement{region, -1});
  roles.push_back({region, -1});  // the watcher, which disputes false reports on the parent
  return roles;
}

void OracleByzantine::check(const AdversaryCheck& check) const
{
  const auto& network = check.application(oracle, {"oracle_network"}, "oracle").as<OracleParams>();
  if (!oracles.empty() && count > 0)
    check.fail({"count"}, "give `oracles` or `count`, not both");
  if (oracles.empty() && count == 0)
    check.fail({}, "name the Byzantine oracles: `oracles: [..]` or `count: N`");
  if (count > network.count)
    check.fail({"count"}, fmt::format("the network has {} oracles", network.count));
  for (size_t i = 0; i < oracles.size(); ++i)
    if (oracles[i] < 0 || oracles[i] >= network.count)
      check.fail({"oracles", std::to_string(i)}, fmt::format("no oracle {} (the network has {})", oracles[i], network.count));
}

void OracleDown::check(const AdversaryCheck& check) const
{
  const auto& network = check.application(oracle, {"oracle_network"}, "oracle").as<OracleParams>();
  for (size_t i = 0; i < oracles.size(); ++i)
    if (oracles[i] < 0 || oracles[i] >= network.count)
      check.fail({"oracles", std::to_string(i)}, fmt::format("no oracle {} (the network has {})", oracles[i], network.count));
}

OracleNetwork::OracleNetwork(Simulation& simulation, const OracleParams& params, int first_node)
    : simulation_(simulation), params_(params), first_node_(first_node), state_(static_cast<size_t>(params.count))
{
  price_ = dynamic_cast<price::ReferencePrice*>(simulation.application(params.price));
  host_  = simulation.transaction_host(params.chain);
  if (price_ == nullptr || host_ == nullptr)  // refused at load (references, review)
    throw std::logic_error("oracle network '" + params.name + "' without its price or chain");
  RandomStream latencies = simulation.stream("oracle.latency." + params.name);
  for (int i = 0; i < params.count; ++i) {
    double spread = params.observation.spread;
    latency_.push_back(params.observation.latency.seconds * latencies.uniform(1 - spread, 1 + spread));
    noise_.push_back(simulation.stream("oracle.noise." + params.name, static_cast<uint64_t>(i)));
  }
  for (const auto& choice : simulation.scenario().adversaries) {
    if (choice.kind == "oracle_byzantine" && choice.as<OracleByzantine>().oracle == params.name)
      byzantine_.push_back(&choice.as<OracleByzantine>());
    if (choice.kind == "oracle_down" && choice.as<OracleDown>().oracle == params.name) {
      const auto& down = choice.as<OracleDown>();
      std::vector<int> nodes;
      for (int i = 0; i < params.count; ++i)
        if (down.oracles.empty() || std::find(down.oracles.begin(), down.oracles.end(), i) != down.oracles.end())
          nodes.push_back(node(i));
      simulation.schedule_outage(nodes, down.from.seconds, down.end(), params.name, "oracle");
    }
  }
  // The genesis report: the reference price at t = 0, on the chain at every stage from the start.
  Report genesis;
  genesis.median = genesis.honest_low = genesis.honest_high = price_->at(0);
  genesis.on_chain = true;
  std::fill(std::begin(genesis.stage_at), std::end(genesis.stage_at), 0.0);
  reports_.push_back(genesis);
  for (auto& s : state_)
    s.last_value = genesis.median;

  for (int i = 0; i < params.count; ++i) {
    Agent::Handlers h;
    h.start = [this, i] {
      reset_progress(i);
      if (byzantine(i, 0))
        request_epoch(i, 1);
      if (leader_of(state_[static_cast<size_t>(i)].epoch) == i)
        start_round(i);
    };
    h.recover = [this, i] {
      state_[static_cast<size_t>(i)].complete = true;
      reset_progress(i);
      if (leader_of(state_[static_cast<size_t>(i)].epoch) == i)
        start_round(i);
    };
    h.message = [this, i](int from, const Message& m) { on_message(i, from, m); };
    h.timer   = [this, i](const TimerEvent& t) { on_timer(i, t); };
    auto agent = std::make_unique<Agent>(simulation, node(i), std::move(h));
    agents_.push_back(agent.get());
    simulation.add_node(std::move(agent));
  }
  Agent::Handlers watcher;
  watcher.timer = [this](const TimerEvent& t) {
    if (t.kind == dispute_timer)
      dispute(static_cast<uint64_t>(t.first));
  };
  auto agent = std::make_unique<Agent>(simulation, node(params.count), std::move(watcher));
  watcher_   = agent.get();
  simulation.add_node(std::move(agent));
  // Byzantine oracles whose window opens later start pushing for a leader of theirs then.
  for (const OracleByzantine* a : byzantine_)
    if (a->from.seconds > 0)
      simulation.events().call_at(a->from.seconds, [this] {
        for (int i = 0; i < params_.count; ++i)
          if (byzantine(i, simulation_.now()) && agents_[static_cast<size_t>(i)]->online())
            request_epoch(i, state_[static_cast<size_t>(i)].epoch + 1);
      });
  simulation.recorder().declare_timeline(params.name, {"attested", "transmitted", "soft_confirmed", "included",
                                                       "parent_final", "settled"});
}

const OracleByzantine* OracleNetwork::byzantine_entry(int oracle, double time) const
{
  for (const OracleByzantine* a : byzantine_) {
    if (!a->active(time))
      continue;
    bool named = a->oracles.empty() ? oracle >= params_.count - a->count
                                    : std::find(a->oracles.begin(), a->oracles.end(), oracle) != a->oracles.end();
    if (named)
      return a;
  }
  return nullptr;
}

bool OracleNetwork::byzantine(int oracle, double time) const { return byzantine_entry(oracle, time) != nullptr; }

double OracleNetwork::observe(int oracle, double time, double& observed_at)
{
  observed_at  = std::max(0.0, time - latency_[static_cast<size_t>(oracle)]);
  double value = price_->at(observed_at) * std::exp(params_.observation.noise.value * noise_[static_cast<size_t>(oracle)].normal());
  if (const OracleByzantine* a = byzantine_entry(oracle, time))
    value *= 1 + a->bias.value;
  return value;
}

void OracleNetwork::broadcast(int from, const MessagePtr& message)
{
  for (int to = 0; to < params_.count; ++to)
    agents_[static_cast<size_t>(from)]->tell(node(to), message);
}

// ---- the pacemaker ----

void OracleNetwork::reset_progress(int oracle)
{
  OracleState& s = state_[static_cast<size_t>(oracle)];
  agents_[static_cast<size_t>(oracle)]->after(params_.delta_progress.seconds, progress_timer, ++s.progress);
}

void OracleNetwork::request_epoch(int oracle, long long epoch)
{
  OracleState& s = state_[static_cast<size_t>(oracle)];
  if (epoch <= s.asked || epoch <= s.epoch)
    return;
  s.asked    = epoch;
  auto ask   = make_message<NewEpoch>();
  ask->epoch = epoch;
  ask->bytes = params_.message_bytes.count;
  broadcast(oracle, ask);
}

void OracleNetwork::enter_epoch(int oracle, long long epoch)
{
  OracleState& s = state_[static_cast<size_t>(oracle)];
  if (epoch <= s.epoch)
    return;
  s.epoch    = epoch;
  s.complete = true;
  s.collecting = s.grace = s.signing = s.next_due = false;
  reset_progress(oracle);
  double now = simulation_.now();
  if (leader_of(epoch) == oracle) {
    ++epochs_;
    simulation_.recorder().event(now, params_.name, node(oracle), "oracle_epoch", epoch, -1,
                                 {oracle, byzantine(oracle, now) ? 1 : 0});
    start_round(oracle);
  } else if (byzantine(oracle, now) && !byzantine(leader_of(epoch), now)) {
    request_epoch(oracle, epoch + 1);  // push on towards a Byzantine leader
  }
}

// ---- report generation (the leader) ----

void OracleNetwork::start_round(int leader)
{
  OracleState& s = state_[static_cast<size_t>(leader)];
  if (leader_of(s.epoch) != leader)
    return;
  ++s.round;
  ++rounds_;
  s.collecting = true;
  s.grace = s.signing = s.complete = s.next_due = false;
  s.round_started = simulation_.now();
  s.observations.clear();
  s.signatures.clear();
  auto request   = make_message<ObserveRequest>();
  request->epoch = s.epoch;
  request->round = s.round;
  request->bytes = params_.message_bytes.count;
  broadcast(leader, request);
  agents_[static_cast<size_t>(leader)]->after(params_.delta_round.seconds, round_timer, s.epoch, s.round);
}

void OracleNetwork::close_observations(int leader)
{
  OracleState& s = state_[static_cast<size_t>(leader)];
  s.collecting   = false;
  double now     = simulation_.now();
  const OracleByzantine* corrupt = byzantine_entry(leader, now);
  std::vector<Observation> chosen = s.observations;
  const size_t quorum = static_cast<size_t>(2 * params_.f() + 1);
  if (corrupt != nullptr) {
    // A Byzantine leader keeps every Byzantine observation and the fewest honest ones, those
    // nearest its side, so that the median moves as far as it can.
    std::vector<Observation> bad, good;
    for (const auto& o : s.observations)
      (byzantine(o.oracle, now) ? bad : good).push_back(o);
    std::sort(good.begin(), good.end(), [&](const Observation& a, const Observation& b) {
      return corrupt->bias.value >= 0 ? a.value > b.value : a.value < b.value;
    });
    size_t honest_needed = bad.size() >= quorum ? 0 : quorum - bad.size();
    good.resize(std::min(good.size(), honest_needed));
    chosen = bad;
    chosen.insert(chosen.end(), good.begin(), good.end());
  }
  std::sort(chosen.begin(), chosen.end(), [](const Observation& a, const Observation& b) {
    return a.value < b.value || (a.value == b.value && a.oracle < b.oracle);
  });
  s.chosen       = chosen;
  s.draft_median = chosen[chosen.size() / 2].value;
  if (!due(s, s.draft_median, now, s.draft_heartbeat)) {
    // Nothing due (and a Byzantine leader that cannot move the median stays quiet): the round ends
    // here, and followers count it as progress.
    s.complete = true;
    ++rounds_done_;
    auto done   = make_message<Final>();
    done->epoch = s.epoch;
    done->round = s.round;
    done->bytes = params_.message_bytes.count;
    broadcast(leader, done);
    if (s.next_due)
      start_round(leader);
    return;
  }
  s.signing              = true;
  auto request           = make_message<ReportRequest>();
  request->epoch         = s.epoch;
  request->round         = s.round;
  request->median        = s.draft_median;
  request->observations  = static_cast<int>(chosen.size());
  request->bytes         = params_.message_bytes.count + 64 * chosen.size();
  broadcast(leader, request);
}

bool OracleNetwork::due(const OracleState& s, double median, double time, bool& heartbeat) const
{
  heartbeat = time - s.last_time >= params_.heartbeat.seconds;
  return heartbeat || std::abs(median / s.last_value - 1) > params_.deviation.value;
}

void OracleNetwork::finalize(int leader)
{
  OracleState& s = state_[static_cast<size_t>(leader)];
  s.signing      = false;
  s.complete     = true;
  ++rounds_done_;
  double now = simulation_.now();
  Report r;
  r.id          = reports_.size();
  r.epoch       = s.epoch;
  r.round       = s.round;
  r.median      = s.draft_median;
  r.attested_at = now;
  r.heartbeat   = s.draft_heartbeat;
  std::vector<double> times;
  bool any_honest = false;
  for (const auto& o : s.chosen) {
    r.observations.push_back({o.oracle, o.value});
    r.observation_times.push_back(o.observed_at);
    times.push_back(o.observed_at);
    if (byzantine(o.oracle, o.observed_at + latency_[static_cast<size_t>(o.oracle)])) {
      ++r.byzantine_observations;
      continue;
    }
    r.honest_low  = any_honest ? std::min(r.honest_low, o.value) : o.value;
    r.honest_high = any_honest ? std::max(r.honest_high, o.value) : o.value;
    any_honest    = true;
  }
  std::sort(times.begin(), times.end());
  r.observed_at = times[times.size() / 2];
  if (!any_honest || r.median < r.honest_low || r.median > r.honest_high)
    ++outside_honest_range_;
  reports_.push_back(r);
  simulation_.recorder().event(now, params_.name, node(leader), "oracle_report", static_cast<long long>(r.id),
                               static_cast<int>(r.round),
                               {r.median, r.heartbeat ? 1 : 0, r.observations.size(), r.byzantine_observations,
                                now - r.observed_at});
  auto final    = make_message<Final>();
  final->epoch  = s.epoch;
  final->round  = s.round;
  final->report = r.id;
  final->bytes  = params_.report_bytes.count;
  broadcast(leader, final);
  if (s.next_due)
    start_round(leader);
}

// ---- messages and timers ----

void OracleNetwork::on_message(int oracle, int from, const Message& m)
{
  OracleState& s = state_[static_cast<size_t>(oracle)];
  double now     = simulation_.now();
  const int sender = from - first_node_;
  if (m.kind() == ObserveRequest::kind_id) {
    const auto& request = static_cast<const ObserveRequest&>(m);
    if (request.epoch != s.epoch || sender != leader_of(s.epoch))
      return;
    auto reply   = make_message<ObservationMessage>();
    reply->epoch = request.epoch;
    reply->round = request.round;
    reply->value = observe(oracle, now, reply->observed_at);
    reply->bytes = params_.message_bytes.count;
    agents_[static_cast<size_t>(oracle)]->tell(from, reply);
  } else if (m.kind() == ObservationMessage::kind_id) {
    const auto& o = static_cast<const ObservationMessage&>(m);
    if (leader_of(s.epoch) != oracle || o.epoch != s.epoch || o.round != s.round || !s.collecting)
      return;
    s.observations.push_back({sender, o.value, o.observed_at});
    if (!s.grace && s.observations.size() >= static_cast<size_t>(2 * params_.f() + 1)) {
      s.grace = true;
      agents_[static_cast<size_t>(oracle)]->after(params_.delta_grace.seconds, grace_timer, s.epoch, s.round);
    }
  } else if (m.kind() == ReportRequest::kind_id) {
    const auto& request = static_cast<const ReportRequest&>(m);
    if (request.epoch != s.epoch || sender != leader_of(s.epoch))
      return;
    bool heartbeat = false;
    // An honest follower signs a well-formed report that is due by its own view of the last one.
    bool sign = byzantine(oracle, now) ||
                (request.observations >= 2 * params_.f() + 1 && due(s, request.median, now, heartbeat));
    if (!sign)
      return;
    auto signature   = make_message<Signature>();
    signature->epoch = request.epoch;
    signature->round = request.round;
    signature->bytes = params_.message_bytes.count;
    agents_[static_cast<size_t>(oracle)]->tell(from, signature);
  } else if (m.kind() == Signature::kind_id) {
    const auto& signature = static_cast<const Signature&>(m);
    if (leader_of(s.epoch) != oracle || signature.epoch != s.epoch || signature.round != s.round || !s.signing)
      return;
    s.signatures.insert(sender);
    if (s.signatures.size() >= static_cast<size_t>(params_.f() + 1))
      finalize(oracle);
  } else if (m.kind() == Final::kind_id) {
    const auto& final = static_cast<const Final&>(m);
    if (final.epoch != s.epoch || sender != leader_of(s.epoch))
      return;
    reset_progress(oracle);
    if (final.report == 0)
      return;
    const Report& r = reports_[final.report];
    if (r.attested_at >= s.last_time) {
      s.last_value = r.median;
      s.last_time  = r.attested_at;
    }
    // OCR's staged transmission: the leader at once, oracle k of the order k x delta_stage later.
    int position = (oracle - sender + params_.count) % params_.count;
    if (position == 0)
      transmit(oracle, final.report);
    else
      agents_[static_cast<size_t>(oracle)]->after(position * params_.delta_stage.seconds, transmit_timer,
                                                  static_cast<long long>(final.report));
  } else if (m.kind() == NewEpoch::kind_id) {
    const auto& ask = static_cast<const NewEpoch&>(m);
    if (ask.epoch <= s.epoch)
      return;
    auto& heard = s.heard[ask.epoch];
    heard.insert(sender);
    if (heard.size() >= static_cast<size_t>(params_.f() + 1))
      request_epoch(oracle, ask.epoch);  // f + 1 asked: at least one honest oracle did, join in
    if (heard.size() >= static_cast<size_t>(2 * params_.f() + 1)) {
      enter_epoch(oracle, ask.epoch);
      s.heard.erase(s.heard.begin(), s.heard.upper_bound(ask.epoch));
    }
  }
}

void OracleNetwork::on_timer(int oracle, const TimerEvent& t)
{
  OracleState& s = state_[static_cast<size_t>(oracle)];
  if (t.kind == progress_timer) {
    if (t.first != static_cast<long long>(s.progress))
      return;
    // No completed round for delta_progress: ask for the next epoch (and further on, if that one stalls too).
    request_epoch(oracle, std::max(s.epoch, s.asked) + 1);
    reset_progress(oracle);
  } else if (t.kind == round_timer) {
    if (t.first != s.epoch || t.second != s.round || leader_of(s.epoch) != oracle)
      return;
    // A round that has not ended is abandoned once it has had three round lengths and its grace.
    bool stuck = simulation_.now() - s.round_started >= 3 * params_.delta_round.seconds + params_.delta_grace.seconds;
    if (s.complete || stuck)
      start_round(oracle);
    else {
      s.next_due = true;
      agents_[static_cast<size_t>(oracle)]->after(params_.delta_round.seconds, round_timer, s.epoch, s.round);
    }
  } else if (t.kind == grace_timer) {
    if (t.first == s.epoch && t.second == s.round && s.collecting)
      close_observations(oracle);
  } else if (t.kind == transmit_timer) {
    transmit(oracle, static_cast<uint64_t>(t.first));
  }
}

// ---- transmission and what the chain does with it ----

void OracleNetwork::transmit(int oracle, uint64_t id)
{
  Report& r = reports_[id];
  if (r.on_chain || r.superseded || id < static_cast<uint64_t>(newest_on_chain_))
    return;
  double now = simulation_.now();
  ++transmissions_;
  if (r.transmitted_at < 0)
    r.transmitted_at = now;
  AppTransaction tx;
  tx.owner       = params_.name;
  tx.kind        = "oracle_report";
  tx.bytes       = params_.report_bytes.count;
  tx.reference   = id;
  // Each copy reports its stages; only the copy that made the report the chain's newest counts.
  auto copy      = std::make_shared<bool>(false);
  tx.on_stage    = [this, id, copy](TxStage stage, double time) {
    if (stage == TxStage::soft) {
      Report& report = reports_[id];
      if (report.on_chain || id < static_cast<uint64_t>(newest_on_chain_)) {
        ++redundant_;  // another copy, or a newer report, got there first: the contract ignores it
        if (!report.on_chain)
          report.superseded = true;
        *copy = false;
        return;
      }
      *copy = true;
    }
    if (*copy)
      reached(id, stage, time);
  };
  tx.on_reverted = [this, id, copy](double time) {
    if (*copy)
      reverted(id, time);
    *copy = false;
  };
  host_->send(*agents_[static_cast<size_t>(oracle)], std::move(tx));
}

void OracleNetwork::reached(uint64_t id, TxStage stage, double time)
{
  Report& r = reports_[id];
  if (stage == TxStage::soft) {
    r.on_chain       = true;
    newest_on_chain_ = static_cast<long long>(id);
    // The watcher checks the value against the reference price when it was observed.
    if (std::abs(r.median / price_->at(r.observed_at) - 1) > params_.staking.dispute_tolerance.value) {
      ++false_reports_;
      watcher_->after(params_.staking.reaction.seconds, dispute_timer, static_cast<long long>(id));
    }
  }
  r.stage_at[static_cast<int>(stage)] = time;
  for (const auto& l : listeners_)
    if (l.reached)
      l.reached(r, stage, time);
}

void OracleNetwork::reverted(uint64_t id, double time)
{
  Report& r = reports_[id];
  r.on_chain = false;
  ++r.reverts;
  ++reverted_;
  r.stage_at[static_cast<int>(TxStage::soft)] = -1;
  // The newest on the chain is now the newest earlier report still there.
  if (newest_on_chain_ == static_cast<long long>(id)) {
    newest_on_chain_ = 0;
    for (long long k = static_cast<long long>(id) - 1; k > 0; --k)
      if (reports_[static_cast<size_t>(k)].on_chain) {
        newest_on_chain_ = k;
        break;
      }
  }
  for (const auto& l : listeners_)
    if (l.reverted)
      l.reverted(r, time);
}

void OracleNetwork::dispute(uint64_t id)
{
  ++disputes_;
  ParentTransaction tx{params_.name, "oracle_dispute", params_.staking.dispute_bytes.count};
  tx.finalized = [this, id](long long, double time) {
    // Proven on the parent: every signer of an observation beyond the tolerance loses its bond's share.
    const Report& r = reports_[id];
    double taken    = 0;
    for (size_t k = 0; k < r.observations.size(); ++k) {
      auto [oracle, value] = r.observations[k];
      if (std::abs(value / price_->at(r.observation_times[k]) - 1) <= params_.staking.dispute_tolerance.value ||
          slashed_of_.count(oracle))
        continue;
      double amount        = params_.staking.bond * params_.staking.slash.value;
      slashed_of_[oracle]  = amount;
      taken += amount;
    }
    slashed_ += taken;
    simulation_.recorder().event(time, params_.name, node(params_.count), "oracle_slashed", static_cast<long long>(id), -1,
                                 {taken});
  };
  watcher_->post(std::move(tx));
}

double OracleNetwork::cost_of_corruption() const
{
  return oracles_to_move_median() * params_.staking.bond * params_.staking.slash.value;
}

void OracleNetwork::finish()
{
  auto stamp = [](double t) { return t < 0 ? std::nullopt : std::optional<double>(t); };
  for (size_t k = 1; k < reports_.size(); ++k) {
    const Report& r = reports_[k];
    TimelineRow row;
    row.chain     = params_.name;
    row.kind      = "report";
    row.index     = k;
    row.submitted = r.observed_at;
    row.stages    = {stamp(r.attested_at), stamp(r.transmitted_at), stamp(r.stage_at[0]),
                     stamp(r.stage_at[1]),  stamp(r.stage_at[2]),     stamp(r.stage_at[3])};
    row.note      = r.heartbeat ? "heartbeat" : "deviation";
    if (r.superseded && !r.on_chain)
      row.note += ", superseded";
    simulation_.recorder().timeline(std::move(row));
  }
}

nlohmann::json OracleNetwork::summary(const nlohmann::json&) const
{
  Samples interval, round, inclusion, age_on_chain, error;
  Samples from_soft[tx_stage_count];
  size_t heartbeats = 0, on_chain = 0;
  double previous = 0;
  for (size_t k = 1; k < reports_.size(); ++k) {
    const Report& r = reports_[k];
    heartbeats += r.heartbeat ? 1 : 0;
    interval.add(r.attested_at - previous);
    previous = r.attested_at;
    if (r.transmitted_at >= 0)
      round.add(r.transmitted_at - r.observed_at);
    if (r.stage_at[0] < 0)
      continue;
    ++on_chain;
    inclusion.add(r.stage_at[0] - r.transmitted_at);
    age_on_chain.add(r.stage_at[0] - r.observed_at);
    for (int s = 1; s < tx_stage_count; ++s)
      if (r.stage_at[s] >= 0)
        from_soft[s].add(r.stage_at[s] - r.stage_at[0]);
  }
  for (size_t k = 1; k < reports_.size(); ++k)
    error.add(std::abs(reports_[k].median / price_->at(reports_[k].observed_at) - 1));
  double hours = simulation_.scenario().duration.seconds / 3600;
  return {{"reference", params_.price},
          {"chain", params_.chain},
          {"oracles", params_.count},
          {"fault_tolerance", params_.f()},
          {"rounds", rounds_},
          {"epochs", epochs_},
          {"reports",
           {{"attested", reports_.size() - 1},
            {"on_chain", on_chain},
            {"by_deviation", reports_.size() - 1 - heartbeats},
            {"by_heartbeat", heartbeats},
            {"per_hour", hours > 0 ? static_cast<double>(reports_.size() - 1) / hours : 0},
            {"reverted", reverted_},
            {"outside_honest_range", outside_honest_range_},
            {"false", false_reports_}}},
          {"transmissions", {{"sent", transmissions_}, {"redundant", redundant_}}},
          {"update_interval", interval.to_json()},
          {"error", error.to_json()},
          {"stages",
           {{"round", round.to_json()},
            {"inclusion", inclusion.to_json()},
            {"age_on_chain", age_on_chain.to_json()},
            {"soft_to_safe", from_soft[1].to_json()},
            {"soft_to_parent_final", from_soft[2].to_json()},
            {"soft_to_settled", from_soft[3].to_json()}}},
          {"staking",
           {{"bonded", params_.count * params_.staking.bond},
            {"disputes", disputes_},
            {"oracles_slashed", slashed_of_.size()},
            {"slashed", slashed_}}},
          {"economic_security",
           {{"oracles_to_move_median", oracles_to_move_median()}, {"cost_of_corruption", cost_of_corruption()}}}};
}

void OracleNetwork::sample(SeriesSink& sink) const
{
  const Report& newest = reports_[static_cast<size_t>(newest_on_chain_)];
  sink.add("oracle.value", newest.median);
  sink.add("oracle.age", sink.time() - newest.observed_at);
  sink.add("oracle.deviation", std::abs(newest.median / price_->at(sink.time()) - 1));
  long long epoch = 0;
  for (const auto& s : state_)
    epoch = std::max(epoch, s.epoch);
  sink.add("oracle.epoch", static_cast<double>(epoch));
}

namespace {

class OracleFactory : public TypedApplicationFactory<OracleParams> {
public:
  std::string name() const override { return "oracle_network"; }
  std::string description() const override
  {
    return "oracle nodes that agree off-chain on a median price (Chainlink OCR) and transmit it to a chain";
  }
  std::vector<std::string> review(const Scenario& scenario, const ApplicationParams& base) const override
  {
    const OracleParams& p = params_of(base);
    if (p.on_validators && p.count > scenario.parent.validators.count)
      scenario.fail_application(p.name, "count",
                                fmt::format("{} oracles on validators' machines, but the parent has {} validators",
                                            p.count, scenario.parent.validators.count));
    if (3 * p.f() + 1 > p.count)
      scenario.fail_application(p.name, "fault_tolerance",
                                fmt::format("f = {} needs at least 3f + 1 = {} oracles (there are {})", p.f(),
                                            3 * p.f() + 1, p.count));
    if (p.chain != scenario.parent.name) {
      const ChildChoice* child = scenario.child(p.chain);
      if (child == nullptr || child->kind.find("rollup") == std::string::npos)
        scenario.fail_application(p.name, "chain",
                                  fmt::format("'{}' takes no applications' transactions (rollups and the parent do)", p.chain));
    }
    std::vector<std::string> warnings;
    if (p.delta_progress.seconds < p.delta_round.seconds + p.delta_grace.seconds)
      warnings.push_back(fmt::format("{}: delta_progress ({}) is shorter than a round with its grace ({} + {}): leaders "
                                     "will be replaced while they work",
                                     scenario.where(scenario.application_path(p.name) + ".delta_progress"),
                                     format_duration(p.delta_progress), format_duration(p.delta_round),
                                     format_duration(p.delta_grace)));
    return warnings;
  }
  Metrics metrics() const override
  {
    using namespace metric;
    return {
        count("oracles", "oracles", "oracle nodes (n)"),
        count("fault_tolerance", "oracles", "f: 2f + 1 observations make a report"),
        count("rounds", "rounds", "rounds the leaders started"),
        count("epochs", "epochs", "leader changes (new epochs begun)"),
        count("reports.attested", "reports", "reports with f + 1 signatures"),
        count("reports.on_chain", "reports", "reports that became the chain's newest value"),
        count("reports.by_deviation", "reports", "reports due because the median moved more than the threshold"),
        count("reports.by_heartbeat", "reports", "reports due because the heartbeat elapsed"),
        value("reports.per_hour", "1/h", "the update rate: reports attested per hour"),
        count("reports.reverted", "reports", "reports whose soft block was not the posted one (unsafe_reorg)"),
        count("reports.outside_honest_range", "reports", "reports whose median lies outside their honest observations' range"),
        count("reports.false", "reports", "reports on the chain beyond the dispute tolerance from the reference price"),
        count("transmissions.sent", "transactions", "report transactions sent to the chain"),
        count("transmissions.redundant", "transactions", "copies the chain ignored (already there, or older than its newest)"),
        distribution("update_interval", "s", "time between two attested reports"),
        distribution("error", "1", "relative distance of each report's median from the reference price at its observation time"),
        distribution("stages.round", "s", "from a report's observations to its first transmission"),
        distribution("stages.inclusion", "s", "from its first transmission to its block on the chain (soft)"),
        distribution("stages.age_on_chain", "s", "age of a report's price when it reached the chain (soft)"),
        distribution("stages.soft_to_safe", "s", "from soft to safe"),
        distribution("stages.soft_to_parent_final", "s", "from soft to parent finality"),
        distribution("stages.soft_to_settled", "s", "from soft to settlement"),
        value("staking.bonded", "currency", "stake bonded by all oracles"),
        count("staking.disputes", "disputes", "disputes the watcher posted on the parent"),
        count("staking.oracles_slashed", "oracles", "oracles whose bond was slashed"),
        value("staking.slashed", "currency", "bonds slashed"),
        count("economic_security.oracles_to_move_median", "oracles", "the fewest colluding oracles that choose the median (f + 1)"),
        value("economic_security.cost_of_corruption", "currency", "their bonds at stake: (f + 1) x bond x slash"),
    };
  }
  std::string table(const std::string& name, const nlohmann::json& e) const override
  {
    using table::human;
    using table::number;
    const auto& reports = e["reports"];
    std::string out = fmt::format("\noracle {} ({} oracles, f = {}; {} rounds, {} epochs)\n", name, e["oracles"].get<int>(),
                                  e["fault_tolerance"].get<int>(), e["rounds"].get<size_t>(), e["epochs"].get<size_t>());
    out += fmt::format("  {:<30} {} attested ({} by deviation, {} by heartbeat; {:.1f} per hour), {} on chain, {} reverted\n",
                       "reports", reports["attested"].get<size_t>(), reports["by_deviation"].get<size_t>(),
                       reports["by_heartbeat"].get<size_t>(), number(reports["per_hour"]), reports["on_chain"].get<size_t>(),
                       reports["reverted"].get<size_t>());
    out += table::latency_header("report stages");
    out += table::stage_row("observed -> transmitted", e["stages"]["round"]);
    out += table::stage_row("transmitted -> on chain", e["stages"]["inclusion"]);
    out += table::stage_row("age when on chain", e["stages"]["age_on_chain"]);
    out += table::stage_row("on chain -> safe", e["stages"]["soft_to_safe"]);
    out += table::stage_row("on chain -> parent-final", e["stages"]["soft_to_parent_final"]);
    out += fmt::format("  {:<30} {} outside the honest range, {} false; {} disputes, {} oracles slashed ({:.6g})\n",
                       "integrity", reports["outside_honest_range"].get<size_t>(), reports["false"].get<size_t>(),
                       e["staking"]["disputes"].get<size_t>(), e["staking"]["oracles_slashed"].get<size_t>(),
                       number(e["staking"]["slashed"]));
    out += fmt::format("  {:<30} {} oracles choose the median; their bonds: {:.6g}\n", "cost of corruption",
                       e["economic_security"]["oracles_to_move_median"].get<int>(),
                       number(e["economic_security"]["cost_of_corruption"]));
    (void)human;
    return out;
  }
  double events_per_second(const Scenario&, const ApplicationParams& base) const override
  {
    const OracleParams& p = params_of(base);
    return 4.0 * p.count / p.delta_round.seconds;  // a request, an observation and a final each, per oracle
  }
  void narrate(const NarrationInput& input, Narration& narration) const override;
  std::unique_ptr<Application> build(Simulation& simulation, const ApplicationParams& params, int first_node) const override
  {
    return std::make_unique<OracleNetwork>(simulation, params_of(params), first_node);
  }
};

void OracleFactory::narrate(const NarrationInput& input, Narration& narration) const
{
  int told = 0;
  for (const EventRecord* e : input.events) {
    if (e->event == "oracle_epoch") {
      auto fields = input.fields(*e);
      narration.say(e->time, fmt::format("{}: epoch {} begins with oracle {} leading{}", input.chain, e->height,
                                         fields["leader"].get<long long>(),
                                         fields["byzantine"].get<bool>() ? " (a Byzantine one)" : ""));
    } else if (e->event == "oracle_report" && told < 20) {
      auto fields = input.fields(*e);
      ++told;
      narration.say(e->time, fmt::format("{}: report {} attested, median {:.6g} ({}, {} observations{}), observed {:.1f} s ago",
                                         input.chain, e->height, fields["median"].get<double>(),
                                         fields["heartbeat"].get<bool>() ? "heartbeat" : "deviation",
                                         fields["observations"].get<long long>(),
                                         fields["byzantine"].get<long long>() > 0
                                             ? fmt::format(", {} Byzantine", fields["byzantine"].get<long long>())
                                             : std::string(),
                                         fields["age"].get<double>()));
    } else if (e->event == "oracle_slashed") {
      auto fields = input.fields(*e);
      narration.say(e->time, fmt::format("{}: the dispute over report {} is final on the parent: {:.6g} of bonds slashed",
                                         input.chain, e->height, fields["slashed"].get<double>()));
    }
  }
}

}  // namespace

void register_oracle(ProtocolRegistry& registry)
{
  registry.add_application(std::make_unique<OracleFactory>());
  registry.add_app_transaction_kind("oracle_report", true);
  registry.add_parent_transaction_kinds({"oracle_report", "oracle_dispute"});
  registry.add_adversary(std::make_unique<AdversaryKind<OracleByzantine>>(
      "oracle_byzantine", "oracles sign observations off by a bias and, leading, choose observations to move the median",
      false));
  registry.add_adversary(std::make_unique<AdversaryKind<OracleDown>>(
      "oracle_down", "oracles offline (a down leader costs about delta_progress before the next one leads)", false));
  declare_event({"oracle_epoch", "an oracle network's new epoch began with its leader's first round", "the epoch", "",
                 {{"leader", FieldType::integer, "", "the leading oracle"},
                  {"byzantine", FieldType::flag, "", "whether the leader is Byzantine"}}});
  declare_event({"oracle_report", "an oracle network attested a report (f + 1 signatures)", "the report's number",
                 "the round in its epoch",
                 {{"median", FieldType::real, "price", "the reported value", 6},
                  {"heartbeat", FieldType::flag, "", "due by the heartbeat rather than by deviation"},
                  {"observations", FieldType::integer, "", "observations in the report"},
                  {"byzantine", FieldType::integer, "", "Byzantine observations among them"},
                  {"age", FieldType::real, "s", "age of its observations' median time when attested", 3}}});
  declare_event({"oracle_slashed", "a dispute over a false report was final on the parent and bonds were slashed",
                 "the report's number", "", {{"slashed", FieldType::real, "currency", "bonds taken", 2}}});
  declare_outage_events("oracle", "oracle");
  declare_series({"oracle.value", "price", "application: the oracle's newest value on its chain"});
  declare_series({"oracle.age", "s", "application: age of the oracle's newest value on its chain"});
  declare_series({"oracle.deviation", "1", "application: distance of the newest value on chain from the reference price now"});
  declare_series({"oracle.epoch", "epochs", "application: the oracle network's epoch"});
}

}  // namespace shsim::models::oracle
