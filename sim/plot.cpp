#include "sim/plot.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/output.hpp"
#include "sim/schema.hpp"
#include "shsim_plot_script.hpp"  // generated from tools/plot.py (CMakeLists.txt)

namespace fs = std::filesystem;

namespace shsim {
namespace {

std::string slug(const std::string& text)
{
  std::string out;
  for (char c : text)
    if (c != '[' && c != ']')
      out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ? c : '-';
  return out;
}

/// Runs python3 on the embedded script with `spec`, drawing into `folder`'s staging folder, and
/// swaps the figures in as one set (a failing figure leaves the old set whole; a shorter plots: list
/// leaves no stale figure). Returns the files drawn, as they are once in place.
std::vector<std::string> draw(nlohmann::json spec, OutputFolder& folder)
{
  std::string staging = folder.staging().string();
  spec["folder"]      = staging;
  std::string spec_file = staging + "/.plot-spec.json";
  write_durably(spec_file, spec.dump(2));
  std::string listing = staging + "/.plot-files.txt", errors = staging + "/.plot-errors.txt";
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    std::FILE* out = std::freopen(listing.c_str(), "w", stdout);
    std::FILE* err = std::freopen(errors.c_str(), "w", stderr);
    (void)out;
    (void)err;
    // Debian's python3 first: python3-matplotlib is installed for it, whatever python3 comes first
    // on the PATH (a pyenv or a virtualenv may not have matplotlib).
    if (access("/usr/bin/python3", X_OK) == 0)
      execl("/usr/bin/python3", "python3", "-c", plot_script, spec_file.c_str(), static_cast<char*>(nullptr));
    execlp("python3", "python3", "-c", plot_script, spec_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream err_in(errors);
  std::string error_text((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  std::vector<std::string> files;
  std::ifstream in(listing);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(staging, 0) == 0)
      files.push_back((folder.target() / fs::path(line).filename()).string());
  for (const auto& scratch : {spec_file, listing, errors})
    fs::remove(scratch);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (code == 127 || error_text.find("No module named 'matplotlib'") != std::string::npos)
    throw InputError("shsim plot needs python3 and matplotlib: apt-get install python3-matplotlib");
  if (code != 0) {
    std::string last = error_text.substr(0, error_text.find_last_not_of("\n") + 1);
    last             = last.substr(last.find_last_of('\n') + 1);
    throw std::runtime_error(fmt::format("the plotting script failed: {}", last));
  }
  folder.swap_in();
  return files;
}

/// One curve per value of the axis `by` (none when null).
void add_by(nlohmann::json& figure, const StudyAxis* by)
{
  if (by == nullptr)
    return;
  figure["by"]        = by->path;
  figure["by_column"] = by->column();
  figure["by_unit"]   = by->unit;
}

nlohmann::json curves_figure(const Study& study, const StudyPlot& plot, const std::string& table, size_t index)
{
  const StudyAxis* x  = study.axis(plot.x);
  const StudyAxis* by = plot.by.empty() ? nullptr : study.axis(plot.by);
  nlohmann::json f{{"kind", "curves"},       {"table", table},           {"title", plot.title},
                   {"x", x->path},           {"x_column", x->column()},  {"x_unit", x->unit},
                   {"y", plot.y},            {"y_unit", study.metric_unit(plot.y)},
                   {"log_x", plot.log_x},    {"log_y", plot.log_y},
                   {"file", fmt::format("{:02}-{}-vs-{}", index + 1, slug(plot.y), slug(x->path))}};
  add_by(f, by);
  return f;
}

}  // namespace

std::vector<std::string> plot_study(const Study& study, const SweepOptions& options, const PlotRequest& request)
{
  std::string dir = sweep_directory(study, options);
  if (!fs::is_regular_file(dir + "/points.csv"))
    throw InputError(fmt::format("{}: no points.csv: run `shsim sweep {}` first", dir,
                                 study.file.empty() ? study.scenario_file : study.file));
  std::vector<StudyPlot> plots = study.plots;
  if (!request.y.empty()) {
    if (std::find(study.metrics.begin(), study.metrics.end(), request.y) == study.metrics.end())
      throw InputError(fmt::format("--y: {}", unknown_name("metric", request.y, study.metrics)));
    if (study.axes.empty())
      throw InputError("--y: the study varies nothing: there is no axis to draw against");
    StudyPlot p{"curves", "", request.x.empty() ? study.axes[0].path : request.x, request.y, request.by, {}, "",
                request.log_x, false, {}};
    for (const auto* path : {&p.x, &p.by})
      if (!path->empty() && study.axis(*path) == nullptr)
        throw InputError(fmt::format("--{}: {} is not an axis of the study", path == &p.x ? "x" : "by", *path));
    plots = {p};
  } else if (plots.empty()) {
    if (study.axes.empty() || study.metrics.size() > 12)
      throw InputError(fmt::format("{}: name its figures under plots: (or use --y METRIC)",
                                   study.file.empty() ? "the study" : study.file));
    for (const auto& m : study.metrics)
      plots.push_back({"curves", "", study.axes[0].path, m, study.axes.size() > 1 ? study.axes[1].path : "", {}, "",
                       false, false, {}});
  }
  // The figures are one set: claimed before anything is drawn, swapped in whole.
  OutputFolder folder(request.to.empty() ? dir + "/figures" : request.to,
                      request.to.empty() ? "the figures folder" : "--to");
  nlohmann::json spec{{"figures", nlohmann::json::array()}};
  auto filters = [&](const StudyPlot& plot) {
    nlohmann::json where = nlohmann::json::object();
    for (const auto& [path, value] : plot.where)
      where[study.axis(path)->column()] = value.number ? nlohmann::json(*value.number) : nlohmann::json(value.text);
    return where;
  };
  for (size_t i = 0; i < plots.size(); ++i) {
    const StudyPlot& plot = plots[i];
    if (plot.kind == "curves") {
      spec["figures"].push_back(curves_figure(study, plot, dir + "/points.csv", i));
      spec["figures"].back()["where"] = filters(plot);
    } else {
      const StudyAxis* by = plot.by.empty() ? nullptr : study.axis(plot.by);
      nlohmann::json f{{"kind", "frontier"},
                       {"table", dir + "/points.csv"},
                       {"title", plot.title},
                       {"frontier", plot.frontier},
                       {"x_unit", study.metric_unit(plot.frontier[0])},
                       {"y_unit", study.metric_unit(plot.frontier[1])},
                       {"log_x", plot.log_x},
                       {"log_y", plot.log_y},
                       {"file", fmt::format("{:02}-frontier-{}-{}", i + 1, slug(plot.frontier[0]), slug(plot.frontier[1]))}};
      add_by(f, by);
      if (!plot.label.empty()) {
        f["label"]        = plot.label;
        f["label_column"] = study.axis(plot.label)->column();
        f["label_unit"]   = study.axis(plot.label)->unit;
      }
      f["where"] = filters(plot);
      spec["figures"].push_back(f);
    }
  }
  if (fs::is_regular_file(dir + "/boundaries.csv")) {
    nlohmann::json f{{"kind", "boundary"}, {"table", dir + "/boundaries.csv"}, {"file", "boundary"}};
    if (!study.axes.empty()) {
      f["x"]        = study.axes[0].path;
      f["x_column"] = study.axes[0].column();
      f["x_unit"]   = study.axes[0].unit;
      f["log_x"]    = study.plots.empty() ? false : study.plots[0].log_x;
    } else {
      f["x"]        = "point";
      f["x_column"] = "point";
    }
    spec["figures"].push_back(f);
  }
  return draw(spec, folder);
}

std::vector<std::string> plot_run(const std::string& run_dir)
{
  if (!fs::is_regular_file(run_dir + "/timelines.csv"))
    throw InputError(fmt::format("{}: no timelines.csv (a run of a scenario with child chains writes one)", run_dir));
  OutputFolder folder(run_dir + "/figures", "the figures folder");
  nlohmann::json spec{
      {"figures", {{{"kind", "cdf"}, {"table", run_dir + "/timelines.csv"}, {"file", "stages-cdf"}, {"title", ""}}}}};
  return draw(spec, folder);
}

}  // namespace shsim
