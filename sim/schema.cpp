#include "sim/schema.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include <fmt/ranges.h>

namespace shsim {

namespace {
/// Bytes [i, i + 2) encode a C1 control character (U+0080 to U+009F: 0xC2 0x80 to 0xC2 0x9F).
bool c1_at(const std::string& text, size_t i)
{
  return i + 1 < text.size() && static_cast<unsigned char>(text[i]) == 0xC2 &&
         static_cast<unsigned char>(text[i + 1]) >= 0x80 && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
}

/// `text` with its control characters written as escapes; newlines and tabs kept when `keep_lines`.
std::string escaped(const std::string& text, bool keep_lines)
{
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c    = text[i];
    auto byte = static_cast<unsigned char>(c);
    if (keep_lines && (c == '\n' || c == '\t'))
      out += c;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\x1b')
      out += "\\e";
    else if (byte < 0x20 || byte == 0x7F)
      out += fmt::format("\\x{:02x}", byte);
    else if (c1_at(text, i))
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[++i]));
    else
      out += c;
  }
  return out;
}
}  // namespace

std::string one_line(const std::string& text) { return escaped(text, false); }

std::string printable(const std::string& text) { return escaped(text, true); }

EnvironmentError environment_error(const std::string& what, const std::string& path, int error_number)
{
  if (error_number == ENOSPC || error_number == EDQUOT)
    return EnvironmentError(fmt::format("{}: {}: disk full ({}): free some space, then run the same command again",
                                        path, what, std::strerror(error_number)));
  return EnvironmentError(fmt::format("{}: {}: {}", path, what, std::strerror(error_number)));
}

bool is_machine_failure(int error_number)
{
  return error_number == ENOSPC || error_number == EDQUOT || error_number == EIO || error_number == ENOMEM ||
         error_number == EMFILE || error_number == ENFILE;
}

std::optional<std::string> name_problem(const std::string& name)
{
  bool plain = !name.empty() && name.size() <= 100 && name[0] != '.' &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
               });
  if (plain)
    return std::nullopt;
  return fmt::format("'{}' is not a plain name: use letters, digits, '.', '_' and '-' (up to 100, not starting "
                     "with '.')",
                     name);
}

std::optional<std::string> path_problem(const std::string& path)
{
  if (path.empty())
    return std::string("the file name is empty");
  if (has_control_character(path))
    return fmt::format("'{}' holds a control character: no file name here may", path);
  return std::nullopt;
}

bool has_control_character(const std::string& text)
{
  for (size_t i = 0; i < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) < 0x20 || text[i] == 0x7F || c1_at(text, i))
      return true;
  return false;
}

void SourceContext::fail(const YAML::Node& node, const std::string& path, const std::string& reason) const
{
  fail_at(node.Mark(), path, reason);
}

std::string SourceContext::locate(const YAML::Mark& mark, const std::string& path) const
{
  // A value that came from --set has no place in the file: point at the command line instead.
  for (const auto& [set_path, text] : overrides)
    if (path == set_path || path.rfind(set_path + ".", 0) == 0 || path.rfind(set_path + "[", 0) == 0)
      return fmt::format("--set {}={}", set_path, text);
  if (mark.is_null())
    return file;
  return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

void SourceContext::fail_at(const YAML::Mark& mark, const std::string& path, const std::string& raw_reason) const
{
  const std::string& reason = raw_reason;  // InputError makes it one line
  if (path.empty())
    throw InputError(fmt::format("{}: {}", locate(mark, path), reason));
  throw InputError(fmt::format("{}: {}: {}", locate(mark, path), path, reason));
}

std::pair<std::string, YAML::Node> split_choice(const YAML::Node& node, const std::string& path,
                                                const SourceContext& context)
{
  if (node.IsScalar())
    return {node.Scalar(), YAML::Node(YAML::NodeType::Undefined)};
  if (node.IsMap() && node.size() == 1) {
    std::string name = node.begin()->first.Scalar();
    YAML::Node params = node.begin()->second;
    // `{kind: ~}` or `kind:` is not "its defaults": say how to write those.
    if (params.IsNull())
      context.fail(params, path + "." + name,
                   fmt::format("no parameters (null): write `{}` alone, or `{}: {{}}`, for its defaults", name, name));
    return {name, params};
  }
  context.fail(node, path, "expected one option name, or a map with exactly one option and its parameters");
}

namespace {
size_t edit_distance(const std::string& a, const std::string& b)
{
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0]          = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j]       = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal     = above;
    }
  }
  return row[b.size()];
}
}  // namespace

std::optional<std::string> did_you_mean(const std::string& word, const std::vector<std::string>& candidates)
{
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best          = candidate;
    }
  }
  return best;
}

std::string unknown_name(const std::string& what, const std::string& name, const std::vector<std::string>& names)
{
  if (auto guess = did_you_mean(name, names))
    return fmt::format("unknown {} '{}' (did you mean '{}'?)", what, name, *guess);
  return fmt::format("unknown {} '{}' (known: {})", what, name, fmt::join(names, ", "));
}

void SchemaReader::reject_unknown_keys() const
{
  if (!node_.IsMap())
    return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end())
      continue;
    std::string path = join(key);
    if (auto guess = did_you_mean(key, known_))
      context_.fail(entry.first, path, fmt::format("unknown key '{}' (did you mean '{}'?)", key, *guess));
    context_.fail(entry.first, path,
                  fmt::format("unknown key '{}' (known keys here: {})", key, fmt::join(known_, ", ")));
  }
}

double numeric_value(double v) { return v; }
double numeric_value(long long v) { return static_cast<double>(v); }
double numeric_value(int v) { return v; }
double numeric_value(uint64_t v) { return static_cast<double>(v); }
double numeric_value(Duration v) { return v.seconds; }
double numeric_value(Bytes v) { return static_cast<double>(v.count); }
double numeric_value(Bandwidth v) { return v.bits_per_second; }
double numeric_value(Fraction v) { return v.value; }
double numeric_value(Percent v) { return v.value; }
double numeric_value(Rate v) { return v.per_second; }

Parsed<bool> ScalarCodec<bool>::read(const std::string& text)
{
  if (text == "true" || text == "yes" || text == "on")
    return {true, ""};
  if (text == "false" || text == "no" || text == "off")
    return {false, ""};
  return {std::nullopt, fmt::format("'{}' is not a boolean (true or false)", text)};
}

Parsed<long long> ScalarCodec<long long>::read(const std::string& text)
{
  errno            = 0;
  char* end        = nullptr;
  long long number = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    return {std::nullopt, fmt::format("'{}' is not a whole number", text)};
  return {number, ""};
}

Parsed<double> ScalarCodec<double>::read(const std::string& text)
{
  char* end     = nullptr;
  double number = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(number))
    return {std::nullopt, fmt::format("'{}' is not a number", text)};
  return {number, ""};
}

}  // namespace shsim
