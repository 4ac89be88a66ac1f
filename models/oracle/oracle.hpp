// An oracle network after Chainlink's Off-Chain Reporting (OCR: Breidenbach, Cachin, Coventry, Juels,
// Miller, "Chainlink Off-Chain Reporting Protocol", 2021; libocr). n oracle nodes observe a reference
// price (models/price/) and agree off-chain on a signed report whose median goes on chain as one
// transaction, which then passes the chain's stages like any other (sim/child.hpp: soft, safe,
// parent_final, settled). Consumers (models/perp/) read it at the stage they choose.
//
// The protocol, step by step (f = the fault tolerance, at most (n - 1) / 3):
//  - epochs, each with a leader (epoch e: oracle e mod n); the leader starts a round every
//    delta_round, or as soon as the previous one ends if it took longer;
//  - a round: the leader asks every oracle for an observation (OBSERVE-REQ); each signs the price it
//    sees now (the reference price `latency` old, with its own noise) and replies; once 2f + 1 have
//    arrived the leader waits delta_grace for more, then sorts them into a report whose value is the
//    median (observations[count / 2]);
//  - the report is due when its median deviates from the last reported value by more than
//    `deviation` or `heartbeat` has passed since the last report (ETH/USD defaults: 0.5 % and 1 h);
//    the leader then asks the oracles to sign it (REPORT-REQ), each checks the condition against the
//    last report it knows and signs, and with f + 1 signatures the leader broadcasts the final report;
//    when nothing is due it broadcasts that the round is done;
//  - transmission: the leader sends the final report to the chain at once; oracle k of the report's
//    order sends it k x delta_stage later if it is not on the chain by then (OCR's staged schedule);
//    the chain keeps the newest report by (epoch, round) and ignores older ones;
//  - the pacemaker: an oracle that sees no completed round from its leader for delta_progress asks for
//    a new epoch (NEWEPOCH e + 1); f + 1 such requests make an oracle join, 2f + 1 make it move: a
//    crashed or cut-off leader costs about delta_progress.
// Staked data integrity: every oracle bonds `bond` on the parent. A watcher compares each report on
// the chain with the reference price at its observation time; beyond `dispute_tolerance` it posts a
// dispute on the parent, and once that is final every oracle whose signed observation in the report
// was beyond the tolerance loses `slash` of its bond.
//
// Byzantine oracles (`oracle_byzantine`) sign observations off by `bias`; as leaders they put every
// Byzantine observation and the fewest honest ones (those nearest their side) in the report and
// report whenever the median moves; with at least f + 1 of them they can also force epoch changes
// (NEWEPOCH) until a Byzantine oracle leads. Below n/3 the median stays within the honest
// observations' range; from f + 1 they choose it (tests/test_oracle.cpp).
//
// Simplifications, stated so that results are read correctly:
//  - a completed round (final report or "nothing due") counts as progress for the pacemaker;
//  - oracles know what is on the chain at once (an RPC node next to each);
//  - signatures and their checks cost nothing; every honest oracle signs a well-formed due report;
//  - the leader order is round-robin, not OCR's pseudo-random permutation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "models/price/price.hpp"
#include "sim/adversary.hpp"
#include "sim/application.hpp"
#include "sim/child.hpp"
#include "sim/parent_client.hpp"
#include "sim/stats.hpp"

namespace shsim {
class Simulation;
}

namespace shsim::models::oracle {

struct ObservationParams {
  Duration latency{0.5};
  double spread = 0.5;
  Percent noise{0.0005};
  template <class V> void describe(V& v)
  {
    v.field("latency", latency, "age of the price an oracle sees (its data sources' delay)", at_least<Duration>(0));
    v.field("spread", spread, "each oracle's latency is drawn uniform in latency x (1 +- spread)", between<double>(0, 1));
    v.field("noise", noise, "standard deviation of an observation's relative error", between<Percent>(0, 1));
  }
};

struct StakingParams {
  double bond = 0;
  Fraction slash{1};
  Percent dispute_tolerance{0.02};
  Duration reaction{60};
  Bytes dispute_bytes{600};
  template <class V> void describe(V& v)
  {
    v.field("bond", bond, "stake each oracle bonds on the parent (in the scenario's currency)", at_least<double>(0));
    v.field("slash", slash, "share of its bond an oracle loses for a false observation proven on the parent");
    v.field("dispute_tolerance", dispute_tolerance,
            "a report (and an observation in it) is provably false beyond this distance from the reference price",
            between<Percent>(1e-9, 100));
    v.field("reaction", reaction, "time the watcher takes to post a dispute once a false report is on the chain");
    v.field("dispute_bytes", dispute_bytes, "size of a dispute on the parent", positive<Bytes>());
  }
};

struct OracleParams {
  std::string name;
  std::string price;
  std::string chain;
  int count           = 10;
  int fault_tolerance = -1;  // -1: (count - 1) / 3
  std::string region;
  bool on_validators = false;
  ObservationParams observation;
  Percent deviation{0.005};
  Duration heartbeat{3600};
  Duration delta_progress{30};
  Duration delta_round{10};
  Duration delta_grace{20};
  Duration delta_stage{30};
  Bytes message_bytes{250};
  Bytes report_bytes{800};
  StakingParams staking;

  template <class V> void describe(V& v)
  {
    v.field("name", name, "application name (venues name it)");
    v.field("price", price, "the reference_price application the oracles observe");
    v.field("chain", chain, "the chain reports are transmitted to: the parent, or a child that takes applications' transactions");
    v.field("count", count, "oracle nodes (n)", between<int>(1, 100));
    v.field("fault_tolerance", fault_tolerance, "f: 2f + 1 observations make a report, f + 1 signatures attest it (-1: (n - 1) / 3)",
            between<int>(-1, 33));
    v.field("region", region, "region of the oracles' machines (default: spread over the regions)");
    v.field("on_validators", on_validators,
            "run oracle i on parent validator i's machine (its staked capital), instead of machines of their own");
    v.field("observation", observation, "what each oracle sees of the reference price");
    v.field("deviation", deviation, "a report is due when its median moves this much from the last (ETH/USD 0.5%)",
            between<Percent>(0, 100));
    v.field("heartbeat", heartbeat, "a report is due this long after the last one whatever the price (ETH/USD 1h)",
            positive<Duration>());
    v.field("delta_progress", delta_progress, "an oracle asks for a new leader after this long without a completed round",
            positive<Duration>());
    v.field("delta_round", delta_round, "the leader starts a round this often", positive<Duration>());
    v.field("delta_grace", delta_grace, "after 2f + 1 observations the leader waits this long for more", at_least<Duration>(0));
    v.field("delta_stage", delta_stage, "oracle k of the transmission order sends the report k x this late if it is not on chain",
            positive<Duration>());
    v.field("message_bytes", message_bytes, "size of an off-chain protocol message", positive<Bytes>());
    v.field("report_bytes", report_bytes, "size of a report transaction on the chain", positive<Bytes>());
    v.field("staking", staking, "bonds on the parent and the disputes that slash them");
  }
  std::vector<RolePlacement> placements(int) const;
  std::vector<AppReference> references() const
  {
    return {{"price", "application", price, {"reference_price"}}, {"chain", "chain", chain, {}}};
  }
  int f() const { return fault_tolerance >= 0 ? fault_tolerance : (count - 1) / 3; }
};

/// `oracle_byzantine`: some oracles sign false observations (and lead to move the median).
struct OracleByzantine : Window {
  std::string oracle;
  std::vector<int> oracles;
  int count = 0;
  Percent bias{0.2};
  template <class V> void describe(V& o)
  {
    o.field("oracle", oracle, "the oracle_network");
    o.field("oracles", oracles, "which oracles, by index (0-based)");
    o.field("count", count, "alternatively, the last `count` oracles", at_least<int>(0));
    o.field("bias", bias, "relative error of their observations (+20%: 1.2 x the true price)");
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const;
};

/// `oracle_down`: oracles offline (the leader of the moment, or others).
struct OracleDown : Window {
  std::string oracle;
  std::vector<int> oracles;
  template <class V> void describe(V& o)
  {
    o.field("oracle", oracle, "the oracle_network");
    o.field("oracles", oracles, "which oracles, by index (0-based; empty: all)");
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const;
};

/// A report as the chain and its consumers see it.
struct Report {
  uint64_t id       = 0;
  long long epoch   = 0, round = 0;
  double median     = 0;
  double observed_at = 0;  // median of its observations' times (when each oracle's price was current)
  double attested_at = 0;  // the final report broadcast
  double transmitted_at = -1;  // first transmission to the chain
  double stage_at[tx_stage_count] = {-1, -1, -1, -1};
  bool heartbeat    = false;  // due by the heartbeat, not by deviation
  bool on_chain     = false;  // reached soft and was the newest there
  bool superseded   = false;  // a newer report reached the chain first
  int reverts       = 0;
  double honest_low = 0, honest_high = 0;  // range of the honest observations in it
  int byzantine_observations = 0;
  std::vector<std::pair<int, double>> observations;  // (oracle, value)
  std::vector<double> observation_times;
};

/// What consumers subscribe to.
struct ReportListener {
  std::function<void(const Report&, TxStage, double)> reached;  // a report reached a stage (newest only)
  std::function<void(const Report&, double)> reverted;            // its soft block was not the posted one
};

class OracleNetwork : public Application {
public:
  OracleNetwork(Simulation& simulation, const OracleParams& params, int first_node);
  const std::string& name() const override { return params_.name; }
  std::string kind() const override { return "oracle_network"; }
  const OracleParams& params() const { return params_; }
  price::ReferencePrice& price() { return *price_; }
  void subscribe(ReportListener listener) { listeners_.push_back(std::move(listener)); }
  /// The value on the chain before any report: the reference price at t = 0.
  const Report& genesis() const { return reports_.front(); }
  const std::vector<Report>& reports() const { return reports_; }
  /// What corrupting it costs: the bonds of the fewest oracles that choose the median (f + 1).
  double cost_of_corruption() const;
  int oracles_to_move_median() const { return params_.f() + 1; }

  void finish() override;
  nlohmann::json summary(const nlohmann::json& so_far) const override;
  void sample(SeriesSink& sink) const override;

private:
  struct Observation;
  struct Round;
  struct OracleState;
  enum Timers { round_timer = 1, grace_timer, progress_timer, transmit_timer, dispute_timer };

  bool byzantine(int oracle, double time) const;
  const OracleByzantine* byzantine_entry(int oracle, double time) const;
  int leader_of(long long epoch) const { return static_cast<int>(epoch % params_.count); }
  double observe(int oracle, double time, double& observed_at);
  void broadcast(int from, const MessagePtr& message);
  void on_message(int oracle, int from, const Message& message);
  void on_timer(int oracle, const TimerEvent& timer);
  void start_round(int leader);
  void close_observations(int leader);
  void attest(int leader);
  void finalize(int leader);
  bool due(const OracleState& s, double median, double time, bool& heartbeat) const;
  void reset_progress(int oracle);
  void request_epoch(int oracle, long long epoch);
  void enter_epoch(int oracle, long long epoch);
  void transmit(int oracle, uint64_t report);
  void reached(uint64_t report, TxStage stage, double time);
  void reverted(uint64_t report, double time);
  void dispute(uint64_t report);
  int node(int oracle) const { return first_node_ + oracle; }

  Simulation& simulation_;
  OracleParams params_;
  int first_node_;
  price::ReferencePrice* price_ = nullptr;
  TransactionHost* host_        = nullptr;
  std::vector<Agent*> agents_;
  Agent* watcher_ = nullptr;
  std::vector<OracleState> state_;
  std::vector<double> latency_;
  std::vector<RandomStream> noise_;
  std::vector<const OracleByzantine*> byzantine_;
  std::vector<Report> reports_;
  std::vector<ReportListener> listeners_;
  long long newest_on_chain_ = 0;  // report id of the newest on the chain (0: genesis)
  std::map<long long, std::set<int>> epoch_requests_;  // epoch -> oracles that asked for it
  // Figures.
  size_t rounds_ = 0, rounds_done_ = 0, epochs_ = 0, transmissions_ = 0, redundant_ = 0, reverted_ = 0;
  size_t disputes_ = 0, outside_honest_range_ = 0, false_reports_ = 0;
  double slashed_ = 0;
  std::map<int, double> slashed_of_;
};

void register_oracle(ProtocolRegistry& registry);

}  // namespace shsim::models::oracle
