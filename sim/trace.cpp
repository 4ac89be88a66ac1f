#include "sim/trace.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "sim/population.hpp"
#include "sim/scenario.hpp"

namespace shsim {

namespace {

using nlohmann::json;

constexpr int chain_track = 1;      // heights, epochs, blocks: the chain as a whole
constexpr int network_track = 2;    // partitions
constexpr int epochs_track = 3;
constexpr int slots_track = 4;
constexpr int node_track_base = 100;  // node n's track is 100 + n

/// A slice on one track; slices of a track nest or follow each other.
struct Slice {
  int pid, tid;
  double start, end;
  std::string name;
  json args;
};

class TraceBuilder {
public:
  TraceBuilder(const Scenario& scenario, const json& summary) : scenario_(scenario), population_(Population::of(scenario))
  {
    pid_of(scenario.parent.name);
    if (summary.contains("chains"))
      for (const auto& [chain, figures] : summary["chains"].items())
        protocol_[chain] = figures.value("protocol", std::string());
    if (summary.contains("bridges"))
      for (const auto& [bridge, figures] : summary["bridges"].items())
        protocol_[bridge] = "bridge to " + figures.value("child", std::string());
  }

  int pid_of(const std::string& chain)
  {
    auto [it, fresh] = pids_.emplace(chain, static_cast<int>(pids_.size()) + 1);
    return it->second;
  }
  /// The track of node n in its chain's process (named and sorted by region when first used).
  int node_tid(int node)
  {
    nodes_used_.insert(node);
    return node_track_base + node;
  }
  int node_pid(int node) { return pid_of(population_.owner[static_cast<size_t>(node)]); }
  double end() const { return scenario_.duration.seconds; }

  /// A slice; times are rounded to whole nanoseconds first (the trace's resolution), so that
  /// ordering and nesting are decided on what is written. An empty slice is left out.
  void slice(int pid, int tid, double start, double end, std::string name, json args = json::object())
  {
    start = nanos(start);
    end   = nanos(end);
    if (!(end > start))
      return;
    slices_.push_back({pid, tid, start, end, std::move(name), std::move(args)});
    tracks_used_.insert({pid, tid});
  }
  void instant(int pid, int tid, double time, std::string name, json args = json::object())
  {
    out_.push_back({{"ph", "i"}, {"s", "t"}, {"pid", pid}, {"tid", tid}, {"ts", micros(time)}, {"name", std::move(name)},
                    {"args", std::move(args)}});
    tracks_used_.insert({pid, tid});
  }
  void async(int pid, const std::string& category, uint64_t id, double start, double end, std::string name, json args)
  {
    out_.push_back({{"ph", "b"}, {"cat", category}, {"id", id}, {"pid", pid}, {"tid", chain_track}, {"ts", micros(start)},
                    {"name", name}, {"args", std::move(args)}});
    out_.push_back({{"ph", "e"}, {"cat", category}, {"id", id}, {"pid", pid}, {"tid", chain_track}, {"ts", micros(end)},
                    {"name", std::move(name)}, {"args", json::object()}});
    tracks_used_.insert({pid, chain_track});
  }
  void counter(int pid, double time, const std::string& name, double value)
  {
    out_.push_back({{"ph", "C"}, {"pid", pid}, {"ts", micros(time)}, {"name", name}, {"args", {{"value", value}}}});
  }
  void flow(uint64_t id, int from, double sent, int to, double arrives, const std::string& kind)
  {
    // A flow binds to the slices it starts and ends in: a short one on each end.
    const double tick = 1e-9;
    slice(node_pid(from), node_tid(from), sent, sent + tick, "send " + kind);
    slice(node_pid(to), node_tid(to), arrives, arrives + tick, "receive " + kind);
    out_.push_back({{"ph", "s"}, {"cat", "message"}, {"id", id}, {"pid", node_pid(from)}, {"tid", node_tid(from)},
                    {"ts", micros(sent)}, {"name", kind}});
    out_.push_back({{"ph", "f"}, {"bp", "e"}, {"cat", "message"}, {"id", id}, {"pid", node_pid(to)}, {"tid", node_tid(to)},
                    {"ts", micros(arrives)}, {"name", kind}});
  }

  std::string finish(json metadata)
  {
    // Slices become B/E pairs, ordered so that nested ones close before their parent.
    struct Mark {
      double ts;
      int order;  // E before B at one instant
      double key;  // B: later end first; E: later start first
      size_t slice;
    };
    std::vector<Mark> marks;
    for (size_t i = 0; i < slices_.size(); ++i) {
      marks.push_back({slices_[i].start, 1, -slices_[i].end, i});
      marks.push_back({slices_[i].end, 0, -slices_[i].start, i});
    }
    std::stable_sort(marks.begin(), marks.end(), [](const Mark& a, const Mark& b) {
      return std::tie(a.ts, a.order, a.key) < std::tie(b.ts, b.order, b.key);
    });
    for (const Mark& m : marks) {
      const Slice& s = slices_[m.slice];
      json event = {{"ph", m.order == 1 ? "B" : "E"}, {"pid", s.pid}, {"tid", s.tid}, {"ts", micros(m.ts)}};
      if (m.order == 1) {
        event["name"] = s.name;
        event["args"] = s.args;
      }
      out_.push_back(std::move(event));
    }
    std::stable_sort(out_.begin(), out_.end(), [](const json& a, const json& b) {
      return a["ts"].get<double>() < b["ts"].get<double>();
    });
    json events = json::array();
    for (const auto& [chain, pid] : pids_) {
      std::string label = protocol_.count(chain) ? fmt::format("{} ({})", chain, protocol_[chain]) : chain;
      events.push_back({{"ph", "M"}, {"pid", pid}, {"name", "process_name"}, {"args", {{"name", label}}}});
      events.push_back({{"ph", "M"}, {"pid", pid}, {"name", "process_sort_index"}, {"args", {{"sort_index", pid}}}});
    }
    std::map<std::string, int> index_in_owner;
    std::map<int, std::string> node_label;
    for (int node = 0; node < population_.node_count(); ++node) {
      const std::string& owner = population_.owner[static_cast<size_t>(node)];
      int k                    = index_in_owner[owner]++;
      std::string role = owner == scenario_.parent.name ? fmt::format("validator {}", node) : fmt::format("{} node {}", owner, k);
      int region       = population_.region_of_machine[static_cast<size_t>(population_.machine_of_node[static_cast<size_t>(node)])];
      node_label[node] = fmt::format("{} / {}", scenario_.regions.regions[static_cast<size_t>(region)], role);
      if (nodes_used_.count(node)) {
        int pid = node_pid(node);
        events.push_back({{"ph", "M"}, {"pid", pid}, {"tid", node_tid(node)}, {"name", "thread_name"},
                          {"args", {{"name", node_label[node]}}}});
        events.push_back({{"ph", "M"}, {"pid", pid}, {"tid", node_tid(node)}, {"name", "thread_sort_index"},
                          {"args", {{"sort_index", 10 + region * 100000 + node}}}});
      }
    }
    for (const auto& [pid, tid] : tracks_used_)
      if (tid < node_track_base) {
        events.push_back({{"ph", "M"}, {"pid", pid}, {"tid", tid}, {"name", "thread_name"},
                          {"args", {{"name", tid == chain_track     ? "chain"
                                             : tid == network_track ? "network"
                                             : tid == epochs_track  ? "epochs"
                                                                    : "slots"}}}});
        events.push_back({{"ph", "M"}, {"pid", pid}, {"tid", tid}, {"name", "thread_sort_index"}, {"args", {{"sort_index", tid}}}});
      }
    for (auto& e : out_)
      events.push_back(std::move(e));
    json trace = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}, {"otherData", std::move(metadata)}};
    return trace.dump() + "\n";
  }

private:
  static double nanos(double seconds) { return std::round(seconds * 1e9) / 1e9; }
  static double micros(double seconds) { return std::round(seconds * 1e9) / 1e3; }  // whole nanoseconds

  const Scenario& scenario_;
  Population population_;
  std::map<std::string, int> pids_;
  std::map<std::string, std::string> protocol_;
  std::set<int> nodes_used_;
  std::set<std::pair<int, int>> tracks_used_;
  std::vector<Slice> slices_;
  std::vector<json> out_;
};

}  // namespace

std::string trace_json(const Scenario& scenario, const std::vector<EventRecord>& events, const nlohmann::json& summary,
                       const std::vector<SeriesRow>& series)
{
  TraceBuilder t(scenario, summary);
  const double end = scenario.duration.seconds;
  std::map<std::string, const EventKindSpec*> specs;
  auto fields = [&](const EventRecord& e) {
    auto& spec = specs[e.event];
    if (spec == nullptr)
      spec = find_event(e.event);
    return spec == nullptr ? json::object() : parse_detail(*spec, e.detail);
  };

  // Heights and rounds (a chain whose nodes record `propose`, `round` and `commit`).
  struct HeightState {
    double start = -1, committed = -1;
    std::map<int, double> round_start;
  };
  std::map<std::string, std::map<long long, HeightState>> heights;
  std::map<std::string, double> last_commit;  // per chain: the previous height's first commit
  std::map<int, double> down_since;
  std::map<std::string, double> partition_since;
  std::map<std::string, std::map<int, double>> role_down;  // "<chain>" -> node -> since
  std::map<std::string, std::map<long long, std::pair<double, json>>> roots;  // chain -> root -> (posted, args)
  std::map<std::string, std::map<long long, double>> epochs;
  std::map<std::string, std::map<long long, std::pair<double, int>>> slots;  // chain -> slot -> (start, proposer or -1)
  std::map<int, std::pair<double, long long>> proving;  // prover node -> (since, batch)
  size_t flows = 0, messages = 0;
  for (const auto& e : events) {
    int pid = t.pid_of(e.chain);
    if (e.event == "propose" || e.event == "round") {
      auto& h = heights[e.chain][e.height];
      if (h.start < 0)
        h.start = last_commit.count(e.chain) ? std::min(last_commit[e.chain], e.time) : e.time;
      if (!h.round_start.count(e.round))
        h.round_start[e.round] = e.time;
      if (e.event == "propose")
        t.instant(pid, t.node_tid(e.node), e.time, fmt::format("propose {}/{}", e.height, e.round), fields(e));
    } else if (e.event == "commit") {
      auto& h = heights[e.chain][e.height];
      if (h.committed < 0) {
        h.committed = e.time;
        if (h.start < 0)
          h.start = last_commit.count(e.chain) ? last_commit[e.chain] : 0;
        last_commit[e.chain] = e.time;
        t.instant(pid, chain_track, e.time, fmt::format("commit {}", e.height), fields(e));
      }
    } else if (e.event == "crash") {
      down_since[e.node] = e.time;
    } else if (e.event == "recover" && down_since.count(e.node)) {
      t.slice(t.node_pid(e.node), t.node_tid(e.node), down_since[e.node], e.time, "crashed");
      down_since.erase(e.node);
    } else if (e.event == "partition_start") {
      partition_since[e.chain] = e.time;
    } else if (e.event == "partition_end" && partition_since.count(e.chain)) {
      t.slice(pid, network_track, partition_since[e.chain], e.time, "partition", fields(e));
      partition_since.erase(e.chain);
    } else if (e.event == "proving_started" || e.event == "proving_done") {
      if (auto open = proving.find(e.node); open != proving.end()) {  // a job it lost, or this one done
        bool done = e.event == "proving_done" && open->second.second == e.height;
        t.slice(pid, t.node_tid(e.node), open->second.first, e.time,
                fmt::format("prove batch {}{}", open->second.second, done ? "" : " (lost)"));
        proving.erase(open);
      }
      if (e.event == "proving_started")
        proving[e.node] = {e.time, e.height};
    } else if (e.event.size() > 5 && e.event.substr(e.event.size() - 5) == "_down") {
      if (auto open = proving.find(e.node); open != proving.end()) {
        t.slice(pid, t.node_tid(e.node), open->second.first, e.time, fmt::format("prove batch {} (lost)", open->second.second));
        proving.erase(open);
      }
      role_down[e.chain][e.node] = e.time;
    } else if (e.event.size() > 3 && e.event.substr(e.event.size() - 3) == "_up" && role_down[e.chain].count(e.node)) {
      t.slice(t.node_pid(e.node), t.node_tid(e.node), role_down[e.chain][e.node], e.time, e.event.substr(0, e.event.size() - 3) + " down");
      role_down[e.chain].erase(e.node);
    } else if (e.event == "root_posted") {
      roots[e.chain][e.height] = {e.time, fields(e)};
    } else if ((e.event == "root_settled" || e.event == "root_defeated") && roots[e.chain].count(e.height)) {
      auto [posted, args] = roots[e.chain][e.height];
      args["outcome"]     = e.event == "root_settled" ? "settled" : "defeated";
      t.async(pid, "root", static_cast<uint64_t>(e.height), posted, e.time, fmt::format("root {}", e.height), args);
      roots[e.chain].erase(e.height);
    } else if (e.event == "epoch") {
      epochs[e.chain][e.height] = e.time;
    } else if (e.event == "slot") {
      slots[e.chain][e.height] = {e.time, fields(e)["proposed"].get<bool>() ? e.node : -1};
    } else if (e.event == "message") {
      ++messages;
      json f = fields(e);
      if (f["arrives"].get<double>() >= 0 && !f["dropped"].get<bool>() && flows < max_trace_flows)
        t.flow(++flows, e.node, e.time, f["to"].get<int>(), f["arrives"].get<double>(), f["kind"].get<std::string>());
    } else if (e.event.rfind("timeout_", 0) == 0) {
      if (e.node >= 0)
        t.instant(pid, t.node_tid(e.node), e.time, fmt::format("{} {}/{}", e.event, e.height, e.round));
    } else if (e.event != "block_propagated" && e.event != "commit_catchup" && e.event != "message_arrived") {
      // Everything else is an instant on its node's track, or on the chain's.
      t.instant(pid, e.node >= 0 ? t.node_tid(e.node) : chain_track, e.time,
                e.height >= 0 ? fmt::format("{} {}", e.event, e.height) : e.event, fields(e));
    }
  }
  // What is still open at the end closes at the end.
  for (const auto& [node, since] : down_since)
    t.slice(t.node_pid(node), t.node_tid(node), since, end, "crashed");
  for (const auto& [node, job] : proving)
    t.slice(t.node_pid(node), t.node_tid(node), job.first, end, fmt::format("prove batch {}", job.second));
  for (const auto& [chain, since] : partition_since)
    t.slice(t.pid_of(chain), network_track, since, end, "partition");
  for (const auto& [chain, nodes] : role_down)
    for (const auto& [node, since] : nodes)
      t.slice(t.node_pid(node), t.node_tid(node), since, end, "down");
  for (const auto& [chain, open] : roots)
    for (const auto& [root, posted] : open)
      t.async(t.pid_of(chain), "root", static_cast<uint64_t>(root), posted.first, end, fmt::format("root {}", root),
              posted.second);
  for (const auto& [chain, by_height] : heights) {
    int pid = t.pid_of(chain);
    for (const auto& [height, h] : by_height) {
      double stop = h.committed >= 0 ? h.committed : end;
      if (h.start < 0)
        continue;
      t.slice(pid, chain_track, h.start, stop, fmt::format("height {}", height));
      for (auto it = h.round_start.begin(); it != h.round_start.end(); ++it) {
        auto next = std::next(it);
        double from = std::max(h.start, it->second);
        double to   = next == h.round_start.end() ? stop : std::min(stop, next->second);
        if (to > from)
          t.slice(pid, chain_track, from, to, fmt::format("round {}", it->first));
      }
    }
  }
  for (const auto& [chain, by_epoch] : epochs) {
    for (auto it = by_epoch.begin(); it != by_epoch.end(); ++it) {
      auto next = std::next(it);
      t.slice(t.pid_of(chain), epochs_track, it->second, next == by_epoch.end() ? end : next->second,
              fmt::format("epoch {}", it->first));
    }
  }
  for (const auto& [chain, by_slot] : slots) {
    for (auto it = by_slot.begin(); it != by_slot.end(); ++it) {
      auto next = std::next(it);
      t.slice(t.pid_of(chain), slots_track, it->second.first, next == by_slot.end() ? end : next->second.first,
              fmt::format("slot {}", it->first),
              {{"proposer", it->second.second < 0 ? json(nullptr) : json(it->second.second)}, {"missed", it->second.second < 0}});
    }
  }
  for (const auto& row : series)
    t.counter(t.pid_of(row.chain), row.time, row.series, row.value);
  json metadata = {{"producer", "shsim"}, {"scenario", scenario.name}, {"seed", scenario.seed},
                   {"messages_recorded", messages}, {"messages_drawn", flows},
                   {"time_unit", "trace microseconds are simulated microseconds"}};
  return t.finish(std::move(metadata));
}

}  // namespace shsim
