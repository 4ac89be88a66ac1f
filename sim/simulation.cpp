#include "sim/simulation.hpp"

#include <chrono>
#include <stdexcept>

#include <unistd.h>

#include "sim/parent_client.hpp"
#include "sim/report.hpp"

namespace shsim {

Simulation::Simulation(const Scenario& scenario, std::vector<std::string> engine_args)
    : World(scenario), engine_args_(std::move(engine_args))
{
}

Simulation::~Simulation() = default;

ChildChain* Simulation::child(const std::string& name)
{
  for (auto& c : children_)
    if (c->name() == name)
      return c.get();
  return nullptr;
}

Application* Simulation::application(const std::string& name)
{
  for (auto& a : applications_)
    if (a->name() == name)
      return a.get();
  return nullptr;
}

BridgeRuntime* Simulation::bridge(const std::string& name)
{
  for (auto& b : bridges_)
    if (b->name() == name)
      return b.get();
  return nullptr;
}

TransactionHost* Simulation::transaction_host(const std::string& chain)
{
  if (chain == scenario_.parent.name) {
    if (!parent_host_)
      parent_host_ = std::make_unique<ParentTransactionHost>(*ledger_);
    return parent_host_.get();
  }
  ChildChain* found = child(chain);
  return found == nullptr ? nullptr : found->transaction_host();
}

void Simulation::build_applications()
{
  const auto& registry = ProtocolRegistry::instance();
  for (size_t i = 0; i < scenario_.applications.size(); ++i) {
    const AppChoice& choice = scenario_.applications[i];
    applications_.push_back(
        registry.find_application(choice.kind)->build(*this, *choice.params, first_node_of_application(i)));
  }
}

void Simulation::build_children_and_bridges()
{
  const auto& registry = ProtocolRegistry::instance();
  for (size_t i = 0; i < scenario_.children.size(); ++i) {
    const ChildChoice& choice = scenario_.children[i];
    children_.push_back(registry.find_child(choice.kind)->build(*this, *choice.params, first_node_of_child(i)));
  }
  for (size_t i = 0; i < scenario_.bridges.size(); ++i) {
    const BridgeConfig& bridge = scenario_.bridges[i];
    BridgeEndpoint* endpoint   = child(bridge.child)->bridge_endpoint();
    if (endpoint == nullptr)  // refused at check (check_children in sim/scenario.cpp)
      throw std::logic_error("bridge '" + bridge.name + "' to a chain that takes no bridge");
    bridges_.push_back(registry.bridge_builder()(*this, bridge, i, *endpoint, first_node_of_bridge(i)));
  }
}

RunResult Simulation::run(bool show_progress)
{
  auto wall_start = std::chrono::steady_clock::now();
  platform_       = std::make_unique<Platform>(scenario_, engine_args_);
  const auto* factory = ProtocolRegistry::instance().find_parent(scenario_.parent.protocol.kind);
  // Each role runs on its machine's host.
  std::vector<Placement> machines = platform_->build(population_.region_of_machine);
  for (int machine : population_.machine_of_node)
    placements_.push_back(machines[static_cast<size_t>(machine)]);
  overlay_  = build_overlay(scenario_, scenario_.parent.validators.count);
  queue_    = std::make_unique<EventQueue>(*this);
  network_  = std::make_unique<Network>(*this, placements_);
  recorder_ = std::make_unique<Recorder>(scenario_.detectors.stall_threshold.seconds, scenario_.duration.seconds,
                                         scenario_.detectors.warmup.seconds);
  recorder_->add_chain({scenario_.parent.name, scenario_.parent.protocol.kind, population_.stakes});
  recorder_->keep_events(scenario_.output.events != "none");
  recorder_->only_events(scenario_.output.event_kinds);
  if (!event_log_path_.empty() && scenario_.output.events != "none")
    recorder_->stream_events(std::make_unique<EventLog>(event_log_path_, scenario_.output.events));
  recorder_->keep_timelines(scenario_.output.timelines != "none");
  if (scenario_.output.messages)
    network_->record_messages();
  ledger_ = std::make_unique<ParentLedger>(*recorder_, scenario_.parent.name,
                                           ParentFees{scenario_.parent.economics.fee_per_byte,
                                                      scenario_.parent.economics.fee_per_transaction});
  director_ = std::make_unique<Director>(*this);
  director_->start();               // first, so that a crash at t = 0 happens before nodes start
  parent_ = factory->build(*this);  // validators: nodes 0 .. count - 1
  build_children_and_bridges();
  build_applications();
  // After every role exists (hooks attach to nodes), before the engine runs (the director's
  // timeline is read when its actor starts).
  const auto& registry = ProtocolRegistry::instance();
  for (size_t i = 0; i < scenario_.adversaries.size(); ++i)
    registry.find_adversary(scenario_.adversaries[i].kind)->attach(*this, *scenario_.adversaries[i].params, i);
  if (scenario_.output.timeseries != "none") {
    for (int node = 0; node < node_count(); ++node)
      nodes_of_owner_[population_.owner[static_cast<size_t>(node)]].push_back(node);
    double interval = scenario_.output.sample_interval.seconds > 0 ? scenario_.output.sample_interval.seconds
                                                                   : auto_sample_interval(scenario_.duration.seconds);
    queue_->call_at(0, [this, interval] { sample_series(interval, 0); });
  }
  director_->start_watchdog(show_progress && isatty(STDERR_FILENO) != 0);
  platform_->run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  RunResult result = report(*this, wall);
  result.series    = std::move(series_);
  return result;
}

void Simulation::sample_series(double interval, long long step)
{
  double now = this->now();
  // What every owner's nodes sent since the last sample, and the share of them online.
  auto add_traffic = [&](SeriesSink& sink, const std::string& owner) {
    const auto& nodes = nodes_of_owner_[owner];
    uint64_t messages = 0, bytes = 0;
    size_t online     = 0;
    for (int node : nodes) {
      messages += network_->messages_sent(node);
      bytes += network_->bytes_sent(node);
      online += nodes_[static_cast<size_t>(node)]->online() ? 1 : 0;
    }
    auto& before = sent_before_[owner];
    if (now > 0) {
      sink.add("messages.rate", static_cast<double>(messages - before.first) / interval);
      sink.add("bytes.rate", static_cast<double>(bytes - before.second) / interval);
    }
    before = {messages, bytes};
    if (!nodes.empty())
      sink.add("nodes.online", static_cast<double>(online) / static_cast<double>(nodes.size()));
  };
  {
    SeriesSink sink(series_, now, scenario_.parent.name);
    sink.add("head.included", static_cast<double>(ledger_->included_height()));
    sink.add("head.final", static_cast<double>(ledger_->final_height()));
    long long final_height = ledger_->final_height();
    sink.add("finality_lag", final_height > 0 ? now - ledger_->included_at(final_height) : now);
    sink.add("pool.pending", static_cast<double>(ledger_->pending()));
    double online = 0, total = 0;
    for (size_t v = 0; v < population_.stakes.size(); ++v) {
      total += population_.stakes[v];
      online += nodes_[v]->online() ? population_.stakes[v] : 0;
    }
    sink.add("stake.online", total > 0 ? online / total : 0);
    add_traffic(sink, scenario_.parent.name);
    parent_->sample(sink);
  }
  for (const auto& child : children_) {
    SeriesSink sink(series_, now, child->name());
    child->sample(sink);
    add_traffic(sink, child->name());
  }
  for (const auto& bridge : bridges_) {
    SeriesSink sink(series_, now, bridge->name());
    add_traffic(sink, bridge->name());
  }
  for (const auto& app : applications_) {
    SeriesSink sink(series_, now, app->name());
    app->sample(sink);
    if (nodes_of_owner_.count(app->name()))
      add_traffic(sink, app->name());
  }
  double next = static_cast<double>(step + 1) * interval;  // not now + interval: no drift
  if (next < scenario_.duration.seconds)
    queue_->call_at(next, [this, interval, step] { sample_series(interval, step + 1); });
}

}  // namespace shsim
