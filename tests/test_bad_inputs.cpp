// The bad-input corpus (tests/bad-inputs/, README there): every hostile or mistaken scenario file
// and command line gets exit 2, a single line "shsim: error: ..." that names the place (a
// scenario's file:line:column and key, or the command-line argument), and leaves an existing
// output set untouched. Source: the hardening issue's reproducers, plus the mistakes people make.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support.hpp"

using shsim::testing::run_shsim;
using shsim::testing::source_path;
using shsim::testing::write_temporary;
namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& path) { return shsim::testing::read_file(path.string()); }

/// Every file and folder under `dir`, hidden ones included, with its bytes.
std::map<std::string, std::string> listing(const fs::path& dir)
{
  std::map<std::string, std::string> now;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    now[fs::relative(entry.path(), dir).string()] = entry.is_regular_file() ? read(entry.path()) : "(folder)";
  return now;
}

/// An output folder holding an earlier run's set, alone in a folder of its own: after a refusal,
/// that folder must list exactly as before (no lock file, no staging folder beside the set).
struct OldSet {
  fs::path home, dir;
  std::map<std::string, std::string> files;
  OldSet()
  {
    home = write_temporary("", ".home");
    fs::remove(home);
    dir = home / "out";
    fs::create_directories(dir);
    std::ofstream(dir / ".shsim-output") << "an output set of shsim\n";
    std::ofstream(dir / "summary.json") << "{\"old\": true}\n";
    std::ofstream(dir / "events.csv") << "time,chain\n";
    files = snapshot();
  }
  std::map<std::string, std::string> snapshot() const { return listing(home); }
  ~OldSet() { fs::remove_all(home); }
};

/// The files hostile inputs of the corpus try to write (platform files' tracing, shell in names).
bool pwned()
{
  for (const auto& entry : fs::directory_iterator("/tmp"))
    if (entry.path().filename().string().rfind("shsim-pwned", 0) == 0)
      return true;
  return false;
}

/// Runs one bad input and checks the four promises.
void check_refused(const std::string& arguments, const std::string& expected, const std::string& place_pattern)
{
  OldSet old;
  std::string args = arguments;
  if (args.find("{out}") == std::string::npos && args.find("--out") == std::string::npos && args.rfind("check", 0) != 0)
    args += " --out {out}";
  args = std::regex_replace(args, std::regex("\\{out\\}"), old.dir.string());
  std::string log = write_temporary("", ".log");
  int code        = run_shsim(args, log);
  std::string message = read(log);
  INFO("shsim " << args << "\n" << message);
  CHECK(code == 2);
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
  CHECK(message.rfind("shsim: error: ", 0) == 0);
  CHECK(message.find(expected) != std::string::npos);
  CHECK(std::regex_search(message, std::regex(place_pattern)));
  CHECK(old.snapshot() == old.files);
  CHECK_FALSE(pwned());
  fs::remove(log);
}

}  // namespace

TEST_CASE("every scenario of the bad-input corpus is refused with one line naming file:line:column", "[bad-input]")
{
  fs::path corpus = source_path("tests/bad-inputs");
  std::map<std::string, std::string> listed;  // files that cannot carry an '# expect:' line
  std::istringstream expectations(read(corpus / "expectations.txt"));
  for (std::string line; std::getline(expectations, line);)
    if (!line.empty() && line[0] != '#')
      listed[line.substr(0, line.find(": "))] = line.substr(line.find(": ") + 2);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus))
    if (entry.path().extension() == ".yaml")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 100);
  // The corpus folder too lists exactly as before once every case has been refused: nothing was
  // written beside a scenario or a file it names.
  auto corpus_before = listing(corpus);
  for (const auto& file : files) {
    std::string name = file.filename().string(), text = read(file), expected;
    if (listed.count(name))
      expected = listed[name];
    else if (text.rfind("# expect: ", 0) == 0)
      expected = text.substr(10, text.find('\n') - 10);
    DYNAMIC_SECTION(name)
    {
      REQUIRE_FALSE(expected.empty());
      // The place: this file's (or a file it names) line and column.
      check_refused("run " + file.string(), expected, "^shsim: error: [^ ]+:[0-9]+:[0-9]+: ");
      CHECK(listing(corpus) == corpus_before);
    }
  }
}

TEST_CASE("every command line of the bad-input corpus is refused with one line naming the argument", "[bad-input]")
{
  std::istringstream lines(read(source_path("tests/bad-inputs/command-lines.txt")));
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    size_t split         = line.find(" ## ");
    std::string args     = line.substr(0, split);
    std::string expected = line.substr(split + 4);
    ++count;
    DYNAMIC_SECTION(args)
    {
      // Relative paths are the repository's.
      // (Built with append: GCC 12's -Wrestrict misfires on "literal" + std::string&& at -O2.)
      std::string prefixed = " ";
      prefixed += args;
      std::string replacement = " ";
      replacement += source_path("scenarios/");
      std::string absolute = std::regex_replace(prefixed, std::regex(" scenarios/"), replacement);
      check_refused(absolute.substr(1), expected, "^shsim: error: ");
    }
  }
  CHECK(count >= 30);
}
