// Mining strategies attached as hooks (hooks.hpp): the selfish pool of Eyal and Sirer ("Majority is
// not enough", FC 2014, Algorithm 1, with their gamma) and the double spender of Nakamoto 2008
// section 11 as Rosenfeld analyses it ("Analysis of hashrate-based double spending", 2014).
#include "models/nakamoto/strategies.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <utility>
#include <vector>

#include "models/nakamoto/nakamoto.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace shsim::models::nakamoto {

namespace {

/// Eyal and Sirer's selfish pool: its members act as one miner with a private branch.
class SelfishPool final : public MiningHook {
public:
  SelfishPool(std::set<int> members, double gamma, Window window)
      : members_(std::move(members)), gamma_(gamma), window_(std::move(window))
  {
  }
  bool member(int node) const override { return members_.count(node) > 0; }
  bool active(double now) const override { return window_.active(now); }

  void on_mined(PowChain& chain, int miner) override
  {
    // "on my pool found a block": extend the private chain; publish it all if that wins a tie.
    long long delta_prev = chain.block(private_tip_).height - chain.block(public_tip_).height;
    long long b          = chain.new_block(private_tip_, miner, true);
    private_tip_         = b;
    ++private_branch_;
    unpublished_.push_back(b);
    if (delta_prev == 0 && private_branch_ == 2) {
      publish(chain, unpublished_.size());
      private_branch_ = 0;
    }
  }

  void on_seen(PowChain& chain, long long id) override
  {
    // "on others found a block": the pool learns of it when the first of its members validates it.
    if (chain.block(id).height <= chain.block(public_tip_).height)
      return;
    long long delta_prev = chain.block(private_tip_).height - chain.block(public_tip_).height;
    public_tip_          = id;
    if (delta_prev <= 0) {  // they win: adopt their chain
      private_tip_    = id;
      private_branch_ = 0;
      unpublished_.clear();
    } else if (delta_prev == 1) {  // now one against one: publish ours and race (gamma decides)
      publish(chain, unpublished_.size());
    } else if (delta_prev == 2) {  // we are one ahead of them: publish all and win
      publish(chain, unpublished_.size());
      private_branch_ = 0;
    } else {  // well ahead: publish the first unpublished block, stay ahead
      publish(chain, 1);
    }
  }

  std::optional<bool> on_tie(const PowChain& chain, int node, const Block& block, const Block& /*tip*/) const override
  {
    // A tie between the pool's block and an honest one: gamma decides for nodes outside the pool,
    // drawn once per node and height so that the order of arrival does not matter.
    if (members_.count(node))
      return std::nullopt;
    uint64_t x = mix64(chain.seed() ^ (static_cast<uint64_t>(node) << 32) ^
                       static_cast<uint64_t>(block.height) * golden_gamma);
    bool choose_pool = static_cast<double>(x >> 11) * 0x1.0p-53 < gamma_;
    return choose_pool == block.by_hook;
  }

  void summarize(const PowChain& chain, nlohmann::json& out) const override
  {
    long long main_blocks = chain.block(chain.best()).height, pool_blocks = 0;
    for (long long b = chain.best(); b != 0; b = chain.block(b).parent)
      pool_blocks += chain.block(b).by_hook ? 1 : 0;
    double alpha          = chain.hash_share(members_);
    out["selfish_mining"] = {
        {"hash_share", alpha},
        {"gamma", gamma_},
        {"pool_blocks_in_main_chain", pool_blocks},
        {"relative_revenue",
         main_blocks > 0 ? static_cast<double>(pool_blocks) / static_cast<double>(main_blocks) : 0},
        {"eyal_sirer_revenue", selfish_revenue(alpha, gamma_)}};
  }

private:
  void publish(PowChain& chain, size_t count)
  {
    for (size_t i = 0; i < count && !unpublished_.empty(); ++i) {
      long long b = unpublished_.front();
      unpublished_.pop_front();
      if (chain.block(b).height > chain.block(public_tip_).height)
        public_tip_ = b;
      chain.publish(chain.block(b).miner, b);
    }
  }

  std::set<int> members_;
  double gamma_;
  Window window_;
  long long private_tip_ = 0, public_tip_ = 0;
  int private_branch_ = 0;             // privateBranchLen
  std::deque<long long> unpublished_;  // private blocks not yet published, oldest first
};

/// The double spender of Nakamoto / Rosenfeld.
class DoubleSpender final : public MiningHook {
public:
  DoubleSpender(std::set<int> members, int confirmations, Window window, double hash_share)
      : members_(std::move(members)), confirmations_(confirmations), window_(std::move(window))
  {
    // The attacker knows its hash share q: it gives up once catching up from the deficit, (q/p)^(d+1)
    // (Nakamoto 2008, section 11), is below one in a million.
    double q         = hash_share;
    give_up_deficit_ = q < 0.5 ? std::max(1, static_cast<int>(std::ceil(std::log(1e-6) / std::log(q / (1 - q)))))
                               : 1 << 30;
  }
  bool member(int node) const override { return members_.count(node) > 0; }
  bool active(double now) const override { return window_.active(now); }

  void on_mined(PowChain& chain, int miner) override
  {
    if (!attacking_) {
      // The pre-mined block: the attack starts once the attacker holds one block on the public tip;
      // the merchant's payment goes into the next honest block on the same parent.
      base_        = public_tip_;
      private_tip_ = chain.new_block(base_, miner, true);
      attacking_   = true;
    } else {
      private_tip_ = chain.new_block(private_tip_, miner, true);
    }
    check(chain);
  }

  void on_seen(PowChain& chain, long long id) override
  {
    if (chain.block(id).height <= chain.block(public_tip_).height)
      return;
    public_tip_ = id;
    if (attacking_)
      check(chain);
  }

  void summarize(const PowChain& chain, nlohmann::json& out) const override
  {
    double q            = chain.hash_share(members_);
    long long attempts  = successes_ + failures_;
    out["double_spend"] = {
        {"hash_share", q},
        {"confirmations", confirmations_},
        {"attempts", attempts},
        {"successes", successes_},
        {"success_rate", attempts > 0 ? static_cast<double>(successes_) / static_cast<double>(attempts) : 0},
        {"rosenfeld_probability", double_spend_success(q, confirmations_)}};
  }

private:
  void check(PowChain& chain)
  {
    long long honest   = chain.block(public_tip_).height - chain.block(base_).height;
    long long attacker = chain.block(private_tip_).height - chain.block(base_).height;
    if (honest >= confirmations_ && attacker > honest) {
      // The merchant has shipped and the private fork is longer: publish it, oldest block first.
      std::vector<long long> fork;
      for (long long b = private_tip_; b != base_; b = chain.block(b).parent)
        fork.push_back(b);
      for (auto it = fork.rbegin(); it != fork.rend(); ++it)
        chain.publish(chain.block(*it).miner, *it);
      public_tip_ = private_tip_;
      attacking_  = false;
      ++successes_;
      Simulation& simulation = chain.simulation();
      simulation.recorder().event(simulation.now(), simulation.scenario().parent.name, -1, "double_spend_success",
                                  chain.block(private_tip_).height, -1, {attacker, honest});
    } else if (honest - attacker >= give_up_deficit_) {  // catching up is now below one in a million
      attacking_ = false;
      ++failures_;
    }
  }

  std::set<int> members_;
  int confirmations_;
  Window window_;
  int give_up_deficit_;  // honest blocks ahead at which the attacker gives up
  bool attacking_ = false;
  long long base_ = 0, private_tip_ = 0;  // the fork starts on `base_`
  long long public_tip_ = 0;
  long long successes_ = 0, failures_ = 0;
};

}  // namespace

std::unique_ptr<MiningHook> selfish_pool(std::set<int> members, double gamma, Window window)
{
  return std::make_unique<SelfishPool>(std::move(members), gamma, std::move(window));
}

std::unique_ptr<MiningHook> double_spender(std::set<int> members, int confirmations, Window window, double hash_share)
{
  return std::make_unique<DoubleSpender>(std::move(members), confirmations, std::move(window), hash_share);
}

}  // namespace shsim::models::nakamoto
