#include "sim/platform_file.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <cstring>
#include <set>
#include <variant>
#include <vector>

#include <expat.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/schema.hpp"

namespace shsim {
namespace {

// ---- the allow-list ----------------------------------------------------------------------------

enum class Value { name, optional_name, speed, speeds, bandwidth, latency, cores, radical, integers, coordinates, word };

struct Attribute {
  Value value;
  std::vector<std::string> words;  // Value::word: the allowed words
};

struct Element {
  std::vector<std::string> parents;  // where it may appear
  std::map<std::string, Attribute> attributes;
  std::vector<std::string> required;
};

const std::vector<std::string> containers{"platform", "zone"};

const std::map<std::string, Element>& allowed_elements()
{
  static const Attribute name{Value::name, {}}, optional_name{Value::optional_name, {}}, speed{Value::speed, {}},
      bandwidth{Value::bandwidth, {}}, latency{Value::latency, {}}, cores{Value::cores, {}},
      symmetrical{Value::word, {"YES", "NO", "yes", "no"}},
      sharing{Value::word, {"SHARED", "SPLITDUPLEX", "FATPIPE"}}, coordinates{Value::coordinates, {}};
  static const std::map<std::string, Element> elements{
      {"platform", {{}, {{"version", {Value::word, {"4", "4.1"}}}}, {"version"}}},
      {"zone",
       {containers,
        {{"id", name},
         {"routing", {Value::word, {"Full", "Floyd", "Dijkstra", "DijkstraCache", "None", "Vivaldi", "Cluster"}}}},
        {"id", "routing"}}},
      {"host",
       {{"zone"}, {{"id", name}, {"speed", {Value::speeds, {}}}, {"core", cores}, {"coordinates", coordinates}},
        {"id", "speed"}}},
      {"router", {{"zone"}, {{"id", name}, {"coordinates", coordinates}}, {"id"}}},
      {"link",
       {{"zone"}, {{"id", name}, {"bandwidth", bandwidth}, {"latency", latency}, {"sharing_policy", sharing}},
        {"id", "bandwidth"}}},
      {"route", {{"zone"}, {{"src", name}, {"dst", name}, {"symmetrical", symmetrical}}, {"src", "dst"}}},
      {"zoneRoute",
       {{"zone"},
        {{"src", name}, {"dst", name}, {"gw_src", name}, {"gw_dst", name}, {"symmetrical", symmetrical}},
        {"src", "dst", "gw_src", "gw_dst"}}},
      {"link_ctn", {{"route", "zoneRoute"}, {{"id", name}, {"direction", {Value::word, {"UP", "DOWN", "NONE"}}}}, {"id"}}},
      {"cluster",
       {{"zone"},
        {{"id", name},
         {"prefix", optional_name},
         {"suffix", optional_name},
         {"radical", {Value::radical, {}}},
         {"speed", {Value::speeds, {}}},
         {"core", cores},
         {"bw", bandwidth},
         {"lat", latency},
         {"sharing_policy", sharing},
         {"topology", {Value::word, {"FLAT", "TORUS", "FAT_TREE", "DRAGONFLY"}}},
         {"topo_parameters", {Value::integers, {}}},
         {"router_id", name},
         {"loopback_bw", bandwidth},
         {"loopback_lat", latency},
         {"limiter_link", bandwidth},
         {"bb_bw", bandwidth},
         {"bb_lat", latency},
         {"bb_sharing_policy", sharing}},
        {"id", "prefix", "suffix", "radical", "speed", "bw", "lat"}}},
      {"backbone", {{"zone"}, {{"id", name}, {"bandwidth", bandwidth}, {"latency", latency}}, {"id", "bandwidth", "latency"}}},
      {"host_link", {{"zone"}, {{"id", name}, {"up", name}, {"down", name}}, {"id", "up", "down"}}},
  };
  return elements;
}

// ---- values ------------------------------------------------------------------------------------

constexpr double max_latency_seconds = 3600;   // an hour: no link of a network takes longer
constexpr double max_bandwidth       = 1e15;   // bytes/s (8 Pbit/s)
constexpr double max_speed           = 1e18;   // flops
constexpr long long max_radical_hosts = 1'000'000;

/// The number at the start of `text` and the rest (its unit); nothing when it starts with none.
std::optional<std::pair<double, std::string>> number_and_unit(const std::string& text)
{
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
                               ((text[end] == 'e' || text[end] == 'E') && end > 0 && end + 1 < text.size() &&
                                (std::isdigit(static_cast<unsigned char>(text[end + 1])) || text[end + 1] == '-' ||
                                 text[end + 1] == '+')) ||
                               ((text[end] == '-' || text[end] == '+') && end > 0 &&
                                (text[end - 1] == 'e' || text[end - 1] == 'E'))))
    ++end;
  if (end == 0)
    return std::nullopt;
  std::string number = text.substr(0, end);
  char* stop         = nullptr;
  double value       = std::strtod(number.c_str(), &stop);
  if (*stop != '\0' || !std::isfinite(value))
    return std::nullopt;
  return std::pair{value, text.substr(end)};
}

/// The factor of a decimal or binary prefix ("", k, K, M, G, T, P, E, Ki, Mi, ...).
std::optional<double> prefix_factor(const std::string& prefix)
{
  static const std::map<std::string, double> factors{
      {"", 1},         {"k", 1e3},      {"K", 1e3},      {"M", 1e6},      {"G", 1e9},      {"T", 1e12},
      {"P", 1e15},     {"E", 1e18},     {"Ki", 1024.0},  {"Mi", 1048576.0}, {"Gi", 1073741824.0},
      {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0}};
  auto found = factors.find(prefix);
  return found == factors.end() ? std::nullopt : std::optional<double>(found->second);
}

/// A quantity in SI units, or why `text` is not one: speeds in flops (1Gf, 100Mflops), bandwidths in
/// bytes/s (1GBps, 10Gbps, 125MiBps), latencies in seconds (10ms, 1.5s, 2m).
std::variant<double, std::string> quantity(const std::string& text, Value kind)
{
  auto parsed = number_and_unit(text);
  if (!parsed)
    return fmt::format("'{}' is not a number with a unit", text);
  auto [number, unit] = *parsed;
  std::optional<double> factor;
  std::string units;
  if (kind == Value::speed) {
    units = "f or flops with a prefix: 1Gf, 100Mflops";
    for (const char* suffix : {"flops", "f"})
      if (unit.size() >= std::strlen(suffix) && unit.compare(unit.size() - std::strlen(suffix), std::string::npos, suffix) == 0) {
        factor = prefix_factor(unit.substr(0, unit.size() - std::strlen(suffix)));
        break;
      }
  } else if (kind == Value::bandwidth) {
    units = "Bps or bps with a prefix: 1GBps, 10Gbps, 125MiBps";
    if (unit.size() >= 3 && (unit.compare(unit.size() - 3, 3, "Bps") == 0 || unit.compare(unit.size() - 3, 3, "bps") == 0))
      if (auto f = prefix_factor(unit.substr(0, unit.size() - 3)))
        factor = *f * (unit[unit.size() - 3] == 'b' ? 1.0 / 8 : 1.0);
  } else {
    units = "s, ms, us, ns, ps, m, h, d or w";
    static const std::map<std::string, double> times{{"s", 1},     {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9},
                                                    {"ps", 1e-12}, {"m", 60},    {"h", 3600},  {"d", 86400},
                                                    {"w", 604800}};
    if (auto found = times.find(unit); found != times.end())
      factor = found->second;
  }
  if (!factor)
    return fmt::format("'{}': unknown unit '{}' ({})", text, unit, units);
  double value = number * *factor;
  if (kind == Value::latency) {
    if (!(value >= 0) || value > max_latency_seconds)
      return fmt::format("'{}' is not a latency from 0 to an hour", text);
  } else if (!(value > 0) || value > (kind == Value::speed ? max_speed : max_bandwidth)) {
    return fmt::format("'{}' must be positive and at most {:g} {}", text, kind == Value::speed ? max_speed : max_bandwidth,
                       kind == Value::speed ? "flops" : "bytes/s");
  }
  return value;
}

bool name_character(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == ':'; }

/// Why `text` is not a valid value of this kind, or nothing.
std::optional<std::string> value_problem(const std::string& text, const Attribute& attribute)
{
  auto split = [](const std::string& s, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t at = s.find(separator); ; at = s.find(separator, start)) {
      parts.push_back(s.substr(start, at - start));
      if (at == std::string::npos)
        return parts;
      start = at + 1;
    }
  };
  switch (attribute.value) {
    case Value::name:
    case Value::optional_name:
      if ((text.empty() && attribute.value == Value::name) || text.size() > 100 ||
          !std::all_of(text.begin(), text.end(), name_character))
        return fmt::format("'{}' is not a name: use letters, digits, '.', '_', '-' and ':' (up to 100)", text);
      return std::nullopt;
    case Value::speeds:
    case Value::speed:
    case Value::bandwidth:
    case Value::latency:
      for (const auto& part : attribute.value == Value::speeds ? split(text, ',') : std::vector<std::string>{text}) {
        auto q = quantity(part, attribute.value == Value::speeds ? Value::speed : attribute.value);
        if (auto* why = std::get_if<std::string>(&q))
          return *why;
      }
      return std::nullopt;
    case Value::cores: {
      char* end = nullptr;
      long cores = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || cores < 1 || cores > 1024)
        return fmt::format("'{}' is not a number of cores from 1 to 1024", text);
      return std::nullopt;
    }
    case Value::radical: {
      long long hosts = 0;
      for (const auto& range : split(text, ',')) {
        auto ends = split(range, '-');
        long long first = -1, last = -1;
        for (size_t i = 0; i < ends.size() && ends.size() <= 2; ++i) {
          char* end = nullptr;
          long long n = ends[i].empty() || !std::isdigit(static_cast<unsigned char>(ends[i][0]))
                            ? -1 : std::strtoll(ends[i].c_str(), &end, 10);
          if (n < 0 || *end != '\0' || n > max_radical_hosts)
            return fmt::format("'{}' is not a list of numbers and ranges (0-99,200)", text);
          (i == 0 ? first : last) = n;
        }
        if (ends.size() > 2 || first < 0)
          return fmt::format("'{}' is not a list of numbers and ranges (0-99,200)", text);
        if (last < 0)
          last = first;
        if (last < first)
          return fmt::format("'{}': the range {} runs backwards", text, range);
        hosts += last - first + 1;
        if (hosts > max_radical_hosts)
          return fmt::format("'{}' makes more than {} hosts", text, max_radical_hosts);
      }
      return std::nullopt;
    }
    case Value::integers:
      if (text.empty() || text.size() > 100 ||
          !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == ';' || c == ','; }))
        return fmt::format("'{}' is not a list of whole numbers separated by ';' and ','", text);
      return std::nullopt;
    case Value::coordinates: {
      auto parts = split(text, ' ');
      bool ok    = parts.size() == 3 && std::all_of(parts.begin(), parts.end(), [](const std::string& p) {
        char* end = nullptr;
        double x  = std::strtod(p.c_str(), &end);
        return !p.empty() && *end == '\0' && std::isfinite(x);
      });
      if (!ok)
        return fmt::format("'{}' is not three numbers separated by spaces", text);
      return std::nullopt;
    }
    case Value::word:
      if (std::find(attribute.words.begin(), attribute.words.end(), text) == attribute.words.end())
        return fmt::format("'{}' is not one of: {}", text, fmt::join(attribute.words, ", "));
      return std::nullopt;
  }
  return std::nullopt;
}

std::string xml_escaped(const std::string& text)
{
  std::string out;
  for (char c : text)
    out += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : std::string(1, c);
  return out;
}

// ---- the reader --------------------------------------------------------------------------------

struct Reader {
  XML_Parser parser = nullptr;
  std::string file;
  std::string out;  // the canonical copy
  size_t out_line = 1;
  std::vector<std::string> open;  // the elements being read
  std::string error;              // the first refusal

  void refuse(const std::string& what, const std::string& reason)
  {
    if (!error.empty())
      return;
    error = fmt::format("{}:{}:{}: {}{}", file, XML_GetCurrentLineNumber(parser), XML_GetCurrentColumnNumber(parser) + 1,
                        what.empty() ? "" : what + ": ", reason);
    XML_StopParser(parser, XML_FALSE);
  }
  /// Pads the copy with newlines down to the parser's current line.
  void at_current_line()
  {
    auto line = static_cast<size_t>(XML_GetCurrentLineNumber(parser));
    for (; out_line < line; ++out_line)
      out += '\n';
  }

  void start(const std::string& name, const char** attributes)
  {
    const auto& elements = allowed_elements();
    auto found           = elements.find(name);
    if (found == elements.end()) {
      std::vector<std::string> names;
      for (const auto& [known, e] : elements)
        names.push_back(known);
      std::string why = name == "config" || name == "prop"
                            ? "a platform file may not set engine options or properties"
                        : name == "include" || name == "trace" || name == "trace_connect"
                            ? "a platform file may not read other files or add traces"
                            : fmt::format("not an element shsim reads (it reads: {})", fmt::join(names, ", "));
      return refuse("<" + name + ">", why);
    }
    const Element& element = found->second;
    std::string parent     = open.empty() ? "" : open.back();
    if (open.empty() ? name != "platform"
                     : std::find(element.parents.begin(), element.parents.end(), parent) == element.parents.end())
      return refuse("<" + name + ">", open.empty() ? "is not a SimGrid platform file: the root element must be <platform>"
                                                   : fmt::format("may not appear inside <{}>", parent));
    std::set<std::string> given;
    std::string copy = "<" + name;
    for (size_t i = 0; attributes[i] != nullptr; i += 2) {
      std::string key = attributes[i], value = attributes[i + 1];
      auto allowed    = element.attributes.find(key);
      std::string at  = fmt::format("<{} {}>", name, key);
      if (allowed == element.attributes.end())
        return refuse(at, key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0
                              ? "a platform file may not name other files"
                              : "not an attribute shsim reads");
      if (auto problem = value_problem(value, allowed->second))
        return refuse(at, *problem);
      given.insert(key);
      copy += fmt::format(" {}=\"{}\"", key, xml_escaped(value));
    }
    for (const auto& key : element.required)
      if (!given.count(key))
        return refuse("<" + name + ">", fmt::format("'{}' is missing", key));
    at_current_line();
    out += copy + ">";
    open.push_back(name);
  }

  void end(const std::string& name)
  {
    if (!error.empty())
      return;
    at_current_line();
    out += "</" + name + ">";
    open.pop_back();
  }
};

extern "C" {
void on_start(void* data, const XML_Char* name, const XML_Char** attributes)
{
  static_cast<Reader*>(data)->start(name, attributes);
}
void on_end(void* data, const XML_Char* name) { static_cast<Reader*>(data)->end(name); }
void on_text(void* data, const XML_Char* text, int length)
{
  std::string piece(text, static_cast<size_t>(length));
  if (piece.find_first_not_of(" \t\r\n") != std::string::npos)
    static_cast<Reader*>(data)->refuse("", "text between elements: a platform file holds elements only");
}
void on_doctype(void* data, const XML_Char* name, const XML_Char*, const XML_Char*, int has_internal_subset)
{
  if (has_internal_subset != 0 || std::string(name) != "platform")
    static_cast<Reader*>(data)->refuse("<!DOCTYPE>", "only <!DOCTYPE platform SYSTEM \"...\"> without declarations");
}
void on_entity(void* data, const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
               const XML_Char*, const XML_Char*)
{
  static_cast<Reader*>(data)->refuse("<!ENTITY>", "entity declarations are not allowed");
}
void on_instruction(void* data, const XML_Char* target, const XML_Char*)
{
  static_cast<Reader*>(data)->refuse(fmt::format("<?{}?>", target), "processing instructions are not allowed");
}
}

}  // namespace

std::string sanitize_platform_file(const std::string& text, const std::string& file)
{
  Reader reader;
  reader.file   = file;
  reader.parser = XML_ParserCreate("UTF-8");
  if (reader.parser == nullptr)
    throw std::bad_alloc();
  XML_SetUserData(reader.parser, &reader);
  XML_SetElementHandler(reader.parser, on_start, on_end);
  XML_SetCharacterDataHandler(reader.parser, on_text);
  XML_SetStartDoctypeDeclHandler(reader.parser, on_doctype);
  XML_SetEntityDeclHandler(reader.parser, on_entity);
  XML_SetProcessingInstructionHandler(reader.parser, on_instruction);
  XML_SetParamEntityParsing(reader.parser, XML_PARAM_ENTITY_PARSING_NEVER);
  // SimGrid's reader wants the DOCTYPE; it does not fetch it.
  reader.out = "<?xml version='1.0'?><!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">";
  bool parsed = XML_Parse(reader.parser, text.data(), static_cast<int>(text.size()), XML_TRUE) == XML_STATUS_OK;
  std::string error = reader.error;
  if (error.empty() && !parsed)
    error = fmt::format("{}:{}:{}: is not a SimGrid platform file: not well-formed XML ({})", file, XML_GetCurrentLineNumber(reader.parser),
                        XML_GetCurrentColumnNumber(reader.parser) + 1, XML_ErrorString(XML_GetErrorCode(reader.parser)));
  XML_ParserFree(reader.parser);
  if (!error.empty())
    throw InputError(error);
  if (reader.out.find("<platform") == std::string::npos)
    throw InputError(fmt::format("{}:1:1: is not a SimGrid platform file (XML with a <platform> root)", file));
  return reader.out + "\n";
}

}  // namespace shsim
