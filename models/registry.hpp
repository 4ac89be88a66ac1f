// The one place that knows every model: the entry point calls register_all() before loading a scenario.
#pragma once

#include "sim/protocol.hpp"

namespace shsim::models {

namespace tendermint {
void register_protocol(ProtocolRegistry& registry);
}
namespace gasper {
void register_protocol(ProtocolRegistry& registry);
}
namespace nakamoto {
void register_protocol(ProtocolRegistry& registry);
}
namespace rollup {
void register_optimistic(ProtocolRegistry& registry);
void register_zk(ProtocolRegistry& registry);
}  // namespace rollup
namespace bridge {
void register_bridge(ProtocolRegistry& registry);
}
namespace price {
void register_price(ProtocolRegistry& registry);
}
namespace oracle {
void register_oracle(ProtocolRegistry& registry);
}
namespace perp {
void register_perp(ProtocolRegistry& registry);
}
namespace collateral {
void register_collateral(ProtocolRegistry& registry);
}

inline void register_all()
{
  auto& registry = ProtocolRegistry::instance();
  if (registry.find_parent("tendermint") != nullptr)
    return;
  tendermint::register_protocol(registry);
  registry.set_default_parent("tendermint");
  nakamoto::register_protocol(registry);
  gasper::register_protocol(registry);
  rollup::register_optimistic(registry);
  rollup::register_zk(registry);
  bridge::register_bridge(registry);
  price::register_price(registry);
  oracle::register_oracle(registry);
  perp::register_perp(registry);
  collateral::register_collateral(registry);
}

}  // namespace shsim::models
