#include "sim/study.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/catalog.hpp"
#include "sim/scenario.hpp"
#include "sim/yaml_guard.hpp"

namespace fs = std::filesystem;

namespace shsim {
namespace {

constexpr size_t max_axis_values = 10'000;
constexpr size_t max_points      = 1'000'000;
constexpr double max_runs        = 1e7;

uint64_t splitmix(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t fnv1a(const std::string& text)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<double> plain_number(const std::string& text)
{
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return std::nullopt;
  errno     = 0;
  char* end = nullptr;
  double x  = std::strtod(text.c_str(), &end);
  if (*end != '\0' || errno == ERANGE || !std::isfinite(x))
    return std::nullopt;
  return x;
}

/// A number as the scenario reads it back exactly enough: 12 significant digits, no exponent noise.
std::string format_number(double x)
{
  std::string text = fmt::format("{:.12g}", x);
  return text == "-0" ? "0" : text;
}

std::string quote(const std::string& arg)
{
  bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._-/=:,%+@").find(c) != std::string_view::npos;
  });
  if (plain)
    return arg;
  std::string out = "'";
  for (char c : arg)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// The values of a range, written with the unit of its ends.
std::vector<AxisValue> range_values(const StudyRange& range, const std::string& where)
{
  auto from = parse_quantity(range.from), to = parse_quantity(range.to);
  if (range.from.empty() || range.to.empty())
    throw InputError(fmt::format("{}: a range needs from and to", where));
  if (!from)
    throw InputError(fmt::format("{}.from: '{}' is not a number or a quantity with a unit", where, range.from));
  if (!to)
    throw InputError(fmt::format("{}.to: '{}' is not a number or a quantity with a unit", where, range.to));
  if (from->unit != to->unit)
    throw InputError(fmt::format("{}: from ({}) and to ({}) are in different units", where, range.from, range.to));
  if ((range.count > 0) == !range.step.empty())
    throw InputError(fmt::format("{}: give either count or step", where));
  std::vector<double> numbers;
  if (range.spacing == "geometric") {
    if (range.count == 0)
      throw InputError(fmt::format("{}: a geometric range needs count, not step", where));
    if (!(from->number > 0 && to->number > 0))
      throw InputError(fmt::format("{}: a geometric range needs from and to above zero", where));
  }
  if (range.count > 0) {
    if (static_cast<size_t>(range.count) > max_axis_values)
      throw InputError(fmt::format("{}.count: {} values; at most {}", where, range.count, max_axis_values));
    for (int i = 0; i < range.count; ++i) {
      double t = static_cast<double>(i) / (range.count - 1);
      numbers.push_back(range.spacing == "geometric" ? from->number * std::pow(to->number / from->number, t)
                                                     : from->number + (to->number - from->number) * t);
    }
    numbers.back() = to->number;
  } else {
    auto step = parse_quantity(range.step);
    if (!step || step->unit != from->unit)
      throw InputError(fmt::format("{}.step: '{}' is not a quantity in the unit of from and to", where, range.step));
    if (!(step->number > 0) || to->number < from->number)
      throw InputError(fmt::format("{}: step must be above zero and to at least from", where));
    double n = std::floor((to->number - from->number) / step->number * (1 + 1e-12)) + 1;
    if (n > static_cast<double>(max_axis_values))
      throw InputError(fmt::format("{}: {} values; at most {}", where, n, max_axis_values));
    for (int i = 0; i < static_cast<int>(n); ++i)
      numbers.push_back(from->number + i * step->number);
  }
  std::vector<AxisValue> values;
  for (double x : numbers)
    values.push_back(axis_value(x, from->unit));
  return values;
}

/// The unit shared by every value of an axis; words make it a categorical axis ("").
std::string axis_unit(const std::vector<AxisValue>& values, const std::string& where)
{
  std::optional<std::string> unit;
  bool words = false;
  for (const auto& value : values) {
    auto q = parse_quantity(value.text);
    if (!q) {
      words = true;
      continue;
    }
    if (unit && *unit != q->unit)
      throw InputError(fmt::format("{}: its values mix units ('{}' and '{}')", where, *unit, q->unit));
    unit = q->unit;
  }
  if (words && unit)
    throw InputError(fmt::format("{}: its values mix numbers and words", where));
  return unit.value_or("");
}

void add_axis(Study& study, std::string path, std::vector<AxisValue> values, const std::string& where)
{
  if (path.empty())
    throw InputError(fmt::format("{}: path: missing (the scenario key to vary)", where));
  if (values.empty())
    throw InputError(fmt::format("{}: the axis has no values", where));
  if (values.size() > max_axis_values)
    throw InputError(fmt::format("{}: {} values; at most {}", where, values.size(), max_axis_values));
  for (const auto& axis : study.axes)
    if (axis.path == path)
      throw InputError(fmt::format("{}: {} is varied twice (also at {})", where, path, axis.where));
  std::set<std::string> seen;
  for (const auto& value : values)
    if (!seen.insert(value.text).second)
      throw InputError(fmt::format("{}: the value '{}' appears twice", where, value.text));
  StudyAxis axis{std::move(path), axis_unit(values, where), std::move(values), where};
  study.axes.push_back(std::move(axis));
}

void make_points(Study& study, bool zip)
{
  study.points.clear();
  if (study.axes.empty()) {
    study.points.push_back(study.point({}));
    return;
  }
  if (zip) {
    for (const auto& axis : study.axes)
      if (axis.values.size() != study.axes[0].values.size())
        throw InputError(fmt::format("{}: combine: zip needs axes of one length ({} has {} values, {} has {})",
                                     axis.where, study.axes[0].path, study.axes[0].values.size(), axis.path,
                                     axis.values.size()));
    for (size_t i = 0; i < study.axes[0].values.size(); ++i) {
      std::vector<AxisValue> values;
      for (const auto& axis : study.axes)
        values.push_back(axis.values[i]);
      study.points.push_back(study.point(values));
    }
    return;
  }
  double total = 1;
  for (const auto& axis : study.axes)
    total *= static_cast<double>(axis.values.size());
  if (total > static_cast<double>(max_points))
    throw InputError(fmt::format("{}: the grid has {} points; at most {}", study.axes[0].where, total, max_points));
  std::vector<size_t> index(study.axes.size(), 0);
  while (true) {
    std::vector<AxisValue> values;
    for (size_t a = 0; a < study.axes.size(); ++a)
      values.push_back(study.axes[a].values[index[a]]);
    study.points.push_back(study.point(values));
    size_t a = study.axes.size();
    while (a > 0) {  // the last axis varies fastest
      --a;
      if (++index[a] < study.axes[a].values.size())
        break;
      index[a] = 0;
      if (a == 0)
        return;
    }
  }
}

/// Every figure a run reports, or the requested ones (a distribution named whole stands for all
/// its statistics). `where(i)` locates metrics[i] for errors.
template <class Where>
void choose_metrics(Study& study, const Scenario& scenario, const std::vector<std::string>& requested, Where where)
{
  auto catalog = scenario_metrics(scenario);
  std::vector<std::string> all;
  for (const auto& m : catalog)
    for (const auto& figure : m.metric.figures())
      all.push_back(m.owner + "." + figure);
  auto add = [&](const ScenarioMetric& m, const std::string& figure) {
    std::string path = m.owner + "." + figure;
    if (std::find(study.metrics.begin(), study.metrics.end(), path) != study.metrics.end())
      return;
    study.metrics.push_back(path);
    study.metric_units.push_back(m.metric.unit);
    study.metric_kinds.push_back(kind_name(m.metric.kind));
  };
  if (requested.empty()) {  // every figure but the run's seed (the table has each run's seed already)
    for (const auto& m : catalog)
      if (m.full_path() != "run.seed")
        for (const auto& figure : m.metric.figures())
          add(m, figure);
    return;
  }
  for (size_t i = 0; i < requested.size(); ++i) {
    const std::string& path = requested[i];
    if (const ScenarioMetric* m = find_scenario_metric(catalog, path)) {
      add(*m, path.substr(m->owner.size() + 1));
      continue;
    }
    bool whole = false;
    for (const auto& m : catalog)
      if (m.full_path() == path && m.metric.kind == MetricKind::distribution) {
        for (const auto& figure : m.metric.figures())
          add(m, figure);
        whole = true;
      }
    if (!whole)
      throw InputError(fmt::format("{}: {} (`shsim metrics {}` lists them)", where(i),
                                   unknown_name("metric", path, all), study.scenario_file));
  }
}

/// Loads the scenario with each axis value (the other axes at their first values), naming the axis
/// in an error, then, for a study of at most 200 points, every combination, naming the point: a
/// bad path or value is refused before any run.
void check_points(const Study& study)
{
  auto load_point = [&](const std::vector<std::string>& overrides, const std::string& where) {
    try {
      Scenario s = load_scenario(study.scenario_file, overrides);
      check_expectation_metrics(s);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", where, e.what()));
    }
  };
  const StudyPoint& first = study.points.front();
  for (size_t a = 0; a < study.axes.size(); ++a)
    for (const auto& value : study.axes[a].values) {
      std::vector<AxisValue> values = first.values;
      values[a]                     = value;
      load_point(study.overrides(study.point(values)), study.axes[a].where);
    }
  if (study.axes.size() > 1 && study.points.size() <= 200)
    for (const auto& point : study.points)
      load_point(study.overrides(point), fmt::format("{}: the point {}", study.file.empty() ? "--vary" : study.file,
                                                     point.key));
}

void finish(Study& study, const std::vector<std::string>& requested_metrics, bool zip,
            const std::function<std::string(size_t)>& metric_where)
{
  study.zip = zip;
  make_points(study, zip);
  if (static_cast<double>(study.points.size()) * study.replications > max_runs)
    throw InputError(fmt::format("{}: {} points x {} replications is more than {} runs",
                                 study.file.empty() ? "--reps" : study.file, study.points.size(), study.replications,
                                 max_runs));
  Scenario base;
  try {
    base = load_scenario(study.scenario_file, study.set);
  } catch (const InputError& e) {
    if (study.set.empty())
      throw;  // the base scenario's own error, located in it
    throw InputError(fmt::format("{}: set: {}", study.file.empty() ? "--set" : study.file, e.what()));
  }
  check_points(study);
  choose_metrics(study, load_scenario(study.scenario_file, study.overrides(study.points.front())), requested_metrics,
                 metric_where);
  // What a run's result depends on besides its point and replication: a database written under
  // another identity is refused (adding axis values or replications keeps it: their runs are new).
  std::string identity = fmt::format("shsim {}\nseed {}\nexpectations {}\nmetrics {}\nset {}\n", shsim_version(),
                                     study.seed, study.expectations_fail ? "fail" : "ignore",
                                     fmt::join(study.metrics, ","), fmt::join(study.set, "\n"));
  identity += dump_scenario(base);
  study.identity = text_hash(identity);
}

}  // namespace

const char* shsim_version() { return "0.1.0"; }

std::string text_hash(const std::string& text) { return fmt::format("{:016x}", fnv1a(text)); }

std::optional<Quantity> parse_quantity(const std::string& text)
{
  if (auto x = plain_number(text))
    return Quantity{*x, ""};
  if (!text.empty() && text.back() == '%') {  // a share (30%) or a percentage beyond 100 % (volatility: 160%)
    if (auto f = parse_percent(text).value)
      return Quantity{f->value, ""};
    return std::nullopt;
  }
  if (auto d = parse_duration(text).value)
    return Quantity{d->seconds, "s"};
  if (auto b = parse_bytes(text).value)
    return Quantity{static_cast<double>(b->count), "B"};
  if (auto b = parse_bandwidth(text).value)
    return Quantity{b->bits_per_second, "bit/s"};
  if (text.find('/') != std::string::npos)
    if (auto r = parse_rate(text).value)
      return Quantity{r->per_second, "1/s"};
  return std::nullopt;
}

namespace {

/// How each SI unit of parse_quantity is written in a value for --set and in a column's name.
struct UnitSpelling {
  const char* unit;
  const char* value_suffix;
  const char* column_suffix;
};
constexpr UnitSpelling unit_spellings[] = {
    {"s", "s", "_s"}, {"B", "B", "_B"}, {"bit/s", "bps", "_bps"}, {"1/s", "/s", "_per_s"}};

const UnitSpelling* spelling(const std::string& unit)
{
  for (const auto& u : unit_spellings)
    if (unit == u.unit)
      return &u;
  return nullptr;  // a plain number
}

}  // namespace

AxisValue axis_value(double number, const std::string& unit)
{
  std::string text = format_number(unit == "B" ? std::round(number) : number);
  if (const UnitSpelling* u = spelling(unit))
    text += u->value_suffix;
  auto q = parse_quantity(text);
  return {text, q ? std::optional<double>(q->number) : std::nullopt};
}

std::string StudyAxis::column() const
{
  const UnitSpelling* u = spelling(unit);
  return u != nullptr ? path + u->column_suffix : path;
}

Study Study::without_axis(const std::string& path) const
{
  Study out = *this;
  std::erase_if(out.axes, [&](const StudyAxis& a) { return a.path == path; });
  make_points(out, zip);
  return out;
}

const StudyAxis* Study::axis(const std::string& path) const
{
  for (const auto& a : axes)
    if (a.path == path)
      return &a;
  return nullptr;
}

std::string Study::metric_unit(const std::string& path) const
{
  for (size_t m = 0; m < metrics.size(); ++m)
    if (metrics[m] == path)
      return metric_units[m];
  return "";
}

StudyPoint Study::point(const std::vector<AxisValue>& values) const
{
  StudyPoint p{values, ""};
  for (size_t a = 0; a < values.size(); ++a)
    p.key += (a == 0 ? "" : ";") + axes[a].path + "=" + values[a].text;
  return p;
}

std::vector<std::string> Study::overrides(const StudyPoint& point) const
{
  std::vector<std::string> all = set;
  if (!expectations_fail)
    all.push_back("expect=[]");
  for (size_t a = 0; a < point.values.size(); ++a)
    all.push_back(axes[a].path + "=" + point.values[a].text);
  return all;
}

uint64_t Study::run_seed(const StudyPoint& point, int replication) const
{
  uint64_t h = splitmix(seed ^ splitmix(fnv1a(point.key) ^ splitmix(static_cast<uint64_t>(replication))));
  return h & 0x7fffffffffffffffULL;
}

std::string Study::command(const StudyPoint& point, int replication) const
{
  std::string out = "shsim run " + quote(scenario_file) + " --seed " + std::to_string(run_seed(point, replication));
  for (const auto& o : overrides(point))
    out += " --set " + quote(o);
  return out;
}

Study load_study(const std::string& file, const std::vector<std::string>& extra_set, int replications,
                 std::optional<long long> seed)
{
  SourceContext context{file, {}};
  YAML::Node root = load_untrusted_yaml(read_untrusted_file(file, max_yaml_bytes, "study", ""), file, false);
  if (!root.IsMap())
    context.fail(root, "", "a study is a map of keys (scenario, axes, replications, ...)");
  if (!root["scenario"] && (root["parent"] || root["network"] || root["duration"]))
    context.fail(root, "scenario",
                 "this file is a scenario, not a study: vary it with --vary path=values, or write a study file "
                 "(scenario: FILE, axes: [...]) that names it");
  StudyConfig config;
  SchemaReader::read(root, "", context, config);
  if (config.scenario.empty())
    context.fail(root, "scenario", "missing: name the base scenario (relative to the study file)");

  Study study;
  study.file     = file;
  study.name     = config.name.empty() ? fs::path(file).stem().string() : config.name;
  if (auto problem = name_problem(study.name))
    context.fail(root["name"] ? root["name"] : root, "name", *problem + " (it names the output folder)");
  if (auto problem = path_problem(config.scenario))
    context.fail(root["scenario"], "scenario", *problem);
  fs::path scenario = config.scenario;
  if (scenario.is_relative())
    scenario = fs::path(file).parent_path() / scenario;
  study.scenario_file = scenario.lexically_normal().string();
  if (!fs::is_regular_file(study.scenario_file))
    context.fail(root["scenario"], "scenario", fmt::format("no scenario file at {}", study.scenario_file));
  study.seed              = static_cast<uint64_t>(config.seed);
  study.replications      = config.replications;
  study.set               = config.set;
  study.expectations_fail = config.expectations == "fail";
  study.timeout_seconds   = config.timeout.seconds;
  if (replications > 0)
    study.replications = replications;
  if (seed)
    study.seed = static_cast<uint64_t>(*seed);
  study.set.insert(study.set.end(), extra_set.begin(), extra_set.end());
  for (size_t i = 0; i < study.set.size(); ++i) {  // each fixed override alone, to name the bad one
    try {
      load_scenario(study.scenario_file, {study.set.begin(), study.set.begin() + static_cast<long>(i) + 1});
    } catch (const InputError& e) {
      if (i >= config.set.size())
        throw;  // from the command line: the message names the --set already
      throw InputError(fmt::format("{}: set[{}]: {}", context.locate(root["set"][i].Mark(), "set"), i, e.what()));
    }
  }
  if (config.axes.empty() && !root["axes"])
    context.fail(root, "axes", "missing: list the parameters to vary (path and values or range)");
  for (size_t i = 0; i < config.axes.size(); ++i) {
    const auto& a   = config.axes[i];
    YAML::Node node = root["axes"][i];
    std::string where = fmt::format("{}: axes[{}]", context.locate(node.Mark(), "axes"), i);
    if (a.range && !a.values.empty())
      context.fail(node, fmt::format("axes[{}]", i), "give values or range, not both");
    std::vector<AxisValue> values;
    if (a.range) {
      values = range_values(*a.range, fmt::format("{}: axes[{}].range", context.locate(node["range"].Mark(), "range"), i));
    } else {
      for (const auto& text : a.values) {
        auto q = parse_quantity(text);
        values.push_back({text, q ? std::optional<double>(q->number) : std::nullopt});
      }
    }
    if (values.empty())
      context.fail(node, fmt::format("axes[{}]", i), "the axis has no values (give values: [...] or range: {...})");
    add_axis(study, a.path, std::move(values), where);
  }
  finish(study, config.metrics, config.combine == "zip", [&](size_t i) {
    return fmt::format("{}: metrics[{}]", context.locate(root["metrics"][i].Mark(), "metrics"), i);
  });
  for (size_t i = 0; i < config.plots.size(); ++i) {
    const StudyPlotConfig& c = config.plots[i];
    YAML::Node node          = root["plots"][i];
    auto fail = [&](const char* key, const std::string& reason) {
      YAML::Node at = node[key] ? node[key] : node;
      context.fail(at, fmt::format("plots[{}].{}", i, key), reason);
    };
    auto need_axis = [&](const char* key, const std::string& path) {
      if (!path.empty() && study.axis(path) == nullptr) {
        std::vector<std::string> paths;
        for (const auto& a : study.axes)
          paths.push_back(a.path);
        fail(key, unknown_name("axis", path, paths));
      }
    };
    auto need_metric = [&](const char* key, const std::string& path) {
      if (std::find(study.metrics.begin(), study.metrics.end(), path) == study.metrics.end())
        fail(key, fmt::format("{} (the study collects: {})", unknown_name("metric", path, study.metrics),
                              study.metrics.size() > 12 ? "see its metrics" : fmt::format("{}", fmt::join(study.metrics, ", "))));
    };
    StudyPlot plot{c.frontier.empty() ? "curves" : "frontier", c.title, c.x, c.y, c.by, c.frontier, c.label, c.log_x, c.log_y, {}};
    for (const auto& entry : c.where) {
      const std::string& path = entry.first;
      const std::string& text = entry.second;
      need_axis("where", path);
      const StudyAxis* axis = study.axis(path);
      auto q                = parse_quantity(text);
      auto found = std::find_if(axis->values.begin(), axis->values.end(), [&](const AxisValue& v) {
        return v.text == text || (q && v.number && *v.number == q->number);
      });
      if (found == axis->values.end())
        fail("where", fmt::format("{} takes no value '{}' in this study", path, text));
      plot.where.emplace_back(path, *found);
    }
    if (plot.kind == "frontier") {
      if (c.frontier.size() != 2)
        fail("frontier", "name two metrics: [x metric, y metric]");
      if (!c.x.empty() || !c.y.empty())
        fail("frontier", "a frontier takes no x or y");
      need_metric("frontier", c.frontier[0]);
      need_metric("frontier", c.frontier[1]);
    } else {
      if (c.y.empty())
        fail("y", "missing: the metric to draw");
      need_metric("y", c.y);
      if (c.x.empty() && !study.axes.empty())
        plot.x = study.axes[0].path;
      if (study.axes.empty())
        fail("x", "the study varies nothing: there is no axis to draw against");
      need_axis("x", plot.x);
    }
    need_axis("by", c.by);
    need_axis("label", c.label);
    if (!c.label.empty() && plot.kind != "frontier")
      fail("label", "only a frontier labels its points (a curve's points are its x values)");
    if (!c.by.empty() && c.by == plot.x)
      fail("by", "the curves' axis is the horizontal one");
    study.plots.push_back(plot);
  }
  return study;
}

Study quick_study(const std::string& scenario_file, const std::vector<std::string>& vary, int replications,
                  const std::vector<std::string>& set, long long seed)
{
  Study study;
  study.name          = fs::path(scenario_file).stem().string() + "-sweep";
  study.scenario_file = scenario_file;
  study.replications  = replications;
  study.set           = set;
  study.seed          = static_cast<uint64_t>(seed);
  if (!fs::is_regular_file(scenario_file))
    throw InputError(fmt::format("{}: no such scenario file", scenario_file));
  for (const auto& arg : vary) {
    std::string where = "--vary " + arg;
    size_t equals     = arg.find('=');
    if (equals == std::string::npos || equals == 0)
      throw InputError(where + ": expected path=values (a,b,c or lo..hi:count[:geometric])");
    std::string path = arg.substr(0, equals), text = arg.substr(equals + 1);
    std::vector<AxisValue> values;
    if (size_t dots = text.find(".."); dots != std::string::npos) {
      StudyRange range;
      range.from        = text.substr(0, dots);
      std::string rest  = text.substr(dots + 2);
      size_t colon      = rest.find(':');
      range.to          = rest.substr(0, colon);
      if (colon == std::string::npos)
        throw InputError(where + ": a range needs its count: lo..hi:count");
      std::string count = rest.substr(colon + 1);
      if (size_t second = count.find(':'); second != std::string::npos) {
        range.spacing = count.substr(second + 1);
        count         = count.substr(0, second);
        if (range.spacing != "linear" && range.spacing != "geometric")
          throw InputError(where + ": spacing is linear or geometric");
      }
      auto n = plain_number(count);
      if (!n || *n < 2 || *n != std::floor(*n))
        throw InputError(where + ": the count is a whole number, at least 2");
      range.count = static_cast<int>(std::min(*n, 1e6));
      values      = range_values(range, where);
    } else {
      size_t start = 0;
      while (start <= text.size()) {
        size_t comma     = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty())
          throw InputError(where + ": an empty value");
        auto q = parse_quantity(item);
        values.push_back({item, q ? std::optional<double>(q->number) : std::nullopt});
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
    }
    add_axis(study, path, std::move(values), where);
  }
  finish(study, {}, false, [](size_t) { return std::string("--metric"); });
  return study;
}

StudyAxis parse_along(const std::string& along, const Study& study)
{
  std::string where = "--along " + along;
  size_t equals     = along.find('=');
  size_t dots       = along.find("..");
  if (equals == std::string::npos || equals == 0 || dots == std::string::npos || dots < equals)
    throw InputError(where + ": expected path=lo..hi");
  std::string path = along.substr(0, equals);
  (void)study;  // an axis of the study may be searched along: run_find drops it from the grid
  auto lo = parse_quantity(along.substr(equals + 1, dots - equals - 1));
  auto hi = parse_quantity(along.substr(dots + 2));
  if (!lo || !hi)
    throw InputError(where + ": lo and hi are numbers or quantities with a unit (1m..2h)");
  if (lo->unit != hi->unit)
    throw InputError(where + ": lo and hi are in different units");
  if (!(lo->number < hi->number))
    throw InputError(where + ": lo must be below hi");
  StudyAxis axis{path, lo->unit, {}, where};
  // Keep the user's spelling of the ends; probes in between are written in SI units.
  axis.values.push_back({along.substr(equals + 1, dots - equals - 1), lo->number});
  axis.values.push_back({along.substr(dots + 2), hi->number});
  return axis;
}

}  // namespace shsim
