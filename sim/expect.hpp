// Expectations turn a run into a check: "parent.safety_violations == 0",
// "parent.block_interval.p50 < 7s". The left side is a dotted path into summary.json's chains
// (or "run."), the right side a number, optionally with a duration or size unit.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/units.hpp"

namespace shsim {

struct Expectation {
  std::string text;
  std::string metric;
  std::string op;
  double value = 0;
};

Parsed<Expectation> parse_expectation(const std::string& text);

struct ExpectationResult {
  Expectation expectation;
  bool found     = false;  // the metric exists in the summary
  bool has_value = false;  // ... and has a value (a distribution with no samples has none)
  bool passed    = false;
  double actual  = 0;
};

/// Looks `metric` up in the summary ("parent.x.y" -> summary["chains"]["parent"]["x"]["y"]).
const nlohmann::json* find_metric(const nlohmann::json& summary, const std::string& metric);
ExpectationResult evaluate(const Expectation& expectation, const nlohmann::json& summary);

}  // namespace shsim
