#include "sim/sweep_store.hpp"

#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "sim/schema.hpp"

namespace shsim {
namespace {

/// A study database's mark in its header (PRAGMA application_id): "shsm".
constexpr int study_mark = 0x7368736D;

/// A failed SQLite call: the disk's fault (full, an I/O error: EnvironmentError, which stops a
/// sweep and records nothing) or a bug (std::runtime_error).
[[noreturn]] void throw_sqlite_error(sqlite3* db, const std::string& path, const std::string& what)
{
  int code = sqlite3_errcode(db) & 0xFF;  // the primary code of an extended one
  if (code == SQLITE_FULL)
    throw environment_error(fmt::format("sqlite {}", what), path, ENOSPC);
  if (code == SQLITE_IOERR || code == SQLITE_NOMEM || code == SQLITE_CANTOPEN || code == SQLITE_READONLY)
    throw EnvironmentError(fmt::format("{}: sqlite {}: {}", path, what, sqlite3_errmsg(db)));
  throw std::runtime_error(fmt::format("{}: sqlite {}: {}", path, what, sqlite3_errmsg(db)));
}

/// Refuses, without writing a byte to it, a file at `path` that is not a study database: one
/// without the mark (another program's SQLite file, or not SQLite at all). Opened read-only and
/// immutable, so that not even a journal or a lock file appears beside it.
void check_study_mark(const std::string& path)
{
  sqlite3* db = nullptr;
  std::string uri = "file:";
  for (char c : path)  // a path in a URI: '?', '#' and '%' escaped
    uri += c == '?' ? std::string("%3f") : c == '#' ? std::string("%23") : c == '%' ? std::string("%25") : std::string(1, c);
  uri += "?mode=ro&immutable=1";
  int mark = 0;
  bool ok  = sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK;
  sqlite3_stmt* statement = nullptr;
  if (ok && sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    mark = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  if (mark != study_mark)
    throw InputError(fmt::format("{}: not a study database of shsim (it lacks shsim's mark; another program's file, "
                                 "or one an older shsim made): left untouched; choose another --out, or move it away",
                                 path));
}

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
  [[noreturn]] void fail(const char* what) const { throw_sqlite_error(db_, path_, what); }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace

SweepStore::SweepStore(const std::string& path) : path_(path)
{
  std::error_code error;
  bool exists = std::filesystem::exists(std::filesystem::symlink_status(path, error));
  if (exists)
    check_study_mark(path);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    try {
      throw_sqlite_error(db_, path, "open");
    } catch (...) {
      sqlite3_close(db_);
      db_ = nullptr;
      throw;
    }
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    // The mark first (in the header, before the write-ahead log holds anything), so that the file
    // is recognised whatever becomes of the log.
    if (!exists)
      exec(fmt::format("PRAGMA application_id={}", study_mark));
    // WAL: a committed run survives SIGKILL of the sweep; NORMAL sync loses nothing to a process
    // crash (only to the machine's), which is what a resumable sweep needs.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS study(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS runs(point TEXT NOT NULL, replication INTEGER NOT NULL, seed INTEGER NOT NULL, "
         "status TEXT NOT NULL, exit_code INTEGER NOT NULL, error TEXT NOT NULL, wall_seconds REAL NOT NULL, "
         "scenario_hash TEXT NOT NULL, version TEXT NOT NULL, metrics TEXT NOT NULL, "
         "PRIMARY KEY(point, replication))");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SweepStore::~SweepStore() { sqlite3_close(db_); }

void SweepStore::exec(const std::string& sql) const
{
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    throw_sqlite_error(db_, path_, sql.substr(0, sql.find(' ')));
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
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);  // the first error is the one to report
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
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);  // the first error is the one to report
    throw;
  }
}

}  // namespace shsim
