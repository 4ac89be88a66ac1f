#include "sim/world.hpp"

#include <string>

namespace shsim {

World::~World() = default;

void World::add_node(std::unique_ptr<Node> node)
{
  Node* raw = node.get();
  nodes_.push_back(std::move(node));
  // A node starts as an event (no SimGrid actor of its own: its handlers run from the event queue),
  // after whatever was scheduled for the same instant before it (a crash at t = 0).
  queue_->call_at(queue_->now(), [raw]() { raw->run(); });
}

}  // namespace shsim
