// Nakamoto (proof-of-work, longest-chain) parent chain.
//
// Follows Bitcoin as described by Nakamoto (2008) and as SimBlock models it (dsg-titech/simblock):
//  - blocks are found as a Poisson process of rate 1 / block_interval, each by a miner chosen in
//    proportion to its hash power (parent.validators' stakes); an offline miner finds nothing;
//  - a miner mines on its tip, the highest block it has validated (first seen wins a tie);
//  - blocks travel hop by hop over the overlay (sim/relay.hpp: inv/getdata, compact blocks or
//    push), and a node relays a block only when it becomes its tip;
//  - the ledger (sim/ledger.hpp) sees a block included when it first extends the best published
//    chain and final once `confirmations` blocks stand on it (itself included). A later reorg of a
//    final block is reported by the safety detector.
// Adversaries, mining hooks plugged into ordinary miners (hooks.hpp, strategies.cpp):
//  - selfish_mining: Eyal and Sirer, "Majority is not enough", FC 2014, Algorithm 1, with their gamma
//    as the tie-breaking rule of honest nodes between the pool's and an honest block;
//  - double_spend: the attack of Nakamoto 2008 section 11 as Rosenfeld analyses it ("Analysis of
//    hashrate-based double spending", 2014): a private fork from the block before the payment,
//    published if it is longer than the honest chain once the merchant has waited z confirmations.
// Simplifications: no difficulty adjustment (the interval is the target); transactions are the
// parent pool's (sim/ledger.hpp), blocks are `block_bytes` on the wire whatever they carry.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "models/nakamoto/hooks.hpp"
#include "sim/ledger.hpp"
#include "sim/node.hpp"
#include "sim/protocol.hpp"
#include "sim/relay.hpp"
#include "sim/rng.hpp"
#include "sim/schema.hpp"

namespace shsim::models::nakamoto {

struct Params {
  Duration block_interval{600};
  Bytes block_bytes{535000};  // SimBlock's Bitcoin block
  int confirmations = 6;
  RelayParams relay;

  template <class V> void describe(V& v)
  {
    v.field("block_interval", block_interval, "mean time between blocks, whole network (Bitcoin 10min)",
            positive<Duration>());
    v.field("block_bytes", block_bytes, "size of a block on the wire (SimBlock 535KB); also the most a block "
                                        "takes from the parent's pool",
            positive<Bytes>());
    v.field("confirmations", confirmations, "blocks on the best chain, itself included, before the ledger calls a "
                                            "block final (Bitcoin's customary 6)",
            between<int>(1, 1000000));
    v.field("relay", relay, "how blocks travel over the overlay");
  }
};

using TypedParams = TypedParentParams<Params>;

/// `selfish_mining`: miners that pool their hash power and follow Eyal and Sirer's strategy.
struct SelfishMiningAdversary : Window {
  ValidatorSelection who;
  Fraction gamma{0};
  template <class V> void describe(V& o)
  {
    who.describe_fields(o);
    o.field("gamma", gamma,
            "share of honest nodes that, in a tie between the pool's block and an honest block, end on "
            "the pool's (Eyal and Sirer's gamma); replaces first-seen for those ties");
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.validators(who); }
};

/// `double_spend`: miners that mine a private fork against a merchant's payment.
struct DoubleSpendAdversary : Window {
  ValidatorSelection who;
  int confirmations = 6;
  template <class V> void describe(V& o)
  {
    who.describe_fields(o);
    o.field("confirmations", confirmations, "blocks the merchant waits for (the payment's block counts)",
            at_least<int>(1));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.validators(who); }
};

struct Block {
  long long parent = -1;
  long long height = 0;
  int miner        = -1;
  double mined     = 0;
  bool by_hook     = false;  // mined for a mining hook (the selfish pool, the double spender)
  BlockContent content;
};

/// Eyal and Sirer 2014: the selfish pool's expected share of the main chain's blocks.
double selfish_revenue(double alpha, double gamma);
/// Rosenfeld 2014: probability that a double spend by hash share q succeeds after z confirmations.
double double_spend_success(double q, int z);

class PowChain : public ParentRuntime {
public:
  PowChain(Simulation& simulation, const Params& params);
  void start();
  BlockRelay& relay() { return *relay_; }
  nlohmann::json summary() const override;
  void sample(SeriesSink& sink) const override;

  // ---- for mining hooks (hooks.hpp) ----
  /// A new block by `miner` on `parent` (not yet published), with transactions from the pool.
  long long new_block(long long parent, int miner, bool by_hook);
  /// Announces block `id` from node `origin` to the network.
  void publish(int origin, long long id);
  const Block& block(long long id) const { return blocks_[static_cast<size_t>(id)]; }
  long long best() const { return best_; }
  /// The share of the hash power that `members` hold.
  double hash_share(const std::set<int>& members) const;
  uint64_t seed() const { return seed_; }
  Simulation& simulation() const { return simulation_; }

private:
  void schedule_mining();
  void mine();
  void validated(int node, long long id);
  bool adopt(int node, long long id) const;
  void best_changed(long long id);
  bool known(int node, long long id) const { return id == 0 || relay_->has(node, static_cast<uint64_t>(id)); }
  MiningHook* hook_of(int miner, double now) const;

  Simulation& simulation_;
  Params params_;
  ParentLedger& ledger_;
  std::unique_ptr<BlockRelay> relay_;
  std::vector<Block> blocks_;
  std::vector<long long> tip_;  // per node
  std::vector<double> cumulative_power_;
  RandomStream mining_stream_;
  std::map<long long, std::vector<std::pair<int, long long>>> orphans_;  // missing parent -> (node, block)
  long long best_ = 0;                  // best published block
  std::vector<long long> final_at_;     // block reported final at each height (index height)
  uint64_t published_ = 0;
  uint64_t seed_;
  std::vector<std::unique_ptr<MiningHook>> hooks_;  // selfish pools first, then double spenders
};

}  // namespace shsim::models::nakamoto
