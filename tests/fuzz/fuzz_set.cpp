// libFuzzer target: one `--set key.path=value` applied to the quickstart scenario, through
// everything `shsim check` does. Findings are as for fuzz_scenario.
#include <cstdint>
#include <string>

#include "models/registry.hpp"
#include "sim/scenario.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  shsim::fuzz::setup();
  static const std::string quickstart = shsim::fuzz::read_source("scenarios/quickstart.yaml");
  std::string assignment(reinterpret_cast<const char*>(data), size);
  shsim::fuzz::check_like_shsim(
      [&] { return shsim::load_scenario_text(quickstart, SHSIM_SOURCE_DIR "/scenarios/quickstart.yaml", {assignment}); });
  return 0;
}
