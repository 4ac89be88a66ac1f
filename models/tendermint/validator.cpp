#include "models/tendermint/validator.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/log.hpp"
#include "sim/simulation.hpp"

namespace shsim::models::tendermint {

// ---- shared chain state ----------------------------------------------------------------------------

ProposerSchedule::ProposerSchedule(std::vector<long long> power) : power_(std::move(power)), priority_(power_.size(), 0)
{
  for (long long p : power_)
    total_ += p;
}

int ProposerSchedule::proposer(long long height, int round)
{
  size_t index = static_cast<size_t>(height - 1 + round);
  while (sequence_.size() <= index) {
    // CometBFT IncrementProposerPriority: everyone gains its power, the highest (lowest index on
    // ties) proposes and pays the total back.
    size_t best = 0;
    for (size_t v = 0; v < power_.size(); ++v) {
      priority_[v] += power_[v];
      if (priority_[v] > priority_[best])
        best = v;
    }
    priority_[best] -= total_;
    sequence_.push_back(static_cast<int>(best));
  }
  return sequence_[index];
}

ChainState::ChainState(std::string chain_name, Params p, std::vector<long long> voting_power, ParentLedger& parent_ledger)
    : name(std::move(chain_name))
    , params(p)
    , power(voting_power)
    , schedule(voting_power)
    , ledger(parent_ledger)
{
  for (long long v : power)
    total_power += v;
}

SigningHook* ChainState::hook_of(int validator, double now) const
{
  for (const auto& hook : hooks)
    if (hook->acts_on(validator, now))
      return hook.get();
  return nullptr;
}

uint64_t block_id(long long height, int round, int proposer, int variant)
{
  uint64_t x = mix64(static_cast<uint64_t>(height) * golden_gamma ^ static_cast<uint64_t>(round) << 32 ^
                     static_cast<uint64_t>(proposer) << 8 ^ static_cast<uint64_t>(variant));
  return x == nil ? 1 : x;
}

// ---- vote sets -------------------------------------------------------------------------------------------

bool Validator::VoteSet::add(int validator, uint64_t block, long long power, size_t validators)
{
  if (voted_.empty()) {
    voted_.assign(validators, 0);
    first_.assign(validators, nil);
  }
  if (voted_[validator]) {
    if (first_[validator] == block)
      return false;
    for (const auto& [v, b] : conflicting_)
      if (v == validator && b == block)
        return false;
    conflicting_.push_back({validator, block});  // equivocation: counts for its own value only
  } else {
    voted_[validator] = 1;
    first_[validator] = block;
    any_power_ += power;
  }
  for (auto& [b, p] : power_)
    if (b == block) {
      p += power;
      return true;
    }
  power_.push_back({block, power});
  return true;
}

long long Validator::VoteSet::power_for(uint64_t block) const
{
  for (const auto& [b, p] : power_)
    if (b == block)
      return p;
  return 0;
}

// ---- lifecycle -----------------------------------------------------------------------------------------

Validator::Validator(Simulation& simulation, int index, ChainState& chain)
    : Node(simulation, chain.node_of(index)), chain_(chain), index_(index)
{
}

void add_validators(Simulation& simulation, ChainState& chain)
{
  for (int v = 0; v < chain.members(); ++v)
    simulation.add_node(std::make_unique<Validator>(simulation, v, chain));
}

const CensorRule* ChainState::censor(int proposer, long long height, double time) const
{
  return parent_of != nullptr ? parent_of->censorship(proposer, height, time) : nullptr;
}

void Validator::on_start()
{
  start_round(0);
  set_timer(chain_.params.gossip_retry.seconds, {gossip_retry, 0, 0});
}

void Validator::on_crash() { log_at(spdlog::level::info, now(), id(), "crashes at height {} round {}", height_, round_); }

void Validator::on_recover()
{
  // Consensus state survives the restart (CometBFT keeps a write-ahead log); timers do not. Ask the
  // peers what was decided meanwhile and, failing news, move on to the next round.
  log_at(spdlog::level::info, now(), id(), "recovers at height {} round {}", height_, round_);
  for (int peer = 0; peer < chain_.members(); ++peer)
    if (peer != index_)
      ask_to_catch_up(chain_.node_of(peer));
  if (step_ == Step::new_height)
    set_timer(chain_.params.timeout_commit.seconds, {timeout_commit, height_, 0});
  else
    set_timer(chain_.params.precommit_timeout(round_), {timeout_precommit, height_, round_});
  set_timer(chain_.params.gossip_retry.seconds, {gossip_retry, 0, 0});
}

// ---- Algorithm 1 ---------------------------------------------------------------------------------------

void Validator::start_round(int round)
{
  // StartRound(round), lines 11-21.
  round_ = round;
  step_  = Step::propose;
  if (round > 0) {
    world().recorder().event(now(), chain_.name, id(), "round", height_, round, {chain_.schedule.proposer(height_, round)});
    log_at(spdlog::level::info, now(), id(), "height {} enters round {}", height_, round);
  }
  if (chain_.schedule.proposer(height_, round) == index_) {
    BlockPtr block = valid_value_;
    if (!block) {
      auto fresh = std::make_shared<Block>(Block{block_id(height_, round, index_, 0), height_, round, index_, now(),
                                                 chain_.ledger.select(chain_.params.max_block_bytes.count -
                                                                          chain_.params.block_header_bytes.count,
                                                                      chain_.censor(index_, height_, now()))});
      block      = fresh;
    }
    broadcast_proposal(round, block, valid_round_);
  } else {
    set_timer(chain_.params.propose_timeout(round), {timeout_propose, height_, round});
  }
  evaluate_rules(round);
}

void Validator::on_message(int from, const Message& message)
{
  long long height = 0;
  if (const auto* p = as_proposal(message))
    height = p->height;
  else if (const auto* v = as_vote(message))
    height = v->height;
  else if (const auto* request = dynamic_cast<const CatchUpRequest*>(&message))
    return handle_catchup_request(from, *request);
  else if (const auto* decision = dynamic_cast<const Decision*>(&message)) {
    if (decision->block->height > height_) {
      future_[decision->block->height].push_back({from, MessagePtr(decision)});
      return;
    }
    return handle_decision(from, *decision);
  }

  if (height < height_) {
    // Late precommits of the round we decided in are normal. A message of an older height, or of a
    // later round than the decision, means the sender missed the decision: send it (CometBFT's
    // catch-up commit).
    int round = 0;
    if (const auto* p = as_proposal(message))
      round = p->round;
    else
      round = static_cast<const Vote&>(message).round;
    if (height < height_ - 1 || round > decided_[height - 1].round) {
      CatchUpRequest request;
      request.height = height;
      handle_catchup_request(from, request);
    }
    return;
  }
  if (height > height_) {
    // Keep it for later; when more than 1/3 of the power is ahead of us, we missed a decision.
    const auto* p = as_proposal(message);
    int sender    = p ? p->proposer : static_cast<const Vote&>(message).validator;
    int round     = p ? p->round : static_cast<const Vote&>(message).round;
    int type      = p ? -1 : static_cast<int>(static_cast<const Vote&>(message).type);
    if (!seen_future_.insert({height, round, type, sender}).second)
      return;  // a copy relayed by another neighbour
    future_[height].push_back({from, MessagePtr(&message)});
    forward(from, message);
    if (ahead_senders_.insert(sender).second)
      ahead_power_ += chain_.power[sender];
    if (chain_.is_one_third(ahead_power_))
      ask_to_catch_up(from);
    return;
  }
  bool fresh = false;
  if (const auto* p = as_proposal(message))
    fresh = handle_proposal(*p);
  else
    fresh = handle_vote(static_cast<const Vote&>(message));
  if (fresh && chain_.gossip) {
    relayed_this_height_.push_back({MessagePtr(&message), static_cast<int>(round_of(message))});
    if (!replaying_)
      forward(from, message);
  }
}

int Validator::round_of(const Message& message)
{
  if (const auto* p = as_proposal(message))
    return p->round;
  return static_cast<const Vote&>(message).round;
}

void Validator::forward(int from, const Message& message)
{
  // Gossip: pass on what we heard first to the neighbours that did not send it to us.
  if (!chain_.gossip)
    return;
  MessagePtr shared(&message);
  for (int peer : chain_.neighbours[index_])
    if (chain_.node_of(peer) != from)
      send(chain_.node_of(peer), shared);
}

bool Validator::handle_proposal(const Proposal& proposal)
{
  if (proposal.proposer != chain_.schedule.proposer(proposal.height, proposal.round))
    return false;  // only the round's proposer may propose
  if (proposal.round > round_ + max_round_lead)
    return false;
  RoundState& state = round_state(proposal.round);
  if (state.proposal)
    return false;  // the first proposal counts; an equivocating proposer's second one is ignored
  state.proposal             = proposal.block;
  state.proposal_valid_round = proposal.valid_round;
  proposal_sent_at_[proposal.round] = proposal.sent_at;
  if (step_ != Step::new_height)
    evaluate_rules(proposal.round);
  return true;
}

bool Validator::handle_vote(const Vote& vote)
{
  if (vote.round > round_ + max_round_lead)
    return false;  // no honest validator is that far ahead: do not allocate for it
  RoundState& state = round_state(vote.round);
  VoteSet& set      = vote.type == VoteType::prevote ? state.prevotes : state.precommits;
  if (!set.add(vote.validator, vote.block_id, chain_.power[vote.validator], chain_.power.size()))
    return false;  // a copy of a vote we have
  if (step_ != Step::new_height)
    evaluate_rules(vote.round);
  return true;
}

void Validator::evaluate_rules(int round)
{
  if (step_ == Step::new_height)
    return;
  // Line 55: f + 1 messages (proposal or votes) of a higher round -> skip to it.
  if (round > round_) {
    const RoundState& state = round_state(round);
    long long power         = 0;
    int proposer            = state.proposal ? chain_.schedule.proposer(height_, round) : -1;
    for (size_t v = 0; v < chain_.power.size(); ++v)
      if (state.prevotes.has_voted(static_cast<int>(v)) || state.precommits.has_voted(static_cast<int>(v)) ||
          static_cast<int>(v) == proposer)
        power += chain_.power[v];
    if (chain_.is_one_third(power)) {
      start_round(round);
      return;
    }
  }
  // Line 49: a proposal plus 2f + 1 precommits for it, in any round -> decide.
  try_decide(round);
  if (step_ == Step::new_height)
    return;

  bool changed = true;
  while (changed) {
    changed           = false;
    RoundState& state = round_state(round_);
    const BlockPtr& v = state.proposal;
    if (step_ == Step::propose && v) {
      int vr = state.proposal_valid_round;
      if (vr == -1) {
        // Line 22: prevote v if unlocked or locked on v.
        bool accept = locked_round_ == -1 || (locked_value_ && locked_value_->id == v->id);
        broadcast_vote(VoteType::prevote, round_, accept ? v->id : nil);
        step_   = Step::prevote;
        changed = true;
      } else if (vr >= 0 && vr < round_) {
        if (chain_.is_quorum(round_state(vr).prevotes.power_for(v->id))) {
          // Line 28: a re-proposal backed by 2f + 1 prevotes at vr unlocks.
          bool accept = locked_round_ <= vr || (locked_value_ && locked_value_->id == v->id);
          broadcast_vote(VoteType::prevote, round_, accept ? v->id : nil);
          step_   = Step::prevote;
          changed = true;
        }
      }
    }
    if (step_ == Step::prevote && chain_.is_quorum(state.prevotes.any_power()) && !state.prevote_timeout_scheduled) {
      // Line 34: 2f + 1 prevotes of any kind start timeoutPrevote.
      state.prevote_timeout_scheduled = true;
      set_timer(chain_.params.prevote_timeout(round_), {timeout_prevote, height_, round_});
    }
    if (step_ != Step::propose && v && !state.locked_on_quorum && chain_.is_quorum(state.prevotes.power_for(v->id))) {
      // Line 36: 2f + 1 prevotes for v: lock and precommit (if still prevoting), remember v as valid.
      state.locked_on_quorum = true;
      if (step_ == Step::prevote) {
        locked_value_ = v;
        locked_round_ = round_;
        broadcast_vote(VoteType::precommit, round_, v->id);
        step_ = Step::precommit;
      }
      valid_value_ = v;
      valid_round_ = round_;
      changed      = true;
    }
    if (step_ == Step::prevote && chain_.is_quorum(state.prevotes.power_for(nil))) {
      // Line 44: 2f + 1 prevotes for nil -> precommit nil.
      broadcast_vote(VoteType::precommit, round_, nil);
      step_   = Step::precommit;
      changed = true;
    }
    if (chain_.is_quorum(state.precommits.any_power()) && !state.precommit_timeout_scheduled) {
      // Line 47: 2f + 1 precommits of any kind start timeoutPrecommit.
      state.precommit_timeout_scheduled = true;
      set_timer(chain_.params.precommit_timeout(round_), {timeout_precommit, height_, round_});
    }
  }
  if (round != round_)
    try_decide(round_);
}

void Validator::try_decide(int round)
{
  if (static_cast<size_t>(round) >= rounds_.size())
    return;
  RoundState& state = rounds_[round];
  for (const auto& [block, power] : state.precommits.power_by_block()) {
    if (block == nil || !chain_.is_quorum(power))
      continue;
    if (state.proposal && state.proposal->id == block) {
      decide(state.proposal, round, signers_for(state.precommits, block));
      return;
    }
    // 2f + 1 precommits for a block we never received: fetch it from a peer that signed it.
    int signer           = -1;
    const uint64_t wanted = block;  // a structured binding cannot be captured in C++20
    state.precommits.for_each([&](int validator, uint64_t id_voted) {
      if (id_voted == wanted && validator != index_ && signer < 0)
        signer = validator;
    });
    if (signer >= 0)
      ask_to_catch_up(chain_.node_of(signer));
  }
}

std::vector<int> Validator::signers_for(const VoteSet& set, uint64_t block) const
{
  std::vector<int> signers;
  set.for_each([&](int validator, uint64_t id_voted) {
    if (id_voted == block)
      signers.push_back(validator);
  });
  std::sort(signers.begin(), signers.end());
  return signers;
}

void Validator::decide(BlockPtr block, int round, const std::vector<int>& signers)
{
  bool via_catchup = false;
  double proposal_time = block->proposed_at;
  auto sent = proposal_sent_at_.find(round);
  if (sent != proposal_sent_at_.end())
    proposal_time = sent->second;
  else
    via_catchup = true;
  decided_.push_back({block, round, signers});
  log_at(spdlog::level::debug, now(), id(), "commits height {} round {} block {:016x} ({} signers)", height_, round, block->id,
         signers.size());
  world().recorder().commit(now(), CommitRecord{chain_.name, id(), height_, round, block->id, block->proposer,
                                                     proposal_time, block->transactions.size(),
                                                     block->transactions.bytes, signers, via_catchup});
  chain_.ledger.include(height_, block->transactions, now());
  chain_.ledger.finalize(height_, now());  // Tendermint: a committed block is final
  enter_height(height_ + 1);
}

void Validator::enter_height(long long height)
{
  height_       = height;
  round_        = 0;
  step_         = Step::new_height;
  locked_value_ = nullptr;
  locked_round_ = -1;
  valid_value_  = nullptr;
  valid_round_  = -1;
  rounds_.clear();
  proposal_sent_at_.clear();
  sent_this_height_.clear();
  relayed_this_height_.clear();
  seen_future_.erase(seen_future_.begin(), seen_future_.lower_bound({height + 1, INT32_MIN, INT32_MIN, INT32_MIN}));
  // CometBFT waits timeout_commit to gather late precommits before the next height.
  set_timer(chain_.params.timeout_commit.seconds, {timeout_commit, height_, 0});
  // Replay what arrived early for this height; drop what is now in the past.
  auto buffered = std::move(future_[height]);
  future_.erase(future_.begin(), future_.upper_bound(height));
  ahead_senders_.clear();
  ahead_power_ = 0;
  for (const auto& [h, messages] : future_)
    for (const auto& entry : messages)
      if (ahead_senders_.insert(entry.first).second)
        ahead_power_ += chain_.power[entry.first];
  replaying_ = true;  // already forwarded when they arrived
  for (const auto& [from, message] : buffered)
    on_message(from, *message);
  replaying_ = false;
}

void Validator::on_timer(const TimerEvent& timer)
{
  if (timer.kind == gossip_retry) {
    // Stuck at the same height, round and step since the last tick: peers may have lost our
    // messages (crash, partition), so send them again; receivers count each vote once.
    auto progress = std::make_tuple(height_, round_, static_cast<int>(step_));
    if (progress == last_progress_ && step_ != Step::new_height)
      resend_current_round();
    last_progress_ = progress;
    set_timer(chain_.params.gossip_retry.seconds, {gossip_retry, 0, 0});
    return;
  }
  long long height = timer.first;
  int round        = static_cast<int>(timer.second);
  if (height != height_)
    return;
  switch (timer.kind) {
    case timeout_commit:
      if (step_ == Step::new_height)
        start_round(0);
      break;
    case timeout_propose:  // line 57
      if (round == round_ && step_ == Step::propose) {
        world().recorder().event(now(), chain_.name, id(), "timeout_propose", height_, round_,
                                 {chain_.schedule.proposer(height_, round_)});
        broadcast_vote(VoteType::prevote, round_, nil);
        step_ = Step::prevote;
        evaluate_rules(round_);
      }
      break;
    case timeout_prevote:  // line 61
      if (round == round_ && step_ == Step::prevote) {
        world().recorder().event(now(), chain_.name, id(), "timeout_prevote", height_, round_);
        broadcast_vote(VoteType::precommit, round_, nil);
        step_ = Step::precommit;
        evaluate_rules(round_);
      }
      break;
    case timeout_precommit:  // line 65
      if (round == round_ && step_ != Step::new_height) {
        world().recorder().event(now(), chain_.name, id(), "timeout_precommit", height_, round_);
        start_round(round_ + 1);
      }
      break;
    default:
      break;
  }
}

// ---- sending: honest, unless a signing hook acts ----------------------------------------------------

void Validator::broadcast(const MessagePtr& message)
{
  send(id(), message);  // its own vote counts like anyone's
  if (chain_.gossip) {
    for (int peer : chain_.neighbours[index_])
      send(chain_.node_of(peer), message);
    return;
  }
  for (int peer = 0; peer < chain_.members(); ++peer)
    if (peer != index_)
      send(chain_.node_of(peer), message);
}

void Validator::send_to_group(const MessagePtr& message, int group, int round)
{
  sent_this_height_.push_back({message, group, round});
  if (group < 0) {
    broadcast(message);
    return;
  }
  for (int peer : chain_.hook_of(index_, now())->group(group))
    send(chain_.node_of(peer), message);
}

void Validator::resend_current_round(int only_to)
{
  if (chain_.gossip && only_to < 0) {
    // Gossip: give the neighbours every message of the round we hold; they forward what is new.
    for (int peer : chain_.neighbours[index_]) {
      for (const auto& sent : sent_this_height_)
        if (sent.round == round_)
          send(chain_.node_of(peer), sent.message);
      for (const auto& [message, round] : relayed_this_height_)
        if (round == round_)
          send(chain_.node_of(peer), message);
    }
    return;
  }
  // A message sent to a hook's group goes to that group again while the hook acts, to everyone after.
  const SigningHook* hook = chain_.hook_of(index_, now());
  std::map<int, std::vector<char>> in_group;  // group -> member flags
  for (const auto& sent : sent_this_height_) {
    if (sent.round != round_)
      continue;
    const std::vector<char>* members = nullptr;
    if (sent.group >= 0 && hook != nullptr) {
      auto [found, added] = in_group.try_emplace(sent.group);
      if (added) {
        found->second.assign(static_cast<size_t>(chain_.members()), 0);
        for (int peer : hook->group(sent.group))
          found->second[static_cast<size_t>(peer)] = 1;
      }
      members = &found->second;
    }
    for (int peer = 0; peer < chain_.members(); ++peer) {
      if (peer == index_ || (only_to >= 0 && chain_.node_of(peer) != only_to))
        continue;
      if (members == nullptr || (*members)[static_cast<size_t>(peer)])
        send(chain_.node_of(peer), sent.message);
    }
  }
}

MessagePtr Validator::make_proposal(int round, BlockPtr block, int valid_round) const
{
  auto p         = make_message<Proposal>();
  p->height      = height_;
  p->round       = round;
  p->valid_round = valid_round;
  p->proposer    = index_;
  p->sent_at     = now();
  p->bytes       = chain_.params.block_header_bytes.count + block->transactions.bytes;
  p->block       = std::move(block);
  return p;
}

MessagePtr Validator::make_vote(VoteType type, int round, uint64_t block) const
{
  auto v       = make_message<Vote>();
  v->type      = type;
  v->height    = height_;
  v->round     = round;
  v->block_id  = block;
  v->validator = index_;
  v->bytes     = chain_.params.vote_bytes.count;
  return v;
}

void Validator::broadcast_proposal(int round, BlockPtr block, int valid_round)
{
  world().recorder().event(now(), chain_.name, id(), "propose", height_, round,
                           {block->id, block->transactions.size()});
  SigningHook* hook = chain_.hook_of(index_, now());
  if (hook == nullptr || !hook->on_propose(*this, round, block, valid_round))
    send_to_group(make_proposal(round, std::move(block), valid_round), -1, round);
}

void Validator::broadcast_vote(VoteType type, int round, uint64_t block)
{
  SigningHook* hook = chain_.hook_of(index_, now());
  if (hook == nullptr || !hook->on_vote(*this, type, round, block))
    send_to_group(make_vote(type, round, block), -1, round);
}

// ---- catch-up ------------------------------------------------------------------------------------------

void Validator::ask_to_catch_up(int peer)
{
  // At most one request per peer per second.
  auto last = last_catchup_request_.find(peer);
  if (last != last_catchup_request_.end() && now() - last->second < 1.0)
    return;
  last_catchup_request_[peer] = now();
  auto request                = make_message<CatchUpRequest>();
  request->height             = height_;
  request->bytes              = 64;
  send(peer, request);
}

void Validator::handle_catchup_request(int from, const CatchUpRequest& request)
{
  // A peer at our height (back from a crash): give it our messages of the current round.
  if (request.height == height_)
    resend_current_round(from);
  // Send up to 100 decided blocks from the requested height on, each at most once per second.
  long long last = std::min<long long>(static_cast<long long>(decided_.size()), request.height + 99);
  for (long long h = std::max(1LL, request.height); h <= last; ++h) {
    auto key  = std::make_pair(from, h);
    auto sent = last_decision_sent_.find(key);
    if (sent != last_decision_sent_.end() && now() - sent->second < 1.0)
      continue;
    last_decision_sent_[key] = now();
    const Decided& d         = decided_[h - 1];
    auto decision            = make_message<Decision>();
    decision->block          = d.block;
    decision->round          = d.round;
    decision->signers        = d.signers;
    decision->sender_height  = height_;
    decision->bytes = chain_.params.block_header_bytes.count + d.block->transactions.bytes +
                      d.signers.size() * chain_.params.vote_bytes.count;
    send(from, decision);
  }
}

void Validator::handle_decision(int from, const Decision& decision)
{
  if (decision.block->height != height_)
    return;
  // Check the certificate: distinct signers holding more than 2/3 of the power.
  std::set<int> distinct(decision.signers.begin(), decision.signers.end());
  long long power = 0;
  for (int signer : distinct)
    power += chain_.power[signer];
  if (!chain_.is_quorum(power))
    return;
  proposal_sent_at_.clear();  // a decision learnt from a peer is not a consensus commit of ours
  decided_.push_back({decision.block, decision.round, decision.signers});
  world().recorder().commit(now(), CommitRecord{chain_.name, id(), height_, decision.round, decision.block->id,
                                                     decision.block->proposer, decision.block->proposed_at,
                                                     decision.block->transactions.size(),
                                                     decision.block->transactions.bytes, decision.signers, true});
  chain_.ledger.include(height_, decision.block->transactions, now());
  chain_.ledger.finalize(height_, now());
  enter_height(height_ + 1);
  if (decision.sender_height > height_)
    ask_to_catch_up(from);
}

}  // namespace shsim::models::tendermint
