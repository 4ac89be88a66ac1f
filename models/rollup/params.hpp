// Parameters of the rollup models, with the defaults of the specifications they follow (the
// sources are named in rollup.hpp, optimistic.cpp and zk.cpp).
#pragma once

#include "sim/protocol.hpp"
#include "sim/schema.hpp"

namespace shsim::models::rollup {

/// What every rollup has: a sequencer that makes blocks and a batcher that posts them to the parent.
struct CommonParams {
  std::string name;
  std::string region;
  Duration block_time{2};            // OP Stack block time
  Bytes block_overhead{100};         // bytes of a child block besides its transactions, in a batch
  Duration batch_interval{60};       // how often the batcher posts what is new
  Bytes max_batch_bytes{130044};     // one EIP-4844 blob's usable bytes (OP batcher's default target)

  template <class V> void describe_common(V& v)
  {
    v.field("name", name, "chain name used in metrics, workloads, bridges and adversaries");
    v.field("region", region, "region of the operator (sequencer, batcher, proposer); default: spread");
    v.field("block_time", block_time, "child block interval (OP Stack 2s)", positive<Duration>());
    v.field("block_overhead", block_overhead, "bytes of a child block besides its transactions");
    v.field("batch_interval", batch_interval, "the batcher posts new blocks this often", positive<Duration>());
    v.field("max_batch_bytes", max_batch_bytes, "largest batch transaction; more data is split (a blob: 130044B)",
            positive<Bytes>());
  }
};

struct DisputeParams {
  int depth = 73;                   // OP fault dispute game MAX_GAME_DEPTH
  Duration clock{3.5 * 86400};      // MAX_CLOCK_DURATION per side
  Bytes move_bytes{200};
  Bytes step_bytes{4096};           // the one-step proof with its witness
  double bond = 0;                  // bond of the root's poster, lost when the root is proven wrong

  template <class V> void describe(V& v)
  {
    v.field("depth", depth, "bisection moves before the one-step proof (OP MAX_GAME_DEPTH 73)", between<int>(1, 200));
    v.field("clock", clock, "time each side may spend on its moves once disputed (OP 3.5d)", positive<Duration>());
    v.field("move_bytes", move_bytes, "size of a bisection move on the parent", positive<Bytes>());
    v.field("step_bytes", step_bytes, "size of the one-step proof", positive<Bytes>());
    v.field("bond", bond, "value the root's poster loses when the root is proven wrong", at_least<double>(0));
  }
};

struct ChallengerParams {
  int count = 1;
  Fraction availability{1};
  Duration reaction{12};
  std::string region;

  template <class V> void describe(V& v)
  {
    v.field("count", count, "honest challengers, each an actor that recomputes every posted root", between<int>(0, 1000));
    v.field("availability", availability, "chance that a challenger is online for a given root (drawn per root)");
    v.field("reaction", reaction, "time from seeing a parent block to posting a move");
    v.field("region", region, "region of the challengers (default: spread)");
  }
};

struct ForcedInclusion {
  long long sequencing_window = 3600;  // parent blocks (OP 3600 L1 blocks, 12 h)
  Duration max_drift{1800};            // OP max_sequencer_drift
  Duration patience{600};
  Bytes bytes{300};

  template <class V> void describe(V& v)
  {
    v.field("sequencing_window", sequencing_window,
            "parent blocks after which derivation itself includes a forced transaction (OP 3600)",
            between<long long>(1, 1'000'000'000));
    v.field("max_drift", max_drift, "longest a live sequencer can hold back a forced transaction (OP 1800s)");
    v.field("patience", patience, "a censored user forces its transaction through the parent after this long",
            positive<Duration>());
    v.field("bytes", bytes, "size of a forced transaction on the parent", positive<Bytes>());
  }
};

struct OptimisticParams {
  CommonParams common;
  Duration proposal_interval{3600};
  Bytes root_bytes{300};
  Duration challenge_window{7 * 86400};
  DisputeParams dispute;
  ChallengerParams challengers;
  ForcedInclusion forced_inclusion;

  template <class V> void describe(V& v)
  {
    common.describe_common(v);
    v.field("proposal_interval", proposal_interval, "the proposer posts an output root this often (OP 1h)",
            positive<Duration>());
    v.field("root_bytes", root_bytes, "size of an output-root proposal on the parent", positive<Bytes>());
    v.field("challenge_window", challenge_window,
            "an unchallenged root settles this long after its parent block (OP: 7d before withdrawals finalize)",
            positive<Duration>());
    v.field("dispute", dispute, "the bisection game");
    v.field("challengers", challengers, "honest challengers");
    v.field("forced_inclusion", forced_inclusion, "how censored users get in through the parent");
  }
  std::pair<int, std::string> workers() const { return {challengers.count, challengers.region}; }
};

/// A proving-time distribution.
struct ProvingTime {
  std::string kind = "lognormal";
  Duration median{1200};
  double sigma = 0.5;
  Duration value{1200};
  Duration mean{1200};

  template <class V> void describe_choice(V& v)
  {
    v.option("lognormal", "heavy-tailed: median * exp(sigma * N(0,1))", [&](auto& o) {
      o.field("median", median, "median proving time", positive<Duration>());
      o.field("sigma", sigma, "log-space standard deviation", at_least<double>(0));
    });
    v.option("fixed", "every proof takes the same time",
             [&](auto& o) { o.field("value", value, "proving time", positive<Duration>()); });
    v.option("exponential", "memoryless proving time",
             [&](auto& o) { o.field("mean", mean, "mean proving time", positive<Duration>()); });
  }
  double expected() const
  {
    if (kind == "fixed")
      return value.seconds;
    if (kind == "exponential")
      return mean.seconds;
    return median.seconds * std::exp(sigma * sigma / 2);
  }
};

struct ProverParams {
  int count = 32;  // enough for a batch a minute at the default ~23-minute mean proving time
  ProvingTime time;
  std::string region;

  template <class V> void describe(V& v)
  {
    v.field("count", count, "provers in the pool, each proving one batch at a time", between<int>(1, 1000));
    v.field("time", time, "proving time of one batch");
    v.field("region", region, "region of the provers (default: spread)");
  }
};

struct ZkParams {
  CommonParams common;
  ProverParams provers;
  Bytes proof_bytes{4096};
  Bytes execute_bytes{200};
  Duration execution_delay{0};
  ForcedInclusion forced_inclusion;

  template <class V> void describe(V& v)
  {
    common.describe_common(v);
    v.field("provers", provers, "the prover pool");
    v.field("proof_bytes", proof_bytes, "size of a validity proof on the parent", positive<Bytes>());
    v.field("execute_bytes", execute_bytes, "size of an execute transaction", positive<Bytes>());
    v.field("execution_delay", execution_delay,
            "timelock between a proof's final parent block and execution (zkSync ValidatorTimelock; 0: none)");
    v.field("forced_inclusion", forced_inclusion, "how censored users get in through the parent (priority queue)");
  }
  std::pair<int, std::string> workers() const { return {provers.count, provers.region}; }
};

template <class P> class TypedParams : public ChildParams {
public:
  P params;
  YAML::Node dump() const override { return SchemaWriter::write(params); }
  const std::string& chain_name() const override { return params.common.name; }
  /// The operator, the users' wallets, then the model's workers (challengers or provers).
  std::vector<std::string> node_regions() const override
  {
    std::vector<std::string> regions{params.common.region, params.common.region};
    auto [count, region] = params.workers();
    regions.insert(regions.end(), static_cast<size_t>(count), region);
    return regions;
  }
};

}  // namespace shsim::models::rollup
