// Writing a run's outputs: summary.json, the event log, the resolved scenario and performance.json.
// They change as a set: every file is written into a staging folder beside the output folder, then
// the staging folder is swapped in with one atomic rename (renameat2 RENAME_EXCHANGE), so a reader,
// or a run killed at any instant, sees the complete old set or the complete new set, never a mix
// and never a stale file of an earlier run. A folder marked with `.shsim-output` is an output set;
// shsim replaces nothing else.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

namespace shsim {

/// Checks, before the run, that `directory` can receive an output set: it does not exist, or is an
/// output set, or an empty folder; its parent can be created and written. Removes staging folders
/// left by killed runs. Throws InputError naming `--out`.
void check_output_directory(const std::string& directory);
/// Starts the next output set of `directory`: a fresh staging folder beside it. Returns the path
/// of its event log for the run to stream into ("" when the scenario writes none).
std::string begin_outputs(const std::string& directory, const Scenario& scenario);
/// Writes `content` to `path` and flushes it to the disk before returning; InputError on failure.
void write_durably(const std::filesystem::path& path, const std::string& content);
/// The event log's file name in an output set (events.csv or events.jsonl).
std::string event_log_name(const Scenario& scenario);
/// Throws the staging folder away (the run was interrupted or failed).
void abandon_outputs(const std::string& directory);
/// Writes the set (into the staging folder begin_outputs() made when the result's events were
/// streamed, else into a fresh one) and swaps it in. `abandon` is asked just before the swap: when it says yes (the
/// user pressed Ctrl-C meanwhile) the new set is thrown away and the old one stays.
/// `extras` writes what the command line adds (explain.txt, report.html) into the staging folder,
/// after every other file, so that they join the set in the same swap. Returns false when abandoned.
bool write_outputs(const std::string& directory, const Scenario& scenario, const RunResult& result,
                   const std::function<bool()>& abandon = {},
                   const std::function<void(const std::string& staging)>& extras = {});

}  // namespace shsim
