#include "sim/sweep_store.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "sim/schema.hpp"

namespace shsim {
namespace {

/// A prepared statement, finalized on every path.
class Statement {
public:
  Statement(sqlite3* db, const char* sql, const std::string& path) : db_(db), path_(path)
  {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK)
      fail("prepare");
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&)            = delete;
  Statement& operator=(const Statement&) = delete;
  void bind(int i, const std::string& text) { check(sqlite3_bind_text(statement_, i, text.c_str(), -1, SQLITE_TRANSIENT)); }
  void bind(int i, long long value) { check(sqlite3_bind_int64(statement_, i, value)); }
  void bind(int i, double value) { check(sqlite3_bind_double(statement_, i, value)); }
  /// True while there is a row.
  bool step()
  {
    int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc != SQLITE_DONE)
      fail("step");
    return false;
  }
  void reset()
  {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::string text(int column) const
  {
    const unsigned char* t = sqlite3_column_text(statement_, column);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  long long integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }

private:
  void check(int rc)
  {
    if (rc != SQLITE_OK)
      fail("bind");
  }
  [[noreturn]] void fail(const char* what) const
  {
    throw std::runtime_error(fmt::format("{}: sqlite {}: {}", path_, what, sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace

SweepStore::SweepStore(const std::string& path) : path_(path)
{
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{}: cannot open the study database: {}", path, reason));
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    // WAL: a committed run survives SIGKILL of the sweep; NORMAL sync loses nothing to a process
    // crash (only to the machine's), which is what a resumable sweep needs.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS study(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS runs(point TEXT NOT NULL, replication INTEGER NOT NULL, seed INTEGER NOT NULL, "
         "status TEXT NOT NULL, exit_code INTEGER NOT NULL, error TEXT NOT NULL, wall_seconds REAL NOT NULL, "
         "scenario_hash TEXT NOT NULL, version TEXT NOT NULL, metrics TEXT NOT NULL, "
         "PRIMARY KEY(point, replication))");
  } catch (const std::runtime_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{} (is it a study database?)", e.what()));
  }
}

SweepStore::~SweepStore() { sqlite3_close(db_); }

void SweepStore::exec(const std::string& sql) const
{
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string reason = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw std::runtime_error(fmt::format("{}: sqlite: {}", path_, reason));
  }
}

std::string SweepStore::identity() const
{
  Statement s(db_, "SELECT value FROM study WHERE key = 'identity'", path_);
  return s.step() ? s.text(0) : std::string();
}

void SweepStore::set_identity(const std::string& identity, const std::string& description)
{
  exec("BEGIN IMMEDIATE");
  try {
    Statement s(db_, "INSERT OR REPLACE INTO study(key, value) VALUES (?, ?)", path_);
    s.bind(1, std::string("identity"));
    s.bind(2, identity);
    s.step();
    s.reset();
    s.bind(1, std::string("study"));
    s.bind(2, description);
    s.step();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void SweepStore::clear() { exec("DELETE FROM runs"); }

std::map<std::pair<std::string, int>, RunRecord> SweepStore::runs() const
{
  std::map<std::pair<std::string, int>, RunRecord> out;
  Statement s(db_,
              "SELECT point, replication, seed, status, exit_code, error, wall_seconds, scenario_hash, version, "
              "metrics FROM runs",
              path_);
  while (s.step()) {
    RunRecord r;
    r.point         = s.text(0);
    r.replication   = static_cast<int>(s.integer(1));
    r.seed          = static_cast<uint64_t>(s.integer(2));
    r.status        = s.text(3);
    r.exit_code     = static_cast<int>(s.integer(4));
    r.error         = s.text(5);
    r.wall_seconds  = s.real(6);
    r.scenario_hash = s.text(7);
    r.version       = s.text(8);
    r.metrics       = s.text(9);
    out[{r.point, r.replication}] = std::move(r);
  }
  return out;
}

void SweepStore::record(const RunRecord& run) { record_all({run}); }

void SweepStore::record_all(const std::vector<RunRecord>& runs)
{
  exec("BEGIN IMMEDIATE");
  try {
    Statement s(db_,
                "INSERT OR REPLACE INTO runs(point, replication, seed, status, exit_code, error, wall_seconds, "
                "scenario_hash, version, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                path_);
    for (const auto& run : runs) {
      s.bind(1, run.point);
      s.bind(2, static_cast<long long>(run.replication));
      s.bind(3, static_cast<long long>(run.seed));
      s.bind(4, run.status);
      s.bind(5, static_cast<long long>(run.exit_code));
      s.bind(6, run.error);
      s.bind(7, run.wall_seconds);
      s.bind(8, run.scenario_hash);
      s.bind(9, run.version);
      s.bind(10, run.metrics);
      s.step();
      s.reset();
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

}  // namespace shsim
