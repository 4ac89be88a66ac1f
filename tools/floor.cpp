// The SimGrid floor: what the cheapest delivery mechanisms cost on this machine, to compare shsim's
// per-event cost with. Usage: shsim_floor [deliveries] [actors]
//
// Each mechanism keeps 10 messages in flight per actor; every delivery sends a new one to another
// actor 10 ms later, until `deliveries` have been made.
//  - timer+semaphore: a kernel timer pushes into the receiver's inbox and releases its semaphore;
//    the receiving actor wakes up (DESIGN.md measured ~0.8 us per delivery).
//  - timer only: a kernel timer calls the receiver's handler directly, no actor wake-up.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace sg4 = simgrid::s4u;
using simgrid::kernel::timer::Timer;

namespace {

struct Receiver {
  std::deque<int> inbox;
  sg4::SemaphorePtr ready;
};

long long target_deliveries = 0;
long long delivered         = 0;
unsigned long long rng      = 88172645463325252ULL;
int next_actor(int actors)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return static_cast<int>(rng % static_cast<unsigned long long>(actors));
}

double run(bool with_actors, long long deliveries, int actors)
{
  std::vector<std::string> args{"floor", "--log=root.thres:critical"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  sg4::Engine engine(&argc, argv.data());
  auto* zone = sg4::create_full_zone("floor");
  auto* host = zone->create_host("host", 1e9);
  zone->seal();
  target_deliveries = deliveries;
  std::vector<Receiver> receivers(actors);
  for (auto& r : receivers)
    r.ready = sg4::Semaphore::create(0);

  std::function<void(int)> send_to = [&](int to) {
    Timer::set(sg4::Engine::get_clock() + 0.010, [&, to]() {
      if (with_actors) {
        receivers[to].inbox.push_back(to);
        receivers[to].ready->release();
      } else if (++delivered < target_deliveries) {
        send_to(next_actor(actors));
      }
    });
  };
  for (int i = 0; i < actors * 10; ++i)
    send_to(next_actor(actors));
  if (with_actors)
    for (int a = 0; a < actors; ++a)
      sg4::Actor::create("receiver", host, [&, a]() {
        while (delivered < target_deliveries) {
          receivers[a].ready->acquire();
          receivers[a].inbox.pop_front();
          if (++delivered < target_deliveries)
            send_to(next_actor(actors));
        }
        sg4::Actor::kill_all();
      });
  auto start = std::chrono::steady_clock::now();
  engine.run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv)
{
  long long deliveries = argc > 1 ? std::atoll(argv[1]) : 10'000'000;
  int actors           = argc > 2 ? std::atoi(argv[2]) : 100;
  // One engine per process: each mechanism runs in its own child.
  for (bool with_actors : {true, false}) {
    std::fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
      double wall = run(with_actors, deliveries, actors);
      std::printf("%-16s %10lld deliveries %6d actors %8.2f s wall %6.3f us/delivery\n",
                  with_actors ? "timer+semaphore" : "timer only", deliveries, actors, wall,
                  wall / static_cast<double>(deliveries) * 1e6);
      std::fflush(nullptr);
      std::_Exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
  }
  return 0;
}
