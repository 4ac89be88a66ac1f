#include "sim/ledger.hpp"

#include <fmt/format.h>

namespace shsim {

ParentLedger::ParentLedger(Recorder& recorder, std::string chain, ParentFees fees)
    : recorder_(recorder), chain_(std::move(chain)), fees_(fees)
{
}

void ParentLedger::submit(double time, uint64_t bytes)
{
  pool_.push_back({time, bytes});
  ++pending_;
}

uint64_t ParentLedger::submit(double time, ParentTransaction tx)
{
  uint64_t bytes = tx.bytes;
  tagged_.push_back({std::move(tx)});
  pool_.push_back({time, bytes, static_cast<int64_t>(tagged_.size() - 1)});
  ++pending_;
  return base_ + pool_.size() - 1;
}

bool ParentLedger::accept(uint64_t ticket, double time, ParentTransaction tx)
{
  if (!accepted_tickets_.insert(ticket).second)
    return false;
  submit(time, std::move(tx));
  return true;
}

BlockContent ParentLedger::select(uint64_t max_bytes, const CensorRule* censor) const
{
  BlockContent content;
  for (size_t i = 0; i < pool_.size(); ++i) {
    const Entry& entry = pool_[i];
    if (entry.included)
      continue;
    if (censor != nullptr && entry.tagged >= 0 && censor->censors(tagged_[entry.tagged].tx))
      continue;
    if (content.bytes + entry.bytes > max_bytes)
      break;
    content.bytes += entry.bytes;
    content.entries.push_back(base_ + i);
  }
  return content;
}

double ParentLedger::included_at(long long height) const
{
  return height >= 1 && height <= included_height_ ? included_at_[height - 1] : -1;
}

void ParentLedger::include(long long height, const BlockContent& content, double time)
{
  if (height <= included_height_)
    return;
  included_height_ = height;
  included_at_.resize(height, time);
  BlockLoad load;
  for (uint64_t index : content.entries) {
    if (index < base_)
      continue;  // included by an earlier block
    Entry& entry = pool_[index - base_];
    if (entry.included)
      continue;
    entry.included = true;
    --pending_;
    if (entry.tagged < 0) {
      recorder_.transaction_committed(chain_, entry.submitted, time);
      continue;
    }
    Tagged& tagged = tagged_[entry.tagged];
    tagged.height  = height;
    double fee     = fees_.per_transaction + fees_.per_byte * static_cast<double>(entry.bytes);
    load.bytes += entry.bytes;
    load.fees += fee;
    auto& by_kind = load_by_kind_[tagged.tx.owner + "/" + tagged.tx.kind];
    by_kind.first += entry.bytes;
    by_kind.second += fee;
    ++count_by_kind_[tagged.tx.owner + "/" + tagged.tx.kind];
    awaiting_finality_[height].push_back(static_cast<size_t>(entry.tagged));
    if (tagged.tx.included)
      tagged.tx.included(height, time);
  }
  child_bytes_per_block_.add(static_cast<double>(load.bytes));
  while (!pool_.empty() && pool_.front().included) {
    pool_.pop_front();
    ++base_;
  }
  recorder_.transaction_pending(chain_, pending_);
  for (auto& subscriber : included_subscribers_)
    subscriber(height, time);
}

void ParentLedger::finalize(long long height, double time)
{
  height = std::min(height, included_height_);
  while (final_height_ < height) {
    ++final_height_;
    auto found = awaiting_finality_.find(final_height_);
    if (found != awaiting_finality_.end()) {
      for (size_t index : found->second) {
        if (tagged_[index].tx.finalized)
          tagged_[index].tx.finalized(final_height_, time);
        tagged_[index].tx = ParentTransaction{};  // final: its callbacks and names are no longer needed
      }
      awaiting_finality_.erase(found);
    }
    for (auto& subscriber : final_subscribers_)
      subscriber(final_height_, time);
  }
}

nlohmann::json ParentLedger::load_summary() const
{
  nlohmann::json by_kind = nlohmann::json::object();
  uint64_t total_bytes   = 0;
  double total_fees      = 0;
  for (const auto& [key, load] : load_by_kind_) {
    by_kind[key] = {{"transactions", count_by_kind_.at(key)}, {"bytes", load.first}, {"fees", load.second}};
    total_bytes += load.first;
    total_fees += load.second;
  }
  return {{"bytes", total_bytes},
          {"fees", total_fees},
          {"bytes_per_block", child_bytes_per_block_.to_json()},
          {"by_owner_and_kind", by_kind}};
}

}  // namespace shsim
