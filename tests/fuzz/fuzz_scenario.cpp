// libFuzzer target: a scenario text through everything `shsim check` does (load, cross-checks,
// review, expectation metrics, resource estimate). Bad input must end in InputError, the one
// exception shsim turns into "exit 2, one line"; anything else (a crash, a hang, an allocation
// past the limit, another exception) is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "models/registry.hpp"
#include "sim/estimate.hpp"
#include "sim/output.hpp"
#include "sim/scenario.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  shsim::fuzz::setup();
  std::string text(reinterpret_cast<const char*>(data), size);
  shsim::fuzz::check_like_shsim([&] { return shsim::load_scenario_text(text, "fuzz.yaml", {}); });
  return 0;
}
