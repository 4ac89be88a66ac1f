#include "sim/world.hpp"

#include <string>

namespace shsim {

World::~World() = default;

void World::add_node(std::unique_ptr<Node> node)
{
  Node* raw = node.get();
  nodes_.push_back(std::move(node));
  sg4::Actor::create("node-" + std::to_string(raw->id()), placements_[static_cast<size_t>(raw->id())].host,
                     [raw]() { raw->run(); });
}

}  // namespace shsim
