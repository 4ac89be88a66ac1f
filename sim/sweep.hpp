// `shsim sweep`: runs a study (sim/study.hpp), each run in its own process (SimGrid cannot be
// restarted in-process), N at a time, and keeps every result in the output folder's database
// (sim/sweep_store.hpp) so that a killed sweep resumes where it stopped. From the database come
// the tidy table (runs.csv: one row per run) and the aggregate (points.csv: one row per point and
// metric, with a 95 % interval, sim/aggregate.hpp). `--find` locates where a metric crosses a
// threshold along one more parameter, by bisection; `--shard i/N` and `merge` split a study over
// independent jobs (a Slurm array: `--slurm N` writes its script).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/study.hpp"
#include "sim/sweep_store.hpp"

namespace shsim {

/// One run of a study: a point (its index in Study::points, or none for a --find probe) and a
/// replication.
struct Task {
  StudyPoint point;
  int replication    = 0;
  long point_index   = -1;
};

/// Where runs run: this machine's cores (local_pool), or the ranks of an MPI job (sim/sweep_mpi.cpp).
class RunPool {
public:
  virtual ~RunPool() = default;
  virtual bool has_room() const = 0;
  virtual bool idle() const     = 0;
  virtual void start(const Task& task) = 0;
  /// The runs that ended since the last call (waiting for one when `wait`).
  virtual std::vector<RunRecord> collect(bool wait) = 0;
  /// Stops every run in flight (they are not recorded).
  virtual void stop_all() = 0;
};

struct SweepOptions;
/// Runs each task as a `shsim run` process, options.jobs at a time (0: every core), in `scratch`.
std::unique_ptr<RunPool> local_pool(const Study& study, const SweepOptions& options, const std::string& scratch);

struct SweepOptions {
  std::string out_dir;  // default results/<study name>
  int jobs           = 0;  // runs at a time; 0: every core
  bool retry_failed  = false;
  bool fresh         = false;  // empty a database of another identity instead of refusing it
  std::optional<std::pair<int, int>> shard;  // run only the runs i, i + N, i + 2N, ... of the study
  bool progress      = true;
  std::string executable;  // the shsim that runs each run
  /// Makes the pool the sweep's runs go to (unset: local_pool in <out>/.runs).
  std::function<std::unique_ptr<RunPool>(const Study&, const SweepOptions&, const std::string& dir)> pool;
};

/// Parses "i/N" (0 <= i < N). Throws InputError.
std::pair<int, int> parse_shard(const std::string& text);

/// Runs every (point, replication) the database lacks; writes runs.csv and points.csv. Returns the
/// exit code: 0 when every run succeeded, 1 when some failed or timed out (recorded with their
/// error), 128 + signal when interrupted (finished runs are kept).
int run_sweep(const Study& study, const SweepOptions& options);

struct FindOptions {
  std::string metric;  // a figure path
  std::string op;      // <, <=, >, >=
  double threshold = 0;
  StudyAxis along;     // its two values are the ends of the search
  double tolerance = 0;  // stop when the bracket is this narrow (0: a 64th of the range)
  int max_replications = 0;  // per probe (0: 8 x the study's replications)
};
/// Parses "metric < threshold". Throws InputError.
FindOptions parse_find(const std::string& condition, const Study& study);
/// For each point of the study, the value along `options.along` where the condition starts or stops
/// holding: boundaries.csv, printed too. Runs share the sweep's database.
int run_find(const Study& study, FindOptions find, const SweepOptions& options);

/// Combines shard folders into `options.out_dir` and writes the tables.
int merge_sweeps(const Study& study, const std::vector<std::string>& shard_dirs, const SweepOptions& options);
/// Writes a Slurm job-array script of `shards` tasks into the output folder; returns its path.
/// `study_arguments` are what makes the study on the command line: the study file (or scenario)
/// and every flag that defines it (--reps, --seed, --set, --vary), carried into every task and into
/// the merge command the script names. Every string in the script is quoted for the shell; one with
/// a control character is refused (InputError).
std::string write_slurm_script(const Study& study, const std::vector<std::string>& study_arguments, int shards,
                               const SweepOptions& options);
/// `text` as one word of a POSIX shell command line, whatever it holds ('it'\''s').
std::string shell_quoted(const std::string& text);

/// The output folder the options name, or results/<study name>.
std::string sweep_directory(const Study& study, const SweepOptions& options);

}  // namespace shsim
