// The transport. Two ways to carry a message, chosen by its size (network.transport):
//  - latency transport: delivery after path latency + size / bottleneck bandwidth + jitter, through
//    the simulation's event queue straight into the receiver's handler (no SimGrid comm, ~0.4 us per
//    message); no contention between messages.
//  - flow transport: a SimGrid comm over the platform's links (bandwidth shared between concurrent
//    flows by the network model), carried by a short-lived actor on the sender's host.
// Both see the same links, so an uncontended message takes the same time on either (tested).
//  - queued transport (network.transport.mode: queued): a large message waits for its sender's
//    machine's upload queue (one large message at a time per machine, whichever of its roles sends it) and goes at min(sender upload, receiver
//    download), then takes the path latency (SimBlock's model); no SimGrid comm, so it costs what the
//    latency transport costs and scales to 10 000 nodes. Small messages take the latency transport.
//    The queue takes its next message once the last is transferred, or (queue_frees: arrival,
//    SimBlock's model) once it has arrived.
// A message to the sender itself or to another role on its machine does not touch the network: it
// arrives at once. Partitions drop messages between groups of regions while they are active.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <simgrid/s4u.hpp>

#include "sim/message.hpp"
#include "sim/platform.hpp"
#include "sim/rng.hpp"
#include "sim/scenario.hpp"
#include "sim/stats.hpp"

namespace shsim {

namespace sg4 = simgrid::s4u;
class World;

class Network {
public:
  enum class Transport { latency, flow, queued };
  /// A node got an adversary's hook (Node::add_hook): from now on each send asks the sender's hooks.
  void hooks_attached() { hooks_ = true; }
  /// output.messages: every message sent becomes a `message` event (and `message_arrived` for the flow transport).
  void record_messages() { record_ = true; }

  Network(World& world, std::vector<Placement> placements);

  /// Sends `message`; `processing` seconds are added to its delivery (the receiver's handling of
  /// it, as SimBlock's 10 ms per control message).
  void send(int from, int to, const MessagePtr& message, double processing = 0);
  /// Sends a small message that its receiver will ignore on arrival, whatever happens meanwhile (an
  /// announcement of a block it has already asked for): counted like any other, but not carried
  /// unless something watches messages (an adversary's hook, output.messages). Saves the event.
  void send_unheeded(int from, int to, const MessagePtr& message, double processing = 0);

  /// One-way latency between two nodes without jitter (seconds).
  double path_latency(int from, int to) const;
  /// Time to push `bytes` through the path's narrowest link when nothing else uses it.
  double serialization_time(int from, int to, uint64_t bytes) const;
  Transport transport_for(uint64_t bytes) const;
  bool partitioned(int from, int to, double time) const;
  /// Drops messages between regions of different groups from `from` to `until` (a partition adversary).
  void add_partition(double from, double until, std::vector<int> group_of_region);
  /// Draws the jitter of one message (from the network's stream, or `stream`).
  double draw_jitter() { return draw_jitter(jitter_stream_); }
  double draw_jitter(RandomStream& stream);
  /// The delay of one message over the path's latency: its jitter, or with SimBlock's latency
  /// distribution the whole latency drawn around the path's mean.
  double draw_latency(int from, int to) { return draw_latency(path(from, to).latency, jitter_stream_); }
  /// The same for a path of this mean latency, from `stream`.
  double draw_latency(double latency, RandomStream& stream);
  /// Upload and download bandwidth of a node (bits per second).
  double upload_bps(int node) const { return upload_bps_[placements_[node].region]; }
  double download_bps(int node) const { return download_bps_[placements_[node].region]; }

  const Placement& placement(int node) const { return placements_[node]; }

  // Traffic accounting.
  uint64_t messages_sent(int node) const { return messages_sent_[node]; }
  uint64_t bytes_sent(int node) const { return bytes_sent_[node]; }
  nlohmann::json transports_json() const;

private:
  struct PathInfo {
    double latency;
    double bandwidth;  // narrowest link, bits per second
  };
  PathInfo path(int from, int to) const;
  void send(int from, int to, const MessagePtr& message, double processing, bool unheeded);
  void deliver_later(int from, int to, const MessagePtr& message, double delay);
  /// The `message` event of one send; `arrives` -1: dropped, or unknown yet (flow transport).
  void record(double now, int from, int to, const Message& message, double arrives, bool dropped);

  World& world_;
  const Scenario& scenario_;
  std::vector<Placement> placements_;
  RandomStream jitter_stream_;
  // Messages their receiver ignores (send_unheeded) draw from a stream of their own when they are
  // carried (hooks or message recording on), and draw nothing when they are not: every other
  // message's latency is the same either way, and a run skips half of its latency draws.
  RandomStream unheeded_stream_;
  // The scenario's choices, decoded once (they are consulted for every message).
  enum class Mode { automatic, latency, flow, queued } mode_;
  enum class JitterKind { none, uniform, exponential, pareto, simblock } jitter_kind_;
  std::vector<double> upload_bps_, download_bps_;  // per region
  bool record_ = false;  // output.messages
  bool hooks_ = false;  // some node has an adversary's hook: ask the sender's before each send
  std::vector<double> upload_free_at_;             // per machine: when its upload queue empties (queued transport)
  bool queue_frees_on_arrival_ = false;            // network.transport.queue_frees: arrival
  // Partitions: for each window, the group of every region.
  struct PartitionWindow {
    double from, until;
    std::vector<int> group_of_region;
  };
  std::vector<PartitionWindow> partitions_;
  bool uses_platform_file_;
  mutable std::map<std::pair<sg4::Host*, sg4::Host*>, PathInfo> route_cache_;
  std::vector<PathInfo> region_paths_;  // [from region x regions + to region], without a platform file
  size_t region_count_ = 0;
  std::vector<uint64_t> messages_sent_, bytes_sent_;
  uint64_t dropped_ = 0;
  // Per message class (indexed by kind id): messages and bytes on each transport.
  std::vector<std::array<uint64_t, 4>> per_class_;
  std::vector<bool> class_seen_;
  std::array<uint64_t, 4>& class_counters(MessageKind kind);
};

}  // namespace shsim
