// `shsim plot`: figures from a sweep's tables (points.csv, boundaries.csv) or from one run's
// timelines.csv, drawn by matplotlib (Debian's python3-matplotlib) with the script tools/plot.py,
// which the binary carries inside it. Every figure is a PNG and an SVG with the CSV of exactly
// what it shows beside it, in <folder>/figures/.
#pragma once

#include <string>
#include <vector>

#include "sim/study.hpp"
#include "sim/sweep.hpp"

namespace shsim {

/// An ad-hoc figure from the command line: --y METRIC [--x PATH] [--by PATH].
struct PlotRequest {
  std::string x, y, by;
  bool log_x = false;
  std::string to;  // where the figures go (default <folder>/figures)
};

/// Draws the study's figures (its `plots:`, or `request`) from its output folder; returns the
/// files written. Throws InputError when the folder holds no results or python3-matplotlib is missing.
std::vector<std::string> plot_study(const Study& study, const SweepOptions& options, const PlotRequest& request);
/// Draws the CDFs of a run's per-transaction stages (its timelines.csv).
std::vector<std::string> plot_run(const std::string& run_dir);

}  // namespace shsim
