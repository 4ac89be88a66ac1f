// The adversaries of rollups, each with its parameters and checks; the rollup models read their
// chain's entries when they build (Rollup::adversaries<P>()).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "sim/adversary.hpp"
#include "sim/protocol.hpp"

namespace shsim::models::rollup {

/// An adversary aimed at one child chain, named by `chain`; kinds with no other field describe
/// themselves with describe().
struct ChildAdversary : Window {
  std::string chain;
  template <class V> void describe_chain(V& o) { o.field("chain", chain, "the child chain"); }
  template <class V> void describe(V& o)
  {
    describe_chain(o);
    describe_window(o);
  }
};

/// The sequencer is offline.
struct SequencerDown : ChildAdversary {
  static constexpr const char* kind = "sequencer_down";
  void check(const AdversaryCheck& check) const { check.child(chain); }
};

/// The sequencer leaves out a share of the users' transactions.
struct SequencerCensor : ChildAdversary {
  static constexpr const char* kind = "sequencer_censor";
  Fraction share{1};
  template <class V> void describe(V& o)
  {
    describe_chain(o);
    o.field("share", share, "share of transactions censored (chosen per transaction)");
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.child(chain); }
};

/// Applications' transaction kinds an entry names (empty: `all`), checked against the registry.
void check_app_kinds(const AdversaryCheck& check, const std::vector<std::string>& kinds, bool revertible_only);

/// The sequencer equivocates (OP Stack: unsafe blocks are gossiped before any batch holds them, and
/// nothing binds the sequencer to them): the batch it posts leaves out some applications'
/// transactions that its gossiped block held. Whoever acted on that block (soft) acted on a block
/// that did not happen; they learn it when the batch lands (safe).
struct UnsafeReorg : ChildAdversary {
  static constexpr const char* kind = "unsafe_reorg";
  Fraction share{1};
  std::vector<std::string> kinds;
  template <class V> void describe(V& o)
  {
    describe_chain(o);
    o.field("share", share, "share of the named transactions left out of the posted batch (drawn per transaction)");
    o.field("kinds", kinds,
            "applications' transaction kinds it drops (empty: every kind whose application copes with a revert)");
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const
  {
    check.child(chain);
    check_app_kinds(check, kinds, true);
  }
};

/// The sequencer holds chosen kinds of applications' transactions back before they enter its
/// mempool (delayed liquidations, censored oracle reports).
struct SequencerDelay : ChildAdversary {
  static constexpr const char* kind = "sequencer_delay";
  std::vector<std::string> kinds;
  Duration delay{60};
  template <class V> void describe(V& o)
  {
    describe_chain(o);
    o.field("kinds", kinds, "applications' transaction kinds held back (empty: every kind)");
    o.field("delay", delay, "how long each is held back", positive<Duration>());
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const
  {
    check.child(chain);
    check_app_kinds(check, kinds, false);
  }
  bool applies_to(const std::string& tx_kind) const
  {
    return kinds.empty() || std::find(kinds.begin(), kinds.end(), tx_kind) != kinds.end();
  }
};

/// The optimistic rollup's proposer posts wrong state roots.
struct InvalidRoot : ChildAdversary {
  static constexpr const char* kind = "invalid_root";
  void check(const AdversaryCheck& check) const { check.child(chain, {"optimistic_rollup"}); }
};

/// Challengers of an optimistic rollup are offline.
struct ChallengersOffline : ChildAdversary {
  static constexpr const char* kind = "challengers_offline";
  int count = 0;
  template <class V> void describe(V& o)
  {
    describe_chain(o);
    o.field("count", count, "how many (0: all)", at_least<int>(0));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.child(chain, {"optimistic_rollup"}); }
};

/// Challengers react to a posted root only after a delay.
struct ChallengersLate : ChildAdversary {
  static constexpr const char* kind = "challengers_late";
  Duration delay{0};
  template <class V> void describe(V& o)
  {
    describe_chain(o);
    o.field("delay", delay, "extra reaction time", positive<Duration>());
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.child(chain, {"optimistic_rollup"}); }
};

/// A ZK rollup's provers stop proving.
struct ProverOutage : ChildAdversary {
  static constexpr const char* kind = "prover_outage";
  void check(const AdversaryCheck& check) const { check.child(chain, {"zk_rollup"}); }
};

/// Registers one kind (its name is P::kind); registering twice keeps one.
template <class P> void register_adversary(ProtocolRegistry& registry, const char* description)
{
  registry.add_adversary(std::make_unique<AdversaryKind<P>>(P::kind, description, false));
}

/// The kinds every rollup understands.
inline void register_rollup_adversaries(ProtocolRegistry& registry)
{
  register_adversary<SequencerDown>(registry, "a child chain's sequencer is offline (no blocks, batches or roots)");
  register_adversary<SequencerCensor>(registry, "the sequencer leaves out a share of the users' transactions; "
                                                "victims force them in through the parent");
  register_adversary<UnsafeReorg>(registry, "the sequencer posts batches without some applications' transactions "
                                            "its gossiped (soft) blocks held: they revert when the batch lands");
  register_adversary<SequencerDelay>(registry, "the sequencer holds chosen kinds of applications' transactions back "
                                               "(delayed liquidations, censored oracle reports)");
}

}  // namespace shsim::models::rollup
