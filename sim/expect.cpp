#include "sim/expect.hpp"

#include <array>
#include <sstream>

#include <fmt/format.h>

namespace shsim {

Parsed<Expectation> parse_expectation(const std::string& text)
{
  static constexpr std::array<const char*, 6> operators{"==", "!=", "<=", ">=", "<", ">"};
  std::istringstream in(text);
  Expectation e;
  std::string value_text, extra;
  e.text = text;
  if (!(in >> e.metric >> e.op >> value_text) || (in >> extra))
    return {std::nullopt, fmt::format("'{}' is not of the form '<metric> <operator> <value>'", text)};
  bool known_op = false;
  for (const char* op : operators)
    known_op = known_op || e.op == op;
  if (!known_op)
    return {std::nullopt, fmt::format("'{}': unknown operator '{}' (use == != < <= > >=)", text, e.op)};
  // A plain number, or a duration or size with its unit (compared in seconds or bytes).
  char* end = nullptr;
  e.value   = std::strtod(value_text.c_str(), &end);
  if (end == value_text.c_str())
    return {std::nullopt, fmt::format("'{}': '{}' is not a number", text, value_text)};
  if (*end != '\0') {
    if (auto d = parse_duration(value_text); d.value)
      e.value = d.value->seconds;
    else if (auto b = parse_bytes(value_text); b.value)
      e.value = static_cast<double>(b.value->count);
    else
      return {std::nullopt, fmt::format("'{}': '{}' has an unknown unit", text, value_text)};
  }
  return {e, ""};
}

const nlohmann::json* find_metric(const nlohmann::json& summary, const std::string& metric)
{
  std::istringstream parts(metric);
  std::string part;
  const nlohmann::json* node = nullptr;
  bool first = true;
  while (std::getline(parts, part, '.')) {
    if (first) {
      first = false;
      if (part == "run")
        node = &summary["run"];
      else if (summary.contains("chains") && summary["chains"].contains(part))
        node = &summary["chains"][part];
      else if (summary.contains("bridges") && summary["bridges"].contains(part))
        node = &summary["bridges"][part];
      else if (summary.contains("applications") && summary["applications"].contains(part))
        node = &summary["applications"][part];
      else
        return nullptr;
      continue;
    }
    if (!node->is_object() || !node->contains(part))
      return nullptr;
    node = &(*node)[part];
  }
  // A figure, or null: a distribution with no samples (the metric exists but has no value).
  return node != nullptr && (node->is_number() || node->is_null()) ? node : nullptr;
}

ExpectationResult evaluate(const Expectation& expectation, const nlohmann::json& summary)
{
  ExpectationResult result{expectation};
  const nlohmann::json* metric = find_metric(summary, expectation.metric);
  if (metric == nullptr)
    return result;
  result.found = true;
  if (metric->is_null())
    return result;  // no samples: an expectation on it cannot hold
  result.has_value = true;
  result.actual    = metric->get<double>();
  const double a = result.actual, b = expectation.value;
  const std::string& op = expectation.op;
  result.passed = (op == "==" && a == b) || (op == "!=" && a != b) || (op == "<" && a < b) ||
                  (op == "<=" && a <= b) || (op == ">" && a > b) || (op == ">=" && a >= b);
  return result;
}

}  // namespace shsim
