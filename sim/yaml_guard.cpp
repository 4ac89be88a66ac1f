#include "sim/yaml_guard.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include "sim/schema.hpp"

namespace shsim {
namespace fs = std::filesystem;

namespace {

std::string place(const std::string& where, size_t line, size_t column)
{
  if (where.rfind("--set ", 0) == 0)  // a command-line value: its text is the place
    return where;
  return fmt::format("{}:{}:{}", where, line + 1, column + 1);
}

/// Line and column (0-based) of byte `offset`.
std::pair<size_t, size_t> line_and_column(const std::string& text, size_t offset)
{
  size_t line = 0, start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      start = i + 1;
    }
  return {line, offset - start};
}

/// Offset of the first byte that is not part of valid UTF-8 (text.size() when all are).
size_t invalid_utf8(const std::string& text)
{
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size())
      return i;
    uint32_t code = length == 1 ? byte : byte & (0xFF >> (length + 1));
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2)
        return i;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF)
      return i;
    i += length;
  }
  return text.size();
}

/// Walks the parser's events and refuses what yaml-cpp would accept silently or choke on.
class Guard : public YAML::EventHandler {
public:
  explicit Guard(std::string where) : where_(std::move(where)) {}
  YAML::Mark document_start;  // of the document being read
  /// The first mistake found in a document that parses: duplicate keys, keys that are not names,
  /// alias cycles. Kept until the parse ends, because a YAML syntax error further on is the better
  /// diagnosis (an unclosed bracket can look like a key that is a list).
  std::string first_error;

  void OnDocumentStart(const YAML::Mark& mark) override { document_start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, "~"); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override
  {
    leaf(mark, anchor, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override
  {
    if (before_value(mark, "")) {
      // An alias used as a map key is allowed by YAML but never by a scenario.
      note(mark, "a key must be a plain name, not an alias");
    }
    auto open = std::find_if(stack_.begin(), stack_.end(), [&](const Open& o) { return o.anchor == anchor; });
    if (open != stack_.end()) {
      note(mark, "an alias refers to a node that contains it (a cycle)");
      return;
    }
    auto size = sizes_.find(anchor);
    if (size == sizes_.end()) {
      note(mark, "an alias refers to an unknown anchor");
      return;
    }
    add(mark, size->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override
  {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override
  {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

private:
  struct Open {
    bool map              = false;
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t size = 1;        // nodes inside, aliases expanded
    bool expect_key = true; // maps: the next event is a key
    std::map<std::string, size_t> keys;  // maps: key -> line of its first use
    std::string key;                     // maps: the key being read
    size_t items = 0;                    // lists: items begun
  };

  std::string located(const YAML::Mark& mark, const std::string& reason) const
  {
    std::string path = current_path();
    return fmt::format("{}: {}{}", place(where_, static_cast<size_t>(mark.line), static_cast<size_t>(mark.column)),
                       path.empty() ? "" : path + ": ", reason);
  }
  /// Stops the parse at once: going on would exhaust the machine.
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& reason) const
  {
    throw InputError(located(mark, reason));
  }
  /// Records the first mistake; the parse goes on.
  void note(const YAML::Mark& mark, const std::string& reason)
  {
    if (first_error.empty())
      first_error = located(mark, reason);
  }

  /// The key path of the node being read ("parent.validators.count", "adversaries[2]").
  std::string current_path() const
  {
    std::string path;
    for (const auto& o : stack_) {
      if (o.map && !o.key.empty())
        path += (path.empty() ? "" : ".") + o.key;
      else if (!o.map && o.items > 0)
        path += fmt::format("[{}]", o.items - 1);
    }
    return path;
  }

  /// True when the event at `mark` is a map key (and records it); false for a value or list item.
  bool before_value(const YAML::Mark& mark, const std::string& key_text)
  {
    if (stack_.empty())
      return false;
    if (!stack_.back().map) {
      ++stack_.back().items;
      return false;
    }
    Open& map = stack_.back();
    map.expect_key = !map.expect_key;
    if (map.expect_key)  // it was the value
      return false;
    map.key = key_text;
    if (!key_text.empty() && key_text != "<<") {
      auto [found, inserted] = map.keys.emplace(key_text, static_cast<size_t>(mark.line) + 1);
      if (!inserted)
        note(mark, fmt::format("duplicate key '{}' (first at line {}); YAML allows a key once per map", key_text,
                               found->second));
    }
    return true;
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& value)
  {
    before_value(mark, value.empty() ? std::string("\"\"") : value);
    // "\0" and "\u0000" decode to NUL, which would cut a path short where the operating system
    // reads it ("/etc/passwd\0.yaml" opens /etc/passwd): no key takes one.
    if (value.find('\0') != std::string::npos)
      note(mark, "a NUL character (\\0 or \\u0000) in a string: no key takes one");
    if (anchor != YAML::NullAnchor)
      sizes_[anchor] = 1;
    add(mark, 1);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map)
  {
    if (before_value(mark, ""))
      note(mark, "a key must be a plain name, not a list or a map");
    if (stack_.size() >= max_yaml_depth)
      fail(mark, fmt::format("nested more than {} levels deep", max_yaml_depth));
    Open node;
    node.map    = map;
    node.anchor = anchor;
    stack_.push_back(std::move(node));
  }

  void close()
  {
    Open done = std::move(stack_.back());
    stack_.pop_back();
    if (done.anchor != YAML::NullAnchor)
      sizes_[done.anchor] = done.size;
    if (stack_.empty())
      total_ += done.size;
    else
      stack_.back().size += done.size;
    check_total(YAML::Mark());
  }

  void add(const YAML::Mark& mark, size_t nodes)
  {
    if (stack_.empty())
      total_ += nodes;
    else
      stack_.back().size += nodes;
    check_total(mark);
  }

  void check_total(const YAML::Mark& mark) const
  {
    size_t total = total_;
    for (const auto& o : stack_)
      total += o.size;
    if (total > max_yaml_nodes) {
      std::string reason = fmt::format("the document expands to more than {} nodes (aliases of aliases?)", max_yaml_nodes);
      if (mark.is_null())
        throw InputError(fmt::format("{}: {}", where_, reason));
      fail(mark, reason);
    }
  }

  std::string where_;
  std::vector<Open> stack_;
  std::map<YAML::anchor_t, size_t> sizes_;  // anchored node -> its expanded size
  size_t total_ = 0;
};

}  // namespace

YAML::Node load_untrusted_yaml(const std::string& text, const std::string& where, bool allow_empty)
{
  if (text.size() > max_yaml_bytes)
    throw InputError(fmt::format("{}: {} bytes is larger than any scenario ({} at most)", where, text.size(),
                                 max_yaml_bytes));
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    auto [line, column] = line_and_column(text, nul);
    throw InputError(fmt::format("{}: a NUL byte: this is not a YAML text file", place(where, line, column)));
  }
  if (size_t bad = invalid_utf8(text); bad != text.size()) {
    auto [line, column] = line_and_column(text, bad);
    throw InputError(fmt::format("{}: invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                                 place(where, line, column), static_cast<unsigned char>(text[bad])));
  }
  // Pass 1: the events.
  size_t documents = 0;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    Guard guard(where);
    while (true) {
      if (!parser.HandleNextDocument(guard))
        break;
      if (!guard.first_error.empty())
        break;
      if (++documents > 1)
        throw InputError(fmt::format("{}: a second YAML document ('---'); a scenario is one document",
                                     place(where, static_cast<size_t>(guard.document_start.line),
                                           static_cast<size_t>(guard.document_start.column))));
    }
    if (!guard.first_error.empty())
      throw InputError(guard.first_error);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null())
      throw InputError(fmt::format("{}: YAML syntax error: {}", where, e.msg));
    throw InputError(fmt::format("{}: YAML syntax error: {}", place(where, static_cast<size_t>(e.mark.line),
                                                                     static_cast<size_t>(e.mark.column)),
                                 e.msg));
  }
  // Pass 2: the tree, now known to be finite and small.
  YAML::Node root;
  if (documents > 0) {
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw InputError(fmt::format("{}: YAML syntax error: {}", where, e.msg));
    }
  }
  if (documents == 0 || root.IsNull() || !root.IsDefined()) {
    if (allow_empty)
      return YAML::Node(YAML::NodeType::Null);
    throw InputError(fmt::format("{}: the file holds no scenario (it is empty or only comments)", place(where, 0, 0)));
  }
  return root;
}

std::string read_untrusted_file(const std::string& path, size_t max_bytes, const std::string& what,
                                const std::string& reason_prefix)
{
  std::error_code error;
  auto status = fs::status(path, error);
  std::string prefix = reason_prefix.empty() ? path : reason_prefix;
  if (error || !fs::exists(status)) {
    if (reason_prefix.empty())
      throw InputError(fmt::format("{}: cannot open {} file (no such file)", path, what));
    throw InputError(fmt::format("{}: file '{}' not found", prefix, path));
  }
  if (fs::is_directory(status))
    throw InputError(fmt::format("{}: '{}' is a directory, not a {} file", prefix, path, what));
  if (!fs::is_regular_file(status))
    throw InputError(fmt::format("{}: '{}' is not a regular file (a device or a pipe?), not a {} file", prefix, path,
                                 what));
  auto size = fs::file_size(path, error);
  if (error)
    throw InputError(fmt::format("{}: cannot read {} file '{}': {}", prefix, what, path, error.message()));
  if (size > max_bytes)
    throw InputError(fmt::format("{}: '{}' is {} bytes, too large for a {} file ({} at most)", prefix, path, size,
                                 what, max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(fmt::format("{}: cannot open {} file '{}'", prefix, what, path));
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace shsim
