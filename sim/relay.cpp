#include "sim/relay.hpp"

#include <algorithm>

#include "sim/world.hpp"

namespace shsim {

namespace {
// The share of a block that a node which failed to rebuild a compact block still has to fetch, as
// a histogram (share of the block, weight). Source: SimBlock (dsg-titech/simblock,
// settings/SimulationConfiguration.java, CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_FOR_CONTROL_NODE and
// _FOR_CHURN_NODE, which SimBlock draws uniformly from lists of 210 and 945 entries; the weights
// below are how often each share appears in those lists). A control node's pool misses 1 %.
struct ShareWeight {
  double share;
  int weight;
};
constexpr ShareWeight control_missing[] = {{0.01, 1}};
constexpr ShareWeight churn_missing[]   = {
    {0.01, 546}, {0.02, 66}, {0.03, 39}, {0.04, 27}, {0.05, 21}, {0.06, 17}, {0.07, 14}, {0.08, 12}, {0.09, 11},
    {0.10, 10},  {0.11, 9},  {0.12, 8},  {0.13, 7},  {0.14, 7},  {0.15, 6},  {0.16, 6},  {0.17, 5},  {0.18, 5},
    {0.19, 5},   {0.20, 4},  {0.21, 4},  {0.22, 4},  {0.23, 4},  {0.24, 4},  {0.25, 3},  {0.26, 3},  {0.27, 3},
    {0.28, 3},   {0.29, 3},  {0.30, 3},  {0.31, 3},  {0.32, 3},  {0.33, 2},  {0.34, 2},  {0.35, 2},  {0.36, 2},
    {0.37, 2},   {0.38, 2},  {0.39, 2},  {0.40, 2},  {0.41, 2},  {0.42, 2},  {0.43, 2},  {0.44, 2},  {0.45, 2},
    {0.46, 2},   {0.47, 2},  {0.48, 2},  {0.49, 1},  {0.50, 1},  {0.51, 1},  {0.52, 1},  {0.53, 1},  {0.54, 1},
    {0.55, 1},   {0.56, 1},  {0.57, 1},  {0.58, 1},  {0.59, 1},  {0.60, 1},  {0.61, 1},  {0.62, 1},  {0.63, 1},
    {0.64, 1},   {0.65, 1},  {0.66, 1},  {0.67, 1},  {0.68, 1},  {0.69, 1},  {0.70, 1},  {0.71, 1},  {0.72, 1},
    {0.73, 1},   {0.74, 1},  {0.75, 1},  {0.76, 1},  {0.77, 1},  {0.78, 1},  {0.79, 1},  {0.80, 1},  {0.81, 1},
    {0.82, 1},   {0.83, 1},  {0.84, 1},  {0.85, 1},  {0.86, 1},  {0.87, 1},  {0.88, 1},  {0.89, 1},  {0.90, 1},
    {0.91, 1},   {0.92, 1},  {0.93, 1},  {0.94, 1},  {0.95, 1},  {0.96, 1}};

template <size_t N> double draw_share(const ShareWeight (&histogram)[N], RandomStream& rng)
{
  int total = 0;
  for (const auto& entry : histogram)
    total += entry.weight;
  auto draw = static_cast<int>(rng.below(static_cast<uint64_t>(total)));
  for (const auto& entry : histogram) {
    if (draw < entry.weight)
      return entry.share;
    draw -= entry.weight;
  }
  return histogram[N - 1].share;
}

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
  if (params_.churn_share.value > 0) {  // drawn only when asked for: other runs keep their streams
    RandomStream churn = world.stream("relay.churn");
    for (int n = 0; n < nodes_; ++n)
      churn_.push_back(churn.bernoulli(params_.churn_share.value) ? 1 : 0);
  } else {
    churn_.assign(static_cast<size_t>(nodes_), 0);
  }
}

void BlockRelay::send_missing(int from, int to, uint64_t id)
{
  if (params_.missing == "whole_block") {
    send(from, to, RelayMessage::block, id);
    return;
  }
  if (!world_.node(from).online())
    return;
  // SimBlock draws the missing share by the class of the node that sends it (Node.getFailedBlockSize).
  double share  = churn_[static_cast<size_t>(from)] ? draw_share(churn_missing, rebuild_stream_)
                                                    : draw_share(control_missing, rebuild_stream_);
  auto message  = make_message<RelayMessage>();
  message->step = RelayMessage::block;
  message->id   = id;
  message->bytes = std::max<uint64_t>(1, static_cast<uint64_t>(static_cast<double>(blocks_[id].bytes) * share));
  world_.network().send(from, to, message);
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

void BlockRelay::send(int from, int to, RelayMessage::Step step, uint64_t id, bool unheeded)
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
  bool control = step == RelayMessage::inv || step == RelayMessage::getdata || step == RelayMessage::getblocktxn;
  double processing = control ? params_.processing_delay.seconds : 0;
  if (unheeded)
    world_.network().send_unheeded(from, to, b.messages[step], processing);
  else
    world_.network().send(from, to, b.messages[step], processing);
}

void BlockRelay::announce(int node, uint64_t id)
{
  RelayMessage::Step step = params_.mode == "push" ? RelayMessage::block : RelayMessage::inv;
  for (int peer : neighbours_[node]) {
    if (has(peer, id))  // a peer known to have it (it told us, or we sent it) is skipped
      continue;
    // A peer that has asked for the block ignores every later inv of it (it never asks twice).
    bool unheeded = step == RelayMessage::inv && blocks_[id].state[static_cast<size_t>(peer)] == requested;
    send(node, peer, step, id, unheeded);
  }
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
      send_missing(self, from, id);
      return true;
    case RelayMessage::compact_block:
      if (has(self, id))
        return true;
      if (rebuild_stream_.bernoulli(churn_[static_cast<size_t>(self)] ? params_.churn_compact_failure.value
                                                                      : params_.compact_failure.value)) {
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
