#include "sim/parent_client.hpp"

#include <limits>
#include <memory>

#include "sim/world.hpp"

namespace shsim {

void ParentClient::submit_to_parent(ParentTransaction tx)
{
  uint64_t ticket = world().ledger().new_ticket();
  unconfirmed_.emplace(ticket, std::move(tx));
  send_submission(ticket);
}

int ParentClient::gateway() const
{
  // The nearest validator that is online and on our side of any partition.
  int best          = -1;
  double best_delay = std::numeric_limits<double>::infinity();
  const int validators = world().scenario().parent.validators.count;
  Network& network     = world().network();
  for (int v = 0; v < validators; ++v) {
    if (!world().node(v).online() || network.partitioned(id(), v, now()))
      continue;
    double delay = network.path_latency(id(), v);
    if (delay < best_delay) {
      best       = v;
      best_delay = delay;
    }
  }
  return best;
}

void ParentClient::send_submission(uint64_t ticket)
{
  int to = gateway();
  if (to >= 0) {
    auto message    = make_message<ParentSubmission>();
    message->ticket = ticket;
    message->tx     = unconfirmed_.at(ticket);
    message->bytes  = message->tx.bytes;
    send(to, message);
  }
  set_timer(resubmit_after, {resubmit_timer, static_cast<long long>(ticket), 0});
}

void ParentClient::on_timer(const TimerEvent& timer)
{
  if (timer.kind != resubmit_timer) {
    on_client_timer(timer);
    return;
  }
  auto ticket = static_cast<uint64_t>(timer.first);
  if (!unconfirmed_.count(ticket))
    return;
  if (world().ledger().accepted(ticket))
    unconfirmed_.erase(ticket);
  else
    send_submission(ticket);
}

void ParentClient::on_recover()
{
  for (auto it = unconfirmed_.begin(); it != unconfirmed_.end();) {
    if (world().ledger().accepted(it->first)) {
      it = unconfirmed_.erase(it);
    } else {
      send_submission(it->first);
      ++it;
    }
  }
}

}  // namespace shsim

namespace shsim {

ParentTransaction ParentTransactionHost::to_parent(AppTransaction tx)
{
  ParentTransaction out{tx.owner, tx.kind, tx.bytes};
  auto on_stage = std::make_shared<std::function<void(TxStage, double)>>(std::move(tx.on_stage));
  out.included  = [on_stage](long long, double time) {
    if (*on_stage) {
      (*on_stage)(TxStage::soft, time);
      (*on_stage)(TxStage::safe, time);
    }
  };
  out.finalized = [on_stage](long long, double time) {
    if (*on_stage) {
      (*on_stage)(TxStage::parent_final, time);
      (*on_stage)(TxStage::settled, time);
    }
  };
  return out;
}

}  // namespace shsim
