// Outputs change as a whole set or not at all (sim/output.hpp): a run killed with SIGKILL at any
// moment, in the middle of simulating or of writing, leaves the output folder holding the complete
// old set or the complete new set, never a mix, a half-written file or a stale file.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/rng.hpp"
#include "tests/support.hpp"

using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

namespace {
using FileSet = std::map<std::string, std::string>;

FileSet read_set(const fs::path& dir, bool with_performance)
{
  FileSet files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    // performance.json holds wall-clock figures: only its presence is compared.
    files[name] = name == "performance.json" && !with_performance ? "" : shsim::testing::read_file(entry.path());
  }
  return files;
}

using shsim::testing::fresh_directory;

pid_t start(const std::vector<std::string>& arguments) { return shsim::testing::start_shsim(arguments); }
}  // namespace

namespace {
/// The staging folders beside output folder `out` (".<name>.shsim-staging-<random>", sim/output.hpp).
std::vector<fs::path> stagings_of(const std::string& out)
{
  fs::path target = fs::path(out);
  std::string prefix = ".";
  prefix += target.filename().string();
  prefix += ".shsim-staging-";
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(target.parent_path()))
    if (entry.path().filename().string().rfind(prefix, 0) == 0)
      found.push_back(entry.path());
  return found;
}
}  // namespace

TEST_CASE("a run killed at any moment leaves the complete old set or the complete new set", "[cli][kill]")
{
  std::string scenario = source_path("scenarios/quickstart.yaml");
  auto arguments       = [&](const std::string& out, const std::string& seed) {
    return std::vector<std::string>{"run", scenario, "--quiet", "--set", "duration=3m", "--set", "expect=[]",
                                    "--seed", seed, "--out", out};
  };
  // The two sets: an earlier run's (seed 1) and the new one (seed 2), as complete runs write them.
  std::string old_reference = fresh_directory(), new_reference = fresh_directory();
  auto started = std::chrono::steady_clock::now();
  REQUIRE(run_shsim("run " + scenario + " --quiet --set duration=3m --set 'expect=[]' --seed 2 --out " +
                    new_reference) == 0);
  double run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(run_shsim("run " + scenario + " --quiet --set duration=3m --set 'expect=[]' --seed 1 --out " +
                    old_reference) == 0);
  FileSet old_set = read_set(old_reference, true), new_set = read_set(new_reference, false);
  REQUIRE(old_set != new_set);

  // Kill times spread over the whole run, most of them from its last fifth on, where the files are
  // written (up to twice its measured length, in case other tests slow it down).
  shsim::RandomStream when(2026, "kill-test");
  int old_seen = 0, new_seen = 0;
  const int kills = 30;
  for (int k = 0; k < kills; ++k) {
    std::string out = fresh_directory();
    fs::copy(old_reference, out);
    double fraction = k % 4 == 0 ? when.uniform(0, 1) : when.uniform(0.8, 2.0);  // the machine may be busy
    pid_t pid       = start(arguments(out, "2"));
    std::this_thread::sleep_for(std::chrono::duration<double>(fraction * run_seconds));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    FileSet now = read_set(out, false);
    INFO("kill " << k << " at " << fraction << " of the run");
    bool is_old = read_set(out, true) == old_set, is_new = now == new_set;
    CHECK((is_old || is_new));
    old_seen += is_old ? 1 : 0;
    new_seen += is_new ? 1 : 0;
    // A killed run leaves at most its staging folder beside the set (the event log streams into
    // it); the next run into the same folder removes it before starting, and writes the new set.
    if (!stagings_of(out).empty()) {
      REQUIRE(run_shsim("run " + scenario + " --quiet --set duration=10s --set 'expect=[]' --out " + out) == 0);
      CHECK(stagings_of(out).empty());
    }
    fs::remove_all(out);
  }
  // Both outcomes happened: the kills did land before and after the swap.
  CHECK(old_seen > 0);
  CHECK(new_seen > 0);
  fs::remove_all(old_reference);
  fs::remove_all(new_reference);
}

TEST_CASE("changing the event log format leaves no stale file of the earlier format", "[cli]")
{
  std::string scenario = source_path("scenarios/quickstart.yaml") + " --quiet --set duration=1m --set 'expect=[]'";
  std::string out      = fresh_directory();
  REQUIRE(run_shsim("run " + scenario + " --set output.events=csv --out " + out) == 0);
  CHECK(fs::exists(fs::path(out) / "events.csv"));
  REQUIRE(run_shsim("run " + scenario + " --set output.events=jsonl --out " + out) == 0);
  CHECK(fs::exists(fs::path(out) / "events.jsonl"));
  CHECK_FALSE(fs::exists(fs::path(out) / "events.csv"));
  fs::remove_all(out);
}
