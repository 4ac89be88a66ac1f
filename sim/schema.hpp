// One description per parameter struct drives loading, validation, printing and documentation.
//
// A struct describes itself once:
//   template <class V> void describe(V& v) {
//     v.field("timeout_commit", timeout_commit, "wait after a commit before the next height", positive());
//   }
// and a "choice" (a value written as `kind` or `{kind: {params}}`) describes its options:
//   template <class V> void describe_choice(V& v) {
//     v.option("none", "no jitter", [](auto&) {});
//     v.option("pareto", "Pareto-distributed extra delay", [&](auto& o) { o.field("shape", shape, "..."); });
//   }
// SchemaReader fills a struct from YAML and rejects unknown keys, bad units and out-of-range values
// with a one-line error naming file:line:column and the key path; SchemaWriter prints the resolved
// values; SchemaDocumenter lists every key with its default and help.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sim/units.hpp"

namespace shsim {

/// `text` on one line: control characters (a newline in a quoted key, a tab in a --set path, an
/// escape sequence) are written as escapes (\n, \t, \e, \x01, \u009b).
std::string one_line(const std::string& text);
/// `text` safe for a terminal or a text file: control characters are written as escapes as by
/// one_line(), newlines and tabs aside. Everything a scenario's author wrote passes through it
/// before it reaches the terminal or explain.txt (an escape sequence could rewrite the screen).
std::string printable(const std::string& text);
/// The one rule for every name a scenario or a study gives (the scenario, its chains, bridges,
/// applications and regions, a study): names become folder names, CSV cells and event-log fields, so
/// they hold letters, digits, '.', '_' and '-' only, up to 100, not starting with '.'. Returns why
/// `name` breaks it, or nothing.
std::optional<std::string> name_problem(const std::string& name);
/// Why `path` (a file a scenario or study names) cannot be one: empty, or holding a control character.
std::optional<std::string> path_problem(const std::string& path);
/// True when `text` holds a control character: C0 (newline and tab included), DEL, or C1
/// (U+0080 to U+009F). Names and paths may hold none.
bool has_control_character(const std::string& text);

/// Bad input: a scenario, a file it names or a command-line value. The message is one line, whatever
/// the input quoted in it holds.
class InputError : public std::runtime_error {
public:
  explicit InputError(const std::string& message) : std::runtime_error(one_line(message)) {}
};

/// The machine failed, not the input nor shsim: the disk is full, a write or a rename failed (exit
/// code 4). A sweep stops on it and records no run's result from it.
class EnvironmentError : public std::runtime_error {
public:
  explicit EnvironmentError(const std::string& message) : std::runtime_error(one_line(message)) {}
};
/// An EnvironmentError for a failed system call on `path`: "disk full" for ENOSPC and EDQUOT.
EnvironmentError environment_error(const std::string& what, const std::string& path, int error_number);
/// True when a system call failed for the machine's sake (a full disk, an I/O error, no memory or
/// file descriptors left), not for the path the user gave (missing, forbidden, a file in the way).
bool is_machine_failure(int error_number);

/// Where a YAML document came from, so that errors can point at it.
struct SourceContext {
  std::string file;
  /// Key paths set by --set on the command line, with the text given there.
  std::map<std::string, std::string> overrides;

  /// "file:line:col: path: reason", or "--set path=value: reason" when the value came from --set.
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& reason) const;
  [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& path, const std::string& reason) const;
  /// "file:line:col", or "--set path=value" for a value given on the command line.
  std::string locate(const YAML::Mark& mark, const std::string& path) const;
};

/// A choice is written `name` or `{name: {params}}`: returns the name and the params node (undefined
/// when absent); anything else is an error.
std::pair<std::string, YAML::Node> split_choice(const YAML::Node& node, const std::string& path,
                                                const SourceContext& context);
/// `{kind: params}`, the form split_choice() reads back; `params` dumps itself (null: an empty map).
template <class P> YAML::Node choice_to_yaml(const std::string& kind, const std::shared_ptr<P>& params)
{
  YAML::Node node(YAML::NodeType::Map);
  node[kind] = params ? params->dump() : YAML::Node(YAML::NodeType::Map);
  return node;
}

/// Closest candidate by edit distance, when close enough to be a likely typo.
std::optional<std::string> did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
/// "unknown <what> 'name' (did you mean '...'?)", or listing the known names when none is close.
std::string unknown_name(const std::string& what, const std::string& name, const std::vector<std::string>& names);

// ---- value constraints ---------------------------------------------------------------------------

template <class T> using Check = std::function<std::optional<std::string>(const T&)>;

double numeric_value(double v);
double numeric_value(long long v);
double numeric_value(int v);
double numeric_value(uint64_t v);
double numeric_value(Duration v);
double numeric_value(Bytes v);
double numeric_value(Bandwidth v);
double numeric_value(Fraction v);
double numeric_value(Percent v);
double numeric_value(Rate v);

/// value >= low
template <class T> Check<T> at_least(double low)
{
  return [low](const T& v) -> std::optional<std::string> {
    if (numeric_value(v) < low)
      return fmt::format("must be at least {}", low);
    return std::nullopt;
  };
}
/// value > 0
template <class T> Check<T> positive()
{
  return [](const T& v) -> std::optional<std::string> {
    if (!(numeric_value(v) > 0))
      return std::string("must be positive");
    return std::nullopt;
  };
}
/// low <= value <= high
template <class T> Check<T> between(double low, double high)
{
  return [low, high](const T& v) -> std::optional<std::string> {
    double x = numeric_value(v);
    if (x < low || x > high)
      return fmt::format("must be between {} and {}", low, high);
    return std::nullopt;
  };
}

/// value is one of the listed words
inline Check<std::string> one_of(std::vector<std::string> words)
{
  return [words](const std::string& v) -> std::optional<std::string> {
    for (const auto& word : words)
      if (v == word)
        return std::nullopt;
    if (auto guess = did_you_mean(v, words))
      return fmt::format("'{}' is not allowed (did you mean '{}'?)", v, *guess);
    return fmt::format("'{}' is not allowed (one of: {})", v, fmt::join(words, ", "));
  };
}

// ---- scalar conversions ---------------------------------------------------------------------------

template <class T> struct ScalarCodec;  // read(text) -> Parsed<T>, write(T) -> string, name

#define SHSIM_UNIT_CODEC(Type, parse_fn, format_fn, type_name)                                                    \
  template <> struct ScalarCodec<Type> {                                                                           \
    static Parsed<Type> read(const std::string& text) { return parse_fn(text); }                                   \
    static std::string write(const Type& v) { return format_fn(v); }                                               \
    static constexpr const char* name = type_name;                                                                 \
  };
SHSIM_UNIT_CODEC(Duration, parse_duration, format_duration, "duration")
SHSIM_UNIT_CODEC(Bytes, parse_bytes, format_bytes, "size")
SHSIM_UNIT_CODEC(Bandwidth, parse_bandwidth, format_bandwidth, "bandwidth")
SHSIM_UNIT_CODEC(Fraction, parse_fraction, format_fraction, "fraction")
SHSIM_UNIT_CODEC(Percent, parse_percent, format_percent, "percentage")
SHSIM_UNIT_CODEC(Rate, parse_rate, format_rate, "rate")
#undef SHSIM_UNIT_CODEC

template <> struct ScalarCodec<std::string> {
  static Parsed<std::string> read(const std::string& text) { return {text, ""}; }
  static std::string write(const std::string& v) { return v; }
  static constexpr const char* name = "string";
};
template <> struct ScalarCodec<bool> {
  static Parsed<bool> read(const std::string& text);
  static std::string write(bool v) { return v ? "true" : "false"; }
  static constexpr const char* name = "boolean";
};
template <> struct ScalarCodec<long long> {
  static Parsed<long long> read(const std::string& text);
  static std::string write(long long v) { return std::to_string(v); }
  static constexpr const char* name = "integer";
};
template <> struct ScalarCodec<double> {
  static Parsed<double> read(const std::string& text);
  static std::string write(double v) { return fmt::format("{}", v); }
  static constexpr const char* name = "number";
};

template <class T>
concept Scalar = requires(std::string s) { ScalarCodec<T>::read(s); };

class SchemaReader;

// A struct is "described" when it has describe(V&), a "choice" when it has describe_choice(V&) and a kind.
template <class T>
concept HasDescribe = requires { &T::template describe<SchemaReader>; };
template <class T>
concept HasChoice = requires(T t) {
  t.kind;
  &T::template describe_choice<SchemaReader>;
};

// ---- reader -----------------------------------------------------------------------------------------

class SchemaReader {
public:
  SchemaReader(const YAML::Node& node, std::string path, const SourceContext& context)
      : node_(node), path_(std::move(path)), context_(context)
  {
  }

  /// Reads a whole described struct or choice from `node`.
  template <class T> static void read(const YAML::Node& node, const std::string& path, const SourceContext& ctx, T& out)
  {
    SchemaReader reader(node, path, ctx);
    reader.read_value(node, path, out);
  }

  template <class T> void field(const char* name, T& value, const char* /*help*/, Check<T> check = {})
  {
    known_.push_back(name);
    if (!node_.IsMap())
      return;
    YAML::Node child = node_[name];
    if (!child.IsDefined())
      return;
    std::string child_path = join(name);
    // `key:` or `key: ~` is not "the default": say so, and what the default is.
    if (child.IsNull())
      context_.fail(child, child_path, fmt::format("no value (null): omit the key to get its default ({})",
                                                   default_text(value)));
    read_value(child, child_path, value);
    if (check)
      if (auto problem = check(value))
        context_.fail(child, child_path, *problem);
  }

  /// Inside describe_choice: handles the option that the document picked.
  template <class F> void option(const char* name, const char* /*help*/, F&& describe_params)
  {
    options_.push_back(name);
    if (chosen_ != name)
      return;
    matched_ = true;
    YAML::Node params = choice_params_;  // undefined when the choice is written as its name alone
    if (params.IsDefined() && !params.IsMap())
      context_.fail(params, path_ + "." + name, "expected a map of parameters");
    SchemaReader sub(params.IsDefined() ? params : YAML::Node(YAML::NodeType::Map), path_ + "." + name, context_);
    describe_params(sub);
    sub.reject_unknown_keys();
  }

  void reject_unknown_keys() const;
  const std::string& path() const { return path_; }
  /// A value as the scenario would write it, in one short line (for "its default is ...").
  template <class T> static std::string default_text(const T& value);
  const SourceContext& context() const { return context_; }

private:
  std::string join(const std::string& name) const { return path_.empty() ? name : path_ + "." + name; }

  template <class T> void read_value(const YAML::Node& node, const std::string& path, T& out)
  {
    if constexpr (Scalar<T>) {
      if (!node.IsScalar())
        context_.fail(node, path, fmt::format("expected a {}", ScalarCodec<T>::name));
      auto parsed = ScalarCodec<T>::read(node.Scalar());
      if (!parsed.value)
        context_.fail(node, path, parsed.reason);
      out = *parsed.value;
    } else if constexpr (std::is_same_v<T, int>) {
      long long wide = 0;
      read_value(node, path, wide);
      if (wide < INT32_MIN || wide > INT32_MAX)
        context_.fail(node, path, "integer out of range");
      out = static_cast<int>(wide);
    } else if constexpr (requires { out.read_from(node, path, context_); }) {
      out.read_from(node, path, context_);
    } else if constexpr (HasChoice<T>) {
      read_choice(node, path, out);
    } else if constexpr (HasDescribe<T>) {
      if (!node.IsMap())
        context_.fail(node, path, "expected a map of keys");
      SchemaReader sub(node, path, context_);
      out.describe(sub);
      sub.reject_unknown_keys();
    } else if constexpr (requires { typename T::value_type; out.push_back(typename T::value_type{}); }) {
      if (!node.IsSequence())
        context_.fail(node, path, "expected a list");
      out.clear();
      for (size_t i = 0; i < node.size(); ++i) {
        typename T::value_type item{};
        read_value(node[i], path + "[" + std::to_string(i) + "]", item);
        out.push_back(std::move(item));
      }
    } else if constexpr (requires { typename T::mapped_type; out.emplace(std::string(), typename T::mapped_type{}); }) {
      if (!node.IsMap())
        context_.fail(node, path, "expected a map");
      out.clear();
      for (const auto& entry : node) {
        typename T::mapped_type item{};
        std::string key = entry.first.Scalar();
        read_value(entry.second, path + "." + key, item);
        out.emplace(key, std::move(item));
      }
    } else if constexpr (requires { typename T::value_type; out.emplace(); }) {  // std::optional
      typename T::value_type inner{};
      read_value(node, path, inner);
      out = std::move(inner);
    } else {
      static_assert(sizeof(T) == 0, "type not supported by the scenario schema");
    }
  }

  template <class T> void read_choice(const YAML::Node& node, const std::string& path, T& out)
  {
    auto [chosen, params] = split_choice(node, path, context_);
    T fresh{};
    out      = fresh;
    out.kind = chosen;
    SchemaReader sub(node, path, context_);
    sub.chosen_        = chosen;
    sub.choice_params_ = params;
    out.describe_choice(sub);
    if (!sub.matched_) {
      std::string message = fmt::format("unknown option '{}' (one of: {})", chosen, fmt::join(sub.options_, ", "));
      if (auto guess = did_you_mean(chosen, sub.options_))
        message = fmt::format("unknown option '{}' (did you mean '{}'?)", chosen, *guess);
      context_.fail(node, path, message);
    }
  }

  YAML::Node node_;
  std::string path_;
  const SourceContext& context_;
  std::vector<std::string> known_;
  // choice state
  std::string chosen_;
  YAML::Node choice_params_;
  std::vector<std::string> options_;
  bool matched_ = false;
};

// ---- writer -------------------------------------------------------------------------------------------

class SchemaWriter {
public:
  explicit SchemaWriter(YAML::Node& out) : out_(out) {}

  template <class T> static YAML::Node write(const T& value)
  {
    YAML::Node node;
    SchemaWriter writer(node);
    node = writer.to_node(value);
    return node;
  }

  template <class T> void field(const char* name, const T& value, const char* /*help*/, Check<T> = {})
  {
    if constexpr (requires { value.has_value(); }) {
      if (!value.has_value())
        return;
    }
    out_[name] = to_node(value);
  }

  template <class F> void option(const char* name, const char* /*help*/, F&& describe_params)
  {
    if (chosen_ != name)
      return;
    YAML::Node params(YAML::NodeType::Map);
    SchemaWriter sub(params);
    describe_params(sub);
    if (params.size() == 0)
      out_ = YAML::Node(std::string(name));
    else
      out_[name] = params;
  }

private:
  template <class T> YAML::Node to_node(const T& value)
  {
    if constexpr (Scalar<T>) {
      return YAML::Node(ScalarCodec<T>::write(value));
    } else if constexpr (std::is_same_v<T, int>) {
      return YAML::Node(value);
    } else if constexpr (requires { value.to_yaml(); }) {
      return value.to_yaml();
    } else if constexpr (HasChoice<T>) {
      YAML::Node node(YAML::NodeType::Map);
      SchemaWriter sub(node);
      sub.chosen_ = value.kind;
      const_cast<T&>(value).describe_choice(sub);
      return node;
    } else if constexpr (HasDescribe<T>) {
      YAML::Node node(YAML::NodeType::Map);
      SchemaWriter sub(node);
      const_cast<T&>(value).describe(sub);
      return node;
    } else if constexpr (requires { typename T::mapped_type; }) {
      YAML::Node node(YAML::NodeType::Map);
      for (const auto& [key, item] : value)
        node[key] = to_node(item);
      return node;
    } else if constexpr (requires { value.has_value(); }) {
      return value.has_value() ? to_node(*value) : YAML::Node(YAML::NodeType::Null);
    } else {
      YAML::Node node(YAML::NodeType::Sequence);
      for (const auto& item : value)
        node.push_back(to_node(item));
      return node;
    }
  }

  YAML::Node& out_;
  std::string chosen_;
};

template <class T> std::string SchemaReader::default_text(const T& value)
{
  YAML::Emitter emitter;
  emitter << YAML::Flow << SchemaWriter::write(value);
  std::string text = emitter.c_str();
  if (text.empty() || text == "~")
    return "none";
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

// ---- documenter ------------------------------------------------------------------------------------------

/// Lists every key with its type, default and help text, for `shsim schema`.
class SchemaDocumenter {
public:
  SchemaDocumenter(std::vector<std::string>& lines, std::string prefix) : lines_(lines), prefix_(std::move(prefix)) {}

  template <class T> void field(const char* name, const T& value, const char* help, Check<T> = {})
  {
    std::string path = prefix_.empty() ? name : prefix_ + "." + name;
    if constexpr (HasChoice<T>) {
      lines_.push_back(fmt::format("{:<46} {}", path + ": <choice>", help));
      SchemaDocumenter sub(lines_, path);
      const_cast<T&>(value).describe_choice(sub);
    } else if constexpr (HasDescribe<T>) {
      lines_.push_back(fmt::format("{:<46} {}", path + ":", help));
      SchemaDocumenter sub(lines_, path);
      const_cast<T&>(value).describe(sub);
    } else {
      YAML::Emitter emitter;
      emitter << YAML::Flow << SchemaWriter::write(value);
      lines_.push_back(fmt::format("{:<46} {} (default: {})", path, help, emitter.c_str()));
    }
  }

  template <class F> void option(const char* name, const char* help, F&& describe_params)
  {
    lines_.push_back(fmt::format("{:<46} {}", prefix_ + " = " + name, help));
    SchemaDocumenter sub(lines_, prefix_ + "." + name);
    describe_params(sub);
  }

private:
  std::vector<std::string>& lines_;
  std::string prefix_;
};

}  // namespace shsim
