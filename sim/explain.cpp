#include "sim/explain.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sim/narration.hpp"
#include "sim/population.hpp"
#include "sim/protocol.hpp"
#include "sim/scenario.hpp"

namespace shsim {

double NarrationInput::stake_share(const std::vector<int>& validators) const
{
  double total = 0, part = 0;
  for (double s : stakes)
    total += s;
  std::set<int> seen;
  for (int v : validators)
    if (v >= 0 && static_cast<size_t>(v) < stakes.size() && seen.insert(v).second)
      part += stakes[static_cast<size_t>(v)];
  return total > 0 ? part / total : 0;
}

std::vector<Narration::Line> Narration::sorted() const
{
  std::vector<Line> lines = lines_;
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.time < b.time || (a.time == b.time && a.order < b.order);
  });
  return lines;
}

std::string narrate_time(double seconds) { return fmt::format("{:.3f} s", seconds); }

std::string short_block(const std::string& hex_id) { return hex_id.substr(0, std::min<size_t>(6, hex_id.size())); }

namespace {

/// Who is down when: machines crashed (crash/recover) and roles taken down (<role>_down/_up).
class Downtime {
public:
  void down(int node, double time) { open_[node] = time; }
  void up(int node, double time)
  {
    if (auto it = open_.find(node); it != open_.end()) {
      spans_[node].push_back({it->second, time});
      open_.erase(it);
    }
  }
  void close(double end)
  {
    for (const auto& [node, since] : open_)
      spans_[node].push_back({since, end});
    open_.clear();
  }
  bool at(int node, double time) const
  {
    auto it = spans_.find(node);
    if (it == spans_.end())
      return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [time](const auto& span) { return time >= span.first && time < span.second; });
  }

private:
  std::map<int, double> open_;
  std::map<int, std::vector<std::pair<double, double>>> spans_;
};

struct PartitionSpan {
  double from, until;
  std::vector<int> group_of_region;  // -1: in no group (not cut off)
};

}  // namespace

std::string explain_run(const Scenario& scenario, const std::vector<EventRecord>& events, const nlohmann::json& summary)
{
  Population population = Population::of(scenario);
  const double end      = scenario.duration.seconds;
  const auto& registry  = ProtocolRegistry::instance();
  const auto* parent    = registry.find_parent(scenario.parent.protocol.kind);
  std::map<std::string, const EventKindSpec*> specs;
  auto fields = [&specs](const EventRecord& e) {
    auto& spec = specs[e.event];
    if (spec == nullptr)
      spec = find_event(e.event);
    return spec == nullptr ? nlohmann::json::object() : parse_detail(*spec, e.detail);
  };
  auto region_of = [&](int node) {
    return population.region_of_machine[static_cast<size_t>(population.machine_of_node[static_cast<size_t>(node)])];
  };

  // First pass: who was down when, and the partitions.
  Downtime downtime;
  std::vector<PartitionSpan> partitions;
  bool messages = false;
  for (const auto& e : events) {
    std::string_view kind = e.event;
    if (kind == "crash" || (kind.size() > 5 && kind.substr(kind.size() - 5) == "_down"))
      downtime.down(e.node, e.time);
    else if (kind == "recover" || (kind.size() > 3 && kind.substr(kind.size() - 3) == "_up"))
      downtime.up(e.node, e.time);
    else if (kind == "message")
      messages = true;
    else if (kind == "partition_start") {
      PartitionSpan span{e.time, end, std::vector<int>(scenario.regions.regions.size(), -1)};
      YAML::Node groups = YAML::Load(fields(e)["groups"].get<std::string>());
      for (size_t g = 0; g < groups.size(); ++g)
        for (const auto& region : groups[g]) {
          const auto& names = scenario.regions.regions;
          auto it           = std::find(names.begin(), names.end(), region.as<std::string>());
          if (it != names.end())
            span.group_of_region[static_cast<size_t>(it - names.begin())] = static_cast<int>(g);
        }
      partitions.push_back(span);
    } else if (kind == "partition_end" && !partitions.empty()) {
      partitions.back().until = e.time;
    }
  }
  downtime.close(end);

  Narration narration;
  auto share_text = [](double share) { return fmt::format("{:.0f} %", 100 * share); };
  NarrationInput base{scenario, "", {}, population.stakes, [&downtime](int node, double t) { return downtime.at(node, t); },
                      [&](int from, int to, double t) {
                        for (const auto& p : partitions) {
                          int a = p.group_of_region[static_cast<size_t>(region_of(from))];
                          int b = p.group_of_region[static_cast<size_t>(region_of(to))];
                          if (t >= p.from && t < p.until && a >= 0 && b >= 0 && a != b)
                            return true;
                        }
                        return false;
                      },
                      fields, messages};

  // The engine's own events.
  double last_commit = 0;
  long long last_height = 0;
  std::set<long long> committed;
  for (const auto& e : events) {
    if (e.event == "crash") {
      bool validator = e.node < scenario.parent.validators.count;
      narration.say(e.time, validator ? fmt::format("validator {} crashes (its machine goes down with every role on it); it "
                                                    "holds {} of the stake",
                                                    e.node, share_text(base.stake_share({e.node})))
                                      : fmt::format("node {} of {} crashes", e.node, e.chain));
    } else if (e.event == "recover") {
      narration.say(e.time, fmt::format("node {} recovers and catches up with its peers", e.node));
    } else if (e.event == "partition_start") {
      const PartitionSpan* span = nullptr;
      for (const auto& p : partitions)
        if (p.from == e.time)
          span = &p;
      std::string sides;
      double largest = 0;
      if (span != nullptr) {
        std::map<int, std::vector<int>> by_group;
        for (int v = 0; v < scenario.parent.validators.count; ++v)
          by_group[span->group_of_region[static_cast<size_t>(region_of(v))]].push_back(v);
        std::vector<std::string> parts;
        for (const auto& [group, members] : by_group) {
          double share = base.stake_share(members);
          largest      = std::max(largest, share);
          parts.push_back(fmt::format("{} {} ({} validators, {} of the stake)", group < 0 ? "the rest" : "side",
                                      group < 0 ? "" : std::to_string(group + 1), members.size(), share_text(share)));
        }
        sides = fmt::format("{}", fmt::join(parts, "; "));
      }
      // A side makes progress on its own only with more than (1 - liveness threshold) of the stake.
      double needed = 1 - parent->liveness_threshold();
      narration.say(e.time, fmt::format("the network partitions: {} are cut from each other ({}). {}", fields(e)["groups"].get<std::string>(),
                                        sides,
                                        needed <= 0 ? std::string("Each side goes on with its own chain; when the partition "
                                                                  "heals the lighter one is abandoned.")
                                        : largest <= needed
                                            ? fmt::format("No side holds more than {} of the stake, so none can make progress "
                                                          "on its own: the parent stalls until the partition heals.",
                                                          share_text(needed))
                                            : fmt::format("The largest side holds {} (more than {}): it carries on alone.",
                                                          share_text(largest), share_text(needed))));
    } else if (e.event == "partition_end") {
      narration.say(e.time, "the partition heals: messages flow between the regions again");
    } else if (e.event == "commit" && e.chain == scenario.parent.name && committed.insert(e.height).second) {
      double gap = e.time - last_commit;
      if (gap > scenario.detectors.stall_threshold.seconds)
        narration.say(e.time, fmt::format("{} has a new final block after {:.1f} s without one (height {} at {}, height {} "
                                          "now): a stall, longer than the detector's {} s",
                                          e.chain, gap, last_height, narrate_time(last_commit), e.height,
                                          scenario.detectors.stall_threshold.seconds));
      last_commit = e.time;
      last_height = e.height;
    } else if (e.event == "safety_violation") {
      narration.say(e.time, fmt::format("SAFETY VIOLATION on {}: {}", e.chain, fields(e)["what"].get<std::string>()));
    } else if (e.event == "slashing") {
      narration.say(e.time, fmt::format("node {}'s validators are slashed on {} for a {}", e.node, e.chain,
                                        fields(e)["offence"].get<std::string>()));
    }
  }

  // Each chain's protocol tells its own story.
  auto chain_input = [&](const std::string& chain) {
    NarrationInput input = base;
    input.chain          = chain;
    for (const auto& e : events)
      if (e.chain == chain)
        input.events.push_back(&e);
    return input;
  };
  parent->narrate(chain_input(scenario.parent.name), narration);
  for (const auto& child : scenario.children)
    registry.find_child(child.kind)->narrate(chain_input(child.name()), narration);
  for (const auto& app : scenario.applications)
    registry.find_application(app.kind)->narrate(chain_input(app.name()), narration);

  std::string text = fmt::format("{}: {}\n", scenario.name, scenario.description.empty() ? "(no description)" : scenario.description);
  text += fmt::format("seed {}, {} simulated, {} validators on {}{}.\n", scenario.seed, narrate_time(end),
                      scenario.parent.validators.count, scenario.parent.protocol.kind,
                      messages ? ", every message recorded" : ", messages not recorded (votes are not told: output.messages)");
  if (summary.contains("expectations"))
    for (const auto& x : summary["expectations"])
      text += fmt::format("expectation {}: {}\n", x["expectation"].get<std::string>(), x["passed"].get<bool>() ? "holds" : "FAILS");
  text += "\n";
  for (const auto& line : narration.sorted())
    text += fmt::format("[{:>12}] {}\n", narrate_time(line.time), line.text);
  // The description and names are the scenario author's: an escape sequence in them is shown, not obeyed.
  return printable(text);
}

}  // namespace shsim
