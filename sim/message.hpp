// What nodes exchange. A model derives its message types from Message; one immutable payload is
// shared by every recipient of a broadcast.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/intrusive_ptr.hpp>

namespace shsim {

/// A message class ("vote", "proposal", ...), interned by name: two kinds with the same name are
/// the same kind, whatever translation unit or string literal made them. Handlers dispatch on it
/// by comparing small integers, never string pointers (identical literals are merged or not at the
/// linker's whim). Ids follow registration order, so they never reach an output: names do.
class MessageKind {
public:
  explicit MessageKind(std::string_view name);
  uint16_t id() const { return id_; }
  const std::string& name() const;
  friend bool operator==(MessageKind a, MessageKind b) { return a.id_ == b.id_; }
  /// The name of the kind with this id.
  static const std::string& name_of(uint16_t id);

private:
  uint16_t id_;
};

struct Message {
  Message()                          = default;
  Message(const Message& other)      : bytes(other.bytes) {}  // a copy starts with no owners
  Message& operator=(const Message&) = delete;
  virtual ~Message()                 = default;
  /// Simulated size on the wire.
  uint64_t bytes = 0;
  /// Message class, used for dispatch and traffic accounting ("vote", "proposal", ...).
  virtual MessageKind kind() const = 0;
  /// What it is about, for message-level recording (output.messages): a height or slot, a round,
  /// a block id; -1 / -1 / 0 when the model says nothing.
  struct Tag {
    long long height = -1;
    int round        = -1;
    uint64_t block   = 0;
  };
  virtual Tag tag() const { return {}; }

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
