// shsim: the command line. Subcommands run, sweep, check, config, metrics, events and schema; SimGrid's own --cfg=... and
// --log=... options pass through to the engine. Exit codes: 0 success, 1 an expectation failed,
// 2 bad input (scenario, a file it names, the command line; nothing is written), 3 a bug in shsim,
// 4 the machine failed (a full disk, an I/O error; nothing new is written, a sweep records nothing
// of it), 130 / 143 interrupted by SIGINT / SIGTERM (nothing new is written).
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "models/registry.hpp"
#include "sim/catalog.hpp"
#include "sim/estimate.hpp"
#include "sim/interrupt.hpp"
#include "sim/output.hpp"
#include "sim/explain.hpp"
#include "sim/html_report.hpp"
#include "sim/platform.hpp"
#include "sim/plot.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/study.hpp"
#include "sim/summary_table.hpp"
#include "sim/sweep.hpp"
#ifdef SHSIM_WITH_MPI
#include "sim/sweep_mpi.hpp"
#endif

namespace {

constexpr int exit_ok = 0, exit_expectation_failed = 1, exit_bad_input = 2, exit_internal_error = 3,
              exit_environment = 4;

struct Options {
  std::string scenario_file;
  std::vector<std::string> overrides;
  std::string out_dir;
  std::string seed;  // checked by parse_seed: CLI11 clamps out-of-range numbers silently
  std::string log_level = "warn";
  bool quiet           = false;
  bool force           = false;
  bool json            = false;
  int jobs             = 0;
  bool retry_failed    = false;
  bool fresh           = false;
  bool explain         = false;
  bool report          = false;
};

/// `--seed TEXT`: a whole number from 0 to 2^63 - 1 (CLI11 would clamp an out-of-range one silently).
long long parse_seed(const std::string& text)
{
  errno          = 0;
  char* end      = nullptr;
  long long seed = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE)
    throw shsim::InputError(fmt::format("--seed {}: expected a whole number from 0 to {}", text, LLONG_MAX));
  return seed;
}

/// A log sink that writes each message on one line, its control characters escaped
/// (shsim::one_line), through another sink (the terminal's, which adds its own colours).
class OneLineSink : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit OneLineSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

protected:
  void sink_it_(const spdlog::details::log_msg& message) override
  {
    std::string text = shsim::one_line(std::string(message.payload.data(), message.payload.size()));
    spdlog::details::log_msg copy(message.time, message.source, message.logger_name, message.level, text);
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override { inner_->set_formatter(std::move(formatter)); }

private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

/// The command line as given (sweep under mpirun hands it to shsim-mpi).
std::vector<char*> command_line;

struct SweepArguments {
  std::vector<std::string> files;  // STUDY.yaml, or `merge STUDY.yaml SHARD...`
  std::vector<std::string> vary;
  int replications = 0;  // 0: the study's own
  std::string shard;
  std::string find, along;
  double tolerance     = 0;
  int max_replications = 0;
  int slurm            = 0;
  bool quiet           = false;
};

/// `shsim sweep`: a study file, or a scenario with --vary; merge; --find; --slurm.
int sweep(const Options& options, const SweepArguments& args)
{
  bool merge = !args.files.empty() && args.files[0] == "merge";
  std::vector<std::string> files(args.files.begin() + (merge ? 1 : 0), args.files.end());
  if (files.empty())
    throw shsim::InputError(merge ? "sweep merge: name the study file, then the shard folders"
                                  : "sweep: name a study file (or a scenario with --vary)");
  if (!merge && files.size() > 1)
    throw shsim::InputError(fmt::format("sweep: one study file, not {} (merge takes shard folders)", files.size()));
  if (merge && files.size() < 2)
    throw shsim::InputError("sweep merge: name the shard folders after the study file");
  if (!args.vary.empty() && merge)
    throw shsim::InputError("sweep merge: --vary belongs to the sweep, not to merge");
  std::optional<long long> seed;
  if (!options.seed.empty())
    seed = parse_seed(options.seed);
  // A study file with --reps, --seed or --set is a variant of it (a short one for a test, say).
  auto load_the_study = [&] {
    return args.vary.empty()
               ? shsim::load_study(files[0], options.overrides, args.replications, seed)
               : shsim::quick_study(files[0], args.vary, std::max(1, args.replications), options.overrides,
                                    seed.value_or(1));
  };
  shsim::SweepOptions sweep_options;
  sweep_options.out_dir      = options.out_dir;
  sweep_options.jobs         = options.jobs;
  sweep_options.retry_failed = options.retry_failed;
  sweep_options.fresh        = options.fresh;
  sweep_options.progress     = !args.quiet;
  // Each run is a `shsim run` of the plain binary beside this one (shsim-mpi runs shsim's runs).
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  sweep_options.executable   = (self.parent_path() / "shsim").string();
  if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr) {  // started by Open MPI's mpirun
#ifdef SHSIM_WITH_MPI
    if (merge || args.slurm > 0 || !args.find.empty() || !args.along.empty() || !args.shard.empty())
      throw shsim::InputError("sweep under mpirun: runs a study's grid; --find, --shard, --slurm and merge run "
                              "without mpirun");
    return shsim::run_sweep_mpi(load_the_study, sweep_options);
#else
    // Started by mpirun: the MPI build takes over (shsim itself must not load MPI: SimGrid's
    // library exports MPI_* too).
    std::string mpi = (self.parent_path() / "shsim-mpi").string();
    if (access(mpi.c_str(), X_OK) != 0)
      throw shsim::InputError(fmt::format("sweep under mpirun needs {} (built when Open MPI's headers are "
                                          "installed: apt-get install libopenmpi-dev, then rebuild)", mpi));
    std::vector<char*> argv = command_line;
    argv[0]                 = mpi.data();
    argv.push_back(nullptr);
    execv(mpi.c_str(), argv.data());
    throw std::runtime_error(fmt::format("cannot execute {}: {}", mpi, std::strerror(errno)));
#endif
  }
  shsim::Study study = load_the_study();
  if (!args.shard.empty())
    sweep_options.shard = shsim::parse_shard(args.shard);
  if (merge)
    return shsim::merge_sweeps(study, {files.begin() + 1, files.end()}, sweep_options);
  if (args.slurm > 0) {
    // Every flag that makes the study goes into every task (and the merge): the cluster runs this study.
    std::vector<std::string> study_arguments{files[0]};
    if (args.replications > 0)
      study_arguments.insert(study_arguments.end(), {"--reps", std::to_string(args.replications)});
    if (seed)
      study_arguments.insert(study_arguments.end(), {"--seed", std::to_string(*seed)});
    for (const auto& o : options.overrides)
      study_arguments.insert(study_arguments.end(), {"--set", o});
    for (const auto& v : args.vary)
      study_arguments.insert(study_arguments.end(), {"--vary", v});
    std::string script = shsim::write_slurm_script(study, study_arguments, args.slurm, sweep_options);
    std::cout << "wrote " << script << ": submit it with sbatch, then merge the shards as its third line says\n";
    return exit_ok;
  }
  if (!args.find.empty() || !args.along.empty()) {
    if (args.find.empty() || args.along.empty())
      throw shsim::InputError("sweep: --find and --along go together: --find \"metric < x\" --along path=lo..hi");
    shsim::FindOptions find    = shsim::parse_find(args.find, study);
    find.along                 = shsim::parse_along(args.along, study);
    find.tolerance             = args.tolerance;
    find.max_replications      = args.max_replications;
    return shsim::run_find(study, find, sweep_options);
  }
  return shsim::run_sweep(study, sweep_options);
}

shsim::Scenario load(const Options& options)
{
  std::vector<std::string> overrides = options.overrides;
  if (!options.seed.empty())
    overrides.push_back("seed=" + std::to_string(parse_seed(options.seed)));
  return shsim::load_scenario(options.scenario_file, overrides);
}

/// SimGrid reports what it cannot do (an actor's stack it cannot allocate, a broken platform) by
/// aborting. The engine's own message is on stderr already; this adds the line that says what it
/// means, and ends with exit 3 instead of a core dump.
extern "C" void engine_aborted(int)
{
  static const char message[] =
      "shsim: internal error: the SimGrid engine aborted (message above); if it could not allocate memory "
      "or an actor's stack, the run does not fit this machine: see `shsim check` for its estimate\n";
  ssize_t ignored = write(STDERR_FILENO, message, sizeof(message) - 1);
  (void)ignored;
  _exit(3);
}

/// The exit code of a run that a signal interrupted (128 + signal), with a line saying so.
int interrupted()
{
  int signal = shsim::interrupt_signal();
  std::fprintf(stderr, "shsim: interrupted by %s: no new outputs written\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  return 128 + signal;
}

/// An adversary whose `stake:` share no set of validators in its pick order meets within one
/// percentage point takes more, and the user should know before trusting the run.
void warn_about_adversaries(const shsim::Scenario& scenario, const nlohmann::json& adversaries)
{
  for (size_t i = 0; i < adversaries.size(); ++i) {
    const auto& a = adversaries[i];
    if (a.contains("stake_asked") && a["stake_share"].get<double>() > a["stake_asked"].get<double>() + 0.01 + 1e-9)
      spdlog::warn("{}: adversaries[{}].{}.stake: {:.1f} % asked, {:.1f} % taken: no set of validators in pick order "
                   "comes within one percentage point (their stakes are too uneven)",
                   scenario.adversary_locations.at(i), i, a["kind"].get<std::string>(),
                   100 * a["stake_asked"].get<double>(), 100 * a["stake_share"].get<double>());
  }
}

int run(const Options& options, const std::vector<std::string>& engine_args)
{
  shsim::Scenario scenario = load(options);
  shsim::check_expectation_metrics(scenario);
  for (const auto& warning : shsim::review_scenario(scenario))
    spdlog::warn("{}", warning);
  shsim::ResourceEstimate estimate = shsim::estimate_resources(scenario);
  // --explain tells the votes too when the run is small enough to record every message.
  if (options.explain && !scenario.output.messages && scenario.output.events != "none") {
    if (shsim::scenario_node_count(scenario) <= shsim::max_message_recording_nodes &&
        estimate.events <= shsim::max_recorded_messages)
      scenario.output.messages = true;
    else
      spdlog::warn("--explain: this run is too large to record every message (output.messages); the narration "
                   "leaves the votes out");
  }
  if (options.explain && scenario.output.events == "none")
    throw shsim::InputError(fmt::format("{}: --explain tells the event log: set output.events to csv or jsonl",
                                        scenario.where("output.events")));
  shsim::check_resources(scenario, estimate, options.force);
  shsim::Platform::check(scenario, engine_args);
  // Every input is checked: claim the output folder (its lock is held until the set is in).
  std::string out_dir = options.out_dir.empty() ? "results/" + scenario.name : options.out_dir;
  shsim::OutputFolder folder(out_dir);
  shsim::Simulation simulation(scenario, engine_args);
  // Say what runs, and whom the adversaries take, before it runs.
  nlohmann::json adversaries = shsim::adversaries_summary(scenario, simulation.population());
  warn_about_adversaries(scenario, adversaries);
  if (!options.quiet)
    std::cout << shsim::printable(shsim::format_run_header(scenario, shsim::scenario_node_count(scenario), adversaries))
              << std::flush;
  // The event log streams into the next output set's staging folder; the rest joins it at the end
  // and the set is swapped in whole (a killed run leaves only a staging folder, removed next time;
  // one that fails or is interrupted throws it away as `folder` goes).
  if (scenario.output.events != "none")
    simulation.stream_events_to((folder.staging() / shsim::event_log_name(scenario)).string());
  shsim::RunResult result = simulation.run(!options.quiet);
  if (shsim::interrupt_signal() != 0)
    return interrupted();
  // summary.json holds exactly the declared metrics (sim/metric.hpp), so that `shsim metrics`,
  // `expect` and sweeps can rely on them.
  if (auto problems = shsim::summary_disagreements(result.summary, shsim::scenario_metrics(scenario));
      !problems.empty())
    throw std::logic_error(fmt::format("the summary disagrees with the declared metrics ({} problem{}): {}",
                                       problems.size(), problems.size() == 1 ? "" : "s", fmt::join(problems, "; ")));
  std::string narration;
  auto extras = [&](const std::string& staging) {
    if (options.explain) {
      narration = shsim::explain_run(scenario, shsim::read_event_log(staging + "/" + shsim::event_log_name(scenario)),
                                     result.summary);
      shsim::write_durably(staging + "/explain.txt", narration);
    }
    if (options.report)
      shsim::write_report(staging, staging + "/report.html");
  };
  if (!shsim::write_outputs(folder, scenario, result, [] { return shsim::interrupt_signal() != 0; }, extras))
    return interrupted();
  if (!options.quiet && options.explain)
    std::cout << "\n" << narration;
  if (!options.quiet)
    std::cout << shsim::printable(shsim::format_summary_table(scenario, result)) << "outputs: " << out_dir << "/\n";
  for (const auto& e : result.summary["expectations"])
    if (!e["passed"].get<bool>())
      spdlog::error("expectation failed: {} (actual {})", e["expectation"].get<std::string>(),
                    e["actual"].is_null() ? std::string("none: no samples") : e["actual"].dump());
  return result.expectations_passed ? exit_ok : exit_expectation_failed;
}

}  // namespace

int main(int argc, char** argv)
{
  command_line.assign(argv, argv + argc);
  // SimGrid's options go to the engine, the rest to our parser.
  std::vector<std::string> engine_args;
  std::vector<char*> own_args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && (arg.rfind("--cfg=", 0) == 0 || arg.rfind("--log=", 0) == 0))
      engine_args.push_back(arg);
    else
      own_args.push_back(argv[i]);
  }

  CLI::App app{"shsim: discrete-event simulator for parent/child blockchains with shared security (SimGrid)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "shsim 0.1.0");
  Options options;
  auto add_common = [&](CLI::App* command) {
    command->add_option("scenario", options.scenario_file, "scenario YAML file")->required();
    command->add_option("--set", options.overrides, "override a scenario key: --set parent.validators.count=100")
        ->take_all();
    command->add_flag("--force", options.force,
                      "run even when the estimated memory or time does not fit this machine");
    command->add_option("--log-level", options.log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  };
  auto* run_command = app.add_subcommand("run", "run a scenario and write results/<name>/");
  add_common(run_command);
  run_command->add_option("--seed", options.seed, "master seed (overrides the scenario's), 0 to 2^63 - 1");
  run_command->add_option("--out", options.out_dir, "output directory (default results/<scenario name>)");
  run_command->add_flag("--quiet", options.quiet, "print nothing but errors");
  run_command->add_flag("--explain", options.explain,
                        "tell what happened and why, in order (explain.txt; records every message of a small run)");
  run_command->add_flag("--report", options.report, "also write report.html (as `shsim report` does) into the outputs");
  SweepArguments sweep_args;
  auto* sweep_command = app.add_subcommand(
      "sweep", "run a study: every point of its axes, replications each, into results/<study>/ (resumable)");
  sweep_command->add_option("study", sweep_args.files,
                            "study file (or a scenario with --vary); `merge STUDY SHARD...` combines shards");
  sweep_command->add_option("-j,--jobs", options.jobs, "runs at a time (default: every core)")
      ->check(CLI::Range(1, 4096));
  sweep_command->add_option("--out", options.out_dir, "output folder (default results/<study name>)");
  sweep_command->add_option("--vary", sweep_args.vary, "a quick study: path=a,b,c or path=lo..hi:count[:geometric]")
      ->take_all();
  sweep_command->add_option("--reps", sweep_args.replications, "replications per point (with a study: instead of its own)")
      ->check(CLI::Range(1, 100000));
  sweep_command->add_option("--seed", options.seed, "study seed (with a study: instead of its own)");
  sweep_command->add_option("--set", options.overrides, "fixed overrides for every run (added to a study's)")
      ->take_all();
  sweep_command->add_flag("--retry-failed", options.retry_failed, "run again the runs that failed or timed out");
  sweep_command->add_flag("--fresh", options.fresh, "discard the folder's results of another study");
  sweep_command->add_option("--find", sweep_args.find, "locate where \"metric < threshold\" changes along --along");
  sweep_command->add_option("--along", sweep_args.along, "with --find: path=lo..hi");
  sweep_command->add_option("--tolerance", sweep_args.tolerance, "with --find: stop when the bracket is this narrow")
      ->check(CLI::PositiveNumber);
  sweep_command->add_option("--max-reps", sweep_args.max_replications,
                            "with --find: most replications at one probe (default 8 x the study's)")
      ->check(CLI::Range(2, 100000));
  sweep_command->add_option("--shard", sweep_args.shard, "run only shard i of N (i/N): runs i, i+N, i+2N, ...");
  sweep_command->add_option("--slurm", sweep_args.slurm, "write a Slurm job array of N shards instead of running")
      ->check(CLI::Range(1, 100000));
  sweep_command->add_flag("--quiet", sweep_args.quiet, "no progress bar");
  std::string plot_target;
  shsim::PlotRequest plot_request;
  auto* plot_command = app.add_subcommand(
      "plot", "draw a study's figures from its results (PNG, SVG and CSV), or a run's per-transaction stage CDFs");
  plot_command->add_option("target", plot_target, "study file (its results folder: --out), or a run's output folder")
      ->required();
  plot_command->add_option("--out", options.out_dir, "the study's results folder (default results/<study name>)");
  plot_command->add_option("--y", plot_request.y, "instead of the study's plots: this metric...");
  plot_command->add_option("--x", plot_request.x, "...against this axis (default: the first)");
  plot_command->add_option("--by", plot_request.by, "...one curve per value of this axis");
  plot_command->add_flag("--log-x", plot_request.log_x, "logarithmic horizontal scale");
  plot_command->add_option("--to", plot_request.to, "write the figures here (default <results folder>/figures)");
  std::string report_target, report_to;
  auto* report_command = app.add_subcommand(
      "report", "write one self-contained HTML report (charts, verdicts, the scenario) of a run's outputs or a sweep's");
  report_command->add_option("target", report_target, "a run's output folder, a sweep's results folder, or a study file")
      ->required();
  report_command->add_option("--out", options.out_dir, "with a study file: its results folder (default results/<study name>)");
  report_command->add_option("--to", report_to, "the HTML file to write (default <folder>/report.html)");
  auto* check_command = app.add_subcommand("check", "validate a scenario without running it");
  add_common(check_command);
  auto* config_command = app.add_subcommand("config", "print the fully resolved scenario (defaults filled)");
  add_common(config_command);
  auto* metrics_command =
      app.add_subcommand("metrics", "list every metric a run of the scenario reports (paths for `expect`)");
  add_common(metrics_command);
  metrics_command->add_flag("--json", options.json, "print JSON instead of a table");
  auto* schema_command = app.add_subcommand("schema", "list every scenario key with its default and meaning");
  auto* events_command =
      app.add_subcommand("events", "list every event kind of the event log with its fields (the log's dictionary)");
  events_command->add_flag("--json", options.json, "print JSON instead of text");
  auto* series_command =
      app.add_subcommand("series", "list every series of timeseries.csv with its unit (what a run samples over time)");
  series_command->add_flag("--json", options.json, "print JSON instead of text");

  shsim::install_interrupt_handlers();
  std::signal(SIGABRT, engine_aborted);
  try {
    app.parse(static_cast<int>(own_args.size()), own_args.data());
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // One line, like every other bad input.
    std::string message = e.what();
    for (char& c : message)
      c = c == '\n' ? ' ' : c;
    std::fprintf(stderr, "shsim: error: command line: %s (shsim --help)\n", message.c_str());
    return exit_bad_input;
  }

  // Warnings quote the scenario (a name, an expectation): each is one line, its control characters escaped.
  auto logger = std::make_shared<spdlog::logger>(
      "shsim", std::make_shared<OneLineSink>(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("shsim: %^%l%$: %v");
  spdlog::set_level(spdlog::level::from_str(options.log_level));

  shsim::models::register_all();
  try {
    if (schema_command->parsed()) {
      for (const auto& line : shsim::document_schema())
        std::cout << line << "\n";
      return exit_ok;
    }
    if (events_command->parsed()) {
      std::cout << shsim::format_event_dictionary(options.json);
      return exit_ok;
    }
    if (series_command->parsed()) {
      std::cout << shsim::format_series_dictionary(options.json);
      return exit_ok;
    }
    if (check_command->parsed()) {
      shsim::Scenario scenario = load(options);
      shsim::check_expectation_metrics(scenario);
      for (const auto& warning : shsim::review_scenario(scenario))
        spdlog::warn("{}", warning);
      shsim::ResourceEstimate estimate = shsim::estimate_resources(scenario);
      shsim::check_resources(scenario, estimate, options.force);
      shsim::Platform::check(scenario, {});
      warn_about_adversaries(scenario, shsim::adversaries_summary(scenario, shsim::Population::of(scenario)));
      std::cout << options.scenario_file << ": ok (estimate: " << shsim::describe(estimate) << ")\n";
      return exit_ok;
    }
    if (metrics_command->parsed()) {
      std::cout << shsim::format_metrics(shsim::scenario_metrics(load(options)), options.json);
      return exit_ok;
    }
    if (sweep_command->parsed())
      return sweep(options, sweep_args);
    if (plot_command->parsed()) {
      std::vector<std::string> files;
      if (std::filesystem::is_directory(plot_target)) {
        files = shsim::plot_run(plot_target);
      } else {
        shsim::SweepOptions sweep_options;
        sweep_options.out_dir = options.out_dir;
        files = shsim::plot_study(shsim::load_study(plot_target), sweep_options, plot_request);
      }
      for (const auto& file : files)
        std::cout << file << "\n";
      return exit_ok;
    }
    if (report_command->parsed()) {
      std::string folder = report_target;
      if (!std::filesystem::exists(report_target))
        throw shsim::InputError(fmt::format("{}: no such folder or file (give a run's output folder, a sweep's, or a "
                                            "study file)",
                                            report_target));
      if (!std::filesystem::is_directory(report_target)) {
        shsim::SweepOptions sweep_options;
        sweep_options.out_dir = options.out_dir;
        folder                = shsim::sweep_directory(shsim::load_study(report_target), sweep_options);
      }
      std::cout << shsim::write_report(folder, report_to) << "\n";
      return exit_ok;
    }
    if (config_command->parsed()) {
      std::cout << shsim::dump_scenario(load(options));
      return exit_ok;
    }
    return run(options, engine_args);
  } catch (const shsim::InputError& e) {
    if (shsim::interrupt_signal() != 0)
      return interrupted();
    std::fprintf(stderr, "shsim: error: %s\n", e.what());
    return exit_bad_input;
  } catch (const shsim::EnvironmentError& e) {
    if (shsim::interrupt_signal() != 0)
      return interrupted();
    std::fprintf(stderr, "shsim: error: %s\n", e.what());
    return exit_environment;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shsim: internal error: %s\n", shsim::one_line(e.what()).c_str());
    return exit_internal_error;
  }
}
