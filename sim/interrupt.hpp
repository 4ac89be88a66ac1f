// Ctrl-C and SIGTERM stop a run cleanly. The handler only records the signal; the event queue
// stops dispatching at the next event, the run ends at once (nothing is left to simulate), and the
// command exits 128 + signal (130, 143) without writing a new output set: the old one stays whole.
// SimGrid installs its own SIGINT handler (which dumps every actor and exits 1) when an engine
// starts, so shsim installs its handlers again after that.
#pragma once

namespace shsim {

void install_interrupt_handlers();
/// The signal received (SIGINT or SIGTERM), or 0.
int interrupt_signal();

}  // namespace shsim
