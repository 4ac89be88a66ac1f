// Nothing written where it should not be: a scenario, every file it names, and an output folder
// may come from a stranger (people share them) or hold a user's own work. Each case here is one of
// the hostile-use reproducers of the issue "Nothing written where it should not be" (platform
// files, output folders, figures, the cluster script, the terminal), run through the shsim binary
// as a user would, and failed before its fix.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

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
