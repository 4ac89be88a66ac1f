// ZK rollup after zkSync Era's transaction lifecycle (docs: batch commit, prove, execute through the
// ValidatorTimelock) and Scroll's (commit, finalize with a validity proof):
//   sequencer block (soft) -> batch committed on the parent -> proven by one of M provers ->
//   proof verified on the parent -> executed after an optional delay -> settled once the executing
//   parent block is final. No challenge window: an invalid proof never verifies (soundness assumed).
// Proofs are verified in batch order; a prover that goes down loses the batch it was proving, which
// goes back to the queue when it returns.
#include <algorithm>
#include <cmath>
#include <deque>
#include <set>
#include <map>

#include <fmt/format.h>

#include "models/registry.hpp"
#include "models/rollup/rollup.hpp"

namespace shsim::models::rollup {
namespace {

struct ProveJob : Message {
  size_t batch = 0;
  static inline const MessageKind kind_id{"prove_job"};
  MessageKind kind() const override { return kind_id; }
};
struct ProofDone : Message {
  size_t batch = 0;
  static inline const MessageKind kind_id{"proof_done"};
  MessageKind kind() const override { return kind_id; }
};
struct ProverReady : Message {
  static inline const MessageKind kind_id{"prover_ready"};
  MessageKind kind() const override { return kind_id; }
};

enum ZkTimers { proving_timer = 100 };

class Zk : public Rollup {
public:
  /// The figures add_summary() reports.
  static Metrics own_metrics()
  {
    using namespace metric;
    return {
        count("proofs.batches_committed", "batches", "batches committed on the parent, each awaiting a proof"),
        count("proofs.proven", "batches", "batches a prover finished proving"),
        count("proofs.verified", "batches", "proofs verified in a parent block"),
        count("proofs.executed", "batches", "verified batches executed after the delay (settled)"),
        distribution("proofs.proving_time", "s", "time a prover spent on each batch"),
        value("proofs.expected_proving_time", "s", "mean of the proving-time distribution the scenario sets"),
        distribution("proofs.queue_wait", "s", "time each batch waited for a free prover"),
    };
  }
  Zk(Simulation& simulation, const ZkParams& params, int first_node)
      : Rollup(simulation, params.common, params.forced_inclusion, first_node, "zk_rollup")
      , params_(params)
      , proving_(simulation.stream("proving_time." + params.common.name))
  {
    start();
    int first_prover = first_node + 2;
    std::vector<int> provers;
    for (int p = 0; p < params_.provers.count; ++p)
      provers.push_back(first_prover + p);
    for (const ProverOutage* a : adversaries<ProverOutage>())
      simulation.schedule_outage(provers, a->from.seconds, a->end(), name(), "prover");
    for (int p = 0; p < params_.provers.count; ++p) {
      Agent::Handlers h;
      h.message = [this, p](int, const Message& message) {
        if (const auto* job = dynamic_cast<const ProveJob*>(&message)) {
          simulation_.recorder().event(simulation_.now(), name(), provers_[p]->id(), "proving_started",
                                       static_cast<long long>(job->batch));
          provers_[p]->after(draw_proving_time(), proving_timer, static_cast<long long>(job->batch));
        }
      };
      h.timer = [this, p](const TimerEvent& timer) {
        simulation_.recorder().event(simulation_.now(), name(), provers_[p]->id(), "proving_done", timer.first);
        auto done   = make_message<ProofDone>();
        done->batch = static_cast<size_t>(timer.first);
        done->bytes = params_.proof_bytes.count;
        provers_[p]->tell(first_node_, done);
      };
      h.recover = [this, p]() { provers_[p]->tell(first_node_, make_message<ProverReady>()); };
      auto node = std::make_unique<Agent>(simulation, first_prover + p, std::move(h));
      provers_.push_back(node.get());
      idle_.push_back(first_prover + p);
      simulation.add_node(std::move(node));
    }
  }

  SecurityFacts security() const override { return {}; }

protected:
  const char* batch_kind() const override { return "commit"; }

  void on_batch_included(size_t batch, long long, double time) override
  {
    queue_.push_back(batch);
    queued_at_[batch] = time;
    assign();
  }

  void on_operator_message(int from, const Message& message) override
  {
    if (const auto* done = dynamic_cast<const ProofDone*>(&message)) {
      assigned_.erase(done->batch);
      proven_.insert(done->batch);
      make_idle(from);
      post_proofs();
      assign();
    } else if (dynamic_cast<const ProverReady*>(&message) != nullptr) {
      // The prover lost what it was proving: back to the queue.
      for (auto it = assigned_.begin(); it != assigned_.end();) {
        if (it->second == from) {
          queue_.push_front(it->first);
          it = assigned_.erase(it);
        } else {
          ++it;
        }
      }
      make_idle(from);
      assign();
    }
  }

  void on_operator_recover() override
  {
    // Proofs sent while the operator was down are lost: prove those batches again.
    for (const auto& [batch, prover] : assigned_)
      queue_.push_front(batch);
    assigned_.clear();
    idle_.clear();
    for (Agent* prover : provers_)
      idle_.push_back(prover->id());
    post_proofs();
    assign();
  }

  void add_summary(nlohmann::json& out) const override
  {
    out["proofs"] = {{"batches_committed", batches().size()},
                     {"proven", proven_.size()},
                     {"verified", verified_},
                     {"executed", executed_},
                     {"proving_time", proving_time_.to_json()},
                     {"expected_proving_time", params_.provers.time.expected()},
                     {"queue_wait", queue_wait_.to_json()}};
  }

private:
  double draw_proving_time()
  {
    const ProvingTime& t = params_.provers.time;
    double d             = t.kind == "fixed"         ? t.value.seconds
                           : t.kind == "exponential" ? proving_.exponential(t.mean.seconds)
                                                     : proving_.lognormal(t.median.seconds, t.sigma);
    if (!simulation_.recorder().in_warmup(simulation_.now()))
      proving_time_.add(d);
    return d;
  }

  void assign()
  {
    if (!operator_node().online())
      return;
    while (!queue_.empty() && !idle_.empty()) {
      int prover = idle_.front();
      idle_.pop_front();
      if (!simulation_.node(prover).online())
        continue;  // it announces itself when it is back
      size_t batch = queue_.front();
      queue_.pop_front();
      assigned_[batch] = prover;
      if (!simulation_.recorder().in_warmup(queued_at_[batch]))
        queue_wait_.add(operator_node().time() - queued_at_[batch]);
      auto job   = make_message<ProveJob>();
      job->batch = batch;
      job->bytes = 1024;
      operator_node().tell(prover, job);
    }
  }

  void make_idle(int prover)
  {
    if (std::find(idle_.begin(), idle_.end(), prover) == idle_.end())
      idle_.push_back(prover);
  }

  /// Proofs are verified in order: post every proven batch that follows the last one posted.
  void post_proofs()
  {
    if (!operator_node().online())
      return;
    while (proven_.count(next_proof_)) {
      size_t batch = next_proof_++;
      ParentTransaction tx{name(), "proof", params_.proof_bytes.count};
      uint32_t up_to = batches()[batch].last + 1;
      tx.included    = [this, up_to](long long, double time) {
        ++verified_;
        mark_posted(up_to, time);
      };
      tx.finalized = [this, up_to](long long, double time) {
        if (params_.execution_delay.seconds <= 0) {
          ++executed_;
          mark_settled(up_to, time);
          return;
        }
        simulation_.events().call_at(time + params_.execution_delay.seconds, [this, up_to]() { execute(up_to); });
      };
      operator_node().post(std::move(tx));
    }
  }

  void execute(uint32_t up_to)
  {
    ParentTransaction tx{name(), "execute", params_.execute_bytes.count};
    tx.finalized = [this, up_to](long long, double time) {
      ++executed_;
      mark_settled(up_to, time);
    };
    operator_node().post(std::move(tx));
  }

  ZkParams params_;
  RandomStream proving_;
  std::vector<Agent*> provers_;
  std::deque<int> idle_;
  std::deque<size_t> queue_;
  std::map<size_t, int> assigned_;
  std::map<size_t, double> queued_at_;
  std::set<size_t> proven_;
  size_t next_proof_ = 0, verified_ = 0, executed_ = 0;
  Samples proving_time_, queue_wait_;
};

class Factory : public RollupFactory<ZkParams, Zk> {
public:
  Factory()
      : RollupFactory("zk_rollup",
                      "ZK rollup: "
                      "sequencer, batch commits, a prover pool, proof verification and execution on the parent",
                      "zk")
  {
  }
  std::vector<std::string> review(const Scenario& scenario, const ChildParams& base) const override
  {
    const auto& p = params_of(base);
    std::vector<std::string> warnings;
    // Offered load of the prover pool: proofs needed per second x mean proving time / provers. The
    // batcher splits a batch interval's blocks into batches of at most max_batch_bytes, and each
    // batch needs its own proof, so the batch rate grows with the chain's data rate.
    double data_rate = static_cast<double>(p.common.block_overhead.count) / p.common.block_time.seconds;
    for (const auto& w : scenario.workload)
      if (w.chain == p.common.name && w.kind != "deposit")
        data_rate += w.rate.per_second * static_cast<double>(w.size.count);
    double per_interval = std::max(1.0, std::ceil(data_rate * p.common.batch_interval.seconds /
                                                  static_cast<double>(p.common.max_batch_bytes.count)));
    double batch_rate   = per_interval / p.common.batch_interval.seconds;
    double load         = batch_rate * p.provers.time.expected() / p.provers.count;
    if (load >= 1)
      warnings.push_back(fmt::format("{}: the prover pool is overloaded (offered load {:.2f} >= 1): {} provers with a "
                                     "mean proving time of {:.0f}s cannot keep up with {:.1f} batches per hour ({} "
                                     "per {} batch interval at this workload): the proof queue grows without bound "
                                     "and the figures depend on the run's length; add provers or lengthen "
                                     "batch_interval",
                                     p.common.name, load, p.provers.count, p.provers.time.expected(), batch_rate * 3600,
                                     per_interval, format_duration(p.common.batch_interval)));
    return warnings;
  }
};

}  // namespace

void register_zk(ProtocolRegistry& registry)
{
  registry.add_child(std::make_unique<Factory>());
  register_rollup_adversaries(registry);
  declare_rollup_events();
  declare_event({"proving_started", "a prover took a batch to prove", "the batch's index", "", {}});
  declare_event({"proving_done", "a prover finished a batch's proof and sends it to the operator", "the batch's index", "", {}});
  declare_outage_events("prover", "prover");
  register_adversary<ProverOutage>(registry, "a ZK rollup's provers stop proving");
  registry.add_parent_transaction_kinds({"commit", "proof", "execute", "forced_transaction"});
}

}  // namespace shsim::models::rollup
