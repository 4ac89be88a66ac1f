// Mining hooks: miners that do not follow the honest rule (publish every block at once, mine on the
// longest chain, first seen wins a tie), attached from outside the honest code. When a hook's member
// finds a block inside the hook's window the chain hands it the block to build and publish as it
// likes (on_mined); the hook hears of honest blocks its members validate (on_seen) and may settle
// ties between its blocks and honest ones for other nodes (on_tie). Selfish mining and double
// spending are such hooks (strategies.cpp).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace shsim::models::nakamoto {

class PowChain;
struct Block;

class MiningHook {
public:
  virtual ~MiningHook() = default;
  /// Whether `node` mines and watches for it (whatever the time).
  virtual bool member(int node) const = 0;
  /// Whether its members mine for it at `now`.
  virtual bool active(double now) const = 0;
  /// Its member `miner` found a block while it is active: it builds it (PowChain::new_block with
  /// by_hook = true) and publishes it when it chooses (PowChain::publish).
  virtual void on_mined(PowChain& chain, int miner) = 0;
  /// One of its members validated `id`, a block mined honestly.
  virtual void on_seen(PowChain& /*chain*/, long long /*id*/) {}
  /// Node `node` holds `tip` and validated `block` of the same height, one of them a hook's: whether
  /// it switches to `block` (no opinion: the next hook, then first seen wins).
  virtual std::optional<bool> on_tie(const PowChain& /*chain*/, int /*node*/, const Block& /*block*/,
                                     const Block& /*tip*/) const
  {
    return std::nullopt;
  }
  /// Adds its figures to the chain's summary entry.
  virtual void summarize(const PowChain& /*chain*/, nlohmann::json& /*out*/) const {}
};

}  // namespace shsim::models::nakamoto
