#include "sim/interrupt.hpp"

#include <csignal>

namespace shsim {
namespace {
volatile std::sig_atomic_t received = 0;

extern "C" void record_signal(int signal) { received = signal; }
}  // namespace

void install_interrupt_handlers()
{
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() { return received; }

}  // namespace shsim
