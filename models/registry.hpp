// The one place that knows every model: the entry point calls register_all() before loading a scenario.
#pragma once

#include "sim/protocol.hpp"

namespace shsim::models {

namespace tendermint {
void register_protocol(ProtocolRegistry& registry);
}

inline void register_all()
{
  auto& registry = ProtocolRegistry::instance();
  if (registry.find_parent("tendermint") == nullptr)
    tendermint::register_protocol(registry);
}

}  // namespace shsim::models
