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
