// Tendermint told in sentences (`shsim run --explain`): each height's rounds, who proposed, how much
// of the power prevoted and precommitted (when output.messages recorded the votes), why a round
// failed (which timeout fired, and whether the proposer was down), and when the height committed.
// Routine heights after the first few are summed up in one line.
#include "models/tendermint/narrate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace shsim::models::tendermint {

namespace {

struct Votes {
  std::map<std::string, std::vector<std::pair<double, int>>> by_block;  // block -> (sent, validator), first vote each
  std::set<int> voted;
  void add(const std::string& block, double time, int validator)
  {
    if (voted.insert(validator).second)
      by_block[block].emplace_back(time, validator);
  }
};

struct RoundFacts {
  const EventRecord* propose = nullptr;
  int proposer               = -1;
  double first_timeout_propose = -1, first_timeout_prevote = -1, first_timeout_precommit = -1;
  std::set<int> timed_out_prevote, timed_out_precommit;  // validators whose timeout fired
  Votes prevotes, precommits;
  std::map<int, std::set<std::string>> equivocators;  // validator -> messages it equivocated
  std::string equivocated_first, equivocated_second;   // the first pair of blocks sent
};

struct HeightFacts {
  std::map<int, RoundFacts> rounds;
  double first_commit = -1, last_commit = -1;
  int commit_round    = -1;
  std::string block;
  std::set<int> committers;
};

const std::string nil_block(16, '0');  // the nil block id as the event log writes it (hex)
constexpr int detailed_heights = 5;   // the first heights are told in full
constexpr int most_told        = 60;  // heights told in full at most (the rest are summed up)

std::string percent(double share) { return fmt::format("{:.0f} %", 100 * share); }

/// "all 9 validators see", "3 of the 9 validators see", "1 validator sees".
std::string validators_text(size_t count, size_t of, const char* plural_verb, const char* singular_verb)
{
  if (count == 1)
    return fmt::format("1 validator {}", singular_verb);
  if (count == of)
    return fmt::format("all {} validators {}", count, plural_verb);
  return fmt::format("{} of the {} validators {}", count, of, plural_verb);
}

/// "by 14.630 s validators holding 71 % of the power prevoted it": when the votes for `block` first
/// passed two thirds (by the time each left its sender), and the share that voted for it in all.
std::string tally(const NarrationInput& in, const Votes& votes, const std::string& block, const char* verb,
                  bool* passed = nullptr)
{
  if (passed != nullptr)
    *passed = false;
  auto it = votes.by_block.find(block);
  if (it == votes.by_block.end())
    return fmt::format("no validator {} it", verb);
  auto list = it->second;
  std::sort(list.begin(), list.end());
  std::vector<int> so_far;
  double crossed = -1;
  for (const auto& [time, validator] : list) {
    so_far.push_back(validator);
    if (crossed < 0 && in.stake_share(so_far) > 2.0 / 3)
      crossed = time;
  }
  double share = in.stake_share(so_far);
  if (crossed < 0)
    return fmt::format("validators holding only {} of the power {} it (more than 2/3 needed)", percent(share), verb);
  if (passed != nullptr)
    *passed = true;
  return fmt::format("by {} validators holding {} of the power {} it", narrate_time(crossed), percent(share), verb);
}

double nil_share(const NarrationInput& in, const Votes& votes)
{
  auto it = votes.by_block.find(nil_block);
  if (it == votes.by_block.end())
    return 0;
  std::vector<int> who;
  for (const auto& vote : it->second)
    who.push_back(vote.second);
  return in.stake_share(who);
}

void tell_height(const NarrationInput& in, const Params& p, long long height, const HeightFacts& h, Narration& out)
{
  for (const auto& [round, r] : h.rounds) {
    if (r.propose != nullptr) {
      auto f            = in.fields(*r.propose);
      std::string block = f["block"].get<std::string>();
      std::string text  = fmt::format("height {}, round {}: validator {} proposes block {} ({} transactions)", height, round,
                                      r.propose->node, short_block(block), f["txs"].get<long long>());
      out.say(r.propose->time, text);
      if (in.messages) {
        bool locked         = false;
        std::string prevoted = tally(in, r.prevotes, block, "prevoted", &locked);
        out.say(r.propose->time,
                fmt::format("  {}; {}: {}", prevoted,
                            nil_share(in, r.prevotes) > 0 ? fmt::format("{} prevoted nil", percent(nil_share(in, r.prevotes)))
                                                          : "no one prevoted nil",
                            locked ? fmt::format("each validator that saw those prevotes locked on {} and precommitted it",
                                                 short_block(block))
                                   : "not enough for anyone to lock on it"));
        out.say(r.propose->time, fmt::format("  {}", tally(in, r.precommits, block, "precommitted")));
      }
    } else if (r.first_timeout_propose >= 0) {
      std::string why = r.proposer >= 0 && in.offline(r.proposer, r.first_timeout_propose)
                            ? fmt::format("the proposer, validator {}, is down", r.proposer)
                        : r.proposer >= 0 ? fmt::format("no proposal from validator {} arrives in time", r.proposer)
                                          : "no proposal arrives in time";
      out.say(r.first_timeout_propose,
              fmt::format("height {}, round {} fails to start: {}, so every validator waits timeout_propose ({:g} s) "
                          "and prevotes nil",
                          height, round, why, p.propose_timeout(round)));
      if (in.messages) {
        out.say(r.first_timeout_propose, fmt::format("  {}; {}", tally(in, r.prevotes, nil_block, "prevoted nil"),
                                                     tally(in, r.precommits, nil_block, "precommitted nil")));
      }
    }
    if (!r.equivocators.empty()) {
      std::vector<std::string> who, what;
      std::vector<int> ids;
      std::set<std::string> messages;
      for (const auto& [validator, kinds] : r.equivocators) {
        who.push_back(std::to_string(validator));
        ids.push_back(validator);
        messages.insert(kinds.begin(), kinds.end());
      }
      for (const auto& m : messages)
        what.push_back(m + "s");
      out.say(r.propose ? r.propose->time : r.first_timeout_propose,
              fmt::format("  validator{} {} ({} of the power) equivocate{}: conflicting {} ({} to one half of the network, "
                          "{} to the other)",
                          who.size() > 1 ? "s" : "", fmt::join(who, ", "), percent(in.stake_share(ids)),
                          who.size() > 1 ? "" : "s", fmt::join(what, ", "), short_block(r.equivocated_first),
                          short_block(r.equivocated_second)));
    }
    if (r.first_timeout_prevote >= 0)
      out.say(r.first_timeout_prevote,
              fmt::format("height {}, round {}: {} prevotes for no single block reach 2/3 within timeout_prevote "
                          "({:g} s), so {} nil",
                          height, round, validators_text(r.timed_out_prevote.size(), in.stakes.size(), "see", "sees"),
                          p.prevote_timeout(round), r.timed_out_prevote.size() == 1 ? "it precommits" : "they precommit"));
    if (r.first_timeout_precommit >= 0 && round != h.commit_round)
      out.say(r.first_timeout_precommit,
              fmt::format("height {}, round {} ends without a decision: {} timeout_precommit ({:g} s) and go{} to "
                          "round {}, whose timeouts are longer by their deltas",
                          height, round, validators_text(r.timed_out_precommit.size(), in.stakes.size(), "reach", "reaches"),
                          p.precommit_timeout(round), r.timed_out_precommit.size() == 1 ? "es" : "", round + 1));
  }
  if (h.first_commit >= 0)
    out.say(h.first_commit, fmt::format("height {} commits block {} in round {}: the first validator decides at {}, {} "
                                        "validators by {}",
                                        height, short_block(h.block), h.commit_round, narrate_time(h.first_commit),
                                        h.committers.size(), narrate_time(h.last_commit)));
}

}  // namespace

void narrate(const NarrationInput& in, const Params& p, Narration& out)
{
  std::map<long long, HeightFacts> heights;
  for (const EventRecord* e : in.events) {
    if (e->height < 0)
      continue;
    if (e->event == "propose") {
      auto& r    = heights[e->height].rounds[e->round];
      r.propose  = r.propose ? r.propose : e;
      r.proposer = e->node;
    } else if (e->event == "round" || e->event == "timeout_propose") {
      auto& r    = heights[e->height].rounds[e->round];
      r.proposer = static_cast<int>(in.fields(*e)["proposer"].get<long long>());
      if (e->event == "timeout_propose" && r.first_timeout_propose < 0)
        r.first_timeout_propose = e->time;
    } else if (e->event == "timeout_prevote") {
      auto& r = heights[e->height].rounds[e->round];
      if (r.first_timeout_prevote < 0)
        r.first_timeout_prevote = e->time;
      r.timed_out_prevote.insert(e->node);
    } else if (e->event == "timeout_precommit") {
      auto& r = heights[e->height].rounds[e->round];
      if (r.first_timeout_precommit < 0)
        r.first_timeout_precommit = e->time;
      r.timed_out_precommit.insert(e->node);
    } else if (e->event == "commit" || e->event == "commit_catchup") {
      auto& h = heights[e->height];
      if (h.first_commit < 0) {
        h.first_commit = e->time;
        h.commit_round = e->round;
        h.block        = in.fields(*e).value("block", std::string());
      }
      h.last_commit = e->time;
      h.committers.insert(e->node);
    } else if (e->event == "equivocate") {
      auto f  = in.fields(*e);
      auto& r = heights[e->height].rounds[e->round];
      r.equivocators[e->node].insert(f["message"].get<std::string>());
      if (r.equivocated_first.empty()) {
        r.equivocated_first  = f["first"].get<std::string>();
        r.equivocated_second = f["second"].get<std::string>();
      }
    } else if (e->event == "message" && e->round >= 0 && e->node < static_cast<int>(in.stakes.size())) {
      auto f           = in.fields(*e);
      std::string kind = f["kind"].get<std::string>();
      if (kind == "prevote")
        heights[e->height].rounds[e->round].prevotes.add(f["block"].get<std::string>(), e->time, e->node);
      else if (kind == "precommit")
        heights[e->height].rounds[e->round].precommits.add(f["block"].get<std::string>(), e->time, e->node);
    }
  }
  // Routine heights (one round, no timeout) after the first few are summed up between the others.
  int told = 0;
  long long run_first = -1, run_last = -1, run_eventful = 0;
  double run_start = 0, run_end = 0;
  auto close_run = [&] {
    if (run_first < 0)
      return;
    long long count   = run_last - run_first + 1;
    std::string rounds = run_eventful == 0 ? "in round 0" : fmt::format("({} of them after a failed round or a timeout)", run_eventful);
    out.say(run_end, count == 1 ? fmt::format("height {} commits {}", run_first, rounds)
                                : fmt::format("heights {} to {} commit {}, one every {:.2f} s", run_first, run_last, rounds,
                                              (run_end - run_start) / static_cast<double>(count)));
    run_first    = -1;
    run_eventful = 0;
  };
  double previous_commit = 0;
  for (const auto& [height, h] : heights) {
    bool routine = h.rounds.size() <= 1 && h.commit_round == 0 &&
                   std::all_of(h.rounds.begin(), h.rounds.end(), [](const auto& r) {
                     return r.second.first_timeout_propose < 0 && r.second.first_timeout_prevote < 0 &&
                            r.second.equivocators.empty();
                   });
    if ((routine && told >= detailed_heights) || told >= most_told) {
      if (run_first < 0) {
        run_first = height;
        run_start = previous_commit;
      }
      run_last = height;
      run_end  = h.first_commit >= 0 ? h.first_commit : run_end;
      run_eventful += routine ? 0 : 1;
    } else {
      close_run();
      tell_height(in, p, height, h, out);
      ++told;
    }
    if (h.first_commit >= 0)
      previous_commit = h.first_commit;
  }
  close_run();
  if (told >= most_told)
    out.say(previous_commit, fmt::format("(only the first {} eventful heights are told in full)", most_told));
}

}  // namespace shsim::models::tendermint
