// `mpirun -n K shsim sweep STUDY.yaml`: the sweep on the ranks of an MPI job (Open MPI). Rank 0
// keeps the study's database and hands runs out to ranks 1..K-1 as they free up (runs differ in
// length); each of those runs its runs as `shsim run` processes (-j at a time, default 1) and sends
// each result back, which rank 0 records as a local sweep does, so the same resumability holds.
//
// This file is built into `shsim-mpi` only, which links Open MPI ahead of SimGrid: SimGrid's
// library exports MPI_* itself (SMPI), and `shsim` proper must not load either's MPI. `shsim sweep`
// started by mpirun (OMPI_COMM_WORLD_SIZE set) executes `shsim-mpi` in its place (sim/main.cpp).
#include "sim/sweep_mpi.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include <unistd.h>

#include <mpi.h>
#include <nlohmann/json.hpp>

#include "sim/interrupt.hpp"
#include "sim/schema.hpp"

namespace fs = std::filesystem;

namespace shsim {
namespace {

constexpr int tag_ready = 1, tag_task = 2, tag_result = 3, tag_stop = 4;

void send(const std::string& text, int to, int tag)
{
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

/// Receives the message `status` announced.
std::string receive(const MPI_Status& status)
{
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return text;
}

/// A message waiting from `source` (any tag), if one is.
std::optional<MPI_Status> waiting(int source, int tag = MPI_ANY_TAG)
{
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status);
  return flag != 0 ? std::optional<MPI_Status>(status) : std::nullopt;
}

nlohmann::json to_json(const RunRecord& r)
{
  return {{"point", r.point},       {"replication", r.replication}, {"seed", r.seed},
          {"status", r.status},     {"exit_code", r.exit_code},     {"error", r.error},
          {"wall", r.wall_seconds}, {"hash", r.scenario_hash},      {"version", r.version},
          {"metrics", r.metrics}};
}

RunRecord from_json(const nlohmann::json& j)
{
  RunRecord r;
  r.point         = j.at("point").get<std::string>();
  r.replication   = j.at("replication").get<int>();
  r.seed          = j.at("seed").get<uint64_t>();
  r.status        = j.at("status").get<std::string>();
  r.exit_code     = j.at("exit_code").get<int>();
  r.error         = j.at("error").get<std::string>();
  r.wall_seconds  = j.at("wall").get<double>();
  r.scenario_hash = j.at("hash").get<std::string>();
  r.version       = j.at("version").get<std::string>();
  r.metrics       = j.at("metrics").get<std::string>();
  return r;
}

bool workers_stopped = false;

void stop_workers(int size)
{
  if (workers_stopped)
    return;
  workers_stopped = true;
  for (int rank = 1; rank < size; ++rank)
    send("stop", rank, tag_stop);
}

/// Rank 0's pool: the other ranks, each with the free slots it announced.
class MpiPool : public RunPool {
public:
  explicit MpiPool(int size) : size_(size)
  {
    for (int pending = size - 1; pending > 0; --pending) {
      MPI_Status status;
      MPI_Probe(MPI_ANY_SOURCE, tag_ready, MPI_COMM_WORLD, &status);
      free_[status.MPI_SOURCE] = nlohmann::json::parse(receive(status)).at("slots").get<int>();
    }
  }
  ~MpiPool() override { stop_workers(size_); }
  MpiPool(const MpiPool&)            = delete;
  MpiPool& operator=(const MpiPool&) = delete;

  bool has_room() const override
  {
    for (const auto& [rank, slots] : free_)
      if (slots > 0)
        return true;
    return false;
  }
  bool idle() const override { return running_ == 0; }

  void start(const Task& task) override
  {
    auto best = free_.begin();  // the rank with the most free slots
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->second > best->second)
        best = it;
    send(nlohmann::json{{"point", task.point_index}, {"replication", task.replication}}.dump(), best->first, tag_task);
    --best->second;
    ++running_;
  }

  std::vector<RunRecord> collect(bool wait) override
  {
    std::vector<RunRecord> ended;
    while (true) {
      if (auto status = waiting(MPI_ANY_SOURCE, tag_result)) {
        ended.push_back(from_json(nlohmann::json::parse(receive(*status))));
        ++free_[status->MPI_SOURCE];
        --running_;
        continue;
      }
      if (!ended.empty() || !wait || running_ == 0 || interrupt_signal() != 0)
        return ended;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void stop_all() override
  {
    stop_workers(size_);  // each worker stops its runs and leaves
    running_ = 0;
  }

private:
  int size_;
  std::map<int, int> free_;
  size_t running_ = 0;
};

/// Ranks 1..K-1: run what rank 0 sends, send back each record, until it says stop.
int work(const Study& study, const SweepOptions& options)
{
  SweepOptions local = options;
  local.jobs         = options.jobs > 0 ? options.jobs : 1;
  std::string scratch = (fs::temp_directory_path() / ("shsim-sweep-" + std::to_string(getpid()))).string();
  auto pool           = local_pool(study, local, scratch);
  send(nlohmann::json{{"slots", local.jobs}}.dump(), 0, tag_ready);
  bool stopping = false;
  while (!stopping || !pool->idle()) {
    bool busy = false;
    while (auto status = waiting(0)) {
      std::string text = receive(*status);
      busy             = true;
      if (status->MPI_TAG == tag_stop) {
        stopping = true;
        pool->stop_all();
        break;
      }
      auto task = nlohmann::json::parse(text);
      size_t index = task.at("point").get<size_t>();
      pool->start({study.points.at(index), task.at("replication").get<int>(), static_cast<long>(index)});
    }
    for (const auto& record : pool->collect(false)) {
      send(to_json(record).dump(), 0, tag_result);
      busy = true;
    }
    if (interrupt_signal() != 0) {
      pool->stop_all();
      break;
    }
    if (!busy)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pool.reset();
  std::error_code ignored;
  fs::remove_all(scratch, ignored);
  return interrupt_signal() != 0 ? 128 + interrupt_signal() : 0;
}

}  // namespace

int run_sweep_mpi(const std::function<Study()>& load, SweepOptions options)
{
  setenv("OMPI_MCA_mpi_warn_on_fork", "0", 0);  // runs are started with fork() + exec()
  MPI_Init(nullptr, nullptr);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int code = 0;
  try {
    Study study = load();  // every rank reads the study: tasks travel as point indices
    if (size == 1) {
      code = run_sweep(study, options);
    } else if (rank == 0) {
      options.pool = [size](const Study&, const SweepOptions&, const std::string&) {
        return std::make_unique<MpiPool>(size);
      };
      code = run_sweep(study, options);
      stop_workers(size);
    } else {
      code = work(study, options);
    }
  } catch (...) {
    if (rank == 0)
      stop_workers(size);
    MPI_Finalize();
    if (rank != 0)
      return 2;  // rank 0 says what went wrong
    throw;
  }
  MPI_Finalize();
  return code;
}

}  // namespace shsim
