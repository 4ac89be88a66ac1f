// A sweep's results, kept in an SQLite database in its output folder (study.db, write-ahead log).
// A run's row is written in one transaction when the run has ended, keyed by (point, replication):
// a sweep killed at any moment loses at most the runs in flight, and restarted it runs only what
// has no row; no run is counted twice. The database records the study's identity (sim/study.hpp)
// and refuses to mix results of another.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace shsim {

struct RunRecord {
  std::string point;  // the point's key
  int replication = 0;
  uint64_t seed   = 0;
  std::string status;  // ok, failed, timeout; environment: the machine failed it (exit 4), never stored
  int exit_code = 0;
  std::string error;  // the run's last error line, when it failed
  double wall_seconds = 0;
  std::string scenario_hash;
  std::string version;
  std::string metrics;  // JSON object: figure path -> number or null
};

class SweepStore {
public:
  /// Opens (creating it when absent) the database at `path`.
  explicit SweepStore(const std::string& path);
  ~SweepStore();
  SweepStore(const SweepStore&)            = delete;
  SweepStore& operator=(const SweepStore&) = delete;

  /// The identity the database was written under (empty for a new one).
  std::string identity() const;
  /// Records `identity` in a new database, or empties one of another identity when `fresh`.
  void set_identity(const std::string& identity, const std::string& description);
  /// Removes every run (--fresh).
  void clear();
  /// Every recorded run, keyed by (point, replication).
  std::map<std::pair<std::string, int>, RunRecord> runs() const;
  /// Writes one run in its own transaction (replacing a failed one being retried).
  void record(const RunRecord& run);
  /// Writes many runs in one transaction (merging shards).
  void record_all(const std::vector<RunRecord>& runs);

private:
  void exec(const std::string& sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace shsim
