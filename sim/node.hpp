// A node: a protocol participant with its own SimGrid actor.
//
// Its handlers run at the simulated instant their event happens: a message delivered by the latency
// transport or a timer the node set is handled straight from the simulation's event queue (driven
// by one SimGrid kernel timer, see event_queue.hpp), with no context switch: about 0.4 us instead
// of 1 us per event (DESIGN.md). Handlers never block. The node's actor starts it (on_start) on its host; its large
// payloads travel as SimGrid comms carried by actors on that host (see network.hpp).
//
// Crash and recovery are lifecycle hooks of every node: while offline a node drops what arrives
// and the timers it had set, and sends nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "sim/message.hpp"

namespace shsim {

namespace sg4 = simgrid::s4u;
class World;
class Node;

/// An adversary attached to a node (sim/adversary.hpp, AdversaryFactory::attach): it sees the node's
/// messages before the node does and before they leave, without a branch in the node's own code.
class NodeHook {
public:
  virtual ~NodeHook() = default;
  /// False drops the message before the node handles it.
  virtual bool on_receive(const Node& /*node*/, int /*from*/, const Message& /*message*/) { return true; }
  /// False drops a message the node sends.
  virtual bool on_send(const Node& /*node*/, int /*to*/, const Message& /*message*/) { return true; }
};

class Node {
public:
  Node(World& world, int id) : world_(world), id_(id) {}
  virtual ~Node() = default;
  Node(const Node&)            = delete;
  Node& operator=(const Node&) = delete;

  int id() const { return id_; }
  bool online() const { return online_; }

  // ---- called by the engine ----
  void deliver(int from, const Message& message);
  /// Runs `timer` unless the node crashed after setting it (epoch changed) or is offline.
  void fire_timer(const TimerEvent& timer, unsigned epoch);
  void set_online(bool online);
  /// Attaches an adversary's hook (before the run starts, or during it).
  void add_hook(std::shared_ptr<NodeHook> hook);
  /// Whether the attached hooks let a message leave (the network asks for every send, whoever makes it).
  bool lets_send(int to, const Message& message) const { return hooks_.empty() || hooks_let_send(to, message); }
  /// The actor body: starts the node (on_start) unless it is offline at that moment.
  void run();

protected:
  virtual void on_start() {}
  virtual void on_message(int from, const Message& message) = 0;
  virtual void on_timer(const TimerEvent&) {}
  virtual void on_crash() {}
  virtual void on_recover() {}

  /// Sends through the transport the scenario chose for this message's size.
  void send(int to, const MessagePtr& message);
  /// Fires `timer` after `delay` seconds unless the node crashes meanwhile.
  void set_timer(double delay, const TimerEvent& timer);
  double now() const;
  World& world() const { return world_; }

private:
  bool hooks_let_send(int to, const Message& message) const;

  World& world_;
  int id_;
  bool online_    = true;
  bool started_   = false;  // on_start() runs when the actor starts online, or at the first recovery
  unsigned epoch_ = 0;  // timers set before a crash are void after it
  std::vector<std::shared_ptr<NodeHook>> hooks_;  // usually none: one size check per message
};

}  // namespace shsim
