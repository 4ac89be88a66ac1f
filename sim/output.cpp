#include "sim/output.hpp"

#include "sim/protocol.hpp"

#include <algorithm>
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
#include <signal.h>
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

/// The folder an output set lives in, and the prefix of its staging folders there.
struct OutputPlace {
  fs::path target, parent;
  std::string staging_prefix;  // ".<name>.shsim-staging-"
};

OutputPlace output_place(const std::string& directory)
{
  fs::path target = fs::absolute(fs::path(directory)).lexically_normal();
  if (!target.has_filename())  // "results/x/" -> "results/x"
    target = target.parent_path();
  std::string prefix = ".";  // built step by step: GCC 12 warns falsely (-Wrestrict) on "." + s + "..."
  prefix += target.filename().string();
  prefix += ".shsim-staging-";
  return {target, target.parent_path(), prefix};
}

/// Removes staging folders of runs that were killed (their process is gone).
void remove_stale_staging(const OutputPlace& place)
{
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(place.parent, error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(place.staging_prefix, 0) != 0)
      continue;
    long pid = std::strtol(name.c_str() + place.staging_prefix.size(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH))
      continue;  // a live run's
    fs::remove_all(entry.path(), error);
  }
}

bool is_output_set_or_empty(const fs::path& folder)
{
  std::error_code error;
  if (fs::exists(folder / marker_name, error) || fs::exists(folder / "summary.json", error))
    return true;
  return fs::is_empty(folder, error) && !error;
}
}  // namespace

/// Writes `content` to `path` and flushes it to the disk before returning.
void write_durably(const fs::path& path, const std::string& content)
{
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw InputError(fmt::format("{}: cannot write output file: {}", path.string(), std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      throw InputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced)
    throw InputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
}


void check_output_directory(const std::string& directory)
{
  if (directory.empty())
    throw InputError("--out: the output folder name is empty");
  OutputPlace place = output_place(directory);
  std::error_code error;
  auto status = fs::status(place.target, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status))
      throw InputError(fmt::format("--out {}: exists and is not a folder", directory));
    if (!is_output_set_or_empty(place.target))
      throw InputError(fmt::format("--out {}: the folder holds files that are not shsim outputs (no {}); shsim "
                                   "replaces only its own output sets: choose another folder",
                                   directory, marker_name));
  }
  fs::create_directories(place.parent, error);
  if (error || !fs::is_directory(place.parent))
    throw InputError(fmt::format("--out {}: cannot create folder {}: {}", directory, place.parent.string(),
                                 error ? error.message() : "a file is in the way"));
  // Can we write there? Make and remove a staging folder.
  fs::path probe = place.parent / (place.staging_prefix + std::to_string(::getpid()));
  fs::remove_all(probe, error);
  if (!fs::create_directory(probe, error) || error)
    throw InputError(fmt::format("--out {}: cannot write in {}: {}", directory, place.parent.string(),
                                 error ? error.message() : "permission denied"));
  fs::remove_all(probe, error);
  remove_stale_staging(place);
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

namespace {
fs::path staging_of(const OutputPlace& place) { return place.parent / (place.staging_prefix + std::to_string(::getpid())); }

fs::path fresh_staging(const OutputPlace& place)
{
  fs::path staging = staging_of(place);
  std::error_code error;
  fs::remove_all(staging, error);
  if (!fs::create_directories(staging, error))
    throw InputError(fmt::format("{}: cannot create output folder: {}", staging.string(), error.message()));
  return staging;
}
}  // namespace

std::string event_log_name(const Scenario& scenario)
{
  return scenario.output.events == "csv" ? "events.csv" : "events.jsonl";
}

std::string begin_outputs(const std::string& directory, const Scenario& scenario)
{
  fs::path staging = fresh_staging(output_place(directory));
  return scenario.output.events == "none" ? "" : (staging / event_log_name(scenario)).string();
}

void abandon_outputs(const std::string& directory)
{
  std::error_code error;
  fs::remove_all(staging_of(output_place(directory)), error);
}

bool write_outputs(const std::string& directory, const Scenario& scenario, const RunResult& result,
                   const std::function<bool()>& abandon, const std::function<void(const std::string&)>& extras)
{
  OutputPlace place = output_place(directory);
  // A run that streamed its event log wrote it into the staging folder begin_outputs() made.
  fs::path staging = result.events_streamed ? staging_of(place) : fresh_staging(place);
  std::error_code error;
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
  write_durably(staging / marker_name, "an output set of shsim: replaced as a whole by the next run\n");
  sync_directory(staging);
  if (abandon && abandon()) {
    fs::remove_all(staging, error);
    return false;
  }
  // The swap: one rename when there is no old set; an atomic exchange when there is.
  if (!fs::exists(place.target, error)) {
    if (::rename(staging.c_str(), place.target.c_str()) != 0)
      throw InputError(fmt::format("{}: cannot move the outputs into place: {}", directory, std::strerror(errno)));
  } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, place.target.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging, error);  // now the old set
  } else {
    // A file system without RENAME_EXCHANGE: move the old set aside, then the new one in. A run
    // killed between the two leaves the old set in its staging-named folder, removed by the next run.
    fs::path old = place.parent / (place.staging_prefix + std::to_string(::getpid()) + "-old");
    if (::rename(place.target.c_str(), old.c_str()) != 0 || ::rename(staging.c_str(), place.target.c_str()) != 0)
      throw InputError(fmt::format("{}: cannot move the outputs into place: {}", directory, std::strerror(errno)));
    fs::remove_all(old, error);
  }
  sync_directory(place.parent);
  return true;
}

}  // namespace shsim
