// Optimistic rollup after the OP Stack specifications (ethereum-optimism/specs):
//  - protocol/derivation.md: sequencer, batcher, unsafe / safe / finalized heads, sequencing window
//    and max sequencer drift bounding forced inclusion (rollup.hpp);
//  - fault-proof/stage-one/fault-dispute-game.md and honest-challenger-fdg.md: the proposer posts
//    output roots; a wrong one is disputed by a bisection game of moves on the parent under per-side
//    chess clocks, ending in a one-step proof; an unchallenged root resolves for its poster.
//
// Simplifications: the challenge window is counted from the root's parent block (OP resolves an
// unchallenged root when its clock expires; withdrawals then wait for proof maturity: one window
// here); once disputed, each side has `dispute.clock` for all its moves; honest challengers dispute
// only wrong roots and always win the one-step proof; several challengers post the same move and the
// first one included counts; a defeated root's blocks are covered by the next proposal.
#include <fmt/format.h>

#include "models/registry.hpp"
#include "models/rollup/rollup.hpp"

namespace shsim::models::rollup {
namespace {

enum OptimisticTimers { propose_timer = 100, defend_timer, react_timer };

class Optimistic : public Rollup {
public:
  /// The figures add_summary() reports.
  static Metrics own_metrics()
  {
    using namespace metric;
    return {
        count("roots.proposed", "roots", "output roots the proposer made"),
        count("roots.posted", "roots", "output roots included in a parent block"),
        count("roots.invalid", "roots", "posted roots that were wrong (invalid_root adversary)"),
        count("roots.challenged", "roots", "roots a challenger disputed"),
        count("roots.defeated", "roots", "roots removed by a dispute game"),
        count("roots.settled_valid", "roots", "correct roots that settled after the challenge window"),
        count("roots.settled_invalid", "roots", "wrong roots that settled (a safety violation each)"),
        fraction("roots.invalid_settled_share",
                 "of the wrong roots whose fate is decided (settled, or challenged in time), the share that settled "
                 "(null when none is decided)"),
        count("disputes.moves_included", "moves", "dispute-game moves included in parent blocks"),
        distribution("disputes.duration", "s", "from a dispute's opening to its resolution"),
        distribution("challengers_unsafe_head", "blocks", "unsafe blocks each challenger received by gossip"),
    };
  }
  Optimistic(Simulation& simulation, const OptimisticParams& params, int first_node)
      : Rollup(simulation, params.common, params.forced_inclusion, first_node, "optimistic_rollup")
      , params_(params)
      , availability_(simulation.stream("challenger_availability." + params.common.name))
  {
    start();
    int first_challenger = first_node + 2;
    for (const ChallengersOffline* a : adversaries<ChallengersOffline>()) {
      int count = a->count == 0 ? params_.challengers.count : std::min(a->count, params_.challengers.count);
      std::vector<int> nodes;
      for (int c = 0; c < count; ++c)
        nodes.push_back(first_challenger + c);
      simulation.schedule_outage(nodes, a->from.seconds, a->end(), name(), "challenger");
    }
    for (int c = 0; c < params_.challengers.count; ++c) {
      Agent::Handlers h;
      h.timer   = [this, c](const TimerEvent& timer) { challenger_move(c, static_cast<size_t>(timer.first)); };
      h.message = [this, c](int, const Message& message) {
        if (const auto* block = dynamic_cast<const UnsafeBlock*>(&message))
          unsafe_seen_[c] = std::max(unsafe_seen_[c], block->number + 1);
      };
      h.recover = [this, c]() {
        for (size_t r = 0; r < roots_.size(); ++r)
          consider(c, r);
      };
      auto node = std::make_unique<Agent>(simulation, first_challenger + c, std::move(h));
      challengers_.push_back(node.get());
      unsafe_seen_.push_back(0);
      simulation.add_node(std::move(node));
    }
  }

  SecurityFacts security() const override
  {
    SecurityFacts facts;
    facts.needs_parent_liveness = true;
    if (params_.challengers.count == 0)
      facts.own_paths.push_back({"post an invalid root (no challenger watches)", 0, 0.0});
    facts.bonds_slashed = static_cast<double>(defeated_) * params_.dispute.bond;
    return facts;
  }

protected:
  const char* batch_kind() const override { return "batch"; }

  void on_operator_start() override { operator_node().after(params_.proposal_interval.seconds, propose_timer); }
  void on_operator_recover() override
  {
    operator_node().after(params_.proposal_interval.seconds, propose_timer);
    for (size_t r = 0; r < roots_.size(); ++r)
      operator_node().after(0, defend_timer, static_cast<long long>(r));
  }
  void on_operator_timer(const TimerEvent& timer) override
  {
    if (timer.kind == propose_timer) {
      propose();
      operator_node().after(params_.proposal_interval.seconds, propose_timer);
    } else if (timer.kind == defend_timer) {
      defend(static_cast<size_t>(timer.first));
    }
  }

  /// Challengers follow the unsafe head (they recompute every root from the chain they replay).
  std::vector<int> followers() const override
  {
    std::vector<int> ids;
    for (const Agent* c : challengers_)
      ids.push_back(c->id());
    return ids;
  }

  void add_summary(nlohmann::json& out) const override
  {
    size_t posted = 0, invalid = 0, settled = 0;
    for (const Root& r : roots_) {
      posted += r.posted != never ? 1 : 0;
      invalid += r.invalid && r.posted != never ? 1 : 0;
      settled += r.outcome == "settled" ? 1 : 0;
    }
    out["roots"] = {{"proposed", roots_.size()},  {"posted", posted},   {"invalid", invalid},
                    {"challenged", challenged_}, {"defeated", defeated_}, {"settled_valid", settled},
                    {"settled_invalid", invalid_settled_}};
    // A wrong root's fate is decided when it settles or when its first move lands in time (the game
    // then runs under honest challengers until the root is defeated).
    size_t decided = invalid_settled_ + challenged_;
    out["roots"]["invalid_settled_share"] =
        decided > 0 ? nlohmann::json(static_cast<double>(invalid_settled_) / static_cast<double>(decided)) : nlohmann::json();
    out["disputes"] = {{"moves_included", moves_included_}, {"duration", game_duration_.to_json()}};
    Samples seen;
    for (uint32_t n : unsafe_seen_)
      seen.add(n);
    out["challengers_unsafe_head"] = seen.to_json();  // unsafe blocks each challenger received by gossip
  }

private:
  struct Root {
    uint32_t block = 0;  // covers blocks [0, block)
    bool invalid   = false;
    double posted   = never;
    double deadline = never;
    std::vector<char> available;  // per challenger, drawn when the root is posted
    int moves       = 0;          // moves included so far (the one-step proof is move depth + 1)
    double turn_start = never;
    double clock_used[2] = {0, 0};  // challenger, defender
    bool first_move_sent = false, late = false;
    std::string outcome;  // "", settled, settled_invalid, defeated
  };
  enum Side { challenger = 0, defender = 1 };

  Side side_of(int move) const { return move > params_.dispute.depth || move % 2 == 1 ? challenger : defender; }

  void propose()
  {
    uint32_t up_to = final_head();
    if (up_to <= last_proposed_)
      return;
    last_proposed_ = up_to;
    size_t index   = roots_.size();
    Root root;
    root.block   = up_to;
    root.invalid = adversary_active<InvalidRoot>(operator_node().time());
    roots_.push_back(std::move(root));
    ParentTransaction tx{name(), "output_root", params_.root_bytes.count};
    tx.included = [this, index](long long height, double time) { root_posted(index, height, time); };
    operator_node().post(std::move(tx));
  }

  void root_posted(size_t index, long long height, double time)
  {
    Root& r    = roots_[index];
    r.posted   = time;
    r.deadline = time + params_.challenge_window.seconds;
    for (int c = 0; c < params_.challengers.count; ++c)
      r.available.push_back(availability_.bernoulli(params_.challengers.availability.value) ? 1 : 0);
    mark_posted(r.block, time);
    simulation_.recorder().event(time, name(), first_node_, "root_posted", static_cast<long long>(index), -1,
                                 {r.block, height, !r.invalid});
    simulation_.events().call_at(r.deadline, [this, index]() { window_closed(index); });
    for (int c = 0; c < params_.challengers.count; ++c)
      consider(c, index);
  }

  /// Challenger `c` looks at root `index` and, if it is wrong and its turn, moves after reacting.
  void consider(int c, size_t index)
  {
    const Root& r = roots_[index];
    if (!r.invalid || r.posted == never || !r.outcome.empty() || !r.available[c] || !challengers_[c]->online())
      return;
    if (side_of(r.moves + 1) != challenger)
      return;
    double now   = challengers_[c]->time();
    double delay = params_.challengers.reaction.seconds;
    for (const ChallengersLate* a : adversaries<ChallengersLate>())
      if (a->active(now))
        delay += a->delay.seconds;
    challengers_[c]->after(delay, react_timer, static_cast<long long>(index), r.moves);
  }

  void challenger_move(int c, size_t index)
  {
    Root& r    = roots_[index];
    double now = challengers_[c]->time();
    if (!r.outcome.empty() || side_of(r.moves + 1) != challenger)
      return;
    if (r.moves == 0 && now >= r.deadline) {
      r.late = true;
      return;
    }
    r.first_move_sent = true;
    post_move(*challengers_[c], index, r.moves + 1);
  }

  void defend(size_t index)
  {
    const Root& r = roots_[index];
    if (r.outcome.empty() && r.moves > 0 && side_of(r.moves + 1) == defender)
      post_move(operator_node(), index, r.moves + 1);
  }

  void post_move(Agent& agent, size_t index, int move)
  {
    bool step = move > params_.dispute.depth;
    ParentTransaction tx{name(), step ? "step_proof" : side_of(move) == challenger ? "challenge" : "defense",
                         step ? params_.dispute.step_bytes.count : params_.dispute.move_bytes.count};
    tx.included = [this, index, move](long long, double time) { move_included(index, move, time); };
    agent.post(std::move(tx));
  }

  void move_included(size_t index, int move, double time)
  {
    Root& r = roots_[index];
    if (!r.outcome.empty() || move != r.moves + 1 || (move == 1 && time > r.deadline))
      return;  // a duplicate, or too late: the contract refuses it
    ++moves_included_;
    if (move == 1)
      ++challenged_;
    else
      r.clock_used[side_of(move)] += time - r.turn_start;
    r.moves      = move;
    r.turn_start = time;
    simulation_.recorder().event(time, name(), -1, "dispute_move", static_cast<long long>(index), move,
                                 {side_of(move) == challenger ? "challenger" : "defender"});
    if (move == params_.dispute.depth + 1) {
      resolve(index, challenger, time, "one-step proof");
      return;
    }
    Side next = side_of(move + 1);
    double expiry = time + params_.dispute.clock.seconds - r.clock_used[next];
    simulation_.events().call_at(expiry, [this, index, move, next]() {
      Root& root = roots_[index];
      if (root.outcome.empty() && root.moves == move)
        resolve(index, next == challenger ? defender : challenger, simulation_.now(),
                next == challenger ? "the challengers' clock ran out (their moves were censored or late)"
                                   : "the defender's clock ran out");
    });
    if (next == defender)
      operator_node().after(params_.challengers.reaction.seconds, defend_timer, static_cast<long long>(index));
    else
      for (int c = 0; c < params_.challengers.count; ++c)
        consider(c, index);
  }

  void window_closed(size_t index)
  {
    Root& r = roots_[index];
    if (!r.outcome.empty() || r.moves > 0)
      return;
    double now = simulation_.now();
    if (!r.invalid) {
      r.outcome = "settled";
      mark_settled(r.block, now);
      simulation_.recorder().event(now, name(), -1, "root_settled", static_cast<long long>(index));
      return;
    }
    bool anyone = false;
    for (int c = 0; c < params_.challengers.count; ++c)
      anyone = anyone || r.available[c];
    std::string reason = r.first_move_sent ? "a challenge was posted but not included before the window closed "
                                             "(parent censorship)"
                         : r.late          ? "the challengers reacted after the window closed"
                         : params_.challengers.count == 0 ? "no challenger watches the chain"
                         : anyone          ? "no challenger was online before the window closed"
                                           : "no challenger was available for this root";
    settle_invalid(index, now, reason);
  }

  void resolve(size_t index, Side winner, double time, const std::string& how)
  {
    Root& r = roots_[index];
    if (!simulation_.recorder().in_warmup(r.posted))
      game_duration_.add(time - r.posted);
    if (winner == challenger) {
      r.outcome = "defeated";
      ++defeated_;
      simulation_.recorder().event(time, name(), -1, "root_defeated", static_cast<long long>(index), r.moves, {how});
      return;
    }
    if (!r.invalid) {  // honest challengers never dispute a valid root; kept for completeness
      r.outcome = "settled";
      mark_settled(r.block, time);
      return;
    }
    settle_invalid(index, time, how);
  }

  void settle_invalid(size_t index, double time, const std::string& reason)
  {
    Root& r   = roots_[index];
    r.outcome = "settled_invalid";
    ++invalid_settled_;
    ++safety_violations_;
    for (const auto& listener : violation_listeners_)
      listener(time);
    safety_.push_back({{"root", index}, {"blocks", r.block}, {"posted", r.posted}, {"settled", time}, {"reason", reason}});
    simulation_.recorder().event(time, name(), -1, "safety_violation", static_cast<long long>(index), r.moves,
                                 {"invalid state root settled: " + reason});
  }

  OptimisticParams params_;
  RandomStream availability_;
  std::vector<Agent*> challengers_;
  std::vector<uint32_t> unsafe_seen_;  // per challenger, unsafe blocks received by gossip
  std::vector<Root> roots_;
  uint32_t last_proposed_ = 0;
  size_t challenged_ = 0, defeated_ = 0, invalid_settled_ = 0, moves_included_ = 0;
  Samples game_duration_;
};

class Factory : public RollupFactory<OptimisticParams, Optimistic> {
public:
  Factory()
      : RollupFactory("optimistic_rollup",
                      "optimistic rollup after the OP Stack specs: "
                      "sequencer, batcher, output roots, bisection dispute game",
                      "optimistic")
  {
  }
  std::vector<std::string> review(const Scenario&, const ChildParams& base) const override
  {
    const auto& p = params_of(base);
    std::vector<std::string> warnings;
    if (p.challengers.count == 0)
      warnings.push_back(fmt::format("{}: no challenger watches the chain: any invalid root settles", p.common.name));
    if (p.challenge_window.seconds < 2 * p.challengers.reaction.seconds)
      warnings.push_back(fmt::format("{}: the challenge window ({}) is shorter than two challenger reaction times",
                                     p.common.name, format_duration(p.challenge_window)));
    return warnings;
  }
};

}  // namespace

void register_optimistic(ProtocolRegistry& registry)
{
  registry.add_child(std::make_unique<Factory>());
  register_rollup_adversaries(registry);
  declare_rollup_events();
  declare_event({"root_posted", "the proposer posted an output root on the parent", "the root's index", "",
                 {{"blocks", FieldType::integer, "blocks", "child blocks the root covers"},
                  {"parent_height", FieldType::integer, "", "parent block that included it"},
                  {"valid", FieldType::flag, "", "whether the root is correct"}}});
  declare_event({"dispute_move", "a move of a dispute game was included on the parent", "the root's index",
                 "the move's number", {{"side", FieldType::text, "", "challenger or defender"}}});
  declare_event({"root_settled", "a root's challenge window closed without a successful challenge", "the root's index",
                 "", {}});
  declare_event({"root_defeated", "a dispute game removed a root", "the root's index", "the moves played",
                 {{"how", FieldType::text, "", "how the game ended"}}});
  declare_outage_events("challenger", "challenger");
  register_adversary<InvalidRoot>(registry, "the optimistic rollup's proposer posts wrong state roots");
  register_adversary<ChallengersOffline>(registry, "challengers of an optimistic rollup are offline");
  register_adversary<ChallengersLate>(registry, "challengers react to a posted root only after a delay");
  registry.add_parent_transaction_kinds({"batch", "output_root", "challenge", "defense", "step_proof",
                                         "forced_transaction"});
}

}  // namespace shsim::models::rollup
