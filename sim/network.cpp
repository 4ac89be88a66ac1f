#include "sim/network.hpp"

#include <algorithm>
#include <limits>

#include <simgrid/kernel/Timer.hpp>


#include "sim/node.hpp"
#include "sim/world.hpp"

namespace shsim {

Network::Network(World& world, std::vector<Placement> placements)
    : world_(world)
    , scenario_(world.scenario())
    , placements_(std::move(placements))
    , jitter_stream_(static_cast<uint64_t>(world.scenario().seed), "network.jitter")
    , unheeded_stream_(static_cast<uint64_t>(world.scenario().seed), "network.jitter.unheeded")
    , uses_platform_file_(!world.scenario().network.platform_file.empty())
    , messages_sent_(placements_.size(), 0)
    , bytes_sent_(placements_.size(), 0)
{
  const std::string& mode = scenario_.network.transport.mode;
  mode_ = mode == "latency" ? Mode::latency
          : mode == "flow"  ? Mode::flow
          : mode == "queued" ? Mode::queued
                             : Mode::automatic;
  const auto& access = scenario_.network.access;
  const RegionMatrix& regions = world.regions();
  for (size_t r = 0; r < regions.regions.size(); ++r) {
    upload_bps_.push_back(access.regional_bandwidth ? regions.upload_bps[r] : access.upload.bits_per_second);
    download_bps_.push_back(access.regional_bandwidth ? regions.download_bps[r] : access.download.bits_per_second);
  }
  // Every path between two regions, computed once (consulted twice per message).
  region_count_ = regions.regions.size();
  for (size_t a = 0; a < region_count_; ++a)
    for (size_t b = 0; b < region_count_; ++b) {
      double latency   = 2 * access.latency.seconds + regions.latency(static_cast<int>(a), static_cast<int>(b));
      double bandwidth = std::min(upload_bps_[a], download_bps_[b]);
      if (a != b)
        bandwidth = std::min(bandwidth, scenario_.network.backbone.bits_per_second);
      region_paths_.push_back({latency, bandwidth});
    }
  upload_free_at_.assign(static_cast<size_t>(world.population().machine_count()), 0);
  queue_frees_on_arrival_ = scenario_.network.transport.queue_frees == "arrival";
  const std::string& jitter = scenario_.network.jitter.kind;
  jitter_kind_ = jitter == "uniform"       ? JitterKind::uniform
                 : jitter == "exponential" ? JitterKind::exponential
                 : jitter == "pareto"      ? JitterKind::pareto
                 : jitter == "simblock"    ? JitterKind::simblock
                                           : JitterKind::none;
}

void Network::add_partition(double from, double until, std::vector<int> group_of_region)
{
  partitions_.push_back({from, until, std::move(group_of_region)});
}

Network::PathInfo Network::path(int from, int to) const
{
  const Placement& a = placements_[from];
  const Placement& b = placements_[to];
  if (uses_platform_file_) {
    // A user platform: ask SimGrid for the route once per host pair.
    auto key   = std::make_pair(a.host, b.host);
    auto found = route_cache_.find(key);
    if (found != route_cache_.end())
      return found->second;
    std::vector<sg4::Link*> links;
    double latency = 0;
    a.host->route_to(b.host, links, &latency);
    double bandwidth = std::numeric_limits<double>::infinity();
    for (const auto* link : links)
      bandwidth = std::min(bandwidth, link->get_bandwidth() * 8);  // SimGrid counts bytes per second
    return route_cache_[key] = {latency, bandwidth};
  }
  return region_paths_[static_cast<size_t>(a.region) * region_count_ + static_cast<size_t>(b.region)];
}

double Network::path_latency(int from, int to) const { return path(from, to).latency; }

double Network::serialization_time(int from, int to, uint64_t bytes) const
{
  return static_cast<double>(bytes) * 8 / path(from, to).bandwidth;
}

Network::Transport Network::transport_for(uint64_t bytes) const
{
  if (mode_ == Mode::latency)
    return Transport::latency;
  if (mode_ == Mode::flow)
    return Transport::flow;
  if (bytes < scenario_.network.transport.flow_threshold.count)
    return Transport::latency;
  return mode_ == Mode::queued ? Transport::queued : Transport::flow;
}

bool Network::partitioned(int from, int to, double time) const
{
  for (const auto& window : partitions_)
    if (time >= window.from && time < window.until &&
        window.group_of_region[placements_[from].region] != window.group_of_region[placements_[to].region])
      return true;
  return false;
}

double Network::draw_jitter(RandomStream& stream)
{
  const Jitter& jitter = scenario_.network.jitter;
  switch (jitter_kind_) {
    case JitterKind::uniform:
      return stream.uniform(0, jitter.max.seconds);
    case JitterKind::exponential:
      return stream.exponential(jitter.mean.seconds);
    case JitterKind::pareto:
      return jitter.scale.seconds * (std::pow(stream.uniform01(), -1.0 / jitter.shape) - 1);
    case JitterKind::none:
    case JitterKind::simblock:
      break;
  }
  return 0;
}

double Network::draw_latency(double latency, RandomStream& stream)
{
  if (jitter_kind_ != JitterKind::simblock)
    return latency + draw_jitter(stream);
  // SimBlock (NetworkConfiguration / Main.getLatency): Pareto with shape 0.2 m and scale m - 5 ms,
  // m the mean latency in milliseconds; its mean is (m - 5) x 0.2m / (0.2m - 1), about m.
  double mean_ms = latency * 1e3;
  double shape   = 0.2 * mean_ms;
  if (shape <= 1 || mean_ms <= 5)
    return latency;
  return stream.pareto(mean_ms - 5, shape) * 1e-3;
}

void Network::send(int from, int to, const MessagePtr& message, double processing)
{
  send(from, to, message, processing, false);
}

void Network::send_unheeded(int from, int to, const MessagePtr& message, double processing)
{
  send(from, to, message, processing, true);
}

void Network::send(int from, int to, const MessagePtr& message, double processing, bool unheeded)
{
  double now = world_.now();
  if (hooks_ && !world_.node(from).lets_send(to, *message)) {  // an adversary's hook held it back
    if (record_)
      record(now, from, to, *message, -1, true);
    return;
  }
  ++messages_sent_[from];
  bytes_sent_[from] += message->bytes;
  Transport transport = transport_for(message->bytes);
  auto& counters      = class_counters(message->kind());
  counters[transport == Transport::flow ? 2 : 0] += 1;  // the queued transport is latency-driven
  counters[transport == Transport::flow ? 3 : 1] += message->bytes;
  if (partitioned(from, to, now)) {
    ++dropped_;
    if (record_)
      record(now, from, to, *message, -1, true);
    return;
  }
  // A message its receiver is known to ignore is counted above but not carried: its delivery would
  // change nothing, unless something watches messages (adversaries' hooks, output.messages).
  if (unheeded && transport == Transport::latency && !hooks_ && !record_)
    return;  // results equal those of carrying it (tested): its latency comes from a stream of its own
  RandomStream& draws = unheeded ? unheeded_stream_ : jitter_stream_;
  const int machine = world_.machine_of(from);
  if (machine == world_.machine_of(to)) {  // to itself, or to a role on its own machine: no network
    if (record_)
      record(now, from, to, *message, now, false);
    deliver_later(from, to, message, processing);
    return;
  }
  if (transport == Transport::latency) {
    PathInfo route = path(from, to);
    double delay   = draw_latency(route.latency, draws) + static_cast<double>(message->bytes) * 8 / route.bandwidth + processing;
    if (record_)
      record(now, from, to, *message, now + delay, false);
    deliver_later(from, to, message, delay);
    return;
  }
  if (transport == Transport::queued) {
    // One large message at a time leaves each node: wait for the upload queue, then transfer at the
    // narrower of the two ends.
    // One upload queue per machine: the roles on it share its link.
    double start    = std::max(now, upload_free_at_[static_cast<size_t>(machine)]);
    double transfer = static_cast<double>(message->bytes) * 8 / std::min(upload_bps(from), download_bps(to));
    double latency  = draw_latency(path(from, to).latency, draws);
    // The queue takes its next message once this one is on the wire, or (SimBlock) once it has arrived.
    upload_free_at_[static_cast<size_t>(machine)] = start + transfer + (queue_frees_on_arrival_ ? latency : 0);
    double delay = start + transfer - now + latency + processing;
    if (record_)
      record(now, from, to, *message, now + delay, false);
    deliver_later(from, to, message, delay);
    return;
  }
  if (record_)  // its arrival depends on the flows sharing the links: message_arrived says when
    record(now, from, to, *message, -1, false);
  // Flow transport: a SimGrid comm between the two hosts, carried by a short-lived actor on the
  // sender's host, so every transfer completes on its own schedule (no head-of-line blocking, no
  // detached comms, whose cost grows with the number in flight in SimGrid 3.32). While it is in
  // flight the event queue waits for SimGrid's clock (sim/event_queue.hpp).
  EventQueue& queue = world_.events();
  queue.foreign_started();
  auto launch = [this, from, to, message, processing]() {
    sg4::Actor::create("flow-" + std::to_string(from), placements_[from].host, [this, from, to, message, processing]() {
      sg4::Comm::sendto(placements_[from].host, placements_[to].host, message->bytes);
      world_.events().foreign_finished();
      double jitter = draw_jitter();
      if (record_) {
        Message::Tag tag = message->tag();
        world_.recorder().event(world_.now() + jitter, world_.population().owner[static_cast<size_t>(to)], to,
                                "message_arrived", tag.height, tag.round, {from, message->kind().name()});
      }
      if (jitter + processing > 0)
        deliver_later(from, to, message, jitter + processing);
      else
        world_.node(to).deliver(from, *message);
    });
  };
  if (queue.ahead())  // the queue runs ahead of SimGrid's clock: start the comm when SimGrid gets there
    simgrid::kernel::timer::Timer::set(now, std::move(launch));
  else
    launch();
}

void Network::record(double now, int from, int to, const Message& message, double arrives, bool dropped)
{
  Message::Tag tag = message.tag();
  world_.recorder().event(now, world_.population().owner[static_cast<size_t>(from)], from, "message", tag.height,
                          tag.round, {to, message.bytes, arrives, tag.block, dropped, message.kind().name()});
}

void Network::deliver_later(int from, int to, const MessagePtr& message, double delay)
{
  world_.events().deliver_at(world_.now() + delay, &world_.node(to), from, message);
}

std::array<uint64_t, 4>& Network::class_counters(MessageKind kind)
{
  if (kind.id() >= per_class_.size()) {
    per_class_.resize(kind.id() + 1, {0, 0, 0, 0});
    class_seen_.resize(kind.id() + 1, false);
  }
  if (!class_seen_[kind.id()])
    class_seen_[kind.id()] = true;
  return per_class_[kind.id()];
}

nlohmann::json Network::transports_json() const
{
  std::map<std::string, std::array<uint64_t, 4>> by_name;  // sorted, and merges equal names
  for (size_t id = 0; id < per_class_.size(); ++id)
    if (class_seen_[id])
      by_name[MessageKind::name_of(static_cast<uint16_t>(id))] = per_class_[id];
  nlohmann::json classes = nlohmann::json::object();
  for (const auto& [kind, c] : by_name)
    classes[kind] = {{"latency_transport", {{"messages", c[0]}, {"bytes", c[1]}}},
                     {"flow_transport", {{"messages", c[2]}, {"bytes", c[3]}}}};
  const auto& policy = scenario_.network.transport;
  return {{"policy",
           policy.mode == "auto" ? fmt::format("auto: flow transport from {} up", format_bytes(policy.flow_threshold))
                                 : policy.mode},
          {"latency_transport", "route latency + size / narrowest link + jitter, delivered by a kernel timer "
                                "(no bandwidth sharing)"},
          {"flow_transport", "SimGrid comm over the platform links (bandwidth shared), jitter added on arrival"},
          {"queued_transport", "large messages leave each node one at a time at min(sender upload, receiver "
                               "download), then take the path latency; counted with the latency transport"},
          {"messages_dropped_by_partitions", dropped_},
          {"classes", classes}};
}

}  // namespace shsim
