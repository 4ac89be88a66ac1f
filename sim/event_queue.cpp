#include "sim/event_queue.hpp"

#include <algorithm>
#include <bit>
#include <limits>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Engine.hpp>

#include "sim/node.hpp"
#include "sim/world.hpp"

namespace shsim {

void EventQueue::deliver_at(double time, Node* target, int from, MessagePtr message)
{
  push(time, {target, std::move(message), from, 0});
}

namespace {
/// A free slot of `slab` (recycled last-freed first: it is the likeliest to be in cache).
template <class T> uint32_t take_slot(std::vector<T>& slab, std::vector<uint32_t>& free, T value)
{
  if (free.empty()) {
    slab.push_back(std::move(value));
    return static_cast<uint32_t>(slab.size() - 1);
  }
  uint32_t slot = free.back();
  free.pop_back();
  slab[slot] = std::move(value);
  return slot;
}
}  // namespace

void EventQueue::timer_at(double time, Node* target, const TimerEvent& timer, unsigned epoch)
{
  push(time, {target, nullptr, -1, take_slot(timers_, free_timers_, PendingTimer{timer, epoch})});
}

void EventQueue::call_at(double time, std::function<void()> action)
{
  push(time, {nullptr, nullptr, -1, take_slot(actions_, free_actions_, std::move(action))});
}

void EventQueue::heap_push(std::vector<Key>& heap, Key key)
{
  size_t hole = heap.size();
  heap.emplace_back();
  while (hole > 0) {
    size_t parent = (hole - 1) / 4;
    if (!before(key, heap[parent]))
      break;
    heap[hole] = heap[parent];
    hole       = parent;
  }
  heap[hole] = key;
}

EventQueue::Key EventQueue::heap_pop(std::vector<Key>& heap)
{
  Key front = heap.front();
  Key last  = heap.back();
  heap.pop_back();
  const size_t n = heap.size();
  if (n == 0)
    return front;
  size_t hole = 0;  // moves down to where the last key belongs
  while (true) {
    size_t child = 4 * hole + 1;
    if (child >= n)
      break;
    size_t best = child;
    size_t end  = std::min(child + 4, n);
    for (size_t c = child + 1; c < end; ++c)
      if (before(heap[c], heap[best]))
        best = c;
    if (!before(heap[best], last))
      break;
    heap[hole] = heap[best];
    hole       = best;
  }
  heap[hole] = last;
  return front;
}

void EventQueue::push(double time, Payload payload)
{
  Key key{time, next_sequence_++, take_slot(payloads_, free_payloads_, std::move(payload))};
  int64_t bucket = bucket_of(time);
  if (bucket <= current_bucket_) {
    heap_push(near_, key);
  } else if (bucket < current_bucket_ + buckets) {
    const auto slot = static_cast<size_t>(bucket % buckets);
    wheel_[slot].push_back(key);
    occupied_[slot / 64] |= uint64_t{1} << (slot % 64);
    ++in_wheel_;
  } else {
    heap_push(far_, key);
  }
  // While events are being run, run_due() re-arms once at the end.
  if (!running_ && (armed_ == nullptr || time < armed_at_))
    arm();
}

int64_t EventQueue::next_occupied() const
{
  // Word by word from the bucket after the current one, around the wheel once.
  const int64_t start = current_bucket_ + 1;
  for (int64_t offset = 0; offset < buckets;) {
    const auto position = static_cast<size_t>((start + offset) % buckets);
    const uint64_t bits = occupied_[position / 64] >> (position % 64);
    if (bits != 0) {
      const int64_t found = offset + std::countr_zero(bits);
      return found < buckets ? start + found : std::numeric_limits<int64_t>::max();
    }
    offset += static_cast<int64_t>(64 - position % 64);
  }
  return std::numeric_limits<int64_t>::max();
}

bool EventQueue::fill_near()
{
  while (near_.empty() && next_in_run_ == run_.size()) {
    // The next bucket that holds anything: the wheel's next occupied one, or the earliest far key's.
    int64_t next = in_wheel_ > 0 ? next_occupied() : std::numeric_limits<int64_t>::max();
    if (!far_.empty())
      next = std::min(next, bucket_of(far_.front().time));
    if (next == std::numeric_limits<int64_t>::max())
      return false;
    current_bucket_ = std::max(current_bucket_ + 1, next);
    // The spent run's storage becomes the bucket's (capacity is recycled, not freed).
    const auto slot = static_cast<size_t>(current_bucket_ % buckets);
    run_.clear();
    next_in_run_ = 0;
    run_.swap(wheel_[slot]);
    occupied_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
    in_wheel_ -= run_.size();
    while (!far_.empty() && bucket_of(far_.front().time) <= current_bucket_)
      run_.push_back(heap_pop(far_));
    std::sort(run_.begin(), run_.end(), before);
  }
  return true;
}

void EventQueue::arm()
{
  if (armed_ != nullptr) {
    armed_->remove();
    armed_ = nullptr;
  }
  if (!fill_near())
    return;
  armed_at_ = earliest().time;
  armed_    = simgrid::kernel::timer::Timer::set(armed_at_, [this]() {
    armed_ = nullptr;  // SimGrid frees a timer once it has fired
    run_due();
  });
}

double EventQueue::engine_clock() { return simgrid::s4u::Engine::get_clock(); }

void EventQueue::run_due()
{
  if (world_.stopped())
    return;
  running_ = true;
  clock_   = simgrid::s4u::Engine::get_clock();
  while (fill_near()) {
    double time = earliest().time;
    if (time > clock_ && (foreign_ > 0 || time > horizon_))
      break;  // SimGrid has something to do first: wake up again at this event
    Key key       = take_earliest();
    Payload event = std::move(payloads_[key.slot]);
    free_payloads_.push_back(key.slot);
    current_ = std::max(time, clock_);
    if (event.target == nullptr) {
      std::function<void()> action = std::move(actions_[event.index]);
      free_actions_.push_back(event.index);
      world_.count_event();
      action();
    } else if (event.message) {
      event.target->deliver(event.from, *event.message);
    } else {
      PendingTimer timer = timers_[event.index];
      free_timers_.push_back(event.index);
      event.target->fire_timer(timer.timer, timer.epoch);
    }
    if (world_.stopped())
      break;
  }
  running_ = false;
  arm();
}

}  // namespace shsim
