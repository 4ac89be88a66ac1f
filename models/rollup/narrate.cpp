// A rollup told in sentences (`shsim run --explain`): blocks and batches (the first few, then how
// many), every state root that matters (the first few, and every wrong one) with each move of its
// dispute game and how it ended, forced inclusion, derivation, proofs and the outages of its roles.
#include <map>

#include <fmt/format.h>

#include "models/rollup/rollup.hpp"

namespace shsim::models::rollup {

void narrate_rollup(const NarrationInput& in, Narration& out)
{
  constexpr int first_few = 3;
  std::map<std::string, int> told;  // per event kind, routine ones told so far
  auto first = [&](const std::string& kind) { return told[kind]++ < first_few; };
  std::map<long long, bool> valid;  // root -> whether it is correct
  std::map<long long, double> proving_since;
  size_t blocks = 0, batches = 0, settled = 0;
  double first_block = -1, last_time = 0;
  const std::string& c = in.chain;
  for (const EventRecord* e : in.events) {
    last_time = e->time;
    const std::string& kind = e->event;
    if (kind == "block") {
      if (++blocks == 1)
        first_block = e->time;
      if (blocks == 2)
        out.say(e->time, fmt::format("{}: the sequencer makes soft-confirmed blocks, one every {:.2f} s (users see them "
                                     "at once; nothing on the parent backs them yet)",
                                     c, e->time - first_block));
    } else if (kind == "batch_included") {
      ++batches;
      if (first(kind)) {
        auto f = in.fields(*e);
        out.say(e->time, fmt::format("{}: batch {} (blocks {} to {}) is included in parent block {}: those blocks are "
                                     "now safe; they are final when that parent block is",
                                     c, e->height, f["first"].get<long long>(), f["last"].get<long long>(),
                                     f["parent_height"].get<long long>()));
      }
    } else if (kind == "root_posted") {
      auto f          = in.fields(*e);
      valid[e->height] = f["valid"].get<bool>();
      if (!valid[e->height])
        out.say(e->time, fmt::format("{}: the proposer posts state root {} (covering {} blocks) in parent block {}: it is "
                                     "WRONG; only a challenge within the window can stop it",
                                     c, e->height, f["blocks"].get<long long>(), f["parent_height"].get<long long>()));
      else if (first(kind))
        out.say(e->time, fmt::format("{}: the proposer posts state root {} (covering {} blocks) in parent block {}; its "
                                     "challenge window opens",
                                     c, e->height, f["blocks"].get<long long>(), f["parent_height"].get<long long>()));
    } else if (kind == "dispute_move") {
      std::string side = in.fields(*e)["side"].get<std::string>();
      out.say(e->time, e->round == 1 ? fmt::format("{}: a challenger disputes root {} (move 1 of its dispute game)", c, e->height)
                                     : fmt::format("{}: root {}, move {} by the {}: the game bisects the disputed steps", c,
                                                   e->height, e->round, side));
    } else if (kind == "root_defeated") {
      out.say(e->time, fmt::format("{}: root {} is removed after {} moves ({}){}", c, e->height, e->round,
                                   in.fields(*e)["how"].get<std::string>(),
                                   valid.count(e->height) && !valid[e->height] ? ": the wrong state never settles" : ""));
    } else if (kind == "root_settled") {
      ++settled;
      bool wrong = valid.count(e->height) && !valid[e->height];
      if (wrong)
        out.say(e->time, fmt::format("{}: root {}, a WRONG one, settles: no challenge landed within the window, so "
                                     "withdrawals against that state can now be claimed",
                                     c, e->height));
      else if (first(kind))
        out.say(e->time, fmt::format("{}: root {} settles: its challenge window closed without a successful challenge; "
                                     "withdrawals up to it can be claimed",
                                     c, e->height));
    } else if (kind == "forced_in_parent") {
      if (first(kind))
        out.say(e->time, fmt::format("{}: a user forces censored transaction {} in through the parent (parent block {})",
                                     c, e->height, in.fields(*e)["parent_height"].get<long long>()));
    } else if (kind == "derived_block") {
      if (first(kind))
        out.say(e->time, fmt::format("{}: block {} is derived from the parent's forced transactions: the sequencer let the "
                                     "sequencing window pass",
                                     c, e->height));
    } else if (kind == "proving_started") {
      proving_since[e->height] = e->time;
      if (first(kind))
        out.say(e->time, fmt::format("{}: a prover (node {}) starts proving batch {}", c, e->node, e->height));
    } else if (kind == "proving_done") {
      if (first(kind))
        out.say(e->time, fmt::format("{}: batch {}'s proof is done after {:.1f} s", c, e->height,
                                     e->time - proving_since[e->height]));
    } else if (kind.size() > 5 && kind.substr(kind.size() - 5) == "_down") {
      out.say(e->time, fmt::format("{}: the {} (node {}) goes down", c, kind.substr(0, kind.size() - 5), e->node));
    } else if (kind.size() > 3 && kind.substr(kind.size() - 3) == "_up") {
      out.say(e->time, fmt::format("{}: the {} (node {}) is back", c, kind.substr(0, kind.size() - 3), e->node));
    }
  }
  if (blocks + batches + settled > 0)
    out.say(last_time, fmt::format("{}: {} blocks made, {} batches on the parent, {} state roots settled by the end", c,
                                   blocks, batches, settled));
}

}  // namespace shsim::models::rollup
