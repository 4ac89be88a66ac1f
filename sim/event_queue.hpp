// The simulation's own queue of pending deliveries, node timers and timed actions, and its clock.
//
// SimGrid's kernel timers live in a Fibonacci heap with one allocation per timer; with tens of
// thousands of messages in flight that heap was a third of the run time. Our events sit in a
// timing wheel (below: no allocation per event in steady state), and exactly one kernel timer is
// armed, at the earliest event. Events run in order of (time, insertion), which makes the order of simultaneous
// events explicit and deterministic.
//
// Running ahead: a kernel timer costs about 0.23 us (DESIGN.md), as much as a whole delivery should,
// and with jittered latencies every delivery has its own instant. So when the timer fires the queue
// runs every event due before the next moment SimGrid has anything else to do, each at its own time
// (now() is the running event's time, not SimGrid's clock), and re-arms once. It may run ahead while
// SimGrid has nothing of ours in progress: no flow comm in flight (foreign_started / _finished) and
// no actor due to wake before the event (set_horizon: the watchdog, the only actor that sleeps).
// Everything else that acts at a time (nodes starting, the director's timeline, outages, workload
// arrivals, samples) is an event of this queue, so running ahead changes no result: an event sees
// the state every earlier event left, whether SimGrid's clock was woken for it or not.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/message.hpp"

namespace simgrid::kernel::timer {
class Timer;
}

namespace shsim {

class Node;
class World;

class EventQueue {
public:
  explicit EventQueue(World& world) : world_(world) {}

  /// Delivers `message` from `from` to `target` at `time`.
  void deliver_at(double time, Node* target, int from, MessagePtr message);
  /// Fires `timer` on `target` at `time` if the node has not crashed since (`epoch`).
  void timer_at(double time, Node* target, const TimerEvent& timer, unsigned epoch);
  /// Runs `action` at `time`, whatever happens to any node: the clock of a contract on a chain.
  void call_at(double time, std::function<void()> action);

  /// The simulated time: the running event's while the queue runs, SimGrid's clock otherwise.
  double now() const { return running_ ? current_ : engine_clock(); }
  /// True while the queue runs an event later than SimGrid's clock (a SimGrid call made now would
  /// act at the wrong time: defer it to now() with a kernel timer, as the flow transport does).
  bool ahead() const { return running_ && current_ > clock_; }
  /// A SimGrid activity the queue must not overtake began (a flow comm) or ended: while any is in
  /// progress, events run only when SimGrid's clock reaches them.
  void foreign_started() { ++foreign_; }
  void foreign_finished() { --foreign_; }
  /// The queue may run events up to `time` ahead of SimGrid's clock (the watchdog's next wake-up).
  void set_horizon(double time) { horizon_ = time; }

private:
  // Events are ordered by (time, insertion number). The order lives in small keys (time, insertion
  // number, payload slot); payloads stay put in a slab and are recycled.
  //
  // The keys sit in a timing wheel (a calendar queue: Brown, CACM 1988): time is cut into buckets of
  // 1 ms; keys of the next `buckets` - 1 buckets are appended unsorted to their bucket; later keys
  // wait in a 4-ary heap (far_). When the current bucket runs dry the next one's keys, and the far
  // keys that have come into it, are sorted once into run_, which is then read front to back; a key
  // pushed into the current bucket (or an earlier one) while it runs goes to a small 4-ary heap
  // (near_), and the next event is the earlier of run_'s next key and near_'s top. With messages
  // arriving a few per millisecond a push is an append; in a vote storm (a hundred validators
  // broadcasting at once: thousands of keys in one bucket) one sort costs about half of popping
  // them one by one from a heap, which had been a fifth of such a run.
  struct Key {
    double time;
    uint64_t sequence;
    uint32_t slot;
  };
  static bool before(const Key& a, const Key& b)
  {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
  struct Payload {  // 24 bytes: most events are deliveries, which need no more
    Node* target = nullptr;  // null for a call_at action
    MessagePtr message;      // null for a timer or an action
    int from       = -1;
    uint32_t index = 0;      // a timer's slot in timers_, an action's in actions_
  };
  struct PendingTimer {
    TimerEvent timer;
    unsigned epoch = 0;
  };
  static constexpr double buckets_per_second = 1000;  // 1 ms buckets
  static constexpr int64_t buckets            = 4096;  // a wheel of 4.096 s
  // A multiplication (monotone in time, as the order of buckets must be), not a division.
  static int64_t bucket_of(double time) { return static_cast<int64_t>(std::floor(time * buckets_per_second)); }
  static void heap_push(std::vector<Key>& heap, Key key);
  static Key heap_pop(std::vector<Key>& heap);

  static double engine_clock();
  void push(double time, Payload payload);
  /// Makes run_ or near_ hold the earliest key (false: no event is pending).
  bool fill_near();
  /// The first bucket after the current one whose wheel slot holds keys (none: INT64_MAX).
  int64_t next_occupied() const;
  /// The earliest pending key (after fill_near() returned true).
  const Key& earliest() const
  {
    if (next_in_run_ < run_.size() && (near_.empty() || before(run_[next_in_run_], near_.front())))
      return run_[next_in_run_];
    return near_.front();
  }
  /// Takes the earliest pending key out (after fill_near() returned true).
  Key take_earliest()
  {
    if (next_in_run_ < run_.size() && (near_.empty() || before(run_[next_in_run_], near_.front())))
      return run_[next_in_run_++];
    return heap_pop(near_);
  }
  void arm();
  void run_due();

  World& world_;
  std::vector<Key> near_, far_;
  std::vector<Key> run_;    // the current bucket's keys, sorted; [next_in_run_, end) are pending
  size_t next_in_run_ = 0;
  std::vector<std::vector<Key>> wheel_{static_cast<size_t>(buckets)};
  // Bit b set: wheel_[b] holds keys. Sparse runs (an event every few seconds) jump from one
  // occupied bucket to the next instead of visiting every empty millisecond.
  std::array<uint64_t, buckets / 64> occupied_{};
  int64_t current_bucket_ = 0;  // run_ and near_ hold every key of this bucket and earlier
  size_t in_wheel_        = 0;
  std::vector<Payload> payloads_;
  std::vector<uint32_t> free_payloads_;
  std::vector<PendingTimer> timers_;
  std::vector<uint32_t> free_timers_;
  std::vector<std::function<void()>> actions_;  // call_at events: target null, index = slot
  std::vector<uint32_t> free_actions_;
  uint64_t next_sequence_ = 0;
  simgrid::kernel::timer::Timer* armed_ = nullptr;
  double armed_at_                      = 0;
  bool running_                         = false;
  double current_                       = 0;  // the running event's time
  double clock_                         = 0;  // SimGrid's clock when the queue was woken
  double horizon_                       = 0;
  int foreign_                          = 0;
};

}  // namespace shsim
