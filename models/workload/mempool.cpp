#include "models/workload/mempool.hpp"

namespace shsim::models {

TransactionRange Mempool::select(uint64_t max_bytes) const
{
  TransactionRange range{base_, 0, 0};
  for (const auto& tx : pending_) {
    if (range.bytes + tx.bytes > max_bytes)
      break;
    range.bytes += tx.bytes;
    ++range.count;
  }
  return range;
}

void Mempool::commit(const TransactionRange& range, double time)
{
  // Blocks take prefixes, so a committed range starts at the front unless it was committed already.
  if (range.first != base_)
    return;
  for (size_t i = 0; i < range.count && !pending_.empty(); ++i) {
    recorder_.transaction_committed(chain_, pending_.front().submitted, time);
    pending_.pop_front();
    ++base_;
  }
  recorder_.transaction_pending(chain_, pending_.size());
}

}  // namespace shsim::models
