// Log lines stamped with simulated time and node: "shsim: info: [t=12.000345] [node 3] ...".
// Levels: error = the run failed; warn = check this before trusting the results; info = notable
// protocol events (round changes, crashes); debug = every decision.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace shsim {

template <class... Args>
void log_at(spdlog::level::level_enum level, double time, int node, fmt::format_string<Args...> format,
            Args&&... args)
{
  if (!spdlog::should_log(level))
    return;
  spdlog::log(level, "[t={:.6f}] [node {}] {}", time, node,
              fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace shsim
