#include "tests/support.hpp"

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "models/registry.hpp"
#include "sim/event_log.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

namespace shsim::testing {

std::string source_path(const std::string& relative) { return std::string(SHSIM_SOURCE_DIR) + "/" + relative; }

namespace {
// Temporary files and folders a test process made, removed when it exits (children use _Exit).
std::vector<std::string>& temporaries()
{
  static std::vector<std::string> paths;
  static bool registered = false;
  if (!registered) {
    registered = true;
    std::atexit([] {
      for (const auto& path : temporaries()) {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
      }
    });
  }
  return paths;
}
}  // namespace

std::string write_temporary(const std::string& text, const std::string& suffix)
{
  std::string pattern = "/tmp/shsim-test-XXXXXX" + suffix;
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0)
    throw std::runtime_error("cannot create a temporary file");
  close(fd);
  std::ofstream(name.data()) << text;
  temporaries().push_back(name.data());
  return name.data();
}

std::vector<double> Run::times_of(const std::string& event, int node) const
{
  std::vector<double> times;
  for (const auto& e : events)
    if (e.event == event && (node == -2 || e.node == node))
      times.push_back(e.time);
  return times;
}

Run simulate(const std::string& scenario_yaml, const std::vector<std::string>& overrides)
{
  std::string scenario_file = write_temporary(scenario_yaml);
  std::string result_file   = write_temporary("", ".json");
  std::fflush(nullptr);  // the child must not print what the parent had buffered
  pid_t child = fork();
  if (child == 0) {
    int status = 0;
    try {
      models::register_all();
      spdlog::set_level(spdlog::level::warn);
      Scenario scenario = load_scenario(scenario_file, overrides);
      Simulation simulation(scenario);
      RunResult result = simulation.run();
      nlohmann::json out;
      out["summary"] = result.summary;
      out["events"]  = nlohmann::json::array();
      for (const auto& e : result.events)
        out["events"].push_back({e.time, e.chain, e.node, e.event, e.height, e.round, e.detail});
      out["timelines"] = nlohmann::json::array();
      for (const auto& row : result.timelines) {
        nlohmann::json stages = nlohmann::json::array();
        for (const auto& stage : row.stages)
          stages.push_back(stage ? nlohmann::json(*stage) : nlohmann::json(nullptr));
        out["timelines"].push_back({row.chain, row.kind, row.index, row.submitted, stages, row.note});
      }
      out["timeline_stages"] = result.timeline_stages;
      std::ofstream(result_file) << out.dump();
    } catch (const std::exception& e) {
      std::ofstream(result_file) << nlohmann::json{{"error", e.what()}}.dump();
      status = 1;
    }
    std::_Exit(status);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::ifstream in(result_file);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(scenario_file.c_str());
  std::remove(result_file.c_str());
  if (!WIFEXITED(status) || text.str().empty())
    throw std::runtime_error("the simulation child process crashed");
  nlohmann::json parsed = nlohmann::json::parse(text.str());
  if (parsed.contains("error"))
    throw std::runtime_error(parsed["error"].get<std::string>());
  Run run;
  run.summary = parsed["summary"];
  for (const auto& e : parsed["events"])
    run.events.push_back({e[0].get<double>(), e[1].get<std::string>(), e[2].get<int>(), e[3].get<std::string>(),
                          e[4].get<long long>(), e[5].get<int>(), e[6].get<std::string>()});
  for (const auto& t : parsed["timelines"]) {
    TimelineRow row{t[0].get<std::string>(), t[1].get<std::string>(), t[2].get<uint64_t>(), t[3].get<double>(), {},
                    t[5].get<std::string>()};
    for (const auto& stage : t[4])
      row.stages.push_back(stage.is_null() ? std::nullopt : std::optional<double>(stage.get<double>()));
    run.timelines.push_back(std::move(row));
  }
  run.timeline_stages = parsed["timeline_stages"].get<std::map<std::string, std::vector<std::string>>>();
  return run;
}

std::string lab_matrix()
{
  static std::string path = write_temporary(
      "source: synthetic one-region laboratory network for closed-form tests\nunit: one_way_ms\n"
      "regions: [lab, lab2]\nmatrix: [[40, 40], [40, 40]]\n");
  return path;
}

nlohmann::json event_fields(const EventRecord& event)
{
  models::register_all();  // the models declare their event kinds when they register
  return parse_detail(*find_event(event.event), event.detail);
}

std::string fresh_directory()
{
  std::string dir = write_temporary("", ".out");
  std::filesystem::remove(dir);
  return dir;
}

std::string read_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int run_shsim(const std::string& arguments, const std::string& output_file)
{
  std::string command = std::string(SHSIM_BINARY) + " " + arguments + " >" + output_file + " 2>&1";
  int status          = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int start_shsim(const std::vector<std::string>& arguments)
{
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(SHSIM_BINARY)};
    for (const auto& a : arguments)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(SHSIM_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::map<std::string, std::string>> read_csv(const std::string& path)
{
  auto split = [](const std::string& text) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cells.push_back(cell);
    return cells;
  };
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  if (std::getline(in, line))
    header = split(line);
  while (std::getline(in, line)) {
    auto cells = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i)
      row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

}  // namespace shsim::testing
