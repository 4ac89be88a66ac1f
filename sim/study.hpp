// A study: one base scenario, axes of parameter values, replications per point, the metrics to
// collect. `shsim sweep STUDY.yaml` runs it (sim/sweep.hpp); this file reads the study, checks it
// against the scenario before any run (every point's overrides load, every metric exists), and
// derives each run's seed from the study's seed, the point and the replication, so that any run
// can be repeated alone with the command the tables print for it.
//
//   scenario: ../op-challengers-censored.yaml     # relative to the study file
//   seed: 1
//   replications: 20
//   combine: grid                                 # grid (every combination) or zip (i-th with i-th)
//   axes:
//     - { path: children.op.challenge_window, values: [2m, 5m, 10m] }
//     - { path: network.latency_scale, range: { from: 0.5, to: 8, count: 5, spacing: geometric } }
//   set: [duration=2h]                            # fixed overrides for every run
//   metrics: [op.roots.invalid_settled_share]     # default: every metric the scenario declares
//   expectations: ignore                          # or fail: a failed `expect` line fails the run
//   timeout: 30m                                  # wall-clock limit of one run
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/schema.hpp"
#include "sim/units.hpp"

namespace shsim {

/// `range: {from: 1m, to: 1h, count: 5, spacing: geometric}` or `{from: 0, to: 1, step: 0.25}`.
struct StudyRange {
  std::string from, to;
  int count = 0;
  std::string step;
  std::string spacing = "linear";
  template <class V> void describe(V& v)
  {
    v.field("from", from, "first value, with its unit (1m, 0.5, 10%)");
    v.field("to", to, "last value, with the same unit");
    v.field("count", count, "how many values from `from` to `to`, both included", at_least<int>(2));
    v.field("step", step, "distance between values (linear spacing only; instead of count)");
    v.field("spacing", spacing, "linear or geometric (equal ratios)", one_of({"linear", "geometric"}));
  }
};

struct StudyAxisConfig {
  std::string path;
  std::vector<std::string> values;
  std::optional<StudyRange> range;
  template <class V> void describe(V& v)
  {
    v.field("path", path, "scenario key to vary, as --set writes it (children.op.challenge_window)");
    v.field("values", values, "the values, as the scenario writes them (1h, 30m, 0.5)");
    v.field("range", range, "values from a range instead of a list");
  }
};

/// A figure of `shsim plot`: a metric against an axis (one curve per value of `by`), or the
/// frontier of two metrics (one point per study point).
struct StudyPlotConfig {
  std::string title;
  std::string x, y, by, label;
  std::vector<std::string> frontier;
  std::map<std::string, std::string> where;
  bool log_x = false, log_y = false;
  template <class V> void describe(V& v)
  {
    v.field("title", title, "the figure's title");
    v.field("where", where, "only the points where these axes have these values ({path: value})");
    v.field("x", x, "the axis along the horizontal (a path the study varies)");
    v.field("y", y, "the metric up the vertical (a collected figure: parent.block_interval.p50)");
    v.field("by", by, "one curve per value of this axis");
    v.field("frontier", frontier, "instead of x and y: two metrics against each other, one point per study point");
    v.field("label", label, "frontier: write this axis's value beside each point");
    v.field("log_x", log_x, "logarithmic horizontal scale");
    v.field("log_y", log_y, "logarithmic vertical scale");
  }
};

/// The study file as written.
struct StudyConfig {
  std::string name;
  std::string scenario;
  long long seed   = 1;
  int replications = 1;
  std::string combine = "grid";
  std::vector<StudyAxisConfig> axes;
  std::vector<std::string> set;
  std::vector<std::string> metrics;
  std::string expectations = "ignore";
  Duration timeout{3600};
  std::vector<StudyPlotConfig> plots;
  template <class V> void describe(V& v)
  {
    v.field("name", name, "study name (default: the file's name); the output folder is results/<name>/");
    v.field("scenario", scenario, "base scenario file, relative to the study file");
    v.field("seed", seed, "study seed: each run's seed derives from it, the point and the replication",
            at_least<long long>(0));
    v.field("replications", replications, "runs per point, each with its own seed", between<int>(1, 100000));
    v.field("combine", combine, "grid: every combination of the axes' values; zip: the i-th value of each",
            one_of({"grid", "zip"}));
    v.field("axes", axes, "the parameters to vary");
    v.field("set", set, "overrides for every run, as --set writes them (duration=2h)");
    v.field("metrics", metrics, "figures to collect, as `shsim metrics` prints them (default: every one)");
    v.field("expectations", expectations, "ignore the scenario's expect lines, or count a failed one as a failed run",
            one_of({"ignore", "fail"}));
    v.field("timeout", timeout, "wall-clock limit of one run; a run past it is stopped and recorded as timed out",
            positive<Duration>());
    v.field("plots", plots, "figures `shsim plot` draws (default: each listed metric against the first axis)");
  }
};

/// One value of an axis: the text handed to --set, and its number in SI units (none for a word).
struct AxisValue {
  std::string text;
  std::optional<double> number;
};

struct StudyAxis {
  std::string path;
  std::string unit;  // SI unit of its numbers: "s", "B", "bit/s", "1/s", "" for a plain number
  std::vector<AxisValue> values;
  std::string where;  // file:line:col of the axis (or the --vary argument), for errors
  /// The tidy table's column: the path with its unit ("children.op.challenge_window_s").
  std::string column() const;
};

/// One combination of axis values.
struct StudyPoint {
  std::vector<AxisValue> values;  // one per axis
  /// "path=value;path=value": names the point in the database and in seeds.
  std::string key;
};

/// A checked figure: every name in it is an axis or a collected metric of the study.
struct StudyPlot {
  std::string kind;  // curves or frontier
  std::string title;
  std::string x, y, by;  // curves: axis, metric, axis (or "")
  std::vector<std::string> frontier;  // frontier: two metrics
  std::string label;                  // frontier: the axis whose value is written beside each point (or "")
  bool log_x = false, log_y = false;
  std::vector<std::pair<std::string, AxisValue>> where;  // axis path, value
};

struct Study {
  std::string file;  // the study file ("" for a --vary study)
  std::string name;
  std::string scenario_file;  // as shsim run is given it
  uint64_t seed    = 1;
  int replications = 1;
  std::vector<StudyAxis> axes;
  std::vector<StudyPoint> points;
  std::vector<std::string> set;  // fixed overrides
  std::vector<std::string> metrics;  // full figure paths
  std::vector<std::string> metric_units;  // the unit of each
  std::vector<std::string> metric_kinds;  // count, fraction, value, distribution
  bool expectations_fail = false;
  double timeout_seconds = 3600;
  std::vector<StudyPlot> plots;
  bool zip = false;
  /// The same study without the axis of `path` (--find searches along it instead).
  Study without_axis(const std::string& path) const;
  /// The axis varying `path`, or null.
  const StudyAxis* axis(const std::string& path) const;
  /// The unit of a collected metric ("" when it is not collected).
  std::string metric_unit(const std::string& path) const;
  /// Identity of what the results depend on: the study (timeout aside), the resolved base scenario
  /// and shsim's version. A database of another identity is never mixed with this one.
  std::string identity;

  /// The point with these axis values (a --find probe), its key built like a grid point's.
  StudyPoint point(const std::vector<AxisValue>& values) const;
  /// The overrides of one run of a point: the study's fixed ones, then the point's.
  std::vector<std::string> overrides(const StudyPoint& point) const;
  /// The run's seed: from the study seed, the point's key and the replication (0 to 2^63 - 1).
  uint64_t run_seed(const StudyPoint& point, int replication) const;
  /// The command that repeats one run alone.
  std::string command(const StudyPoint& point, int replication) const;
};

/// Reads and checks a study file. Throws InputError (file:line:col: key: reason). The command line
/// may add fixed overrides (`--set`) and change the replications and the seed (a short variant).
Study load_study(const std::string& file, const std::vector<std::string>& extra_set = {}, int replications = 0,
                 std::optional<long long> seed = std::nullopt);
/// A study from the command line: `--vary path=values` (a list `a,b,c` or a range `lo..hi:N` or
/// `lo..hi:N:geometric`), `--reps R` on a base scenario.
Study quick_study(const std::string& scenario_file, const std::vector<std::string>& vary, int replications,
                  const std::vector<std::string>& set, long long seed);
/// The values of `lo..hi` (with units) in `count` probes or as its ends: for --find's `--along`.
StudyAxis parse_along(const std::string& along, const Study& study);
/// A value in an axis's unit, written as --set reads it.
AxisValue axis_value(double number, const std::string& unit);

/// Classifies a written value: its number in SI units and the unit, or nothing for a word.
struct Quantity {
  double number = 0;
  std::string unit;
};
std::optional<Quantity> parse_quantity(const std::string& text);

/// 64-bit FNV-1a of `text`, in hexadecimal: the identity of scenarios and studies.
std::string text_hash(const std::string& text);
/// shsim's version, as `shsim --version` prints it.
const char* shsim_version();

}  // namespace shsim
