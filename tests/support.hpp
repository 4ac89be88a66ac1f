// Helpers for tests that run simulations. SimGrid allows one engine per process, so every run
// happens in a forked child that writes its summary and event log for the parent to read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/recorder.hpp"

namespace shsim::testing {

/// Absolute path of a file in the source tree.
std::string source_path(const std::string& relative);
/// Writes `text` to a fresh temporary file with the given suffix and returns its path.
std::string write_temporary(const std::string& text, const std::string& suffix = ".yaml");
/// A fresh path for an output folder that does not exist yet.
std::string fresh_directory();
/// A file's bytes ("" when it cannot be read).
std::string read_file(const std::string& path);

struct Run {
  nlohmann::json summary;
  std::vector<EventRecord> events;
  std::vector<TimelineRow> timelines;
  std::map<std::string, std::vector<std::string>> timeline_stages;  // per chain: the stages of its rows
  const nlohmann::json& chain(const std::string& name = "parent") const { return summary["chains"][name]; }
  /// Times of the events of one kind (e.g. "commit"), optionally for one node.
  std::vector<double> times_of(const std::string& event, int node = -2) const;
};

/// Loads the scenario text (with overrides) and simulates it in a child process.
Run simulate(const std::string& scenario_yaml, const std::vector<std::string>& overrides = {});
/// Runs the shsim binary with arguments; returns its exit code. Output goes to `output_file`.
int run_shsim(const std::string& arguments, const std::string& output_file = "/dev/null");
/// Starts the shsim binary with these arguments (no output) and returns its pid, without waiting.
int start_shsim(const std::vector<std::string>& arguments);
/// The laboratory network of the closed-form tests: regions `lab` and `lab2`, every one-way latency
/// 40 ms (a temporary matrix file, written once per process).
std::string lab_matrix();
/// The fields of an event, typed, as its kind declares them (the models registered first).
nlohmann::json event_fields(const EventRecord& event);
/// A CSV file's rows, each a map from column name to cell (quoted cells unquoted).
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path);

}  // namespace shsim::testing
