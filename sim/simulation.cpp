#include "sim/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <numeric>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "sim/expect.hpp"

namespace shsim {

std::vector<double> draw_stakes(const Validators& validators, uint64_t seed)
{
  std::vector<double> stakes(validators.count, 1.0);
  if (validators.stake.kind == "pareto") {
    RandomStream rng(seed, "validators.stake");
    for (double& stake : stakes)
      stake = rng.pareto(1.0, validators.stake.alpha);
  } else if (validators.stake.kind == "list") {
    stakes = validators.stake.weights;
  } else if (validators.stake.kind == "normal") {
    RandomStream rng(seed, "validators.stake");
    for (double& stake : stakes)
      stake = std::max(0.01 * validators.stake.mean, validators.stake.mean + validators.stake.deviation * rng.normal());
  }
  return stakes;
}

std::vector<int> region_counts(const Validators& validators, const RegionMatrix& regions)
{
  size_t n = regions.regions.size();
  std::vector<double> shares(n, 0);
  if (validators.placement.empty())
    std::fill(shares.begin(), shares.end(), 1.0 / static_cast<double>(n));
  else
    for (const auto& [region, share] : validators.placement)
      shares[regions.index_of(region)] = share.value;
  // Largest remainder: floors first, then one more to the largest fractional parts (ties: lower index).
  std::vector<int> counts(n);
  std::vector<std::pair<double, size_t>> remainders;
  int assigned = 0;
  for (size_t r = 0; r < n; ++r) {
    double exact = shares[r] * validators.count;
    counts[r]    = static_cast<int>(std::floor(exact + 1e-9));
    assigned += counts[r];
    remainders.push_back({exact - counts[r], r});
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t i = 0; assigned < validators.count; ++i, ++assigned)
    ++counts[remainders[i % n].second];
  return counts;
}

Simulation::Simulation(const Scenario& scenario, std::vector<std::string> engine_args)
    : scenario_(scenario)
    , engine_args_(std::move(engine_args))
    , stakes_(draw_stakes(scenario.parent.validators, static_cast<uint64_t>(scenario.seed)))
{
}

Simulation::~Simulation() = default;

RandomStream Simulation::stream(std::string_view purpose, uint64_t index) const
{
  return RandomStream(static_cast<uint64_t>(scenario_.seed), purpose, index);
}

std::vector<int> select_validators(const ValidatorSelection& selection, const std::vector<double>& stakes,
                                   uint64_t seed, size_t adversary_index)
{
  if (!selection.validators.empty())
    return selection.validators;
  std::vector<int> order(stakes.size());
  std::iota(order.begin(), order.end(), 0);
  if (selection.pick == "last") {
    std::reverse(order.begin(), order.end());
  } else if (selection.pick == "random") {
    RandomStream rng(seed, "adversary.pick", adversary_index);
    for (size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng.below(i)]);
  }
  double total  = std::accumulate(stakes.begin(), stakes.end(), 0.0);
  double target = selection.stake.value * total;
  double taken  = 0;
  std::vector<int> chosen;
  for (int v : order) {
    if (taken >= target - 1e-9 * total)
      break;
    chosen.push_back(v);
    taken += stakes[v];
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<int> Simulation::select_validators(const ValidatorSelection& selection, size_t adversary_index) const
{
  return shsim::select_validators(selection, stakes_, static_cast<uint64_t>(scenario_.seed), adversary_index);
}

namespace {
/// A SimGrid engine started with these command-line arguments (argv[0] first).
std::unique_ptr<sg4::Engine> start_engine(std::vector<std::string> args)
{
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  int argc = static_cast<int>(argv.size());
  return std::make_unique<sg4::Engine>(&argc, argv.data());
}
}  // namespace

void Simulation::check_engine_options(const std::vector<std::string>& engine_args)
{
  for (const auto& arg : engine_args)
    for (const char* owned : {"--cfg=network/model", "--cfg=network/latency-factor", "--cfg=network/bandwidth-factor"})
      if (arg.rfind(owned, 0) == 0)
        throw InputError(fmt::format("{}: set network.model in the scenario instead (the run metadata must say "
                                     "which model ran, with real latencies)",
                                     arg));
  if (engine_args.empty())
    return;
  int channel[2];
  if (pipe(channel) != 0)
    return;
  std::fflush(nullptr);
  pid_t child = fork();
  if (child == 0) {
    dup2(channel[1], STDERR_FILENO);
    dup2(channel[1], STDOUT_FILENO);
    close(channel[0]);
    std::vector<std::string> args{"shsim", "--log=root.fmt:%m%n", "--log=xbt_cfg.thres:warning"};
    args.insert(args.end(), engine_args.begin(), engine_args.end());
    try {
      auto engine = start_engine(args);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      std::fflush(stderr);
      std::_Exit(1);
    }
    std::_Exit(0);
  }
  close(channel[1]);
  std::string output;
  char buffer[4096];
  ssize_t got;
  while ((got = read(channel[0], buffer, sizeof buffer)) > 0)
    output.append(buffer, static_cast<size_t>(got));
  close(channel[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return;
  std::string first_line = output.substr(0, output.find('\n'));
  throw InputError(fmt::format("SimGrid rejected {}: {}", fmt::join(engine_args, " "),
                               first_line.empty() ? std::string("the engine aborted") : first_line));
}

void Simulation::configure_engine()
{
  // LV08, SimGrid's default, multiplies every latency by 13.01 and bandwidth by 0.97: results must
  // report real latencies, so CM02 is the default and LV08 runs with both factors at 1.
  std::vector<std::string> args{"shsim", "--log=xbt_cfg.thres:warning", "--log=root.fmt:[%10.6r]%e[%a]%e%m%n",
                                "--cfg=network/model:" + scenario_.network.model, "--cfg=network/crosstraffic:0"};
  if (scenario_.network.model == "LV08") {
    args.emplace_back("--cfg=network/latency-factor:1");
    args.emplace_back("--cfg=network/bandwidth-factor:1");
  }
  // Handlers run in the maestro, so actors only start nodes and carry flows: a small stack each
  // (SimGrid's default is 8 MiB, which exhausts an 8 GiB address space at 1 000 nodes).
#ifdef SHSIM_THREAD_CONTEXTS
  // Sanitizer builds: AddressSanitizer follows threads, not SimGrid's hand-made context switches
  // (threads keep their own stacks: SimGrid ignores stack-size for them).
  args.emplace_back("--cfg=contexts/factory:thread");
#else
  args.push_back(fmt::format("--cfg=contexts/stack-size:{}", actor_stack_kib));
#endif
  args.insert(args.end(), engine_args_.begin(), engine_args_.end());  // the user's options win
  try {
    engine_ = start_engine(args);
  } catch (const std::exception& e) {
    // A --cfg SimGrid does not accept is bad input; its message lists every key: keep the first line.
    std::string message = e.what();
    throw InputError(fmt::format("SimGrid rejected {}: {}", fmt::join(engine_args_, " "),
                                 message.substr(0, message.find('\n'))));
  }
  // TCP-gamma caps a flow at gamma / (2 x latency); take it out so that a flow reaches its link
  // bandwidth as the latency transport assumes (a user --cfg may set it back).
  if (std::none_of(engine_args_.begin(), engine_args_.end(),
                   [](const std::string& a) { return a.find("TCP-gamma") != std::string::npos; }))
    sg4::Engine::set_config("network/TCP-gamma:0");
  install_interrupt_handlers();  // SimGrid's own SIGINT handler dumps every actor: ours stops cleanly
}

std::vector<Placement> Simulation::place_nodes()
{
  const int validators    = scenario_.parent.validators.count;
  std::vector<int> counts = region_counts(scenario_.parent.validators, scenario_.regions);
  // Smooth weighted round-robin spreads the regions over the node ids (no region clusters on low ids).
  std::vector<int> current(counts.size(), 0), left = counts, region_of_node;
  for (int node = 0; node < validators; ++node) {
    size_t best = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      current[r] += left[r] > 0 ? counts[r] : 0;
      if (left[r] > 0 && (left[best] == 0 || current[r] > current[best]))
        best = r;
    }
    current[best] -= validators;
    --left[best];
    region_of_node.push_back(static_cast<int>(best));
    node_owner_.push_back(scenario_.parent.name);
  }
  // Each validator has its own machine (machine i, node i). Child chains' and bridges' roles follow:
  // on new machines in their region (or spread over the regions in turn), or on a validator's machine.
  std::vector<int> machine_regions = region_of_node;
  machine_of_node_.resize(region_of_node.size());
  std::iota(machine_of_node_.begin(), machine_of_node_.end(), 0);
  int regions = static_cast<int>(scenario_.regions.regions.size());
  int turn    = 0;
  auto place  = [&](const RolePlacement& role, const std::string& owner) {
    if (role.validator >= 0) {
      machine_of_node_.push_back(role.validator);
    } else {
      machine_of_node_.push_back(static_cast<int>(machine_regions.size()));
      machine_regions.push_back(role.region.empty() ? turn++ % regions : scenario_.regions.index_of(role.region));
    }
    node_owner_.push_back(owner);
  };
  for (const auto& child : scenario_.children) {
    child_first_node_.push_back(static_cast<int>(machine_of_node_.size()));
    for (const auto& role : child.params->placements(validators))
      place(role, child.name());
  }
  for (const auto& bridge : scenario_.bridges) {
    bridge_first_node_.push_back(static_cast<int>(machine_of_node_.size()));
    for (int r = 0; r < bridge.relayers; ++r)
      place({bridge.region, -1}, bridge.name);
  }
  std::vector<Placement> machines(machine_regions.size());
  build_platform(machine_regions, machines);
  roles_of_machine_.assign(machines.size(), {});
  std::vector<Placement> placements;
  for (size_t node = 0; node < machine_of_node_.size(); ++node) {
    placements.push_back(machines[static_cast<size_t>(machine_of_node_[node])]);
    roles_of_machine_[static_cast<size_t>(machine_of_node_[node])].push_back(static_cast<int>(node));
  }
  return placements;
}

void Simulation::build_platform(const std::vector<int>& region_of_machine, std::vector<Placement>& placements)
{
  const auto& net = scenario_.network;
  if (!net.platform_file.empty()) {
    engine_->load_platform(scenario_.resolve_path(net.platform_file));
    std::vector<sg4::Host*> hosts = engine_->get_all_hosts();
    std::sort(hosts.begin(), hosts.end(), [](auto* a, auto* b) { return a->get_name() < b->get_name(); });
    if (hosts.empty())
      throw InputError(fmt::format("{}: the platform has no host", net.platform_file));
    for (size_t i = 0; i < placements.size(); ++i) {
      placements[i].host   = hosts[i % hosts.size()];
      int region           = scenario_.regions.index_of(placements[i].host->get_englobing_zone()->get_name());
      placements[i].region = region < 0 ? 0 : region;
    }
    return;
  }
  // Regions as star zones (one up and one down link per host), joined by one link per region pair in
  // a full root zone: O(hosts + regions^2) routes, never O(hosts^2).
  auto* world = sg4::create_full_zone("world");
  size_t n    = scenario_.regions.regions.size();
  std::vector<sg4::NetZone*> zones(n);
  std::vector<simgrid::kernel::routing::NetPoint*> routers(n);
  for (size_t r = 0; r < n; ++r) {
    zones[r] = sg4::create_star_zone(scenario_.regions.regions[r]);
    zones[r]->set_parent(world);
    routers[r] = zones[r]->create_router("router-" + scenario_.regions.regions[r]);
    zones[r]->add_route(routers[r], nullptr, nullptr, nullptr, {}, true);
  }
  for (size_t i = 0; i < placements.size(); ++i) {
    int r         = region_of_machine[i];
    auto* zone    = zones[r];
    auto* host    = zone->create_host("node-" + std::to_string(i), 1e9);
    // Half the intra-region latency sits on each end so that a route within the region adds it once.
    double access = net.access.latency.seconds + scenario_.regions.latency(r, r) / 2;
    double upload   = net.access.regional_bandwidth ? scenario_.regions.upload_bps[r] : net.access.upload.bits_per_second;
    double download = net.access.regional_bandwidth ? scenario_.regions.download_bps[r] : net.access.download.bits_per_second;
    auto* up      = zone->create_link("up-" + std::to_string(i), upload / 8)
                   ->set_latency(access);
    auto* down = zone->create_link("down-" + std::to_string(i), download / 8)
                     ->set_latency(access);
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(up)}, false);
    zone->add_route(nullptr, host->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(down)}, false);
    placements[i] = {r, host};
  }
  for (size_t a = 0; a < n; ++a) {
    zones[a]->seal();
  }
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b) {
      double latency = scenario_.regions.latency(a, b) - (scenario_.regions.latency(a, a) + scenario_.regions.latency(b, b)) / 2;
      auto* link     = world->create_link(scenario_.regions.regions[a] + "-" + scenario_.regions.regions[b], net.backbone.bits_per_second / 8)
                       ->set_latency(latency);
      world->add_route(zones[a]->get_netpoint(), zones[b]->get_netpoint(), routers[a], routers[b],
                       {sg4::LinkInRoute(link)}, true);
    }
  world->seal();
}

void Simulation::add_node(std::unique_ptr<Node> node)
{
  Node* raw = node.get();
  nodes_.push_back(std::move(node));
  sg4::Actor::create("node-" + std::to_string(raw->id()), placements_[raw->id()].host, [raw]() { raw->run(); });
}

void Simulation::schedule_outage(std::vector<int> nodes, double from, double until, const std::string& chain,
                                 const std::string& what)
{
  sg4::Actor::create("outage", placements_[0].host, [this, nodes, from, until, chain, what]() {
    if (from > now())
      sg4::this_actor::sleep_until(from);
    for (int n : nodes) {
      nodes_[n]->set_online(false);
      recorder_->event(now(), chain, n, what + "_down");
    }
    if (until >= scenario_.duration.seconds)
      return;
    sg4::this_actor::sleep_until(until);
    for (int n : nodes) {
      nodes_[n]->set_online(true);
      recorder_->event(now(), chain, n, what + "_up");
    }
  });
}

ChildChain* Simulation::child(const std::string& name)
{
  for (auto& c : children_)
    if (c->name() == name)
      return c.get();
  return nullptr;
}

const CensorRule* Simulation::censorship(int proposer, long long height, double time) const
{
  for (const auto& censor : censors_) {
    if (!scenario_.adversaries[censor.adversary].active(time))
      continue;
    if (!censor.proposers.empty()) {
      if (censor.proposers[proposer])
        return &censor.rule;
      continue;
    }
    // One draw per (adversary, height): every round's proposer of that block decides alike.
    RandomStream draw(static_cast<uint64_t>(scenario_.seed), "parent_censor",
                      (static_cast<uint64_t>(censor.adversary) << 40) + static_cast<uint64_t>(height));
    if (draw.bernoulli(scenario_.adversaries[censor.adversary].as<ParentCensorAdversary>().share.value))
      return &censor.rule;
  }
  return nullptr;
}

void Simulation::build_children_and_bridges()
{
  for (size_t i = 0; i < scenario_.adversaries.size(); ++i) {
    if (scenario_.adversaries[i].kind != "parent_censor")
      continue;
    const auto& a = scenario_.adversaries[i].as<ParentCensorAdversary>();
    Censor censor{i, {{a.targets.begin(), a.targets.end()}, {a.owners.begin(), a.owners.end()}}, {}};
    if (!a.by_share()) {
      censor.proposers.assign(stakes_.size(), 0);
      for (int v : select_validators(a.who, i))
        censor.proposers[v] = 1;
    }
    censors_.push_back(std::move(censor));
  }
  const auto& registry = ProtocolRegistry::instance();
  for (size_t i = 0; i < scenario_.children.size(); ++i) {
    const ChildChoice& choice = scenario_.children[i];
    children_.push_back(registry.find_child(choice.kind)->build(*this, *choice.params, child_first_node_[i]));
  }
  for (size_t i = 0; i < scenario_.bridges.size(); ++i) {
    const BridgeConfig& bridge = scenario_.bridges[i];
    bridges_.push_back(registry.bridge_builder()(*this, bridge, i, *child(bridge.child), bridge_first_node_[i]));
  }
}

void Simulation::attach_adversaries()
{
  const auto& registry = ProtocolRegistry::instance();
  for (size_t i = 0; i < scenario_.adversaries.size(); ++i)
    registry.find_adversary(scenario_.adversaries[i].kind)->attach(*this, *scenario_.adversaries[i].params, i);
}

Metrics run_metrics()
{
  using namespace metric;
  return {
      count("seed", "1", "the master seed"),
      value("simulated_seconds", "s", "simulated time (the scenario's duration)"),
      count("events_processed", "events", "message deliveries and timers handled"),
      count("nodes", "nodes", "nodes of every chain and bridge"),
  };
}

Metrics child_engine_metrics()
{
  using namespace metric;
  const std::string slashing = "over a parent that slashes stake", no_slashing = "over a parent that slashes no stake";
  return {
      distribution("messages_per_node", "messages", "messages each of the chain's nodes sent"),
      distribution("bytes_per_node", "bytes", "bytes each of the chain's nodes sent"),
      value("economic_security.cost_of_corruption", "currency",
            "stake an attacker loses by the cheapest way to make the child accept a wrong state")
          .only(slashing),
      value("economic_security.profit_from_corruption", "currency", "value locked in the child's bridges (tvl)"),
      value("economic_security.security_margin", "currency", "cost_of_corruption minus profit_from_corruption")
          .only(slashing),
      value("economic_security.cost_to_profit_ratio", "1",
            "cost_of_corruption / profit_from_corruption (null when nothing is locked)")
          .only(slashing),
      fraction("economic_security.accountable_stake_share",
               "largest share of parent stake provably at fault in this run's safety violations")
          .only(slashing),
      value("economic_security.slashed_in_run", "currency", "stake and bonds slashed in this run").only(slashing),
      value("economic_security.bonds_slashed_in_run", "currency", "bonds lost by posters of wrong roots")
          .only(no_slashing),
  };
}

nlohmann::json Simulation::economic_security(const ChildChain& child) const
{
  const Economics& economics = scenario_.parent.economics;
  const auto* factory        = ProtocolRegistry::instance().find_parent(scenario_.parent.protocol.kind);
  SecurityFacts facts        = child.security();
  double profit              = 0;
  for (const auto& bridge : bridges_)
    if (bridge->child() == child.name())
      profit += bridge->tvl();
  if (!factory->slashes_stake())
    return {{"stated", false},
            {"profit_from_corruption", profit},
            {"bonds_slashed_in_run", facts.bonds_slashed},
            {"note", fmt::format("the {} parent slashes no stake: its cost of corruption is the cost of a hash-power "
                                 "majority for the attack's length, which shsim does not model",
                                 scenario_.parent.protocol.kind)}};
  // Ways to make the child accept a state it should not, each with what the attacker loses.
  nlohmann::json paths = nlohmann::json::array();
  double safety_share  = factory->safety_threshold();
  paths.push_back({{"path", "break parent safety (double-sign)"},
                   {"stake_share", safety_share},
                   {"cost", safety_share * economics.stake_value * economics.slash_equivocation.value}});
  if (facts.needs_parent_liveness) {
    double halt_share = factory->liveness_threshold();
    paths.push_back({{"path", "halt the parent through the challenge window (downtime slashing only)"},
                     {"stake_share", halt_share},
                     {"cost", halt_share * economics.stake_value * economics.slash_downtime.value}});
  }
  for (const AttackPath& own : facts.own_paths)
    paths.push_back({{"path", own.path}, {"stake_share", own.stake_share}, {"cost", own.cost}});
  size_t cheapest = 0;
  for (size_t p = 1; p < paths.size(); ++p)
    if (paths[p]["cost"].get<double>() < paths[cheapest]["cost"].get<double>())
      cheapest = p;
  double cost = paths[cheapest]["cost"].get<double>();
  // Slashed in this run: the accountable stake of parent safety violations, plus lost bonds.
  double accountable = 0;
  for (const auto& violation : recorder_->violations_of(scenario_.parent.name))
    accountable = std::max(accountable, violation);
  nlohmann::json out = {{"stated", economics.stake_value > 0},
                        {"cost_of_corruption", cost},
                        {"cheapest_attack", paths[cheapest]["path"]},
                        {"attacks", paths},
                        {"profit_from_corruption", profit},
                        {"security_margin", cost - profit},
                        {"secure", cost > profit},
                        {"accountable_stake_share", accountable},
                        {"slashed_in_run", accountable * economics.stake_value * economics.slash_equivocation.value +
                                               facts.bonds_slashed}};
  out["cost_to_profit_ratio"] = profit > 0 ? nlohmann::json(cost / profit) : nlohmann::json(nullptr);
  return out;
}

void Simulation::schedule_lifecycle_adversaries()
{
  // The director applies timed adversaries that are not a model's business: crashes and partitions.
  struct Action {
    double time;
    int order;
    std::function<void()> apply;
  };
  std::vector<Action> actions;
  int order = 0;
  for (size_t i = 0; i < scenario_.adversaries.size(); ++i) {
    const AdversaryChoice& adversary = scenario_.adversaries[i];
    double until = adversary.end();
    if (adversary.kind == "crash") {
      // A crash takes the validator's machine down, with every role on it.
      std::vector<int> who = select_validators(adversary.as<CrashAdversary>().who, i);
      auto set_machines    = [this, who](bool online, const char* what) {
        for (int v : who)
          for (int node : roles_of_machine_[static_cast<size_t>(v)]) {
            nodes_[node]->set_online(online);
            recorder_->event(now(), node_owner_[node], node, what);
          }
      };
      actions.push_back({adversary.from(), order++, [set_machines]() { set_machines(false, "crash"); }});
      if (until < scenario_.duration.seconds)
        actions.push_back({until, order++, [set_machines]() { set_machines(true, "recover"); }});
    } else if (adversary.kind == "partition") {
      YAML::Emitter flow;
      flow << YAML::Flow << YAML::Node(adversary.as<PartitionAdversary>().groups);
      std::string groups = flow.c_str();
      actions.push_back({adversary.from(), order++, [this, groups]() {
                           recorder_->event(now(), "network", -1, "partition_start", -1, -1, {groups});
                         }});
      if (until < scenario_.duration.seconds)
        actions.push_back({until, order++, [this, groups]() {
                             recorder_->event(now(), "network", -1, "partition_end", -1, -1, {groups});
                           }});
    }
  }
  std::stable_sort(actions.begin(), actions.end(), [](auto& a, auto& b) { return a.time < b.time; });
  if (actions.empty())
    return;
  // Created before the nodes' actors, so it runs first: a crash at t = 0 precedes the node's start.
  sg4::Actor::create("director", placements_[0].host, [actions]() {
    for (const auto& action : actions) {
      if (action.time > sg4::Engine::get_clock())
        sg4::this_actor::sleep_until(action.time);
      action.apply();
    }
  });
}

void Simulation::start_watchdog(bool show_progress)
{
  // A run that must end at a deadline: sleep until it, then stop every actor (DESIGN.md).
  double deadline = scenario_.duration.seconds;
  sg4::Actor::create("watchdog", placements_[0].host, [this, deadline, show_progress]() {
    auto start      = std::chrono::steady_clock::now();
    auto last_print = start;
    const int steps = show_progress ? 200 : 1;
    for (int step = 1; step <= steps; ++step) {
      sg4::this_actor::sleep_until(deadline * step / steps);
      auto wall = std::chrono::steady_clock::now();
      if (show_progress && std::chrono::duration<double>(wall - last_print).count() > 1.0) {
        double elapsed = std::chrono::duration<double>(wall - start).count();
        std::fprintf(stderr, "\r[shsim] simulated %.0fs of %.0fs (%3d%%), %.2fM events/s   ", now(), deadline,
                     100 * step / steps, static_cast<double>(events_) / elapsed / 1e6);
        last_print = wall;
      }
    }
    if (show_progress)
      std::fprintf(stderr, "\r%80s\r", "");
    stopped_ = true;
    sg4::Actor::kill_all();
  });
}

RunResult Simulation::run(bool show_progress)
{
  auto wall_start = std::chrono::steady_clock::now();
  configure_engine();
  const auto* factory = ProtocolRegistry::instance().find_parent(scenario_.parent.protocol.kind);
  placements_         = place_nodes();
  overlay_            = build_overlay(scenario_, scenario_.parent.validators.count);
  queue_              = std::make_unique<EventQueue>(*this);
  network_            = std::make_unique<Network>(*this, placements_);
  recorder_           = std::make_unique<Recorder>(scenario_.detectors.stall_threshold.seconds,
                                                   scenario_.duration.seconds);
  recorder_->add_chain({scenario_.parent.name, scenario_.parent.protocol.kind, stakes_});
  recorder_->keep_events(scenario_.output.events != "none");
  recorder_->only_events(scenario_.output.event_kinds);
  if (!event_log_path_.empty() && scenario_.output.events != "none")
    recorder_->stream_events(std::make_unique<EventLog>(event_log_path_, scenario_.output.events));
  recorder_->keep_timelines(scenario_.output.timelines != "none");
  ledger_ = std::make_unique<ParentLedger>(*recorder_, scenario_.parent.name,
                                           ParentFees{scenario_.parent.economics.fee_per_byte,
                                                      scenario_.parent.economics.fee_per_transaction});
  schedule_lifecycle_adversaries();  // first, so that a crash at t = 0 happens before nodes start
  parent_ = factory->build(*this);   // validators: nodes 0 .. count - 1
  build_children_and_bridges();
  attach_adversaries();  // after every role exists: hooks attach to nodes
  start_watchdog(show_progress && isatty(STDERR_FILENO) != 0);
  engine_->run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  RunResult result;
  std::map<std::string, std::pair<Samples, Samples>> traffic;
  for (int v = 0; v < node_count(); ++v) {
    traffic[node_owner_[v]].first.add(static_cast<double>(network_->messages_sent(v)));
    traffic[node_owner_[v]].second.add(static_cast<double>(network_->bytes_sent(v)));
  }
  nlohmann::json regions_json = nlohmann::json::object();
  std::vector<int> per_region(scenario_.regions.regions.size(), 0);
  for (const auto& p : placements_)
    ++per_region[p.region];
  for (size_t r = 0; r < per_region.size(); ++r)
    if (per_region[r] > 0)
      regions_json[scenario_.regions.regions[r]] = per_region[r];
  result.summary["scenario"] = scenario_.name;
  result.summary["run"]      = {{"seed", scenario_.seed},
                                {"simulated_seconds", scenario_.duration.seconds},
                                {"events_processed", events_},
                                {"nodes", node_count()},
                                {"nodes_per_region", regions_json},
                                {"network_model", scenario_.network.model == "LV08"
                                                      ? "LV08 with latency-factor 1 and bandwidth-factor 1"
                                                      : "CM02 (TCP-gamma off, no cross-traffic)"},
                                {"engine_options", engine_args_},
                                {"latency_matrix", {{"file", scenario_.network.latency_matrix}, {"source", scenario_.regions.source}}},
                                {"transports", network_->transports_json()},
                                {"overlay", overlay_summary(overlay_)}};
  result.summary["chains"] = recorder_->chains_summary(traffic);
  nlohmann::json protocol_summary = parent_->summary();
  for (const auto& [key, value] : protocol_summary.items())
    result.summary["chains"][scenario_.parent.name][key] = value;
  if (!children_.empty() || !bridges_.empty())
    result.summary["chains"][scenario_.parent.name]["child_load"] = ledger_->load_summary();
  for (const auto& child : children_) {
    child->finish();
    nlohmann::json c = child->summary();
    c["economic_security"] = economic_security(*child);
    if (auto found = traffic.find(child->name()); found != traffic.end()) {
      c["messages_per_node"] = found->second.first.to_json();
      c["bytes_per_node"]    = found->second.second.to_json();
    }
    // A child that runs a consensus of its own (Recorder::add_chain) already has the common figures.
    auto& entry = result.summary["chains"][child->name()];
    for (const auto& [key, value] : c.items())
      entry[key] = value;
  }
  for (const auto& bridge : bridges_)
    result.summary["bridges"][bridge->name()] = bridge->summary();
  nlohmann::json expectations = nlohmann::json::array();
  for (size_t i = 0; i < scenario_.expect.size(); ++i) {
    const std::string& text   = scenario_.expect[i];
    ExpectationResult outcome = evaluate(*parse_expectation(text).value, result.summary);
    // Every metric was checked before the run; one that a declared figure lacks in this run (a
    // figure that only an adversary produces, without that adversary) has no value: the expectation fails.
    result.expectations_passed = result.expectations_passed && outcome.passed;
    expectations.push_back({{"expectation", text},
                            {"passed", outcome.passed},
                            {"actual", outcome.has_value ? nlohmann::json(outcome.actual) : nlohmann::json(nullptr)}});
  }
  result.summary["expectations"] = expectations;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  result.performance = {{"wall_seconds", wall},
                        {"events_processed", events_},
                        {"events_per_second", wall > 0 ? static_cast<double>(events_) / wall : 0},
                        {"simulated_seconds_per_wall_second", wall > 0 ? scenario_.duration.seconds / wall : 0},
                        {"peak_memory_mib", static_cast<double>(usage.ru_maxrss) / 1024}};
  recorder_->close_event_log();
  result.events          = recorder_->events();
  result.events_streamed = !event_log_path_.empty() && scenario_.output.events != "none";
  result.timelines = recorder_->timelines();
  result.timeline_columns = recorder_->timeline_columns();
  for (const auto& row : result.timelines)
    if (result.timeline_stages.count(row.chain) == 0)
      result.timeline_stages[row.chain] = recorder_->timeline_stages(row.chain);
  return result;
}

}  // namespace shsim
