// Gasper told in sentences (`shsim run --explain`): each epoch boundary's justification and
// finalization with the target participation behind them (the first few epochs, then only the ones
// where something changed), the inactivity leak's start and end, and the checkpoints finalized.
#include <fmt/format.h>

#include "models/gasper/gasper.hpp"

namespace shsim::models::gasper {

void narrate(const NarrationInput& in, Narration& out)
{
  constexpr int detailed_epochs = 4;
  int told                      = 0;
  bool leaking                  = false;
  long long last_finalized      = 0;
  long long quiet_first = -1, quiet_last = -1;
  double quiet_end = 0;
  auto close_quiet = [&] {
    if (quiet_first >= 0)
      out.say(quiet_end, quiet_first == quiet_last
                             ? fmt::format("epoch {} ends with its checkpoints justified and finalized on time", quiet_first)
                             : fmt::format("epochs {} to {} end with their checkpoints justified and finalized on time",
                                           quiet_first, quiet_last));
    quiet_first = -1;
  };
  for (const EventRecord* e : in.events) {
    if (e->event == "epoch" && e->height >= 1) {  // epoch 0's boundary has no previous target
      auto f             = in.fields(*e);
      long long justified = f["justified"].get<long long>(), finalized = f["finalized"].get<long long>();
      double participation = f["previous_target_participation"].get<double>();
      bool leak            = f["leak"].get<long long>() != 0;
      // The event closes epoch e (its height); its participation is of epoch e - 1's target.
      bool on_time = e->height >= 2 && justified >= e->height - 1 && finalized >= e->height - 2;
      if (leak != leaking) {
        close_quiet();
        out.say(e->time, leak ? fmt::format("end of epoch {}: finality has been stuck since epoch {}: the INACTIVITY LEAK starts; "
                                            "validators that do not attest lose balance every epoch until those who do "
                                            "hold 2/3 of the active balance again",
                                            e->height, finalized)
                              : fmt::format("end of epoch {}: the inactivity leak ends: finality is back (finalized epoch {})",
                                            e->height, finalized));
        leaking = leak;
      }
      if (told < detailed_epochs || !on_time) {
        close_quiet();
        out.say(e->time, fmt::format("epoch {} ends: {} % of the active balance attested to epoch {}'s target ({}); "
                                     "justified checkpoint: epoch {}, finalized: epoch {}{}",
                                     e->height, fmt::format("{:.1f}", 100 * participation), e->height - 1,
                                     participation >= 2.0 / 3 ? "at least 2/3: it is justified" : "below 2/3: not justified",
                                     justified, finalized,
                                     leak ? fmt::format(", active balance {:.0f} ETH", f["active_balance"].get<double>()) : ""));
        ++told;
      } else {
        if (quiet_first < 0)
          quiet_first = e->height;
        quiet_last = e->height;
        quiet_end  = e->time;
      }
    } else if (e->event == "finalized") {
      if (e->height > last_finalized + 1 && last_finalized > 0) {
        close_quiet();
        out.say(e->time, fmt::format("checkpoint of epoch {} is finalized: finality moves again after epoch {}", e->height,
                                     last_finalized));
      }
      last_finalized = e->height;
    } else if (e->event == "equivocate") {
      close_quiet();
      out.say(e->time, fmt::format("node {} equivocates ({})", e->node, e->detail));
    }
  }
  close_quiet();
}

}  // namespace shsim::models::gasper
