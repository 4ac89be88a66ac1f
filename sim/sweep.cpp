#include "sim/sweep.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/aggregate.hpp"
#include "sim/event_log.hpp"
#include "sim/expect.hpp"
#include "sim/interrupt.hpp"
#include "sim/output.hpp"
#include "sim/scenario.hpp"
#include "sim/sweep_store.hpp"

namespace fs = std::filesystem;
using Clock  = std::chrono::steady_clock;

namespace shsim {
namespace {

// ---- files ------------------------------------------------------------------------------------

std::string number_text(double x) { return std::isfinite(x) ? fmt::format("{}", x) : std::string(); }

/// Writes `text` to `path` through a temporary file and one rename: a reader sees the old table or
/// the new one, never half of one.
void write_atomically(const std::string& path, const std::string& text) { replace_file(path, text); }

/// Makes the output folder (refusing one that holds something else than a sweep's files) and holds
/// its lock for the life of the sweep: two sweeps into one folder would run the same runs twice. The
/// lock is on the folder itself, so that a refused sweep leaves no file behind.
class FolderLock {
public:
  explicit FolderLock(const std::string& dir)
  {
    std::error_code error;
    if (fs::exists(dir, error) && !fs::is_directory(dir, error))
      throw InputError(fmt::format("--out {}: exists and is not a folder", dir));
    if (fs::is_directory(dir, error) && !fs::is_empty(dir, error) && !fs::exists(fs::path(dir) / "study.db", error) &&
        !fs::exists(fs::path(dir) / "sweep.slurm", error))
      throw InputError(fmt::format("--out {}: holds files that are not a sweep's (no study.db): choose another folder", dir));
    fs::create_directories(dir, error);
    if (error && is_machine_failure(error.value()))
      throw environment_error("cannot create the sweep's folder", dir, error.value());
    if (error)
      throw InputError(fmt::format("--out {}: cannot create it: {}", dir, error.message()));
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0 && is_machine_failure(errno))
      throw environment_error("cannot open the sweep's folder", dir, errno);
    if (fd_ < 0)
      throw InputError(fmt::format("--out {}: cannot open: {}", dir, std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw InputError(fmt::format("--out {}: another sweep is writing this folder (wait for it or choose another --out)", dir));
    }
  }
  ~FolderLock() { ::close(fd_); }
  FolderLock(const FolderLock&)            = delete;
  FolderLock& operator=(const FolderLock&) = delete;

private:
  int fd_ = -1;
};

// ---- running one run ----------------------------------------------------------------------------

/// Runs `shsim run` processes, at most `jobs` at a time, and turns each ended one into a record.
class Executor : public RunPool {
public:
  Executor(const Study& study, const SweepOptions& options, const std::string& scratch)
      : study_(study), options_(options), scratch_(scratch)
  {
    fs::remove_all(scratch_);  // runs in flight when an earlier sweep was killed: never recorded
    fs::create_directories(scratch_);
    jobs_ = options.jobs > 0 ? options.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  ~Executor() override
  {
    stop_all();
    std::error_code ignored;
    fs::remove(scratch_, ignored);  // empty by now: each run's folder goes when the run ends
  }
  Executor(const Executor&)            = delete;
  Executor& operator=(const Executor&) = delete;

  bool has_room() const override { return static_cast<int>(running_.size()) < jobs_; }
  bool idle() const override { return running_.empty(); }

  void start(const Task& task) override
  {
    Running r;
    r.task    = task;
    r.seed    = study_.run_seed(task.point, task.replication);
    r.dir     = fmt::format("{}/{}", scratch_, next_id_++);
    r.started = Clock::now();
    std::vector<std::string> args{options_.executable, "run", study_.scenario_file, "--seed", std::to_string(r.seed),
                                  "--out", r.dir, "--quiet"};
    for (const auto& o : study_.overrides(task.point)) {
      args.push_back("--set");
      args.push_back(o);
    }
    // The tables need the summary only: the event log and timelines change no figure.
    for (const char* o : {"output.events=none", "output.timelines=none"}) {
      args.push_back("--set");
      args.push_back(o);
    }
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    // The run's stderr, made by the sweep: a sweep that cannot write its own folder (a full disk)
    // stops there, before the run could fail for it.
    std::string error_file = r.dir + ".err";
    int err = ::open(error_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err < 0)
      throw environment_error("cannot write", error_file, errno);
    pid_t parent = getpid();
    pid_t pid    = fork();
    if (pid < 0) {
      ::close(err);
      throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
      // The run dies with the sweep (a killed sweep leaves no run writing behind it) and sits in its
      // own process group (Ctrl-C reaches the sweep, which stops its runs itself).
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(127);
      setpgid(0, 0);
      int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
      }
      dup2(err, STDERR_FILENO);  // dup2 clears close-on-exec on the copy
      execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(err);
    running_[pid] = std::move(r);
  }

  /// Waits until at least one run has ended (or `wait` is false), and returns the ended runs' records.
  std::vector<RunRecord> collect(bool wait) override
  {
    std::vector<RunRecord> ended;
    while (true) {
      int status = 0;
      pid_t pid  = waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        auto found = running_.find(pid);
        if (found != running_.end()) {
          ended.push_back(finish(found->second, status));
          running_.erase(found);
        }
        continue;
      }
      auto now = Clock::now();
      for (auto& [child, r] : running_)
        if (!r.timed_out && std::chrono::duration<double>(now - r.started).count() > study_.timeout_seconds) {
          r.timed_out = true;
          kill(child, SIGKILL);
        }
      if (!ended.empty() || !wait || running_.empty() || interrupt_signal() != 0)
        return ended;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void stop_all() override
  {
    for (auto& [pid, r] : running_) {
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
      remove_run_files(r.dir);
    }
    running_.clear();
  }

private:
  /// A run's output folder, its error file and its lock, once the run has ended.
  static void remove_run_files(const std::string& dir)
  {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    fs::remove(dir + ".err", ignored);
    fs::remove(lock_file_of(dir), ignored);
  }
  struct Running {
    Task task;
    uint64_t seed = 0;
    std::string dir;
    Clock::time_point started;
    bool timed_out = false;
  };
  /// The record of a run: its metrics from summary.json, or its error.
  RunRecord finish(const Running& r, int status);
  std::string scenario_hash(const Task& task)
  {
    auto found = hashes_.find(task.point.key);
    if (found != hashes_.end())
      return found->second;
    std::string hash;
    try {
      hash = text_hash(dump_scenario(load_scenario(study_.scenario_file, study_.overrides(task.point))));
    } catch (const InputError&) {
      hash = "invalid";
    }
    return hashes_[task.point.key] = hash;
  }

  const Study& study_;
  const SweepOptions& options_;
  std::string scratch_;
  int jobs_     = 1;
  long next_id_ = 0;
  std::map<pid_t, Running> running_;
  std::map<std::string, std::string> hashes_;
};

std::string last_line(const std::string& path)
{
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      last = line;
  if (last.size() > 500)
    last = last.substr(0, 500) + "...";
  return last;
}

RunRecord Executor::finish(const Running& r, int status)
{
  RunRecord record;
  record.point         = r.task.point.key;
  record.replication   = r.task.replication;
  record.seed          = r.seed;
  record.wall_seconds  = std::chrono::duration<double>(Clock::now() - r.started).count();
  record.scenario_hash = scenario_hash(r.task);
  record.version       = shsim_version();
  record.metrics       = "{}";
  bool exited          = WIFEXITED(status);
  int code             = exited ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  record.exit_code     = code;
  if (r.timed_out) {
    record.status = "timeout";
    record.error  = fmt::format("stopped after the study's timeout of {} s", study_.timeout_seconds);
  } else if (exited && code == 4) {
    // The machine failed the run (a full disk): not its result; the sweep stops and records none.
    record.status = "environment";
    record.error  = last_line(r.dir + ".err");
  } else if (exited && (code == 0 || code == 1)) {
    std::ifstream in(r.dir + "/summary.json");
    nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
    if (summary.is_discarded()) {
      record.status = "failed";
      record.error  = "the run wrote no readable summary.json";
    } else {
      nlohmann::json metrics = nlohmann::json::object();
      for (const auto& path : study_.metrics) {
        const nlohmann::json* figure = find_metric(summary, path);
        metrics[path]                = figure != nullptr ? *figure : nlohmann::json();
      }
      record.metrics = metrics.dump();
      record.status  = code == 0 ? "ok" : "failed";
      if (code == 1)
        record.error = last_line(r.dir + ".err");
    }
  } else {
    record.status = "failed";
    record.error  = last_line(r.dir + ".err");
    if (record.error.empty())
      record.error = exited ? fmt::format("exit code {}", code) : fmt::format("killed by signal {}", WTERMSIG(status));
  }
  remove_run_files(r.dir);
  return record;
}

// ---- progress -----------------------------------------------------------------------------------

/// done/total, failures, runs/s and the time left, on one line redrawn in place on a terminal; on
/// anything else (a log file, CI) a line every 15 s.
class Progress {
public:
  Progress(size_t total, size_t done, size_t failed, bool enabled)
      : total_(total), done_(done), failed_(failed), enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0)
  {
    show(true);
  }
  void add(bool failed)
  {
    ++done_;
    ++this_session_;
    failed_ += failed ? 1 : 0;
    show(false);
  }
  void add_total(size_t more) { total_ += more; }
  void end()
  {
    show(true);
    if (enabled_ && tty_)
      std::fputc('\n', stderr);
  }

private:
  void show(bool force)
  {
    if (!enabled_)
      return;
    auto now       = Clock::now();
    double elapsed = std::chrono::duration<double>(now - start_).count();
    if (!force && (tty_ ? now - last_ < std::chrono::milliseconds(200) : now - last_ < std::chrono::seconds(15)))
      return;
    last_       = now;
    double rate = elapsed > 0 ? static_cast<double>(this_session_) / elapsed : 0;
    std::string eta = "?";
    if (rate > 0) {
      double left = static_cast<double>(total_ - std::min(done_, total_)) / rate;
      eta = left >= 3600 ? fmt::format("{:.1f} h", left / 3600) : left >= 60 ? fmt::format("{:.0f} min", left / 60)
                                                                             : fmt::format("{:.0f} s", left);
    }
    constexpr int width = 30;
    int filled = total_ == 0 ? width : static_cast<int>(width * static_cast<double>(done_) / static_cast<double>(total_));
    std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.');
    std::string line = fmt::format("sweep [{}] {}/{} runs, {} failed, {:.2f} runs/s, ETA {}", bar, done_, total_,
                                   failed_, rate, eta);
    if (tty_)
      std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
    else
      std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  size_t total_, done_, failed_, this_session_ = 0;
  bool enabled_, tty_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
};

/// The first run the machine failed (exit 4: a full disk, an I/O error): from then on the sweep
/// launches nothing, lets the runs in flight end (recording those that end by themselves), and
/// stops with the failure. Such a run is never recorded: a resumed sweep runs it again, and ends
/// with the table a sweep on a healthy machine makes.
class EnvironmentStop {
public:
  explicit operator bool() const { return !error_.empty(); }
  /// True when `record` is such a run (then it is not to be recorded).
  bool failed(const RunRecord& record)
  {
    if (record.status != "environment")
      return false;
    if (error_.empty())
      error_ = record.error.empty() ? fmt::format("exit code {}", record.exit_code) : record.error;
    return true;
  }
  /// Throws the failure, if any, saying what is kept and how to go on.
  void raise(const std::string& dir) const
  {
    if (!error_.empty())
      throw EnvironmentError(fmt::format("sweep stopped: a run failed for want of the machine, not by itself ({}); the "
                                         "runs recorded so far are kept in {}/study.db: fix the machine, then run the "
                                         "same command again to resume",
                                         error_, dir));
  }

private:
  std::string error_;
};

/// Ctrl-C or SIGTERM: stops the runs in flight (they are not recorded) and says how to go on.
int interrupted(RunPool& pool, Progress& progress, const std::string& dir, const char* what)
{
  pool.stop_all();
  progress.end();
  std::fprintf(stderr, "shsim: %s interrupted: the finished runs are kept in %s/study.db; the same command resumes\n",
               what, dir.c_str());
  return 128 + interrupt_signal();
}

// ---- tables -------------------------------------------------------------------------------------

std::vector<std::optional<double>> metric_values(const Study& study, const RunRecord& run)
{
  std::vector<std::optional<double>> values(study.metrics.size());
  nlohmann::json metrics = nlohmann::json::parse(run.metrics, nullptr, false);
  if (!metrics.is_object())
    return values;
  for (size_t m = 0; m < study.metrics.size(); ++m)
    if (auto it = metrics.find(study.metrics[m]); it != metrics.end() && it->is_number())
      values[m] = it->get<double>();
  return values;
}

std::string axis_cells(const Study& study, const StudyPoint& point)
{
  std::string out;
  for (size_t a = 0; a < study.axes.size(); ++a)
    out.append(1, ',').append(csv_field(point.values[a].number ? number_text(*point.values[a].number) : point.values[a].text));
  return out;
}

std::string axis_header(const Study& study)
{
  std::string out;
  for (const auto& axis : study.axes)
    out.append(1, ',').append(csv_field(axis.column()));
  return out;
}

/// runs.csv and points.csv, from the database, for the study's points and replications; returns
/// how many of those runs the tables hold and how many of them failed or timed out.
std::pair<size_t, size_t> export_tables(const Study& study, const SweepStore& store, const std::string& dir)
{
  size_t in_tables = 0, not_ok = 0;
  auto runs = store.runs();
  std::string tidy = "point,replication,seed" + axis_header(study) + ",status,exit_code,error,version,scenario_hash";
  for (const auto& m : study.metrics)
    tidy.append(1, ',').append(csv_field(m));
  tidy += ",command\n";
  std::string points = "point" + axis_header(study) +
                       ",metric,unit,runs,failed,n,mean,sd,ci95_low,ci95_high,interval,p05,p25,p50,p75,p95,min,max\n";
  for (size_t p = 0; p < study.points.size(); ++p) {
    const StudyPoint& point = study.points[p];
    std::vector<std::vector<double>> samples(study.metrics.size());
    size_t recorded = 0, failed = 0;
    for (int r = 0; r < study.replications; ++r) {
      auto found = runs.find({point.key, r});
      if (found == runs.end())
        continue;
      const RunRecord& run = found->second;
      ++recorded;
      failed += run.status == "ok" ? 0 : 1;
      ++in_tables;
      not_ok += run.status == "ok" ? 0 : 1;
      auto values = metric_values(study, run);
      tidy += fmt::format("{},{},{}{},{},{},{},{},{}", p, r, run.seed, axis_cells(study, point), run.status,
                          run.exit_code, csv_field(run.error), csv_field(run.version), run.scenario_hash);
      for (size_t m = 0; m < values.size(); ++m) {
        tidy.append(1, ',').append(values[m] ? number_text(*values[m]) : std::string());
        if (values[m] && run.status == "ok")
          samples[m].push_back(*values[m]);
      }
      tidy.append(1, ',').append(csv_field(study.command(point, r))).append(1, '\n');
    }
    if (recorded == 0)
      continue;
    for (size_t m = 0; m < study.metrics.size(); ++m) {
      auto a = aggregate(samples[m], study.metric_kinds[m] == "fraction");
      points += fmt::format("{}{},{},{},{},{}", p, axis_cells(study, point), csv_field(study.metrics[m]),
                            csv_field(study.metric_units[m]), recorded, failed);
      if (!a) {
        points += ",0,,,,,,,,,,,,\n";
        continue;
      }
      points += fmt::format(",{},{},{},{},{},{},{},{},{},{},{},{},{}\n", a->n, number_text(a->mean), number_text(a->sd),
                            a->ci95 ? number_text(a->ci95->low) : "", a->ci95 ? number_text(a->ci95->high) : "",
                            a->method, number_text(a->p05), number_text(a->p25), number_text(a->p50),
                            number_text(a->p75), number_text(a->p95), number_text(a->min), number_text(a->max));
    }
  }
  write_atomically(dir + "/runs.csv", tidy);
  write_atomically(dir + "/points.csv", points);
  return {in_tables, not_ok};
}

std::string study_description(const Study& study)
{
  nlohmann::json d;
  d["name"]         = study.name;
  d["scenario"]     = study.scenario_file;
  d["seed"]         = study.seed;
  d["replications"] = study.replications;
  d["metrics"]      = study.metrics;
  d["set"]          = study.set;
  for (const auto& axis : study.axes) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : axis.values)
      values.push_back(v.text);
    d["axes"].push_back({{"path", axis.path}, {"unit", axis.unit}, {"values", values}});
  }
  return d.dump();
}

/// Opens the folder's database for this study: a new one takes the study's identity; one of another
/// identity is refused, or emptied with --fresh.
std::unique_ptr<SweepStore> open_store(const Study& study, const SweepOptions& options, const std::string& dir)
{
  auto store           = std::make_unique<SweepStore>(dir + "/study.db");
  std::string recorded = store->identity();
  if (!recorded.empty() && recorded != study.identity) {
    if (!options.fresh)
      throw InputError(fmt::format(
          "{}/study.db: holds results of another study (its scenario, fixed overrides, metrics, seed or shsim's "
          "version differ): rerun with --fresh to discard them, or choose another --out",
          dir));
    store->clear();
  }
  store->set_identity(study.identity, study_description(study));
  return store;
}

/// Runs `tasks` (skipping those the store holds) and records each as it ends.
int execute(const Study& study, const SweepOptions& options, const std::string& dir, SweepStore& store,
            const std::vector<Task>& tasks, size_t total, size_t done_before, size_t failed_before)
{
  std::unique_ptr<RunPool> pool = options.pool ? options.pool(study, options, dir) : local_pool(study, options, dir + "/.runs");
  RunPool& executor              = *pool;
  Progress progress(total, done_before, failed_before, options.progress);
  size_t next = 0, failed = 0;
  EnvironmentStop stop;
  while (next < tasks.size() || !executor.idle()) {
    while (!stop && next < tasks.size() && executor.has_room() && interrupt_signal() == 0)
      executor.start(tasks[next++]);
    for (const auto& record : executor.collect(true)) {
      if (stop.failed(record))
        continue;
      store.record(record);
      failed += record.status == "ok" ? 0 : 1;
      progress.add(record.status != "ok");
    }
    if (interrupt_signal() != 0)
      return interrupted(executor, progress, dir, "sweep");
    if (stop && executor.idle())
      break;
  }
  progress.end();
  stop.raise(dir);
  return failed > 0 ? 1 : 0;
}

}  // namespace

std::unique_ptr<RunPool> local_pool(const Study& study, const SweepOptions& options, const std::string& scratch)
{
  return std::make_unique<Executor>(study, options, scratch);
}

std::string sweep_directory(const Study& study, const SweepOptions& options)
{
  return options.out_dir.empty() ? "results/" + study.name : options.out_dir;
}

std::pair<int, int> parse_shard(const std::string& text)
{
  int i = -1, n = 0;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> i >> slash >> n) || slash != '/' || !in.eof() || n < 1 || i < 0 || i >= n || n > 100000)
    throw InputError(fmt::format("--shard {}: expected i/N with 0 <= i < N", text));
  return {i, n};
}

int run_sweep(const Study& study, const SweepOptions& options)
{
  std::string dir = sweep_directory(study, options);
  FolderLock lock(dir);
  auto store = open_store(study, options, dir);
  auto runs  = store->runs();
  std::vector<Task> tasks;
  size_t total = 0, done = 0, failed = 0, index = 0;
  for (const auto& point : study.points)
    for (int r = 0; r < study.replications; ++r, ++index) {
      if (options.shard && static_cast<int>(index % static_cast<size_t>(options.shard->second)) != options.shard->first)
        continue;
      ++total;
      auto found = runs.find({point.key, r});
      if (found != runs.end() && (found->second.status == "ok" || !options.retry_failed)) {
        ++done;
        failed += found->second.status == "ok" ? 0 : 1;
        continue;
      }
      tasks.push_back({point, r, static_cast<long>(&point - study.points.data())});
    }
  int code = execute(study, options, dir, *store, tasks, total, done, failed);
  if (code > 1)
    return code;
  auto [recorded, bad] = export_tables(study, *store, dir);
  if (options.progress)
    std::fprintf(stderr, "sweep: %zu runs recorded (%zu failed or timed out) in %s: runs.csv, points.csv\n", recorded,
                 bad, dir.c_str());
  return bad > 0 && code == 0 && !options.retry_failed ? 1 : code;
}

// ---- boundaries ---------------------------------------------------------------------------------

FindOptions parse_find(const std::string& condition, const Study& study)
{
  FindOptions find;
  std::istringstream in(condition);
  std::string threshold;
  if (!(in >> find.metric >> find.op >> threshold) || !in.eof() || threshold.empty())
    throw InputError(fmt::format("--find {}: expected \"metric < threshold\" (or <=, >, >=)", condition));
  if (find.op != "<" && find.op != "<=" && find.op != ">" && find.op != ">=")
    throw InputError(fmt::format("--find {}: the comparison is <, <=, > or >=", condition));
  char* end      = nullptr;
  find.threshold = std::strtod(threshold.c_str(), &end);
  if (*end != '\0' || !std::isfinite(find.threshold))
    throw InputError(fmt::format("--find {}: the threshold '{}' is not a number", condition, threshold));
  if (std::find(study.metrics.begin(), study.metrics.end(), find.metric) == study.metrics.end())
    throw InputError(fmt::format("--find {}: {} (`shsim metrics {}` lists them)", condition,
                                 unknown_name("metric", find.metric, study.metrics), study.scenario_file));
  return find;
}

namespace {

/// One bisection along the `along` axis at one point of the study.
struct Bisection {
  StudyPoint base;
  double lo = 0, hi = 0;
  std::optional<bool> lo_holds, hi_holds;
  // The probe being measured.
  double probe = 0;
  int replications = 0;  // asked so far at this probe
  std::vector<double> samples;
  int outstanding = 0;
  int probes = 0, undecided = 0;
  std::string status;  // "", found, holds_everywhere, holds_nowhere
  enum class Stage { lo, hi, middle, done } stage = Stage::lo;
};

}  // namespace

int run_find(const Study& whole_study, FindOptions find, const SweepOptions& options)
{
  // The searched parameter is one more axis of the study's points (in place of the study's own
  // axis for it, if it has one): its probes are points too.
  Study study_in = whole_study.without_axis(find.along.path);
  Study study    = study_in;
  std::string dir = sweep_directory(study, options);
  StudyAxis along = find.along;
  double range_lo = *along.values[0].number, range_hi = *along.values[1].number;
  bool whole = along.unit.empty() && range_lo == std::floor(range_lo) && range_hi == std::floor(range_hi) &&
               along.values[0].text.find('.') == std::string::npos && along.values[1].text.find('.') == std::string::npos;
  double tolerance = find.tolerance > 0 ? find.tolerance : (range_hi - range_lo) / 64;
  if (whole)
    tolerance = std::max(tolerance, 1.0);
  int batch    = std::max(2, study.replications);
  int most     = find.max_replications > 0 ? find.max_replications : 8 * batch;
  study.axes.push_back(along);
  // Check the search's ends load with every point before anything runs.
  for (const auto& point : study_in.points)
    for (const auto& end : along.values) {
      std::vector<AxisValue> values = point.values;
      values.push_back(end);
      try {
        load_scenario(study.scenario_file, study.overrides(study.point(values)));
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", along.where, e.what()));
      }
    }

  FolderLock lock(dir);
  auto store = open_store(study_in, options, dir);
  auto recorded = store->runs();
  size_t metric = static_cast<size_t>(std::find(study.metrics.begin(), study.metrics.end(), find.metric) -
                                      study.metrics.begin());
  bool proportion = study.metric_kinds[metric] == "fraction";
  auto holds = [&](double x) {
    return (find.op == "<" && x < find.threshold) || (find.op == "<=" && x <= find.threshold) ||
           (find.op == ">" && x > find.threshold) || (find.op == ">=" && x >= find.threshold);
  };
  auto value_at = [&](double x) {
    if (whole)
      x = std::round(x);
    AxisValue v = axis_value(x, along.unit);
    if (x == range_lo)
      v = along.values[0];
    if (x == range_hi)
      v = along.values[1];
    return v;
  };

  std::vector<Bisection> searches;
  for (const auto& point : study_in.points) {
    Bisection b;
    b.base  = point;
    b.lo    = range_lo;
    b.hi    = range_hi;
    b.probe = range_lo;
    searches.push_back(b);
  }
  Executor executor(study, options, dir + "/.runs");
  Progress progress(0, 0, 0, options.progress);
  std::deque<std::pair<size_t, Task>> queue;  // (search, run)
  std::map<std::pair<std::string, int>, size_t> owner;
  size_t failures = 0;

  auto probe_point = [&](const Bisection& b) {
    std::vector<AxisValue> values = b.base.values;
    values.push_back(value_at(b.probe));
    return study.point(values);
  };
  // Asks for the next batch of replications at the search's probe; recorded runs count at once.
  std::function<void(size_t)> ask = [&](size_t s) {
    Bisection& b     = searches[s];
    StudyPoint point = probe_point(b);
    int until        = std::min(most, b.replications + batch);
    for (; b.replications < until; ++b.replications) {
      auto found = recorded.find({point.key, b.replications});
      if (found != recorded.end() && found->second.status == "ok") {
        if (auto v = metric_values(study, found->second)[metric])
          b.samples.push_back(*v);
        continue;
      }
      ++b.outstanding;
      progress.add_total(1);
      owner[{point.key, b.replications}] = s;
      queue.push_back({s, Task{point, b.replications, -1}});
    }
  };
  // Decides the probe when its batch is in: a side of the threshold, or more replications.
  std::function<void(size_t)> decide = [&](size_t s) {
    Bisection& b = searches[s];
    while (b.outstanding == 0 && b.stage != Bisection::Stage::done) {
      auto a = aggregate(b.samples, proportion);
      std::optional<bool> side;
      if (a && a->ci95) {
        bool low_holds = holds(a->ci95->low), high_holds = holds(a->ci95->high);
        if (low_holds == high_holds)
          side = low_holds;
      }
      if (!side && b.replications < most) {
        ask(s);
        continue;
      }
      if (!side) {
        ++b.undecided;
        side = a ? holds(a->mean) : false;
      }
      ++b.probes;
      bool at = *side;
      double x = b.probe;
      switch (b.stage) {
        case Bisection::Stage::lo: b.lo_holds = at; b.stage = Bisection::Stage::hi; b.probe = b.hi; break;
        case Bisection::Stage::hi:
          b.hi_holds = at;
          if (*b.lo_holds == at) {
            b.status = at ? "holds_everywhere" : "holds_nowhere";
            b.stage  = Bisection::Stage::done;
          } else {
            b.stage = Bisection::Stage::middle;
          }
          break;
        case Bisection::Stage::middle:
          (at == *b.lo_holds ? b.lo : b.hi) = x;
          break;
        case Bisection::Stage::done: break;
      }
      if (b.stage == Bisection::Stage::middle) {
        double next = (b.lo + b.hi) / 2;
        if (whole)
          next = std::round(next);
        if (b.hi - b.lo <= tolerance || next <= b.lo || next >= b.hi) {
          b.status = "found";
          b.stage  = Bisection::Stage::done;
          break;
        }
        b.probe = next;
      }
      if (b.stage == Bisection::Stage::done)
        break;
      b.replications = 0;
      b.samples.clear();
      ask(s);
    }
  };
  for (size_t s = 0; s < searches.size(); ++s) {
    ask(s);
    decide(s);
  }
  EnvironmentStop stop;
  while (!queue.empty() || !executor.idle()) {
    while (!stop && !queue.empty() && executor.has_room() && interrupt_signal() == 0) {
      executor.start(queue.front().second);
      queue.pop_front();
    }
    for (const auto& record : executor.collect(true)) {
      if (stop.failed(record))
        continue;
      store->record(record);
      recorded[{record.point, record.replication}] = record;
      progress.add(record.status != "ok");
      size_t s     = owner.at({record.point, record.replication});
      Bisection& b = searches[s];
      --b.outstanding;
      if (record.status == "ok") {
        if (auto v = metric_values(study, record)[metric])
          b.samples.push_back(*v);
      } else {
        ++failures;
      }
      decide(s);
    }
    if (interrupt_signal() != 0)
      return interrupted(executor, progress, dir, "search");
    if (stop && executor.idle())
      break;
  }
  progress.end();
  stop.raise(dir);

  std::string table = "point" + axis_header(study_in) +
                      fmt::format(",metric,condition,{}_low,{}_high,{},probes,undecided_probes,status\n", along.column(),
                                  along.column(), along.column());
  std::string printed;
  for (size_t s = 0; s < searches.size(); ++s) {
    const Bisection& b = searches[s];
    std::string low, high, estimate;
    if (b.status == "found") {
      low      = number_text(*value_at(b.lo).number);
      high     = number_text(*value_at(b.hi).number);
      estimate = number_text((*value_at(b.lo).number + *value_at(b.hi).number) / 2);
    }
    table += fmt::format("{}{},{},{},{},{},{},{},{},{}\n", s, axis_cells(study_in, b.base), csv_field(find.metric),
                         csv_field(fmt::format("{} {}", find.op, find.threshold)), low, high, estimate, b.probes,
                         b.undecided, b.status);
    std::string where = b.base.key.empty() ? "" : b.base.key + ": ";
    if (b.status == "found") {
      std::string holds_side = *b.lo_holds ? fmt::format("up to {} = {}", along.path, value_at(b.lo).text)
                                           : fmt::format("from {} = {}", along.path, value_at(b.hi).text);
      std::string fails_side = *b.lo_holds ? fmt::format("from {}", value_at(b.hi).text)
                                           : fmt::format("up to {}", value_at(b.lo).text);
      printed += fmt::format("{}{} {} {} holds {}, not {} ({} probes{})\n", where, find.metric, find.op,
                             find.threshold, holds_side, fails_side, b.probes,
                             b.undecided > 0 ? fmt::format(", {} undecided after {} runs", b.undecided, most) : "");
    } else {
      printed += fmt::format("{}{} {} {} {} from {} to {}: no boundary in the range\n", where, find.metric, find.op,
                             find.threshold, b.status == "holds_everywhere" ? "holds" : "fails", along.values[0].text,
                             along.values[1].text);
    }
  }
  write_atomically(dir + "/boundaries.csv", table);
  std::cout << printed << "boundaries: " << dir << "/boundaries.csv\n";
  return failures > 0 ? 1 : 0;
}

// ---- shards -------------------------------------------------------------------------------------

int merge_sweeps(const Study& study, const std::vector<std::string>& shard_dirs, const SweepOptions& options)
{
  std::vector<std::unique_ptr<SweepStore>> shards;
  for (const auto& shard : shard_dirs) {
    if (!fs::is_regular_file(shard + "/study.db"))
      throw InputError(fmt::format("{}: no study.db (is it a shard's --out folder?)", shard));
    shards.push_back(std::make_unique<SweepStore>(shard + "/study.db"));
    if (shards.back()->identity() != study.identity)
      throw InputError(fmt::format("{}/study.db: holds results of another study than {} (its identity differs)", shard,
                                   study.file.empty() ? study.scenario_file : study.file));
  }
  std::string dir = sweep_directory(study, options);
  FolderLock lock(dir);
  auto store = open_store(study, options, dir);
  size_t merged = 0;
  for (const auto& shard : shards) {
    std::vector<RunRecord> runs;
    for (auto& [key, run] : shard->runs())
      runs.push_back(run);
    store->record_all(runs);
    merged += runs.size();
  }
  export_tables(study, *store, dir);
  std::fprintf(stderr, "sweep: merged %zu runs from %zu shards into %s: runs.csv, points.csv\n", merged, shards.size(),
               dir.c_str());
  return 0;
}

std::string shell_quoted(const std::string& text)
{
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out.append("'\\''");
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string write_slurm_script(const Study& study, const std::vector<std::string>& study_arguments, int shards,
                               const SweepOptions& options)
{
  std::string dir = sweep_directory(study, options);
  std::string absolute_dir = fs::absolute(dir).string(), cwd = fs::current_path().string();
  // Quoting makes any text one word; a newline would still end a comment line or an #SBATCH line.
  for (const std::string& text : {absolute_dir, cwd, options.executable})
    if (has_control_character(text))
      throw InputError(fmt::format("--slurm: '{}' holds a control character: no job script can carry it", text));
  std::string arguments;
  for (const auto& argument : study_arguments) {
    if (has_control_character(argument))
      throw InputError(fmt::format("--slurm: '{}' holds a control character: no job script can carry it", argument));
    arguments.append(1, ' ').append(shell_quoted(argument));
  }
  {
    FolderLock lock(dir);
  }
  std::string exe = shell_quoted(options.executable);
  // The log goes through the shell (exec), not #SBATCH --output, whose path Slurm reads unquoted;
  // into logs/, so that shards/* is the shards' folders only (the merge command takes them all).
  std::string script = fmt::format(
      "#!/bin/bash\n"
      "# A Slurm job array for the study {name}: each task runs one shard into its own database.\n"
      "# Submit it with sbatch; when every task is done, merge the shards from the same folder:\n"
      "#   cd {cwd} && {exe} sweep merge{arguments} {dir}/shards/* --out {dir}\n"
      "#SBATCH --job-name=shsim-{name}\n"
      "#SBATCH --array=0-{last}\n"
      "#SBATCH --cpus-per-task={cpus}\n"
      "set -euo pipefail\n"
      "folder={dir}\n"
      "cd {cwd}\n"
      "mkdir -p \"$folder/shards\" \"$folder/logs\"\n"
      "exec >\"$folder/logs/${{SLURM_ARRAY_TASK_ID}}.log\" 2>&1\n"
      "{exe} sweep{arguments} --shard \"${{SLURM_ARRAY_TASK_ID}}/{shards}\" -j \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" "
      "--out \"$folder/shards/${{SLURM_ARRAY_TASK_ID}}\"\n",
      fmt::arg("name", study.name), fmt::arg("dir", shell_quoted(absolute_dir)), fmt::arg("arguments", arguments),
      fmt::arg("last", shards - 1), fmt::arg("cpus", options.jobs > 0 ? options.jobs : 1),
      fmt::arg("cwd", shell_quoted(cwd)), fmt::arg("exe", exe), fmt::arg("shards", shards));
  std::string path = dir + "/sweep.slurm";
  fs::create_directories(dir + "/shards");
  write_atomically(path, script);
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  return path;
}

}  // namespace shsim
