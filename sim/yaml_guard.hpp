// Reading YAML that a stranger wrote. A scenario is untrusted input (people share them), so before
// yaml-cpp builds a tree the text is checked, and refused with a one-line error naming the place:
//  - the bytes: at most max_yaml_bytes, no NUL byte, valid UTF-8; no string that decodes to one
//    holding NUL ("\0", "\u0000");
//  - the structure, walked as the parser's events: exactly one document, nesting at most
//    max_yaml_depth deep, no key twice in one map (yaml-cpp would keep the first silently), keys
//    that are plain scalars;
//  - aliases: an alias to a node that contains it (a cycle, `x: &a [*a]`) is refused, and the
//    size of the document with every alias expanded is capped at max_yaml_nodes ("billion laughs":
//    ten nested levels of ten aliases would expand to 10^10 nodes).
// Only then is the text loaded into a YAML::Node (whose marks point back at the file).
#pragma once

#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace shsim {

constexpr size_t max_yaml_bytes = 16 * 1024 * 1024;  // a scenario with 100 000 stake weights is ~1 MB
constexpr size_t max_yaml_depth = 64;
constexpr size_t max_yaml_nodes = 4'000'000;  // nodes after alias expansion

/// Checks `text` and loads its one document. `where` names the source in errors (a file name, or
/// "--set key=value"). Throws InputError. An empty document (or only comments) loads as Null when
/// `allow_empty`, and is an error otherwise.
YAML::Node load_untrusted_yaml(const std::string& text, const std::string& where, bool allow_empty);

/// Reads a file that a scenario names (or the scenario itself): it must be a regular file of at
/// most `max_bytes`; `what` says what it should be ("scenario", "latency matrix", ...). Throws
/// InputError with `reason_prefix` (e.g. "file:line:col: key") before the reason.
std::string read_untrusted_file(const std::string& path, size_t max_bytes, const std::string& what,
                                const std::string& reason_prefix);

}  // namespace shsim
