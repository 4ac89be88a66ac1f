#include "sim/relay.hpp"

#include <algorithm>

#include "sim/world.hpp"

namespace shsim {

namespace {
const MessageKind step_kinds[] = {MessageKind{"block_inv"},         MessageKind{"block_getdata"},
                                  MessageKind{"compact_block"},     MessageKind{"block_getblocktxn"},
                                  MessageKind{"block"},             MessageKind{"block_validated"}};
}

std::string relay_transport_warning(const Scenario& scenario, uint64_t block_bytes)
{
  const auto& transport = scenario.network.transport;
  if (transport.mode == "queued" || transport.mode == "latency" || scenario.parent.validators.count <= 100 ||
      (transport.mode == "auto" && block_bytes < transport.flow_threshold.count))
    return "";
  return "blocks take the flow transport (one SimGrid comm and actor per hop): with many nodes this is slow; "
         "network.transport.mode: queued models per-node upload queues at the latency transport's cost";
}

Metrics relay_metrics()
{
  using namespace metric;
  return {
      count("propagation.blocks", "blocks", "blocks whose propagation was measured"),
      count("propagation.compact_rebuild_failures", "blocks",
            "compact blocks a node could not rebuild from its pool (it then fetched the whole block)"),
      count("propagation.duplicate_blocks_received", "blocks", "copies of a block a node already had"),
      distribution("propagation.time_to_50_percent", "s", "from a block's creation until half the nodes have it"),
      distribution("propagation.time_to_90_percent", "s", "from a block's creation until 90 % of the nodes have it"),
      distribution("propagation.time_to_100_percent", "s", "from a block's creation until every node has it"),
  };
}

MessageKind RelayMessage::kind() const { return step_kinds[step]; }

bool RelayMessage::is(const Message& message)
{
  MessageKind kind = message.kind();
  return std::find(std::begin(step_kinds), std::end(step_kinds), kind) != std::end(step_kinds);
}

BlockRelay::BlockRelay(World& world, RelayParams params, std::vector<std::vector<int>> neighbours)
    : world_(world)
    , params_(std::move(params))
    , neighbours_(std::move(neighbours))
    , nodes_(static_cast<int>(neighbours_.size()))
    , rebuild_stream_(world.stream("relay.compact_rebuild"))
    , cpu_free_at_(neighbours_.size(), 0)
{
  // Which nodes speak compact blocks is drawn once per node from its own stream.
  RandomStream capable = world.stream("relay.compact_capable");
  for (int n = 0; n < nodes_; ++n)
    compact_capable_.push_back(params_.mode == "compact" && capable.bernoulli(params_.compact_share.value));
}

BlockRelay::Block& BlockRelay::block(uint64_t id)
{
  if (id >= blocks_.size())
    blocks_.resize(id + 1);
  Block& b = blocks_[id];
  if (b.state.empty() && b.holders < static_cast<uint32_t>(nodes_))
    b.state.assign(nodes_, none);
  return b;
}

bool BlockRelay::has(int node, uint64_t id) const
{
  if (id >= blocks_.size())
    return false;
  const Block& b = blocks_[id];
  return b.state.empty() ? b.holders == static_cast<uint32_t>(nodes_) : b.state[node] == have;
}

void BlockRelay::created(int origin, uint64_t id, uint64_t bytes)
{
  Block& b  = block(id);
  b.created = world_.now();
  b.bytes   = bytes;
  received(origin, id);
}

void BlockRelay::send(int from, int to, RelayMessage::Step step, uint64_t id)
{
  if (!world_.node(from).online())
    return;
  Block& b = blocks_[id];
  if (!b.messages[step]) {
    auto message  = make_message<RelayMessage>();
    message->step = step;
    message->id   = id;
    message->bytes = step == RelayMessage::block           ? b.bytes
                     : step == RelayMessage::compact_block ? params_.compact_bytes.count
                                                           : params_.announcement_bytes.count;
    b.messages[step] = message;
  }
  world_.network().send(from, to, b.messages[step]);
}

void BlockRelay::announce(int node, uint64_t id)
{
  RelayMessage::Step step = params_.mode == "push" ? RelayMessage::block : RelayMessage::inv;
  for (int peer : neighbours_[node])
    if (!has(peer, id))  // a peer known to have it (it told us, or we sent it) is skipped
      send(node, peer, step, id);
}

void BlockRelay::request(int node, int peer, uint64_t id)
{
  if (has(node, id))
    return;
  block(id).state[node] = requested;
  send(node, peer, RelayMessage::getdata, id);
}

bool BlockRelay::handle(int self, int from, const Message& message)
{
  if (!RelayMessage::is(message))
    return false;
  const auto& relay = static_cast<const RelayMessage&>(message);
  uint64_t id       = relay.id;
  switch (relay.step) {
    case RelayMessage::inv: {
      Block& b = block(id);
      if (b.state.empty() || b.state[self] != none)
        return true;  // had it or asked for it already
      b.state[self] = requested;
      send(self, from, RelayMessage::getdata, id);
      return true;
    }
    case RelayMessage::getdata:
      // Between two compact-capable peers the answer is a compact block (BIP 152).
      send(self, from, compact_capable_[self] && compact_capable_[from] ? RelayMessage::compact_block
                                                                       : RelayMessage::block,
           id);
      return true;
    case RelayMessage::getblocktxn:
      send(self, from, RelayMessage::block, id);
      return true;
    case RelayMessage::compact_block:
      if (has(self, id))
        return true;
      if (rebuild_stream_.bernoulli(params_.compact_failure.value)) {
        ++rebuild_failures_;
        send(self, from, RelayMessage::getblocktxn, id);
        return true;
      }
      [[fallthrough]];
    case RelayMessage::block: {
      Block& b = block(id);
      if (b.state.empty() || b.state[self] == have) {
        ++duplicates_;
        return true;
      }
      b.state[self] = have;  // no second copy is fetched while this one is validated
      // Validation: one block at a time per node.
      double start = std::max(world_.now(), cpu_free_at_[self]);
      cpu_free_at_[self] = start + params_.validation.seconds;
      if (params_.validation.seconds == 0) {
        received(self, id);
        return true;
      }
      auto done   = make_message<RelayMessage>();
      done->step  = RelayMessage::validated;
      done->id    = id;
      world_.events().deliver_at(cpu_free_at_[self], &world_.node(self), self, done);
      return true;
    }
    case RelayMessage::validated:
      received(self, id);
      return true;
  }
  return true;
}

void BlockRelay::received(int node, uint64_t id)
{
  Block& b = block(id);
  b.state[node] = have;
  ++b.holders;
  double elapsed = world_.now() - b.created;
  bool sampled   = !world_.recorder().in_warmup(b.created);  // warm-up blocks stay out of the distributions
  // Receptions come in time order, so each threshold is crossed once, at its time.
  if (2 * b.holders >= static_cast<uint32_t>(nodes_) && 2 * (b.holders - 1) < static_cast<uint32_t>(nodes_)) {
    if (sampled)
      to_50_.add(elapsed);
    b.to_50 = elapsed;
  }
  if (10 * b.holders >= 9 * static_cast<uint32_t>(nodes_) && 10 * (b.holders - 1) < 9 * static_cast<uint32_t>(nodes_)) {
    if (sampled)
      to_90_.add(elapsed);
    b.to_90 = elapsed;
  }
  if (b.holders == static_cast<uint32_t>(nodes_)) {
    if (sampled)
      to_100_.add(elapsed);
    world_.recorder().event(world_.now(), world_.scenario().parent.name, -1, "block_propagated",
                                 static_cast<long long>(id), -1,
                                 {b.bytes, b.to_50, b.to_90, elapsed});
    b.state.clear();
    b.state.shrink_to_fit();
  }
  if (on_validated)
    on_validated(node, id);
}

const Samples& BlockRelay::time_to(int percent) const { return percent == 50 ? to_50_ : percent == 90 ? to_90_ : to_100_; }

nlohmann::json BlockRelay::summary() const
{
  return {{"mode", params_.mode},
          {"blocks", blocks_.size()},
          {"time_to_50_percent", to_50_.to_json()},
          {"time_to_90_percent", to_90_.to_json()},
          {"time_to_100_percent", to_100_.to_json()},
          {"compact_rebuild_failures", rebuild_failures_},
          {"duplicate_blocks_received", duplicates_}};
}

}  // namespace shsim
