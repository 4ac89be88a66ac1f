// `shsim report DIR`: one self-contained HTML file for a run's output set or a sweep's folder. The
// data (summary, time series, stage CDFs, adversary windows, a sequence diagram of the first
// heights, the narration; or a sweep's points and boundaries) goes into the page as JSON; the page
// draws it with Chart.js, embedded at build time from Debian's libjs-chart.js, and the page's own
// script, tools/report.js, embedded the same way. Nothing is fetched: it opens offline, and its
// Content-Security-Policy forbids any request.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shsim {

/// The data of the report of `dir` (a run's output set or a sweep's folder); throws InputError when
/// the folder is neither or a file in it is unreadable.
nlohmann::json report_data(const std::string& dir);
/// The whole page for that data.
std::string report_html(const nlohmann::json& data);
/// Writes the report of `dir` to `out` (default DIR/report.html) through a temporary file and a
/// rename; returns the path written.
std::string write_report(const std::string& dir, const std::string& out);

}  // namespace shsim
