// The recorder: models emit events here; it keeps the event log, feeds the detectors and builds
// the per-chain metrics of summary.json. Models never write files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/event_log.hpp"
#include "sim/metric.hpp"
#include "sim/stats.hpp"

namespace shsim {


/// One transaction's way through its chain's stages: a row of timelines.csv.
struct TimelineRow {
  std::string chain;
  std::string kind;  // what it is ("transaction", "withdrawal")
  uint64_t index = 0;  // per chain, in submission order
  double submitted = 0;
  std::vector<std::optional<double>> stages;  // time each declared stage was reached, in declaration order
  std::string note;  // anything else worth a column ("censored, forced in")
};

/// A block decided by one node, with the commit certificate that justified it.
struct CommitRecord {
  std::string chain;
  int node;
  long long height;
  int round;
  uint64_t block_id;
  int proposer;
  double proposal_time;  // when the proposer sent the proposal of the deciding round
  size_t transactions;
  uint64_t bytes;
  std::vector<int> signers;  // validators whose precommits formed the certificate
  bool via_catchup = false;  // learnt from a peer's certificate rather than by voting
};

/// Per-chain facts the detectors need.
struct ChainInfo {
  std::string name;
  std::string protocol;
  std::vector<double> stake;  // per validator
};

/// Declares the engine's own event kinds (commits, detectors, crashes, partitions, block relay).
void declare_engine_events();

class Recorder {
public:
  Recorder(double stall_threshold, double end_time, double warmup = 0)
      : stall_threshold_(stall_threshold), end_time_(end_time), warmup_(warmup)
  {
  }
  /// detectors.warmup: distributions leave out what began before it (a block proposed, a
  /// transaction submitted, an epoch started), and the liveness detector starts watching at it.
  double warmup() const { return warmup_; }
  /// Whether something that began at `start` belongs to the warm-up (left out of distributions).
  bool in_warmup(double start) const { return start < warmup_; }

  void add_chain(ChainInfo info);
  /// Whether the event log is kept (false when the scenario writes none: memory for long runs).
  void keep_events(bool keep) { keep_events_ = keep; }
  /// Records only these kinds (empty: every kind).
  void only_events(const std::vector<std::string>& kinds) { only_events_ = std::set<std::string>(kinds.begin(), kinds.end()); }
  /// Writes events to `log` as they come instead of keeping them (`shsim run`).
  void stream_events(std::unique_ptr<EventLog> log) { log_ = std::move(log); }
  /// Closes the streamed log (flushed and synced); throws InputError on a write error.
  void close_event_log()
  {
    if (log_)
      log_->close();
  }
  /// Records an event of a declared kind (sim/event_log.hpp) with its fields' values, in order.
  void event(double time, const std::string& chain, int node, const std::string& event, long long height = -1,
             int round = -1, const std::vector<FieldValue>& values = {});
  /// A node decided a block. Feeds the safety and liveness detectors.
  void commit(double time, const CommitRecord& record);
  /// A transaction submitted at `submitted` was first committed at `time`.
  void transaction_committed(const std::string& chain, double submitted, double time);
  void transaction_pending(const std::string& chain, size_t pending) { chains_[chain].pending_transactions = pending; }

  const std::vector<EventRecord>& events() const { return events_; }
  /// Whether timelines are kept (false when the scenario writes none).
  void keep_timelines(bool keep) { keep_timelines_ = keep; }
  /// A chain's timeline stages (column names of timelines.csv, seconds since submission).
  void declare_timeline(const std::string& chain, std::vector<std::string> stages);
  /// Records one row; its stages follow the chain's declaration.
  void timeline(TimelineRow row);
  const std::vector<TimelineRow>& timelines() const { return timelines_; }
  /// Every declared stage, in order of first declaration (the table's columns).
  std::vector<std::string> timeline_columns() const;
  /// The declared stages of `chain`.
  const std::vector<std::string>& timeline_stages(const std::string& chain) const { return timeline_stages_.at(chain); }
  /// Accountable stake share of each safety violation of `chain` so far.
  std::vector<double> violations_of(const std::string& chain) const;
  /// The "chains" object of summary.json. `per_node_messages`/`bytes` come from the transport.
  /// Declared by parent_engine_metrics() (and child_engine_metrics() for the traffic of children).
  nlohmann::json chains_summary(const std::map<std::string, std::pair<Samples, Samples>>& traffic) const;

private:
  struct Decision {
    uint64_t block_id;
    double first_time;
    int round;
    std::vector<int> signers;
  };
  struct Violation {
    long long height;
    double time;
    std::vector<uint64_t> blocks;
    std::set<int> accountable;  // validators that signed both certificates
  };
  struct ChainState {
    ChainInfo info;
    std::map<long long, std::vector<Decision>> decisions;  // distinct blocks decided per height
    std::map<long long, double> first_commit;              // first commit time per height
    std::map<long long, int> decided_round;
    Samples commit_latency;       // proposal -> commit, per (node, block), consensus commits only
    size_t catchup_commits = 0;
    Samples transaction_latency;  // submission -> first commit
    size_t pending_transactions = 0;
    std::map<long long, std::pair<size_t, uint64_t>> block_content;  // height -> (txs, bytes)
    std::vector<Violation> violations;
  };

  double stall_threshold_;
  double end_time_;
  double warmup_;
  std::map<std::string, ChainState> chains_;
  std::vector<EventRecord> events_;
  bool keep_events_ = true;
  std::set<std::string> only_events_;
  std::unique_ptr<EventLog> log_;
  std::vector<TimelineRow> timelines_;
  bool keep_timelines_ = true;
  std::vector<std::string> timeline_order_;  // chains in declaration order
  std::map<std::string, std::vector<std::string>> timeline_stages_;
};

/// The figures chains_summary() gives every parent chain, whatever its protocol; with children or
/// bridges the parent also reports child_load (declared here too).
Metrics parent_engine_metrics();
/// The parent's child_load figures (present when the scenario has children or bridges).
Metrics child_load_metrics();

}  // namespace shsim
