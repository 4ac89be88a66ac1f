#include "sim/node.hpp"

#include "sim/network.hpp"
#include "sim/world.hpp"

namespace shsim {

void Node::deliver(int from, const Message& message)
{
  if (world_.stopped())
    return;
  world_.count_event();
  if (!online_)
    return;
  for (const auto& hook : hooks_)
    if (!hook->on_receive(*this, from, message))
      return;
  if (message.kind() == ParentSubmission::kind_id) {  // a validator takes a transaction into the pool
    const auto& submission = static_cast<const ParentSubmission&>(message);
    world_.ledger().accept(submission.ticket, now(), submission.tx);
    return;
  }
  on_message(from, message);
}

void Node::set_online(bool online)
{
  world_.count_event();
  if (online == online_)
    return;
  online_ = online;
  if (!online) {
    ++epoch_;
    if (started_)
      on_crash();
  } else if (!started_) {
    started_ = true;
    on_start();
  } else {
    on_recover();
  }
}

void Node::run()
{
  if (online_ && !started_) {
    started_ = true;
    on_start();
  }
}

void Node::send(int to, const MessagePtr& message)
{
  if (online_)
    world_.network().send(id_, to, message);
}

void Node::set_timer(double delay, const TimerEvent& timer)
{
  world_.events().timer_at(now() + delay, this, timer, epoch_);
}

void Node::fire_timer(const TimerEvent& timer, unsigned epoch)
{
  world_.count_event();
  // A timer set before a crash died with the process that set it.
  if (online_ && epoch == epoch_)
    on_timer(timer);
}

void Node::add_hook(std::shared_ptr<NodeHook> hook)
{
  hooks_.push_back(std::move(hook));
  world_.network().hooks_attached();
}

bool Node::hooks_let_send(int to, const Message& message) const
{
  for (const auto& hook : hooks_)
    if (!hook->on_send(*this, to, message))
      return false;
  return true;
}

double Node::now() const { return world_.now(); }

}  // namespace shsim
