#include "sim/output.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/expect.hpp"

namespace shsim {
namespace fs = std::filesystem;

namespace {
void write_atomically(const fs::path& path, const std::string& content)
{
  fs::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      throw InputError(fmt::format("{}: cannot write output file", temporary.string()));
    out << content;
    out.flush();
    if (!out)
      throw InputError(fmt::format("{}: write failed", temporary.string()));
  }
  fs::rename(temporary, path);
}

std::string csv_field(const std::string& text)
{
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string events_text(const std::vector<EventRecord>& events, const std::string& format)
{
  std::ostringstream out;
  if (format == "csv") {
    out << "time,chain,node,event,height,round,detail\n";
    for (const auto& e : events)
      out << fmt::format("{:.6f},{},{},{},{},{},{}\n", e.time, csv_field(e.chain), e.node, e.event, e.height, e.round,
                         csv_field(e.detail));
  } else {
    for (const auto& e : events) {
      nlohmann::json line = {{"time", e.time},     {"chain", e.chain}, {"node", e.node},    {"event", e.event},
                             {"height", e.height}, {"round", e.round}, {"detail", e.detail}};
      out << line.dump() << "\n";
    }
  }
  return out.str();
}
}  // namespace

void write_outputs(const std::string& directory, const Scenario& scenario, const RunResult& result)
{
  std::error_code error;
  fs::create_directories(directory, error);
  if (error)
    throw InputError(fmt::format("{}: cannot create output directory: {}", directory, error.message()));
  fs::path dir(directory);
  write_atomically(dir / "summary.json", result.summary.dump(2) + "\n");
  write_atomically(dir / "scenario.resolved.yaml", dump_scenario(scenario));
  write_atomically(dir / "performance.json", result.performance.dump(2) + "\n");
  if (scenario.output.events != "none")
    write_atomically(dir / (scenario.output.events == "csv" ? "events.csv" : "events.jsonl"),
                     events_text(result.events, scenario.output.events));
}

std::string format_summary_table(const Scenario& scenario, const RunResult& result)
{
  std::ostringstream out;
  const auto& run = result.summary["run"];
  out << fmt::format("shsim: {} (seed {}, {} simulated, {} nodes)\n", scenario.name, scenario.seed,
                     format_duration(scenario.duration), run["nodes"].get<int>());
  auto stats = [](const nlohmann::json& s, double scale, const char* unit) {
    if (s["count"].get<size_t>() == 0)
      return std::string("-");
    return fmt::format("{:.3f} / {:.3f} / {:.3f} / {:.3f} {}", s["p50"].get<double>() * scale,
                       s["p90"].get<double>() * scale, s["p99"].get<double>() * scale, s["max"].get<double>() * scale,
                       unit);
  };
  for (const auto& [name, chain] : result.summary["chains"].items()) {
    out << fmt::format("\nchain {} ({}, {} validators)\n", name, chain["protocol"].get<std::string>(),
                       chain["validators"].get<int>());
    out << fmt::format("  {:<28} {}\n", "blocks committed", chain["blocks_committed"].get<long long>());
    out << fmt::format("  {:<28} {}\n", "block interval p50/90/99/max", stats(chain["block_interval"], 1, "s"));
    out << fmt::format("  {:<28} {}\n", "commit latency p50/90/99/max", stats(chain["commit_latency"], 1e3, "ms"));
    out << fmt::format("  {:<28} {}\n", "tx latency p50/90/99/max", stats(chain["transaction_latency"], 1, "s"));
    out << fmt::format("  {:<28} {} committed, {} pending\n", "transactions",
                       chain["transactions_committed"].get<long long>(), chain["transactions_pending"].get<long long>());
    out << fmt::format("  {:<28} mean {:.2f}, max {:.0f} ({} heights needed more than one)\n", "rounds per height",
                       chain["rounds_per_height"]["mean"].get<double>(), chain["rounds_per_height"]["max"].get<double>(),
                       chain["heights_with_extra_rounds"].get<long long>());
    out << fmt::format("  {:<28} {}\n", "safety violations", chain["safety_violations"].get<long long>());
    for (const auto& v : chain["safety"])
      out << fmt::format("    height {}: conflicting commits, {} validators accountable ({:.1f}% of stake)\n",
                         v["height"].get<long long>(), v["accountable_validators"].size(),
                         100 * v["accountable_stake_share"].get<double>());
    out << fmt::format("  {:<28} longest gap {:.1f}s, {} stalls over {:.0f}s\n", "liveness",
                       chain["liveness"]["longest_gap"].get<double>(), chain["liveness"]["stalls"].get<long long>(),
                       chain["liveness"]["stall_threshold"].get<double>());
    if (chain.contains("messages_per_node"))
      out << fmt::format("  {:<28} {:.0f} messages, {:.1f} MiB\n", "sent per node (mean)",
                         chain["messages_per_node"]["mean"].get<double>(),
                         chain["bytes_per_node"]["mean"].get<double>() / 1048576);
  }
  const auto& perf = result.performance;
  out << fmt::format("\nrun: {} events in {:.2f}s wall ({:.2f}M events/s, {:.0f}x real time, {:.0f} MiB peak)\n",
                     perf["events_processed"].get<long long>(), perf["wall_seconds"].get<double>(),
                     perf["events_per_second"].get<double>() / 1e6,
                     perf["simulated_seconds_per_wall_second"].get<double>(), perf["peak_memory_mib"].get<double>());
  out << fmt::format("network: {}\n", run["network_model"].get<std::string>());
  if (!result.summary["expectations"].empty()) {
    out << "\nexpectations:\n";
    for (const auto& e : result.summary["expectations"])
      out << fmt::format("  {} {} (actual {})\n", e["passed"].get<bool>() ? "PASS" : "FAIL",
                         e["expectation"].get<std::string>(), e["actual"].get<double>());
  }
  return out.str();
}

void check_expectation_metrics(const Scenario& scenario)
{
  // The summary of a run with no events has every key a real one has.
  Recorder empty(1, 1);
  empty.add_chain({scenario.parent.name, scenario.parent.protocol.kind, {1.0}});
  std::map<std::string, std::pair<Samples, Samples>> traffic{{scenario.parent.name, {}}};
  nlohmann::json skeleton;
  skeleton["chains"] = empty.chains_summary(traffic);
  skeleton["run"]    = {{"seed", 0}, {"simulated_seconds", 0}, {"events_processed", 0}, {"nodes", 0}};
  for (size_t i = 0; i < scenario.expect.size(); ++i) {
    Expectation e = *parse_expectation(scenario.expect[i]).value;
    if (find_metric(skeleton, e.metric) == nullptr)
      throw InputError(fmt::format("{}: expect[{}]: unknown metric '{}' (see README, 'summary.json keys')",
                                   scenario.expect_locations[i], i, e.metric));
  }
}

}  // namespace shsim
