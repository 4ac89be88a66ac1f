// Writing output sets: a run's outputs (summary.json, the event log, the resolved scenario,
// performance.json, ...) and a study's figures. A set changes as a whole: every file is written
// into a staging folder beside the output folder, then the staging folder is swapped in with one
// atomic rename (renameat2 RENAME_EXCHANGE), so that a reader, or a process killed at any instant,
// sees the complete old set or the complete new set, never a mix and never a stale file.
//
// The folder may hold a user's own work, so shsim claims it before any work, and refuses:
//  - a folder that is neither empty nor marked as an output set (`.shsim-output`, written into
//    every set): a summary.json alone is not a mark;
//  - a dangling symbolic link (a link to a folder is followed once: the set is written in its
//    target, and the link stays), and a mount point (a container's volume), which a rename cannot
//    replace: write into a folder inside it;
//  - a folder another shsim process is writing: each claim holds an flock on a lock file beside
//    the folder, `.<name>.shsim-lock` in its parent (a lock on the folder itself would be lost when
//    the folder is swapped). flock holds across PID namespaces and containers of one kernel.
// Staging folders, `.<name>.shsim-staging-<random>`, are created exclusively with a name no other
// process, host or namespace can pick; one left by a killed process is recognised by the lock
// being free (not by a process id, which another namespace cannot see) and removed by the next
// claim. Local file systems are supported; on a network file system the swap falls back to two
// renames (not atomic) where RENAME_EXCHANGE is missing, and flock is only as good as its locks.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

namespace shsim {

/// A folder that receives whole output sets. Claiming it checks it and takes its lock, before any
/// simulation or drawing; the lock is held until the object goes.
class OutputFolder {
public:
  /// Claims `directory`; `option` names it in errors ("--out", "--to"). Throws InputError (a folder
  /// that cannot receive a set: see above) or EnvironmentError (the parent cannot be written).
  explicit OutputFolder(const std::string& directory, const std::string& option = "--out");
  /// Throws away a staging folder not swapped in, and releases the lock.
  ~OutputFolder();
  OutputFolder(const OutputFolder&)            = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  /// The folder the sets go to (symbolic links resolved).
  const std::filesystem::path& target() const { return target_; }
  /// The staging folder of the next set, made on first use.
  const std::filesystem::path& staging();
  /// Marks the staging folder as a set and swaps it in; the old set goes. When `abandon` says yes
  /// just before the swap (the user pressed Ctrl-C meanwhile), throws the new set away instead and
  /// returns false.
  bool swap_in(const std::function<bool()>& abandon = {});
  /// Throws the staging folder away (an interrupted or failed run).
  void abandon();

private:
  std::filesystem::path target_, parent_;
  std::string prefix_;  // ".<name>.shsim-staging-"
  std::filesystem::path staging_;
  int lock_ = -1;
};

/// The lock file of output folder `directory` (`.<name>.shsim-lock` in its parent). A process that
/// knows no run can be writing the folder any more (a sweep, once its run has ended) may remove it.
std::filesystem::path lock_file_of(const std::filesystem::path& directory);

/// Writes `content` to `path` and flushes it to the disk before returning; EnvironmentError on failure.
void write_durably(const std::filesystem::path& path, const std::string& content);
/// Replaces `path` with `content` through a temporary file beside it (created exclusively) and one
/// rename: a reader sees the old file or the new one, never half of one.
void replace_file(const std::filesystem::path& path, const std::string& content);
/// The event log's file name in an output set (events.csv or events.jsonl).
std::string event_log_name(const Scenario& scenario);
/// Writes a run's set into the folder's staging folder (where the event log may already stream),
/// then `extras` (explain.txt, report.html, added by the command line), then swaps it in. Returns
/// false when `abandon` said yes before the swap.
bool write_outputs(OutputFolder& folder, const Scenario& scenario, const RunResult& result,
                   const std::function<bool()>& abandon = {},
                   const std::function<void(const std::string& staging)>& extras = {});

}  // namespace shsim
