// The simulation's own queue of pending deliveries and node timers.
//
// SimGrid's kernel timers live in a Fibonacci heap with one allocation per timer; with tens of
// thousands of messages in flight that heap was a third of the run time. Our events sit in one
// binary heap (a vector: no allocation per event), and exactly one kernel timer is armed, at the
// earliest event. When it fires, every event due at that instant runs in order of (time, insertion),
// which also makes the order of simultaneous events explicit and deterministic.
#pragma once

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

private:
  struct Event {
    double time;
    uint64_t sequence;
    Node* target;
    MessagePtr message;  // null for a timer
    int from;
    unsigned epoch;
    TimerEvent timer;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const
    {
      return a.time > b.time || (a.time == b.time && a.sequence > b.sequence);
    }
  };
  void push(Event event);
  void arm();
  void run_due();

  World& world_;
  std::vector<Event> heap_;
  std::vector<std::function<void()>> actions_;  // call_at events: target null, timer.first = index
  std::vector<size_t> free_actions_;
  uint64_t next_sequence_ = 0;
  simgrid::kernel::timer::Timer* armed_ = nullptr;
  double armed_at_                      = 0;
  bool running_                         = false;
};

}  // namespace shsim
