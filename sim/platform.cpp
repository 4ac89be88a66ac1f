#include "sim/platform.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/mman.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/ranges.h>

#include "sim/interrupt.hpp"

namespace shsim {

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


std::vector<std::string> Platform::engine_arguments(const Scenario& scenario, const std::vector<std::string>& engine_args)
{
  // LV08, SimGrid's default, multiplies every latency by 13.01 and bandwidth by 0.97: results must
  // report real latencies, so CM02 is the default and LV08 runs with both factors at 1.
  std::vector<std::string> args{"shsim", "--log=xbt_cfg.thres:warning", "--log=root.fmt:[%10.6r]%e[%a]%e%m%n",
                                "--cfg=network/model:" + scenario.network.model, "--cfg=network/crosstraffic:0"};
  if (scenario.network.model == "LV08") {
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
  args.insert(args.end(), engine_args.begin(), engine_args.end());  // the user's options win
  return args;
}

void Platform::load_platform(sg4::Engine& engine, const Scenario& scenario)
{
  int fd = memfd_create("shsim-platform", MFD_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(fmt::format("memfd_create: {}", std::strerror(errno)));
  const std::string& xml = scenario.platform_xml;
  for (size_t done = 0; done < xml.size();) {
    ssize_t n = write(fd, xml.data() + done, xml.size() - done);
    if (n <= 0 && errno != EINTR) {
      close(fd);
      throw std::runtime_error(fmt::format("writing the platform in memory: {}", std::strerror(errno)));
    }
    done += n > 0 ? static_cast<size_t>(n) : 0;
  }
  // Not a name ending in .so: SimGrid would dlopen it.
  std::string path = fmt::format("/proc/self/fd/{}", fd);
  try {
    engine.load_platform(path);
  } catch (const std::exception& e) {
    close(fd);
    // SimGrid's parse errors name the file it read ("Parse error at /proc/self/fd/5:12: ..."):
    // name the user's, whose lines the canonical copy keeps.
    std::string message = e.what();
    message             = message.substr(0, message.find('\n'));
    std::string place   = scenario.resolve_path(scenario.network.platform_file);
    std::string prefix  = fmt::format("Parse error at {}:", path);
    if (message.rfind(prefix, 0) == 0) {  // "Parse error at FILE:LINE: what"
      size_t colon = message.find(": ", prefix.size());
      place = fmt::format("{}:{}", place, message.substr(prefix.size(), colon - prefix.size()));
      message = colon == std::string::npos ? std::string() : message.substr(colon + 2);
    }
    throw InputError(fmt::format("{}: network.platform_file: SimGrid cannot build this platform: {}", place, message));
  }
  close(fd);
}

void Platform::check(const Scenario& scenario, const std::vector<std::string>& engine_args)
{
  for (const auto& arg : engine_args)
    for (const char* owned : {"--cfg=network/model", "--cfg=network/latency-factor", "--cfg=network/bandwidth-factor"})
      if (arg.rfind(owned, 0) == 0)
        throw InputError(fmt::format("{}: set network.model in the scenario instead (the run metadata must say "
                                     "which model ran, with real latencies)",
                                     arg));
  if (engine_args.empty() && scenario.platform_xml.empty())
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
    // SimGrid's messages bare (no clock, no actor), then the user's options.
    std::vector<std::string> args = engine_arguments(scenario, {});
    args.insert(args.end(), {"--log=root.fmt:%m%n", "--log=xbt_cfg.thres:warning"});
    args.insert(args.end(), engine_args.begin(), engine_args.end());
    try {
      auto engine = start_engine(args);
      if (!scenario.platform_xml.empty())
        load_platform(*engine, scenario);
    } catch (const InputError& e) {
      std::fprintf(stderr, "platform: %s\n", e.what());
      std::fflush(stderr);
      std::_Exit(2);
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
  // The first line that says something (SimGrid may print a blank line or a backtrace after it).
  std::string first_line;
  for (size_t start = 0; start < output.size() && first_line.empty();) {
    size_t end = output.find('\n', start);
    std::string line = output.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      first_line = line;
    start = end == std::string::npos ? output.size() : end + 1;
  }
  if (first_line.rfind("platform: ", 0) == 0)
    throw InputError(first_line.substr(10));
  if (!scenario.platform_xml.empty() && (engine_args.empty() || first_line.find("platform") != std::string::npos))
    throw InputError(fmt::format("{}: network.platform_file: SimGrid cannot build this platform: {}",
                                 scenario.network.platform_file,
                                 first_line.empty() ? std::string("the engine aborted") : first_line));
  throw InputError(fmt::format("SimGrid rejected {}: {}", fmt::join(engine_args, " "),
                               first_line.empty() ? std::string("the engine aborted") : first_line));
}

Platform::Platform(const Scenario& scenario, std::vector<std::string> engine_args)
    : scenario_(scenario), engine_args_(std::move(engine_args))
{
  try {
    engine_ = start_engine(engine_arguments(scenario_, engine_args_));
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

Platform::~Platform() = default;

std::string Platform::network_model() const
{
  return scenario_.network.model == "LV08" ? "LV08 with latency-factor 1 and bandwidth-factor 1"
                                           : "CM02 (TCP-gamma off, no cross-traffic)";
}

std::vector<Placement> Platform::build(const std::vector<int>& region_of_machine)
{
  std::vector<Placement> placements(region_of_machine.size());
  const auto& net = scenario_.network;
  if (!net.platform_file.empty()) {
    load_platform(*engine_, scenario_);
    std::vector<sg4::Host*> hosts = engine_->get_all_hosts();
    std::sort(hosts.begin(), hosts.end(), [](auto* a, auto* b) { return a->get_name() < b->get_name(); });
    if (hosts.empty())
      throw InputError(fmt::format("{}: the platform has no host", net.platform_file));
    for (size_t i = 0; i < placements.size(); ++i) {
      placements[i].host   = hosts[i % hosts.size()];
      int region           = scenario_.regions.index_of(placements[i].host->get_englobing_zone()->get_name());
      placements[i].region = region < 0 ? 0 : region;
    }
    return placements;
  }
  // Regions as star zones (one up and one down link per host), joined by one link per region pair in
  // a full root zone: O(hosts + regions^2) routes, never O(hosts^2).
  auto* root = sg4::create_full_zone("world");
  size_t n    = scenario_.regions.regions.size();
  std::vector<sg4::NetZone*> zones(n);
  std::vector<simgrid::kernel::routing::NetPoint*> routers(n);
  for (size_t r = 0; r < n; ++r) {
    zones[r] = sg4::create_star_zone(scenario_.regions.regions[r]);
    zones[r]->set_parent(root);
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
      auto* link     = root->create_link(scenario_.regions.regions[a] + "-" + scenario_.regions.regions[b], net.backbone.bits_per_second / 8)
                       ->set_latency(latency);
      root->add_route(zones[a]->get_netpoint(), zones[b]->get_netpoint(), routers[a], routers[b],
                       {sg4::LinkInRoute(link)}, true);
    }
  root->seal();
  return placements;
}

}  // namespace shsim
