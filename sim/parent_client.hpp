// A node that posts transactions to the parent chain: sequencers, batchers, proposers, challengers,
// provers' operators, relayers. A submission travels as a message to the nearest online parent
// validator (which puts it in the pool) and is re-sent, possibly to another validator, until the
// pool has it: a crashed or partitioned gateway delays a submission but does not lose it.
#pragma once

#include <functional>
#include <map>

#include "sim/child.hpp"
#include "sim/ledger.hpp"
#include "sim/node.hpp"

namespace shsim {

class ParentClient : public Node {
public:
  using Node::Node;

protected:
  /// Sends `tx` towards the parent's pool.
  void submit_to_parent(ParentTransaction tx);
  /// Subclasses handle their own timers here (kinds >= 0; negative kinds are this class's).
  virtual void on_client_timer(const TimerEvent&) {}
  /// Re-sends what the pool does not have yet; subclasses that override it call it.
  void on_recover() override;
  void on_timer(const TimerEvent& timer) final;

private:
  static constexpr int resubmit_timer = -1;
  static constexpr double resubmit_after = 10.0;  // seconds without the pool having it
  void send_submission(uint64_t ticket);
  int gateway() const;

  std::map<uint64_t, ParentTransaction> unconfirmed_;  // by ticket
};

}  // namespace shsim

namespace shsim {

/// A node whose behaviour is given as handlers: the roles of child chains and bridges (sequencer,
/// challenger, prover, relayer) are written as methods of their chain's model, which owns the shared
/// state, and an Agent is the actor that carries them out on its host.
class Agent : public ParentClient {
public:
  struct Handlers {
    std::function<void()> start, crash, recover;
    std::function<void(int, const Message&)> message;
    std::function<void(const TimerEvent&)> timer;
  };
  Agent(World& world, int id, Handlers handlers) : ParentClient(world, id), handlers_(std::move(handlers)) {}

  void post(ParentTransaction tx) { submit_to_parent(std::move(tx)); }
  void after(double delay, int kind, long long first = 0, long long second = 0) { set_timer(delay, {kind, first, second}); }
  void tell(int to, const MessagePtr& message) { send(to, message); }
  double time() const { return now(); }

protected:
  void on_start() override { call(handlers_.start); }
  void on_crash() override { call(handlers_.crash); }
  void on_recover() override
  {
    ParentClient::on_recover();
    call(handlers_.recover);
  }
  void on_message(int from, const Message& message) override
  {
    if (handlers_.message)
      handlers_.message(from, message);
  }
  void on_client_timer(const TimerEvent& timer) override
  {
    if (handlers_.timer)
      handlers_.timer(timer);
  }

private:
  static void call(const std::function<void()>& f)
  {
    if (f)
      f();
  }
  Handlers handlers_;
};

}  // namespace shsim

namespace shsim {

/// The parent as a chain for applications' transactions: they go to the pool like any parent
/// transaction (parent_censor can target their kinds); soft and safe when a block includes them,
/// parent_final and settled when it is final.
class ParentTransactionHost : public TransactionHost {
public:
  explicit ParentTransactionHost(ParentLedger& ledger) : ledger_(ledger) {}
  void send(Agent& from, AppTransaction tx) override { from.post(to_parent(std::move(tx))); }
  void submit_first(double time, AppTransaction tx) override { ledger_.submit(time, to_parent(std::move(tx))); }

private:
  static ParentTransaction to_parent(AppTransaction tx);
  ParentLedger& ledger_;
};

}  // namespace shsim
