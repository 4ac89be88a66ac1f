#include "sim/recorder.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace shsim {

void Recorder::add_chain(ChainInfo info)
{
  std::string name   = info.name;
  chains_[name].info = std::move(info);
}

void declare_engine_events()
{
  declare_event({"message", "a message sent (output.messages: small runs only)", "what it is about (height, slot or "
                 "block number; -1: not said)", "its round (-1: not said)",
                 {{"to", FieldType::integer, "", "the receiving node"},
                  {"bytes", FieldType::integer, "bytes", "its size"},
                  {"arrives", FieldType::real, "s", "when it reaches the receiver (-1: dropped, or carried by the flow "
                                                    "transport: see message_arrived)"},
                  {"block", FieldType::hex, "", "the block it is about (0: none or nil)"},
                  {"dropped", FieldType::flag, "", "a partition or an adversary's hook stopped it"},
                  {"kind", FieldType::text, "", "its class (prevote, proposal, unsafe_block, ...)"}}});
  declare_event({"message_arrived", "a message carried by the flow transport reached its receiver (output.messages)",
                 "what it is about", "its round",
                 {{"from", FieldType::integer, "", "the sending node"}, {"kind", FieldType::text, "", "its class"}}});
  const std::vector<EventField> commit_fields{{"block", FieldType::hex, "", "the decided block's id"},
                                              {"proposer", FieldType::integer, "", "node that proposed it"},
                                              {"txs", FieldType::integer, "transactions", "transactions in it"},
                                              {"bytes", FieldType::integer, "bytes", "its size"}};
  declare_event({"commit", "a node decided a block", "the block's height", "the round it was decided in", commit_fields});
  declare_event({"commit_catchup", "a node that had fallen behind decided a block from a peer's certificate",
                 "the block's height", "the round it was decided in", commit_fields});
  declare_event({"safety_violation", "a safety detector fired: two blocks final at one height, or a wrong state "
                                     "accepted", "the height or the state root's index", "the round or the dispute's moves",
                 {{"what", FieldType::text, "", "what conflicted, and who is accountable"}}});
  declare_event({"crash", "a machine went down with every role on it (crash adversary)", "", "", {}});
  declare_event({"recover", "a crashed machine came back; its roles catch up", "", "", {}});
  const std::vector<EventField> groups{{"groups", FieldType::text, "", "the groups of regions cut from each other"}};
  declare_event({"partition_start", "messages between groups of regions start being dropped", "", "", groups});
  declare_event({"partition_end", "the partition heals", "", "", groups});
  declare_event({"block_propagated", "a relayed block reached every node", "the block's id", "",
                 {{"bytes", FieldType::integer, "bytes", "the block's size"},
                  {"to_50", FieldType::real, "s", "from its creation to half the nodes", 6},
                  {"to_90", FieldType::real, "s", "to 90% of the nodes", 6},
                  {"to_100", FieldType::real, "s", "to every node", 6}}});
}

void Recorder::event(double time, const std::string& chain, int node, const std::string& event, long long height,
                     int round, const std::vector<FieldValue>& values)
{
  if (!keep_events_ || (!only_events_.empty() && only_events_.count(event) == 0))
    return;
  const EventKindSpec* spec = find_event(event);
  if (spec == nullptr)
    throw std::logic_error("event kind '" + event + "' was never declared (declare_event)");
  std::string detail = format_detail(*spec, values);
  if (log_)
    log_->write({time, chain, node, event, height, round, std::move(detail)});
  else
    events_.push_back({time, chain, node, event, height, round, std::move(detail)});
}

void Recorder::commit(double time, const CommitRecord& record)
{
  ChainState& chain = chains_[record.chain];
  // Safety detector: two different blocks decided at one height, whoever decided them.
  auto& decided = chain.decisions[record.height];
  auto same     = std::find_if(decided.begin(), decided.end(),
                               [&](const Decision& d) { return d.block_id == record.block_id; });
  if (same == decided.end()) {
    decided.push_back({record.block_id, time, record.round, record.signers});
    if (decided.size() > 1) {
      // Accountability: any validator in both certificates signed two conflicting precommits.
      const auto& first = decided.front().signers;
      Violation violation{record.height, time, {decided.front().block_id, record.block_id}, {}};
      for (int signer : record.signers)
        if (std::find(first.begin(), first.end(), signer) != first.end())
          violation.accountable.insert(signer);
      chain.violations.push_back(violation);
      event(time, record.chain, record.node, "safety_violation", record.height, record.round,
            {fmt::format("conflicting blocks {:016x} and {:016x}; {} validators signed both", violation.blocks[0],
                         violation.blocks[1], violation.accountable.size())});
    }
  }
  // Liveness detector input: the first time any node decided this height.
  if (chain.first_commit.emplace(record.height, time).second) {
    chain.decided_round[record.height] = record.round;
    chain.block_content[record.height] = {record.transactions, record.bytes};
  }
  if (record.via_catchup)
    ++chain.catchup_commits;
  else if (!in_warmup(record.proposal_time))
    chain.commit_latency.add(time - record.proposal_time);
  if (keep_events_)  // one per node and height: build its values only when they are logged
    event(time, record.chain, record.node, record.via_catchup ? "commit_catchup" : "commit", record.height,
          record.round, {record.block_id, record.proposer, record.transactions, record.bytes});
}

void Recorder::transaction_committed(const std::string& chain, double submitted, double time)
{
  if (!in_warmup(submitted))
    chains_[chain].transaction_latency.add(time - submitted);
}

std::vector<double> Recorder::violations_of(const std::string& chain) const
{
  std::vector<double> shares;
  auto found = chains_.find(chain);
  if (found == chains_.end())
    return shares;
  double total = 0;
  for (double s : found->second.info.stake)
    total += s;
  for (const auto& v : found->second.violations) {
    double accountable = 0;
    for (int validator : v.accountable)
      accountable += found->second.info.stake.at(validator);
    shares.push_back(total > 0 ? accountable / total : 0);
  }
  return shares;
}

nlohmann::json Recorder::chains_summary(const std::map<std::string, std::pair<Samples, Samples>>& traffic) const
{
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, chain] : chains_) {
    Samples interval, rounds, block_bytes, block_txs;
    // Liveness detector: gaps between consecutive first commits, from the start and to the end of the run.
    // The detector starts watching at the warm-up's end: a gap counts from there at the earliest.
    double previous = warmup_, longest_gap = 0;
    size_t stalls   = 0;
    long long expected_height = 1;
    bool gap_in_heights       = false;
    for (const auto& [height, time] : chain.first_commit) {
      if (height != expected_height)
        gap_in_heights = true;
      expected_height = height + 1;
      if (height > 1 && chain.first_commit.count(height - 1) && !in_warmup(chain.first_commit.at(height - 1)))
        interval.add(time - chain.first_commit.at(height - 1));
      if (in_warmup(time))
        continue;
      longest_gap = std::max(longest_gap, time - previous);
      if (time - previous > stall_threshold_)
        ++stalls;
      previous = time;
      rounds.add(chain.decided_round.at(height) + 1);
      block_txs.add(static_cast<double>(chain.block_content.at(height).first));
      block_bytes.add(static_cast<double>(chain.block_content.at(height).second));
    }
    longest_gap = std::max(longest_gap, end_time_ - previous);
    if (end_time_ - previous > stall_threshold_)
      ++stalls;

    double total_stake = 0;
    for (double s : chain.info.stake)
      total_stake += s;
    nlohmann::json violations = nlohmann::json::array();
    for (const auto& v : chain.violations) {
      double accountable_stake = 0;
      for (int validator : v.accountable)
        accountable_stake += chain.info.stake.at(validator);
      violations.push_back({{"height", v.height},
                            {"time", v.time},
                            {"blocks", {fmt::format("{:016x}", v.blocks[0]), fmt::format("{:016x}", v.blocks[1])}},
                            {"accountable_validators", std::vector<int>(v.accountable.begin(), v.accountable.end())},
                            {"accountable_stake_share", total_stake > 0 ? accountable_stake / total_stake : 0}});
    }
    size_t extra_round_heights = 0;
    for (const auto& [height, round] : chain.decided_round)
      extra_round_heights += round > 0 ? 1 : 0;

    nlohmann::json c;
    c["protocol"]                = chain.info.protocol;
    c["validators"]              = chain.info.stake.size();
    c["blocks_committed"]        = chain.first_commit.size();
    c["height"]                  = chain.first_commit.empty() ? 0 : chain.first_commit.rbegin()->first;
    c["block_interval"]          = interval.to_json();
    c["commit_latency"]          = chain.commit_latency.to_json();
    c["catchup_commits"]         = chain.catchup_commits;
    c["rounds_per_height"]       = rounds.to_json();
    c["heights_with_extra_rounds"] = extra_round_heights;
    c["block_transactions"]      = block_txs.to_json();
    c["block_bytes"]             = block_bytes.to_json();
    c["transactions_committed"]  = chain.transaction_latency.count();
    c["transactions_pending"]    = chain.pending_transactions;
    c["transaction_latency"]     = chain.transaction_latency.to_json();
    c["safety_violations"]       = chain.violations.size();
    double least_accountable      = 0;
    for (const auto& v : violations)
      least_accountable = least_accountable == 0 ? v["accountable_stake_share"].get<double>()
                                                 : std::min(least_accountable, v["accountable_stake_share"].get<double>());
    c["min_accountable_stake_share"] = least_accountable;
    c["safety"]                  = violations;
    c["liveness"] = {{"longest_gap", longest_gap},
                     {"stalls", stalls},
                     {"stall_threshold", stall_threshold_},
                     {"missing_heights", gap_in_heights ? 1 : 0}};
    auto found = traffic.find(name);
    if (found != traffic.end()) {
      c["messages_per_node"] = found->second.first.to_json();
      c["bytes_per_node"]    = found->second.second.to_json();
    }
    out[name] = c;
  }
  return out;
}

void Recorder::declare_timeline(const std::string& chain, std::vector<std::string> stages)
{
  timeline_order_.push_back(chain);
  timeline_stages_[chain] = std::move(stages);
}

void Recorder::timeline(TimelineRow row)
{
  if (keep_timelines_)
    timelines_.push_back(std::move(row));
}

std::vector<std::string> Recorder::timeline_columns() const
{
  std::vector<std::string> columns;
  for (const auto& chain : timeline_order_)
    for (const auto& stage : timeline_stages_.at(chain))
      if (std::find(columns.begin(), columns.end(), stage) == columns.end())
        columns.push_back(stage);
  return columns;
}

Metrics parent_engine_metrics()
{
  using namespace metric;
  return {
      count("validators", "validators", "validators of the chain"),
      count("blocks_committed", "blocks", "heights decided final by the protocol's own rule (`shsim schema` describes each protocol)"),
      count("height", "blocks", "the highest decided height"),
      distribution("block_interval", "s", "time between the first decisions of consecutive heights"),
      distribution("commit_latency", "s", "from a block's proposal to its decision, per node that decided it"),
      count("catchup_commits", "commits", "commits by validators that fetched a block they had missed"),
      distribution("rounds_per_height", "rounds", "rounds a height took to commit (1: the first round)"),
      count("heights_with_extra_rounds", "heights", "heights that needed more than one round"),
      distribution("block_transactions", "transactions", "user transactions per committed block"),
      distribution("block_bytes", "bytes", "payload bytes per committed block"),
      count("transactions_committed", "transactions", "users' parent transactions included in a block (child and bridge ones: child_load)"),
      count("transactions_pending", "transactions", "users' parent transactions still in the pool at the end"),
      distribution("transaction_latency", "s", "from a user's parent transaction's submission to its inclusion in a block"),
      count("safety_violations", "violations", "heights at which two validators committed different blocks"),
      fraction("min_accountable_stake_share",
               "least share of stake provably at fault over the safety violations (0: none)"),
      value("liveness.longest_gap", "s", "longest time without a new height, the run's end included"),
      count("liveness.stalls", "stalls", "gaps between heights longer than liveness.stall_threshold"),
      value("liveness.stall_threshold", "s", "the gap that counts as a stall (detectors.stall_threshold)"),
      count("liveness.missing_heights", "1", "1 when some height below the top was never committed"),
      distribution("messages_per_node", "messages", "messages each of the chain's nodes sent"),
      distribution("bytes_per_node", "bytes", "bytes each of the chain's nodes sent"),
  };
}

Metrics child_load_metrics()
{
  using namespace metric;
  return {
      value("child_load.bytes", "bytes", "bytes of child-chain and bridge transactions included in parent blocks"),
      value("child_load.fees", "currency", "fees those transactions paid (economics.fee_per_byte, fee_per_transaction)"),
      distribution("child_load.bytes_per_block", "bytes", "child-chain and bridge bytes per parent block"),
  };
}

}  // namespace shsim
