#include "sim/output.hpp"

#include "sim/protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/expect.hpp"

namespace shsim {
namespace fs = std::filesystem;

namespace {
const char* const marker_name = ".shsim-output";

/// Writes `content` to `path` and flushes it to the disk before returning.
void write_durably(const fs::path& path, const std::string& content)
{
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw InputError(fmt::format("{}: cannot write output file: {}", path.string(), std::strerror(errno)));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      throw InputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced)
    throw InputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
}

void sync_directory(const fs::path& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// The folder an output set lives in, and the prefix of its staging folders there.
struct OutputPlace {
  fs::path target, parent;
  std::string staging_prefix;  // ".<name>.shsim-staging-"
};

OutputPlace output_place(const std::string& directory)
{
  fs::path target = fs::absolute(fs::path(directory)).lexically_normal();
  if (!target.has_filename())  // "results/x/" -> "results/x"
    target = target.parent_path();
  std::string prefix = ".";  // built step by step: GCC 12 warns falsely (-Wrestrict) on "." + s + "..."
  prefix += target.filename().string();
  prefix += ".shsim-staging-";
  return {target, target.parent_path(), prefix};
}

/// Removes staging folders of runs that were killed (their process is gone).
void remove_stale_staging(const OutputPlace& place)
{
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(place.parent, error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(place.staging_prefix, 0) != 0)
      continue;
    long pid = std::strtol(name.c_str() + place.staging_prefix.size(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH))
      continue;  // a live run's
    fs::remove_all(entry.path(), error);
  }
}

bool is_output_set_or_empty(const fs::path& folder)
{
  std::error_code error;
  if (fs::exists(folder / marker_name, error) || fs::exists(folder / "summary.json", error))
    return true;
  return fs::is_empty(folder, error) && !error;
}
}  // namespace

void check_output_directory(const std::string& directory)
{
  if (directory.empty())
    throw InputError("--out: the output folder name is empty");
  OutputPlace place = output_place(directory);
  std::error_code error;
  auto status = fs::status(place.target, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status))
      throw InputError(fmt::format("--out {}: exists and is not a folder", directory));
    if (!is_output_set_or_empty(place.target))
      throw InputError(fmt::format("--out {}: the folder holds files that are not shsim outputs (no {}); shsim "
                                   "replaces only its own output sets: choose another folder",
                                   directory, marker_name));
  }
  fs::create_directories(place.parent, error);
  if (error || !fs::is_directory(place.parent))
    throw InputError(fmt::format("--out {}: cannot create folder {}: {}", directory, place.parent.string(),
                                 error ? error.message() : "a file is in the way"));
  // Can we write there? Make and remove a staging folder.
  fs::path probe = place.parent / (place.staging_prefix + std::to_string(::getpid()));
  fs::remove_all(probe, error);
  if (!fs::create_directory(probe, error) || error)
    throw InputError(fmt::format("--out {}: cannot write in {}: {}", directory, place.parent.string(),
                                 error ? error.message() : "permission denied"));
  fs::remove_all(probe, error);
  remove_stale_staging(place);
}

namespace {
std::string events_text(const std::vector<EventRecord>& events, const std::string& format)
{
  std::string out = event_log_header(format);
  for (const auto& e : events)
    out += format_event(e, format);
  return out;
}

/// timelines.csv: one row per transaction; `submitted_s` is the simulated time of submission, each
/// stage column the seconds from submission to that stage, empty where it was not reached.
std::string timelines_text(const RunResult& result)
{
  const auto& columns = result.timeline_columns;
  std::ostringstream out;
  out << "chain,kind,index,submitted_s";
  for (const auto& column : columns)
    out << "," << column << "_s";
  out << ",note\n";
  std::map<std::string, std::vector<size_t>> column_of;  // per chain: its stages' columns
  for (const auto& [chain, stages] : result.timeline_stages)
    for (const auto& stage : stages)
      column_of[chain].push_back(static_cast<size_t>(std::find(columns.begin(), columns.end(), stage) - columns.begin()));
  std::vector<std::string> cells(columns.size());
  for (const auto& row : result.timelines) {
    std::fill(cells.begin(), cells.end(), std::string());
    const auto& place = column_of.at(row.chain);
    for (size_t s = 0; s < row.stages.size() && s < place.size(); ++s)
      if (row.stages[s])
        cells[place[s]] = fmt::format("{:.6f}", *row.stages[s] - row.submitted);
    out << csv_field(row.chain) << "," << row.kind << "," << row.index << "," << fmt::format("{:.6f}", row.submitted);
    for (const auto& cell : cells)
      out << "," << cell;
    out << "," << csv_field(row.note) << "\n";
  }
  return out.str();
}
}  // namespace

namespace {
fs::path staging_of(const OutputPlace& place) { return place.parent / (place.staging_prefix + std::to_string(::getpid())); }

fs::path fresh_staging(const OutputPlace& place)
{
  fs::path staging = staging_of(place);
  std::error_code error;
  fs::remove_all(staging, error);
  if (!fs::create_directories(staging, error))
    throw InputError(fmt::format("{}: cannot create output folder: {}", staging.string(), error.message()));
  return staging;
}

std::string event_log_name(const Scenario& scenario)
{
  return scenario.output.events == "csv" ? "events.csv" : "events.jsonl";
}
}  // namespace

std::string begin_outputs(const std::string& directory, const Scenario& scenario)
{
  fs::path staging = fresh_staging(output_place(directory));
  return scenario.output.events == "none" ? "" : (staging / event_log_name(scenario)).string();
}

void abandon_outputs(const std::string& directory)
{
  std::error_code error;
  fs::remove_all(staging_of(output_place(directory)), error);
}

bool write_outputs(const std::string& directory, const Scenario& scenario, const RunResult& result,
                   const std::function<bool()>& abandon)
{
  OutputPlace place = output_place(directory);
  // A run that streamed its event log wrote it into the staging folder begin_outputs() made.
  fs::path staging = result.events_streamed ? staging_of(place) : fresh_staging(place);
  std::error_code error;
  write_durably(staging / "summary.json", result.summary.dump(2) + "\n");
  write_durably(staging / "scenario.resolved.yaml", dump_scenario(scenario));
  write_durably(staging / "performance.json", result.performance.dump(2) + "\n");
  if (scenario.output.events != "none" && !result.events_streamed)
    write_durably(staging / event_log_name(scenario), events_text(result.events, scenario.output.events));
  if (scenario.output.timelines != "none" && !result.timeline_columns.empty())
    write_durably(staging / "timelines.csv", timelines_text(result));
  write_durably(staging / marker_name, "an output set of shsim: replaced as a whole by the next run\n");
  sync_directory(staging);
  if (abandon && abandon()) {
    fs::remove_all(staging, error);
    return false;
  }
  // The swap: one rename when there is no old set; an atomic exchange when there is.
  if (!fs::exists(place.target, error)) {
    if (::rename(staging.c_str(), place.target.c_str()) != 0)
      throw InputError(fmt::format("{}: cannot move the outputs into place: {}", directory, std::strerror(errno)));
  } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, place.target.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging, error);  // now the old set
  } else {
    // A file system without RENAME_EXCHANGE: move the old set aside, then the new one in. A run
    // killed between the two leaves the old set in its staging-named folder, removed by the next run.
    fs::path old = place.parent / (place.staging_prefix + std::to_string(::getpid()) + "-old");
    if (::rename(place.target.c_str(), old.c_str()) != 0 || ::rename(staging.c_str(), place.target.c_str()) != 0)
      throw InputError(fmt::format("{}: cannot move the outputs into place: {}", directory, std::strerror(errno)));
    fs::remove_all(old, error);
  }
  sync_directory(place.parent);
  return true;
}

namespace {

/// A figure of the summary; NaN for null (a distribution with no samples).
double number(const nlohmann::json& value)
{
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

/// `value` with `decimals` decimals, or "-" when there is none.
std::string fixed(double value, int decimals)
{
  return std::isnan(value) ? std::string("-") : fmt::format("{:.{}f}", value, decimals);
}

/// A duration in the unit that reads best: 850ms, 12.3s, 5.2m, 3.1h, 7.0d; "-" when there is none.
std::string human(double seconds)
{
  if (std::isnan(seconds))
    return "-";
  if (seconds < 1)
    return fmt::format("{:.0f}ms", seconds * 1e3);
  if (seconds < 120)
    return fmt::format("{:.1f}s", seconds);
  if (seconds < 7200)
    return fmt::format("{:.1f}m", seconds / 60);
  if (seconds < 172800)
    return fmt::format("{:.1f}h", seconds / 3600);
  return fmt::format("{:.1f}d", seconds / 86400);
}

std::string stage_row(const char* label, const nlohmann::json& s)
{
  if (s["count"].get<size_t>() == 0)
    return fmt::format("  {:<30} {:>8}\n", label, 0);
  return fmt::format("  {:<30} {:>8} {:>9} {:>9} {:>9} {:>9}\n", label, s["count"].get<size_t>(),
                     human(number(s["p50"])), human(number(s["p90"])), human(number(s["p99"])),
                     human(number(s["max"])));
}

std::string format_child_chain(const std::string& name, const nlohmann::json& chain)
{
  std::string out;
  const auto& heads = chain["heads"];
  out += fmt::format("\nchain {} ({}, {} blocks; heads unsafe {}, safe {}, finalized {}, settled {})\n", name,
                     chain["protocol"].get<std::string>(), chain["blocks_produced"].get<size_t>(),
                     heads["unsafe"].get<size_t>(), heads["safe"].get<size_t>(), heads["finalized"].get<size_t>(),
                     heads["settled"].get<size_t>());
  out += fmt::format("  {:<30} {:>8} {:>9} {:>9} {:>9} {:>9}\n", "latency from submission", "count", "p50", "p90", "p99",
                     "max");
  const auto& stages = chain["stages"];
  out += stage_row("soft-confirmed", stages["soft_confirmed"]);
  out += stage_row("batch in a parent block", stages["included"]);
  out += stage_row("parent-final", stages["parent_final"]);
  out += stage_row(chain["protocol"] == "zk_rollup" ? "validity proof verified" : "output root posted",
                   stages["root_posted"]);
  out += stage_row("settled", stages["settled"]);
  const auto& w = chain["withdrawals"];
  if (w["initiated"].get<size_t>() > 0) {
    out += stage_row("withdrawal provable", w["provable"]);
    out += stage_row("withdrawal claimable", w["claimable"]);
    out += stage_row("withdrawal claimed", w["claimed"]);
  }
  out += fmt::format("  {:<30} safe {} p50 / {} max, finalized {} max\n", "head lag behind unsafe",
                     human(number(chain["safe_head_lag"]["p50"])), human(number(chain["safe_head_lag"]["max"])),
                     human(number(chain["finalized_head_lag"]["max"])));
  const auto& forced = chain["forced_inclusion"];
  if (forced["forced"].get<size_t>() > 0)
    out += fmt::format("  {:<30} {} censored, {} forced through the parent, delay p50 {} max {}\n", "forced inclusion",
                       forced["censored"].get<size_t>(), forced["forced"].get<size_t>(),
                       human(number(forced["delay"]["p50"])), human(number(forced["delay"]["max"])));
  if (chain.contains("roots")) {
    const auto& r = chain["roots"];
    out += fmt::format("  {:<30} {} posted, {} invalid, {} challenged, {} defeated, {} settled, {} invalid settled\n",
                       "output roots", r["posted"].get<size_t>(), r["invalid"].get<size_t>(), r["challenged"].get<size_t>(),
                       r["defeated"].get<size_t>(), r["settled_valid"].get<size_t>(), r["settled_invalid"].get<size_t>());
  }
  if (chain.contains("proofs")) {
    const auto& p = chain["proofs"];
    out += fmt::format("  {:<30} {} committed, {} proven, {} verified, {} executed; proving p50 {}, queue wait max {}\n",
                       "batches and proofs", p["batches_committed"].get<size_t>(), p["proven"].get<size_t>(),
                       p["verified"].get<size_t>(), p["executed"].get<size_t>(),
                       human(number(p["proving_time"]["p50"])), human(number(p["queue_wait"]["max"])));
  }
  size_t violations = chain["safety_violations"].get<size_t>();
  out += fmt::format("  {:<30} {}\n", "safety", violations == 0 ? std::string("no invalid state settled")
                                                                  : fmt::format("{} VIOLATIONS", violations));
  for (const auto& v : chain["safety"])
    out += fmt::format("    root {} settled at {}: {}\n", v["root"].get<size_t>(), human(number(v["settled"])),
                       v["reason"].get<std::string>());
  const auto& e = chain["economic_security"];
  if (e["stated"].get<bool>())
    out += fmt::format("  {:<30} cost of corruption {:.4g} ({}), profit {:.4g}, margin {:.4g}: {}\n", "economic security",
                       number(e["cost_of_corruption"]), e["cheapest_attack"].get<std::string>(),
                       number(e["profit_from_corruption"]), number(e["security_margin"]),
                       e["secure"].get<bool>() ? "secure" : "NOT secure");
  else if (e.contains("note"))
    out += fmt::format("  {:<30} not computed: {}\n", "economic security", e["note"].get<std::string>());
  return out;
}

std::string format_bridge(const std::string& name, const nlohmann::json& bridge)
{
  std::string out = fmt::format("\nbridge {} (parent <-> {}, {} relayers)\n", name, bridge["child"].get<std::string>(),
                                bridge["relayers"].get<int>());
  out += fmt::format("  {:<30} {:>8} {:>9} {:>9} {:>9} {:>9}\n", "latency", "count", "p50", "p90", "p99", "max");
  out += stage_row("deposit final on parent", bridge["deposits"]["final_on_parent"]);
  out += stage_row("deposit credited on child", bridge["deposits"]["credited"]);
  out += stage_row("claimable -> claimed", bridge["withdrawals"]["claimable_to_claimed"]);
  out += fmt::format("  {:<30} {} double deliveries, {} unfinalized deliveries ({} duplicates and {} early messages "
                     "refused)\n",
                     "delivery detector", bridge["double_deliveries"].get<size_t>(),
                     bridge["unfinalized_deliveries"].get<size_t>(), bridge["rejected_duplicates"].get<size_t>(),
                     bridge["rejected_unfinalized"].get<size_t>());
  return out;
}

}  // namespace

namespace {
/// The lines of a parent protocol's own figures (propagation, stale blocks, attacks, finality).
std::string format_protocol_figures(const nlohmann::json& chain)
{
  std::ostringstream out;
  if (chain.contains("stale_rate"))
    out << fmt::format("  {:<28} {} of {} published ({:.3f}%)\n", "stale blocks", chain["stale_blocks"].get<long long>(),
                       chain["blocks_published"].get<long long>(), 100 * number(chain["stale_rate"]));
  if (chain.contains("propagation")) {
    const auto& p = chain["propagation"];
    out << fmt::format("  {:<28} {} / {} / {} s ({} relay, {} blocks)\n", "to 50/90/100% of nodes (p50)",
                       fixed(number(p["time_to_50_percent"]["p50"]), 3), fixed(number(p["time_to_90_percent"]["p50"]), 3),
                       fixed(number(p["time_to_100_percent"]["p50"]), 3), p["mode"].get<std::string>(),
                       p["time_to_50_percent"]["count"].get<long long>());
  }
  if (chain.contains("finalized_epoch")) {
    out << fmt::format("  {:<28} {} validators on the nodes; justified epoch {}, finalized epoch {} ({} behind)\n",
                       "checkpoints", chain["validators_hosted"].get<long long>(),
                       chain["justified_epoch"].get<long long>(), chain["finalized_epoch"].get<long long>(),
                       chain["finality_delay_epochs"].get<long long>());
    out << fmt::format("  {:<28} {} mean, {} lowest; {} epochs of inactivity leak\n", "target participation",
                       fixed(number(chain["target_participation"]["mean"]), 4),
                       fixed(number(chain["target_participation"]["min"]), 4), chain["inactivity_leak_epochs"].get<long long>());
    out << fmt::format("  {:<28} {} slashed, {} exited of {} validators\n", "slashing and exits",
                       chain["slashings"].get<long long>(), chain["exited_validators"].get<long long>(),
                       chain["validators_hosted"].get<long long>());
  }
  if (chain.contains("selfish_mining")) {
    const auto& m = chain["selfish_mining"];
    out << fmt::format("  {:<28} alpha {:.3f}, gamma {:.2f}: revenue {:.4f} (Eyal-Sirer {:.4f})\n", "selfish mining",
                       number(m["hash_share"]), number(m["gamma"]), number(m["relative_revenue"]),
                       number(m["eyal_sirer_revenue"]));
  }
  if (chain.contains("double_spend")) {
    const auto& d = chain["double_spend"];
    out << fmt::format("  {:<28} q {:.3f}, z {}: {} of {} succeeded ({:.4f}; Rosenfeld {:.4f})\n", "double spends",
                       number(d["hash_share"]), d["confirmations"].get<int>(), d["successes"].get<long long>(),
                       d["attempts"].get<long long>(), number(d["success_rate"]),
                       number(d["rosenfeld_probability"]));
  }
  return out.str();
}
}  // namespace

std::string format_summary_table(const Scenario& scenario, const RunResult& result)
{
  std::ostringstream out;
  const auto& run = result.summary["run"];
  out << fmt::format("shsim: {} (seed {}, {} simulated, {} nodes)\n", scenario.name, scenario.seed,
                     format_duration(scenario.duration), run["nodes"].get<int>());
  auto stats = [](const nlohmann::json& s, double scale, const char* unit) {
    if (s["count"].get<size_t>() == 0)
      return std::string("-");
    return fmt::format("{} / {} / {} / {} {}", fixed(number(s["p50"]) * scale, 3),
                       fixed(number(s["p90"]) * scale, 3), fixed(number(s["p99"]) * scale, 3),
                       fixed(number(s["max"]) * scale, 3),
                       unit);
  };
  for (const auto& [name, chain] : result.summary["chains"].items()) {
    if (chain.contains("stages")) {
      out << format_child_chain(name, chain);
      continue;
    }
    std::string who = fmt::format("{} validators", chain["validators"].get<int>());
    if (chain.contains("validators_hosted"))  // Gasper: nodes run many validators
      who = fmt::format("{} nodes, {} validators", chain["validators"].get<int>(),
                        chain["validators_hosted"].get<long long>());
    else if (chain.contains("stale_rate"))  // proof of work: miners
      who = fmt::format("{} miners", chain["validators"].get<int>());
    out << fmt::format("\nchain {} ({}, {})\n", name, chain["protocol"].get<std::string>(), who);
    out << fmt::format("  {:<28} {}\n", chain["protocol"] == "tendermint" ? "blocks committed" : "blocks final",
                       chain["blocks_committed"].get<long long>());
    if (chain.contains("slots"))  // Gasper finalizes a batch per epoch: the interval between finalizations says little
      out << fmt::format("  {:<28} {} ({} missed: proposer offline)\n", "slots", chain["slots"].get<long long>(),
                         chain["missed_slots"].get<long long>());
    else
      out << fmt::format("  {:<28} {}\n", "block interval p50/90/99/max", stats(chain["block_interval"], 1, "s"));
    bool slow_finality = number(chain["commit_latency"]["p50"]) > 10;
    out << fmt::format("  {:<28} {}\n", slow_finality ? "finality latency p50/90/99/max" : "commit latency p50/90/99/max",
                       slow_finality ? stats(chain["commit_latency"], 1, "s") : stats(chain["commit_latency"], 1e3, "ms"));
    out << fmt::format("  {:<28} {}\n", "tx latency p50/90/99/max", stats(chain["transaction_latency"], 1, "s"));
    out << fmt::format("  {:<28} {} committed, {} pending\n", "transactions",
                       chain["transactions_committed"].get<long long>(), chain["transactions_pending"].get<long long>());
    if (chain["protocol"] == "tendermint")
      out << fmt::format("  {:<28} mean {}, max {} ({} heights needed more than one)\n", "rounds per height",
                         fixed(number(chain["rounds_per_height"]["mean"]), 2),
                         fixed(number(chain["rounds_per_height"]["max"]), 0),
                         chain["heights_with_extra_rounds"].get<long long>());
    out << format_protocol_figures(chain);
    out << fmt::format("  {:<28} {}\n", "safety violations", chain["safety_violations"].get<long long>());
    for (const auto& v : chain["safety"])
      out << fmt::format("    height {}: conflicting commits, {} validators accountable ({:.1f}% of stake)\n",
                         v["height"].get<long long>(), v["accountable_validators"].size(),
                         100 * number(v["accountable_stake_share"]));
    out << fmt::format("  {:<28} longest gap {:.1f}s, {} stalls over {:.0f}s\n", "liveness",
                       number(chain["liveness"]["longest_gap"]), chain["liveness"]["stalls"].get<long long>(),
                       number(chain["liveness"]["stall_threshold"]));
    if (chain.contains("messages_per_node"))
      out << fmt::format("  {:<28} {} messages, {} MiB\n", "sent per node (mean)",
                         fixed(number(chain["messages_per_node"]["mean"]), 0),
                         fixed(number(chain["bytes_per_node"]["mean"]) / 1048576, 1));
    if (chain.contains("child_load"))
      out << fmt::format("  {:<28} {} KiB per block (mean), {:.1f} MiB and {:.4g} in fees in all\n",
                         "load from children", fixed(number(chain["child_load"]["bytes_per_block"]["mean"]) / 1024, 1),
                         number(chain["child_load"]["bytes"]) / 1048576, number(chain["child_load"]["fees"]));
  }
  if (result.summary.contains("bridges"))
    for (const auto& [name, bridge] : result.summary["bridges"].items())
      out << format_bridge(name, bridge);
  const auto& perf = result.performance;
  out << fmt::format("\nrun: {} events in {:.2f}s wall ({:.2f}M events/s, {:.0f}x real time, {:.0f} MiB peak)\n",
                     perf["events_processed"].get<long long>(), number(perf["wall_seconds"]),
                     number(perf["events_per_second"]) / 1e6,
                     number(perf["simulated_seconds_per_wall_second"]), number(perf["peak_memory_mib"]));
  out << fmt::format("network: {}\n", run["network_model"].get<std::string>());
  if (!result.summary["expectations"].empty()) {
    out << "\nexpectations:\n";
    for (const auto& e : result.summary["expectations"])
      out << fmt::format("  {} {} (actual {})\n", e["passed"].get<bool>() ? "PASS" : "FAIL",
                         e["expectation"].get<std::string>(),
                         e["actual"].is_null() ? std::string("none: no samples") : fmt::format("{}", number(e["actual"])));
  }
  return out.str();
}


}  // namespace shsim
