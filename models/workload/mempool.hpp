// A chain's pending transactions, in arrival order. Simplification: transaction gossip is taken as
// instantaneous, so one chain-wide mempool stands for every validator's; a block is a prefix of it.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "sim/recorder.hpp"

namespace shsim::models {

struct TransactionRange {
  uint64_t first = 0;  // index of the first transaction
  size_t count   = 0;
  uint64_t bytes = 0;
};

class Mempool {
public:
  Mempool(Recorder& recorder, std::string chain) : recorder_(recorder), chain_(std::move(chain)) {}

  void submit(double time, uint64_t bytes) { pending_.push_back({time, bytes}); }
  /// The longest prefix of uncommitted transactions that fits in `max_bytes`.
  TransactionRange select(uint64_t max_bytes) const;
  /// The block holding `range` was committed at `time`: its transactions leave the pool.
  void commit(const TransactionRange& range, double time);

private:
  struct Pending {
    double submitted;
    uint64_t bytes;
  };
  Recorder& recorder_;
  std::string chain_;
  std::deque<Pending> pending_;
  uint64_t base_ = 0;  // index of pending_.front()
};

}  // namespace shsim::models
