// Nothing written where it should not be: a scenario, every file it names, and an output folder
// may come from a stranger (people share them) or hold a user's own work. Each case here is one of
// the hostile-use reproducers of the issue "Nothing written where it should not be" (platform
// files, output folders, figures, the cluster script, the terminal), run through the shsim binary
// as a user would, and failed before its fix.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sim/sweep_store.hpp"
#include "tests/support.hpp"

using shsim::testing::fresh_directory;
using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& path) { return shsim::testing::read_file(path.string()); }

/// True when `text` holds a byte a terminal obeys rather than shows: C0 controls other than newline
/// and tab, DEL, and the C1 controls (U+0080 to U+009F, 0xC2 0x80-0x9F in UTF-8).
bool has_raw_control(const std::string& text)
{
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7F)
      return true;
    if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F)
      return true;
  }
  return false;
}
}  // namespace

TEST_CASE("a description's escape sequences reach the terminal and explain.txt escaped, never obeyed", "[hostile]")
{
  // OSC 0 (set the window title), cursor up and erase line: it could erase the warning printed
  // before it. C1 CSI (U+009B) is the same as ESC [ to many terminals.
  std::string scenario = write_temporary(
      "name: escapes\n"
      "description: \"\\e]0;TITLE\\a\\e[1A\\e[2K\\u009b2J gone\"\n"
      "duration: 20s\n"
      "parent:\n  validators: { count: 4 }\n"
      "expect: [\"parent.blocks_committed > 1000000\"]\n");
  std::string out = fresh_directory(), log = write_temporary("", ".log");
  CHECK(run_shsim("run " + scenario + " --explain --out " + out, log) == 1);  // the expectation fails
  std::string terminal = read(log), explain = read(fs::path(out) / "explain.txt");
  INFO(terminal);
  CHECK_FALSE(has_raw_control(terminal));
  CHECK_FALSE(has_raw_control(explain));
  CHECK(terminal.find("\\e]0;TITLE\\x07\\e[1A\\e[2K\\u009b2J gone") != std::string::npos);
  CHECK(explain.find("\\e]0;TITLE\\x07\\e[1A\\e[2K\\u009b2J gone") != std::string::npos);
  // The resolved scenario keeps the text, as YAML escapes (it loads back to the same string).
  CHECK_FALSE(has_raw_control(read(fs::path(out) / "scenario.resolved.yaml")));
  fs::remove_all(out);
}

TEST_CASE("a platform file cannot write a file, set an engine option or load a library, from run or sweep", "[hostile]")
{
  // The reproducer: <config> turns tracing on into a file of the platform's choosing, and a host id
  // that closes the trace's quoting writes shell commands into it. Refused before SimGrid reads
  // anything, by `run`, `check` and every run of a `sweep`.
  fs::path dir = fresh_directory();
  fs::create_directories(dir);
  fs::path written = dir / "pwned.sh";
  std::ofstream(dir / "evil.xml")
      << "<?xml version='1.0'?>\n<platform version=\"4.1\">\n  <config>\n    <prop id=\"tracing\" value=\"yes\"/>\n"
         "    <prop id=\"tracing/filename\" value=\""
      << written.string()
      << "\"/>\n  </config>\n  <zone id=\"z\" routing=\"Full\">\n"
         "    <host id=\"h&quot;&#10;touch "
      << (dir / "PWNED").string() << "&#10;#\" speed=\"1Gf\"/>\n  </zone>\n</platform>\n";
  std::ofstream(dir / "evil.yaml") << "name: evil\nduration: 10s\nparent:\n  validators: { count: 4 }\n"
                                      "network:\n  platform_file: evil.xml\n";
  std::string log = write_temporary("", ".log");
  std::string scenario = (dir / "evil.yaml").string();
  for (const std::string& command :
       {"run " + scenario + " --out " + (dir / "out").string(), "check " + scenario,
        "sweep " + scenario + " --vary duration=10s,20s --quiet --out " + (dir / "sweep").string()}) {
    INFO(command);
    CHECK(run_shsim(command, log) == 2);
    std::string message = read(log);
    INFO(message);
    CHECK(std::regex_search(message, std::regex("evil\\.xml:3:3: <config>: a platform file may not set engine options")));
    CHECK_FALSE(fs::exists(written));
    CHECK_FALSE(fs::exists(dir / "PWNED"));
    CHECK_FALSE(fs::exists(dir / "out"));
  }
  fs::remove_all(dir);
}

TEST_CASE("a platform SimGrid cannot build is bad input named by its file and line, before any simulation", "[hostile]")
{
  fs::path dir = fresh_directory();
  fs::create_directories(dir);
  std::ofstream(dir / "routes.xml") << "<?xml version='1.0'?>\n<platform version=\"4.1\">\n"
                                       "  <zone id=\"z\" routing=\"Full\">\n    <host id=\"h0\" speed=\"1Gf\"/>\n"
                                       "    <link id=\"l\" bandwidth=\"1Gbps\" latency=\"10ms\"/>\n"
                                       "    <route src=\"h0\" dst=\"h9\"><link_ctn id=\"l\"/></route>\n"
                                       "  </zone>\n</platform>\n";
  std::ofstream(dir / "routes.yaml") << "name: routes\nduration: 10s\nparent:\n  validators: { count: 4 }\n"
                                        "network:\n  platform_file: routes.xml\n";
  std::string log = write_temporary("", ".log");
  CHECK(run_shsim("run " + (dir / "routes.yaml").string() + " --out " + (dir / "out").string(), log) == 2);
  std::string message = read(log);
  INFO(message);
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
  CHECK(std::regex_search(message, std::regex("^shsim: error: .*routes\\.xml:6: network\\.platform_file: SimGrid "
                                              "cannot build this platform: .*h9")));
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

namespace {
const std::string quick = source_path("scenarios/quickstart.yaml") + " --quiet --set duration=20s --set 'expect=[]'";

/// Every file under `dir` (hidden ones and links included) with its bytes; a link as "-> target".
std::map<std::string, std::string> listing(const fs::path& dir)
{
  std::map<std::string, std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    std::string name = fs::relative(it->path(), dir).string();
    if (it->is_symlink())
      files[name] = "-> " + fs::read_symlink(it->path()).string();
    else if (it->is_regular_file())
      files[name] = read(it->path());
    else
      files[name + "/"] = "";
  }
  return files;
}

/// True when this machine lets the test make PID namespaces and mounts (root, or user namespaces).
bool can_unshare() { return std::system("unshare -rmpf --mount-proc true >/dev/null 2>&1") == 0; }
}  // namespace

TEST_CASE("only an empty folder or a marked output set is replaced: a summary.json is no mark", "[hostile][output]")
{
  fs::path project = fresh_directory();
  fs::create_directories(project);
  std::ofstream(project / "summary.json") << "{}\n";
  std::ofstream(project / "thesis.tex") << "draft\n";
  auto before     = listing(project);
  std::string log = write_temporary("", ".log");
  CHECK(run_shsim("run " + quick + " --out " + project.string(), log) == 2);
  CHECK(read(log).find("not shsim outputs (no .shsim-output)") != std::string::npos);
  CHECK(listing(project) == before);
  fs::remove_all(project);
}

TEST_CASE("an output folder through a symbolic link gets the set in its target, a dangling link and a mount point are "
          "refused before the run",
          "[hostile][output]")
{
  fs::path dir = fresh_directory();
  fs::create_directories(dir / "real");
  fs::create_directory_symlink("real", dir / "link");
  REQUIRE(run_shsim("run " + quick + " --out " + (dir / "link").string()) == 0);
  CHECK(fs::is_symlink(dir / "link"));
  CHECK(fs::exists(dir / "real" / "summary.json"));
  CHECK(fs::exists(dir / "real" / ".shsim-output"));
  // Again: the old set in the target is replaced, not left behind a new folder.
  REQUIRE(run_shsim("run " + quick + " --seed 5 --out " + (dir / "link").string()) == 0);
  CHECK(fs::is_symlink(dir / "link"));
  CHECK(read(dir / "real" / "summary.json").find("\"seed\": 5") != std::string::npos);

  // A dangling link: refused before the run (a day of simulation would take minutes).
  fs::create_directory_symlink("nowhere", dir / "dangling");
  auto before     = listing(dir);
  std::string log = write_temporary("", ".log");
  auto started    = std::chrono::steady_clock::now();
  CHECK(run_shsim("run " + source_path("scenarios/quickstart.yaml") + " --set duration=30d --quiet --out " +
                      (dir / "dangling").string(),
                  log) == 2);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  CHECK(read(log).find("a symbolic link to nowhere, which does not exist") != std::string::npos);
  CHECK(listing(dir) == before);

  // A mount point cannot be swapped: /proc always is one; a fresh tmpfs where the machine allows it.
  CHECK(run_shsim("run " + quick + " --out /proc", log) == 2);
  CHECK(read(log).find("a mount point") != std::string::npos);
  if (can_unshare()) {
    fs::create_directories(dir / "volume");
    std::string inside = "unshare -rm sh -c 'mount -t tmpfs none " + (dir / "volume").string() + " && " +
                         SHSIM_BINARY + " run " + quick + " --out " + (dir / "volume").string() + " >" + log +
                         " 2>&1'";
    int status = std::system(inside.c_str());
    CHECK(WEXITSTATUS(status) == 2);
    CHECK(read(log).find("a mount point") != std::string::npos);
  } else {
    WARN("no mount namespaces here: the tmpfs volume case was not run (/proc was)");
  }
  fs::remove_all(dir);
}

TEST_CASE("two runs into one folder, even from two PID namespaces, never mix: the second is refused while the first "
          "holds the lock",
          "[hostile][output]")
{
  fs::path dir = fresh_directory();
  fs::create_directories(dir);
  fs::path out = dir / "out";
  // A staging folder whose name carries pid 1 (alive in every namespace) and whose lock is free: a
  // dead run's, which the next claim removes (the pid rule kept it forever).
  fs::create_directories(dir / ".out.shsim-staging-1");
  std::string wrap = can_unshare() ? "unshare -rpf --mount-proc " : "";
  std::string long_run = wrap + SHSIM_BINARY + " run " + source_path("scenarios/quickstart.yaml") +
                         " --quiet --set duration=2h --set 'expect=[]' --out " + out.string();
  std::string first_log = write_temporary("", ".log"), second_log = write_temporary("", ".log");
  pid_t first = fork();
  if (first == 0) {
    int status = std::system((long_run + " >" + first_log + " 2>&1").c_str());
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 99);
  }
  // Wait until the first run holds the folder (its staging folder appears), then start the second.
  for (int i = 0; i < 400 && !fs::exists(dir / ".out.shsim-lock"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(fs::exists(dir / ".out.shsim-staging-1"));
  CHECK(std::system((wrap + SHSIM_BINARY + " run " + quick + " --out " + out.string() + " >" + second_log + " 2>&1")
                        .c_str()) == 2 * 256);
  CHECK(read(second_log).find("another shsim process is writing this folder") != std::string::npos);
  int status = 0;
  waitpid(first, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  INFO(read(first_log));
  // The first run's set is there, whole, and nothing else beside it but the lock.
  CHECK(read(out / "summary.json").find("\"simulated_seconds\": 7200.0") != std::string::npos);
  std::vector<std::string> beside;
  for (const auto& entry : fs::directory_iterator(dir))
    beside.push_back(entry.path().filename().string());
  std::sort(beside.begin(), beside.end());
  CHECK(beside == std::vector<std::string>{".out.shsim-lock", "out"});
  fs::remove_all(dir);
}

TEST_CASE("figures change as a set: a failing plot leaves the old set whole, a shorter plots list leaves no stale "
          "figure",
          "[hostile][output][plot]")
{
  fs::path dir = fresh_directory();
  fs::create_directories(dir);
  std::string study_text =
      "scenario: " + source_path("scenarios/quickstart.yaml") +
      "\nseed: 7\nreplications: 2\nset: [duration=30s, parent.validators.count=4, 'workload=[]', 'expect=[]']\n"
      "axes:\n  - { path: parent.protocol.tendermint.timeout_commit, values: [1s, 2s] }\n"
      "metrics: [parent.blocks_committed, parent.block_interval.p50]\n";
  std::ofstream(dir / "two.yaml") << study_text << "plots:\n  - { x: parent.protocol.tendermint.timeout_commit, y: "
                                                   "parent.blocks_committed }\n  - { x: "
                                                   "parent.protocol.tendermint.timeout_commit, y: "
                                                   "parent.block_interval.p50 }\n";
  std::ofstream(dir / "one.yaml") << study_text << "plots:\n  - { x: parent.protocol.tendermint.timeout_commit, y: "
                                                   "parent.blocks_committed }\n";
  std::string out = (dir / "results").string();
  REQUIRE(run_shsim("sweep " + (dir / "two.yaml").string() + " --quiet --out " + out) == 0);
  REQUIRE(run_shsim("plot " + (dir / "two.yaml").string() + " --out " + out) == 0);
  auto two = listing(dir / "results" / "figures");
  CHECK(two.count("02-parent.block_interval.p50-vs-parent.protocol.tendermint.timeout_commit.png") == 1);

  // New results (a replication more: the curves move), and a last figure that fails after the first
  // ones are drawn (a boundaries table that is not text): the folder keeps the old set, byte for byte.
  REQUIRE(run_shsim("sweep " + (dir / "two.yaml").string() + " --reps 3 --quiet --out " + out) == 0);
  std::ofstream(dir / "results" / "boundaries.csv") << "point,\xff\xfe\n";
  CHECK(run_shsim("plot " + (dir / "two.yaml").string() + " --out " + out) != 0);
  CHECK(listing(dir / "results" / "figures") == two);
  fs::remove(dir / "results" / "boundaries.csv");

  // One figure fewer: its files go with the old set.
  REQUIRE(run_shsim("plot " + (dir / "one.yaml").string() + " --out " + out) == 0);
  auto one = listing(dir / "results" / "figures");
  CHECK(one.count("01-parent.blocks_committed-vs-parent.protocol.tendermint.timeout_commit.png") == 1);
  CHECK(one.count("02-parent.block_interval.p50-vs-parent.protocol.tendermint.timeout_commit.png") == 0);
  CHECK(one.count(".shsim-output") == 1);
  fs::remove_all(dir);
}

namespace {
/// The command line that runs shsim on a disk that fills up under `folder` when `flag` appears
/// (tests/fault/full_disk.cpp). The sanitizer build's runtime must let the library load first.
std::string on_full_disk(const fs::path& folder, const fs::path& flag, const std::string& arguments)
{
  return "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 LD_PRELOAD=" + std::string(SHSIM_FULL_DISK_LIBRARY) +
         " SHSIM_FULL_DISK_UNDER=" + folder.string() + " SHSIM_FULL_DISK_WHEN=" + flag.string() + " " + SHSIM_BINARY +
         " " + arguments;
}

int exit_code(const std::string& command)
{
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST_CASE("a full disk is the machine's failure: exit 4 saying so, and a sweep stops, records none of it and resumes "
          "to a clean sweep's table",
          "[hostile][sweep]")
{
  fs::path dir = fs::weakly_canonical(fresh_directory());
  fs::create_directories(dir);
  fs::path flag = dir / "disk-is-full";
  std::string log = write_temporary("", ".log");

  // A run: its outputs cannot be written.
  std::ofstream(flag) << "";
  CHECK(exit_code(on_full_disk(dir, flag, "run " + quick + " --out " + (dir / "run").string() + " >" + log + " 2>&1")) ==
        4);
  INFO(read(log));
  CHECK(read(log).find("disk full") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run"));
  fs::remove(flag);

  // A sweep: the disk fills up after two runs.
  std::ofstream(dir / "study.yaml") << "scenario: " << source_path("scenarios/quickstart.yaml")
                                    << "\nseed: 7\nreplications: 3\nset: [duration=1m, parent.validators.count=4, "
                                       "'workload=[]', 'expect=[]']\naxes:\n  - { path: "
                                       "parent.protocol.tendermint.timeout_commit, values: [1s, 2s, 4s] }\n"
                                       "metrics: [parent.blocks_committed]\n";
  std::string study = (dir / "study.yaml").string();
  fs::path out = dir / "sweep";
  std::string sweep = "sweep " + study + " -j 1 --quiet --out " + out.string() + " >" + log + " 2>&1";
  pid_t sweeping    = fork();
  if (sweeping == 0)
    _exit(exit_code(on_full_disk(out, flag, sweep)));
  for (int i = 0; i < 2000 && !fs::exists(flag); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::error_code error;
    if (fs::exists(out / "study.db", error) && shsim::SweepStore((out / "study.db").string()).runs().size() >= 2)
      std::ofstream(flag) << "";
  }
  int status = 0;
  waitpid(sweeping, &status, 0);
  REQUIRE(fs::exists(flag));
  CHECK(WEXITSTATUS(status) == 4);
  std::string message = read(log);
  INFO(message);
  CHECK(message.find("disk full") != std::string::npos);
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
  // No run is recorded as failed for the disk's sake.
  auto recorded = shsim::SweepStore((out / "study.db").string()).runs();
  CHECK(recorded.size() >= 2);
  CHECK(recorded.size() < 9);
  for (const auto& [key, run] : recorded)
    CHECK(run.status == "ok");
  // Space again: the same command resumes, and the table is a clean sweep's.
  fs::remove(flag);
  CHECK(exit_code(on_full_disk(out, flag, sweep)) == 0);
  REQUIRE(run_shsim("sweep " + study + " --quiet --out " + (dir / "clean").string()) == 0);
  CHECK(read(out / "runs.csv") == read(dir / "clean" / "runs.csv"));
  fs::remove_all(dir);
}

TEST_CASE("a study.db that is not a study database is refused with exit 2 and left untouched", "[hostile][sweep]")
{
  fs::path dir = fresh_directory();
  fs::create_directories(dir / "sqlite");
  fs::create_directories(dir / "text");
  {  // Another program's SQLite database.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "sqlite" / "study.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES ('mine')", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::ofstream(dir / "text" / "study.db") << "my notes, not a database\n";
  std::string study = write_temporary("scenario: " + source_path("scenarios/quickstart.yaml") +
                                      "\nset: [duration=10s, 'expect=[]']\nmetrics: [parent.blocks_committed]\n"
                                      "axes:\n  - { path: parent.validators.count, values: [4] }\n");
  for (const char* kind : {"sqlite", "text"}) {
    INFO(kind);
    auto before     = listing(dir / kind);
    std::string log = write_temporary("", ".log");
    CHECK(run_shsim("sweep " + study + " --quiet --out " + (dir / kind).string(), log) == 2);
    CHECK(read(log).find("not a study database of shsim") != std::string::npos);
    CHECK(listing(dir / kind) == before);  // not a byte changed, no journal beside it
    CHECK(run_shsim("sweep " + study + " --fresh --quiet --out " + (dir / kind).string(), log) == 2);
    CHECK(listing(dir / kind) == before);
  }
  fs::remove_all(dir);
}

TEST_CASE("the Slurm script carries hostile names as words: nothing they hold runs, every task gets the study as "
          "given",
          "[hostile][sweep]")
{
  // Quotes, $(...) and spaces in the study file's folder and name, the output folder and a --set.
  fs::path dir = fs::weakly_canonical(fresh_directory());
  fs::path folder = dir / "d i'r\"$x";
  fs::create_directories(folder);
  fs::path study  = folder / "a'$(touch PWNED)'b.yaml";
  std::ofstream(study) << "name: hostile\nscenario: " << source_path("scenarios/quickstart.yaml")
                       << "\nreplications: 1\nset: [duration=10s, 'expect=[]']\nmetrics: [parent.blocks_committed]\n"
                          "axes:\n  - { path: parent.validators.count, values: [4, 5] }\n";
  std::string out      = "o'u$(touch PWNED)t";
  std::string set      = "description=it's $(touch PWNED) `touch PWNED`";
  auto word = [](const std::string& s) {
    std::string q = "'";
    for (char c : s)
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  std::string command = "cd " + word(dir.string()) + " && " + SHSIM_BINARY + " sweep " + word(study.string()) +
                        " --slurm 3 --reps 2 --seed 5 --set " + word(set) + " --out " + word(out) + " >/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  std::string script = read(dir / out / "sweep.slurm");
  // A stand-in for shsim that records its arguments, one NUL-terminated word each.
  fs::path stand_in = dir / "stand-in", record = dir / "arguments";
  std::ofstream(stand_in) << "#!/bin/bash\nprintf '%s\\0' \"$@\" >> " << word(record.string()) << "\n";
  fs::permissions(stand_in, fs::perms::owner_all);
  std::string binary = std::string("'") + SHSIM_BINARY + "'";
  for (size_t at = script.find(binary); at != std::string::npos; at = script.find(binary, at))
    script.replace(at, binary.size(), word(stand_in.string()));
  std::ofstream(dir / "task.sh") << script;
  REQUIRE(std::system(("SLURM_ARRAY_TASK_ID=1 bash " + word((dir / "task.sh").string())).c_str()) == 0);
  // The merge command the script names, run the same way (over the shard the task would have made).
  fs::create_directories(dir / out / "shards" / "1");
  std::string merge = script.substr(script.find("#   cd ") + 4);
  merge             = merge.substr(0, merge.find('\n'));
  REQUIRE(std::system(("bash -c " + word(merge)).c_str()) == 0);

  std::string words = read(record);
  std::vector<std::string> arguments;
  for (size_t start = 0, end; (end = words.find('\0', start)) != std::string::npos; start = end + 1)
    arguments.push_back(words.substr(start, end - start));
  std::string shards = (dir / out / "shards").string();
  std::vector<std::string> task{"sweep", study.string(), "--reps", "2", "--seed", "5", "--set", set,
                                "--shard", "1/3", "-j", "1", "--out", shards + "/1"};
  std::vector<std::string> merged{"sweep", "merge", study.string(), "--reps", "2", "--seed", "5", "--set", set,
                                  shards + "/1", "--out", (dir / out).string()};
  std::vector<std::string> expected = task;
  expected.insert(expected.end(), merged.begin(), merged.end());
  CHECK(arguments == expected);
  // Nothing the names hold ran, anywhere.
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    CHECK(entry.path().filename() != "PWNED");
  CHECK_FALSE(fs::exists("PWNED"));

  // A newline would end the comment or #SBATCH line it sits in: refused.
  std::string log = write_temporary("", ".log");
  CHECK(run_shsim("sweep " + word(study.string()) + " --slurm 2 --set " + word("description=a\nb") + " --out " +
                      (dir / "other").string(),
                  log) == 2);
  CHECK(read(log).find("holds a control character") != std::string::npos);
  fs::remove_all(dir);
}
