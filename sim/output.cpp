#include "sim/output.hpp"

#include "sim/protocol.hpp"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/expect.hpp"
#include "sim/trace.hpp"

namespace shsim {
namespace fs = std::filesystem;

namespace {
const char* const marker_name = ".shsim-output";

void sync_directory(const fs::path& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// 16 hex digits from the kernel's random source: staging and temporary names no other process,
/// host or namespace picks (not the simulation's randomness: nothing of it reaches an output).
std::string random_suffix()
{
  uint64_t bits = 0;
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits))
    bits = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ULL ^
           static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return fmt::format("{:016x}", bits);
}

/// True when `path`, an existing folder, is the root of a mount (another file system, or a bind
/// mount of the same one): a rename cannot replace it.
bool is_mount_point(const fs::path& path)
{
  struct statx here {};
  if (::statx(AT_FDCWD, path.c_str(), AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &here) == 0 &&
      (here.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0)
    return (here.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  struct stat own {}, parent {};
  return ::stat(path.c_str(), &own) == 0 && ::stat(path.parent_path().c_str(), &parent) == 0 &&
         (own.st_dev != parent.st_dev || own.st_ino == parent.st_ino);
}

bool is_output_set_or_empty(const fs::path& folder)
{
  std::error_code error;
  if (fs::is_regular_file(fs::symlink_status(folder / marker_name, error)))
    return true;
  return fs::is_empty(folder, error) && !error;
}
}  // namespace

void write_durably(const fs::path& path, const std::string& content)
{
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw environment_error("cannot write", path.string(), errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int error = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw environment_error("write failed", path.string(), error);
    }
    done += static_cast<size_t>(n);
  }
  int error = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && error == 0)
    error = errno;
  if (error != 0)
    throw environment_error("write failed", path.string(), error);
}

void replace_file(const fs::path& path, const std::string& content)
{
  fs::path temporary = path.parent_path() / fmt::format(".{}.shsim-tmp-{}", path.filename().string(), random_suffix());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw environment_error("cannot write", path.string(), errno);
  ::close(fd);
  std::error_code ignored;
  try {
    write_durably(temporary, content);
  } catch (...) {
    fs::remove(temporary, ignored);
    throw;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    fs::remove(temporary, ignored);
    throw environment_error("cannot replace", path.string(), error);
  }
}

fs::path lock_file_of(const fs::path& directory)
{
  return directory.parent_path() / fmt::format(".{}.shsim-lock", directory.filename().string());
}

OutputFolder::OutputFolder(const std::string& directory, const std::string& option)
{
  if (directory.empty())
    throw InputError(fmt::format("{}: the output folder name is empty", option));
  std::error_code error;
  fs::path given = fs::absolute(fs::path(directory), error).lexically_normal();
  if (!given.has_filename())  // "results/x/" -> "results/x"
    given = given.parent_path();
  // A symbolic link is followed once, to the folder the set is written in; a dangling one is refused
  // (a folder made in its place would replace the link, and the user's link was pointing elsewhere).
  if (fs::is_symlink(fs::symlink_status(given, error))) {
    if (!fs::exists(fs::status(given, error)))
      throw InputError(fmt::format("{} {}: a symbolic link to {}, which does not exist: create it, or choose another "
                                   "folder",
                                   option, directory, fs::read_symlink(given, error).string()));
    target_ = fs::canonical(given, error);
  } else {
    target_ = fs::weakly_canonical(given, error);
  }
  if (error || target_.empty())
    throw InputError(fmt::format("{} {}: cannot resolve the folder: {}", option, directory, error.message()));
  parent_ = target_.parent_path();
  auto status = fs::status(target_, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status))
      throw InputError(fmt::format("{} {}: exists and is not a folder", option, directory));
    if (target_ == target_.root_path() || is_mount_point(target_))
      throw InputError(fmt::format("{} {}: a mount point (a volume, say): an output set is swapped in whole by a "
                                   "rename, which cannot replace a mount point; write into a folder inside it ({} "
                                   "{}/run)",
                                   option, directory, option, directory));
    if (!is_output_set_or_empty(target_))
      throw InputError(fmt::format("{} {}: the folder holds files that are not shsim outputs (no {}); shsim "
                                   "replaces only its own output sets: choose another folder",
                                   option, directory, marker_name));
  }
  fs::create_directories(parent_, error);
  if (error && is_machine_failure(error.value()))
    throw environment_error("cannot create the folder", parent_.string(), error.value());
  if (error || !fs::is_directory(parent_))
    throw InputError(fmt::format("{} {}: cannot create folder {}: {}", option, directory, parent_.string(),
                                 error ? error.message() : "a file is in the way"));
  std::string name = target_.filename().string();
  prefix_          = fmt::format(".{}.shsim-staging-", name);
  // The lock: beside the folder, in its parent, so that it outlives every swap of the folder.
  fs::path lock_file = lock_file_of(target_);
  lock_              = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (lock_ < 0 && is_machine_failure(errno))
    throw environment_error("cannot write", lock_file.string(), errno);
  if (lock_ < 0)
    throw InputError(fmt::format("{} {}: cannot write in {}: {}", option, directory, parent_.string(),
                                 std::strerror(errno)));
  if (::flock(lock_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_);
    lock_ = -1;
    throw InputError(fmt::format("{} {}: another shsim process is writing this folder (it holds {}): wait for it to "
                                 "end, or choose another folder",
                                 option, directory, lock_file.string()));
  }
  // Holding the lock, every staging folder of this target is a dead process's.
  for (const auto& entry : fs::directory_iterator(parent_, error))
    if (entry.path().filename().string().rfind(prefix_, 0) == 0)
      fs::remove_all(entry.path(), error);
}

OutputFolder::~OutputFolder()
{
  abandon();
  if (lock_ >= 0)
    ::close(lock_);
}

const fs::path& OutputFolder::staging()
{
  while (staging_.empty()) {
    fs::path candidate = parent_ / (prefix_ + random_suffix());
    if (::mkdir(candidate.c_str(), 0755) == 0)
      staging_ = candidate;
    else if (errno != EEXIST)
      throw environment_error("cannot create a staging folder", candidate.string(), errno);
  }
  return staging_;
}

void OutputFolder::abandon()
{
  std::error_code ignored;
  if (!staging_.empty())
    fs::remove_all(staging_, ignored);
  staging_.clear();
}

bool OutputFolder::swap_in(const std::function<bool()>& abandon_now)
{
  fs::path staging = this->staging();
  write_durably(staging / marker_name, "an output set of shsim: replaced as a whole by the next run\n");
  sync_directory(staging);
  if (abandon_now && abandon_now()) {
    abandon();
    return false;
  }
  std::error_code error;
  // The swap: one rename when there is no old set; an atomic exchange when there is.
  if (!fs::exists(fs::symlink_status(target_, error))) {
    if (::rename(staging.c_str(), target_.c_str()) != 0)
      throw environment_error("cannot move the new set into place", target_.string(), errno);
  } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging, error);  // now the old set
  } else {
    // A file system without RENAME_EXCHANGE: move the old set aside (a staging name, so that a run
    // killed between the two renames leaves it for the next claim to remove), then the new one in.
    fs::path old = parent_ / (prefix_ + random_suffix() + "-old");
    if (::rename(target_.c_str(), old.c_str()) != 0 || ::rename(staging.c_str(), target_.c_str()) != 0)
      throw environment_error("cannot move the new set into place", target_.string(), errno);
    fs::remove_all(old, error);
  }
  staging_.clear();
  sync_directory(parent_);
  return true;
}

namespace {
std::string events_text(const std::vector<EventRecord>& events, const std::string& format)
{
  std::string out = event_log_header(format);
  for (const auto& e : events)
    out += format_event(e, format);
  return out;
}

/// timelines.csv: one row per transaction; `submitted_s` is the simulated time of submission, each
/// stage column the seconds from submission to that stage, empty where it was not reached.
std::string timelines_text(const RunResult& result)
{
  const auto& columns = result.timeline_columns;
  std::ostringstream out;
  out << "chain,kind,index,submitted_s";
  for (const auto& column : columns)
    out << "," << column << "_s";
  out << ",note\n";
  std::map<std::string, std::vector<size_t>> column_of;  // per chain: its stages' columns
  for (const auto& [chain, stages] : result.timeline_stages)
    for (const auto& stage : stages)
      column_of[chain].push_back(static_cast<size_t>(std::find(columns.begin(), columns.end(), stage) - columns.begin()));
  std::vector<std::string> cells(columns.size());
  for (const auto& row : result.timelines) {
    std::fill(cells.begin(), cells.end(), std::string());
    const auto& place = column_of.at(row.chain);
    for (size_t s = 0; s < row.stages.size() && s < place.size(); ++s)
      if (row.stages[s])
        cells[place[s]] = fmt::format("{:.6f}", *row.stages[s] - row.submitted);
    out << csv_field(row.chain) << "," << row.kind << "," << row.index << "," << fmt::format("{:.6f}", row.submitted);
    for (const auto& cell : cells)
      out << "," << cell;
    out << "," << csv_field(row.note) << "\n";
  }
  return out.str();
}
}  // namespace

std::string event_log_name(const Scenario& scenario)
{
  return scenario.output.events == "csv" ? "events.csv" : "events.jsonl";
}

bool write_outputs(OutputFolder& folder, const Scenario& scenario, const RunResult& result,
                   const std::function<bool()>& abandon, const std::function<void(const std::string&)>& extras)
{
  // A run that streamed its event log wrote it into this staging folder already.
  fs::path staging = folder.staging();
  write_durably(staging / "summary.json", result.summary.dump(2) + "\n");
  write_durably(staging / "scenario.resolved.yaml", dump_scenario(scenario));
  write_durably(staging / "performance.json", result.performance.dump(2) + "\n");
  if (scenario.output.events != "none" && !result.events_streamed)
    write_durably(staging / event_log_name(scenario), events_text(result.events, scenario.output.events));
  if (scenario.output.timelines != "none" && !result.timeline_columns.empty())
    write_durably(staging / "timelines.csv", timelines_text(result));
  if (scenario.output.timeseries != "none")
    write_durably(staging / "timeseries.csv", series_text(result.series));
  if (scenario.output.trace)
    write_durably(staging / "trace.json", trace_json(scenario, read_event_log((staging / event_log_name(scenario)).string()),
                                                     result.summary, result.series));
  if (extras)
    extras(staging.string());
  return folder.swap_in(abandon);
}

}  // namespace shsim
