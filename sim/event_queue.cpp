#include "sim/event_queue.hpp"

#include <algorithm>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Engine.hpp>

#include "sim/node.hpp"
#include "sim/world.hpp"

namespace shsim {

void EventQueue::deliver_at(double time, Node* target, int from, MessagePtr message)
{
  push({time, 0, target, std::move(message), from, 0, {}});
}

void EventQueue::timer_at(double time, Node* target, const TimerEvent& timer, unsigned epoch)
{
  push({time, 0, target, nullptr, -1, epoch, timer});
}

void EventQueue::call_at(double time, std::function<void()> action)
{
  size_t slot;
  if (free_actions_.empty()) {
    slot = actions_.size();
    actions_.push_back(std::move(action));
  } else {
    slot = free_actions_.back();
    free_actions_.pop_back();
    actions_[slot] = std::move(action);
  }
  push({time, 0, nullptr, nullptr, -1, 0, {0, static_cast<long long>(slot), 0}});
}

void EventQueue::push(Event event)
{
  event.sequence = next_sequence_++;
  heap_.push_back(std::move(event));
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  // While events are being run, run_due() re-arms once at the end.
  if (!running_ && (armed_ == nullptr || heap_.front().time < armed_at_))
    arm();
}

void EventQueue::arm()
{
  if (armed_ != nullptr) {
    armed_->remove();
    armed_ = nullptr;
  }
  if (heap_.empty())
    return;
  armed_at_ = heap_.front().time;
  armed_    = simgrid::kernel::timer::Timer::set(armed_at_, [this]() {
    armed_ = nullptr;  // SimGrid frees a timer once it has fired
    run_due();
  });
}

void EventQueue::run_due()
{
  if (world_.stopped())
    return;
  running_   = true;
  double now = simgrid::s4u::Engine::get_clock();
  while (!heap_.empty() && heap_.front().time <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Event event = std::move(heap_.back());
    heap_.pop_back();
    if (event.target == nullptr) {
      auto slot                   = static_cast<size_t>(event.timer.first);
      std::function<void()> action = std::move(actions_[slot]);
      free_actions_.push_back(slot);
      world_.count_event();
      action();
    } else if (event.message)
      event.target->deliver(event.from, *event.message);
    else
      event.target->fire_timer(event.timer, event.epoch);
    if (world_.stopped())
      break;
  }
  running_ = false;
  arm();
}

}  // namespace shsim
