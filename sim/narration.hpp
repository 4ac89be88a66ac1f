// The narration of a run (`shsim run --explain`): plain sentences, in order, of what happened and
// why, written from the typed event log. The engine narrates its own events (crashes, partitions,
// stalls; sim/explain.cpp) and each protocol its own, through its factory's narrate() (rounds and
// votes, epochs, roots and dispute games), so that no model's name appears in the engine.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/event_log.hpp"

namespace shsim {

struct Scenario;

/// What a protocol's narrate() reads: its chain's events and the facts around them.
struct NarrationInput {
  const Scenario& scenario;
  std::string chain;
  std::vector<const EventRecord*> events;  // this chain's, in time order (`message` events included)
  std::vector<double> stakes;              // of the parent's validators (node i is validator i)
  std::function<bool(int node, double time)> offline;  // crashed or down at that time
  std::function<bool(int from, int to, double time)> partitioned;
  std::function<nlohmann::json(const EventRecord&)> fields;  // an event's typed fields
  bool messages = false;  // output.messages: every message is in the log
  /// The share of the parent's stake that `validators` hold.
  double stake_share(const std::vector<int>& validators) const;
};

/// The sentences, each at a simulated time; sorted by time (then by the order said) when printed.
class Narration {
public:
  struct Line {
    double time;
    size_t order;
    std::string text;
  };
  void say(double time, std::string text) { lines_.push_back({time, lines_.size(), std::move(text)}); }
  std::vector<Line> sorted() const;

private:
  std::vector<Line> lines_;
};

/// "14.201 s", "3 min 20.5 s": a time for a sentence.
std::string narrate_time(double seconds);
/// A block id as a sentence shows it: its first 6 hex digits.
std::string short_block(const std::string& hex_id);

}  // namespace shsim
