// What nodes exchange. A model derives its message types from Message; one immutable payload is
// shared by every recipient of a broadcast.
#pragma once

#include <cstdint>

#include <boost/intrusive_ptr.hpp>

namespace shsim {

struct Message {
  Message()                          = default;
  Message(const Message& other)      : bytes(other.bytes) {}  // a copy starts with no owners
  Message& operator=(const Message&) = delete;
  virtual ~Message()                 = default;
  /// Simulated size on the wire.
  uint64_t bytes = 0;
  /// Message class, used for transport choice and traffic accounting ("vote", "proposal", ...).
  virtual const char* kind() const = 0;

  // Owners count without atomics: the simulation runs in one thread. A small pointer also keeps a
  // delivery's timer callback within SimGrid's inline storage (no allocation per message).
  mutable uint32_t owners_ = 0;
  friend void intrusive_ptr_add_ref(const Message* m) { ++m->owners_; }
  friend void intrusive_ptr_release(const Message* m)
  {
    if (--m->owners_ == 0)
      delete m;
  }
};
using MessagePtr = boost::intrusive_ptr<const Message>;

/// Makes a message of type M owned by a MessagePtr.
template <class M, class... Args> boost::intrusive_ptr<M> make_message(Args&&... args)
{
  return boost::intrusive_ptr<M>(new M(std::forward<Args>(args)...));
}

/// A timer a node set for itself; the model gives the fields their meaning.
struct TimerEvent {
  int kind        = 0;
  long long first = 0;
  long long second = 0;
};

}  // namespace shsim
