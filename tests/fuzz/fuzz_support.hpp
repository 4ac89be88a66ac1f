// What both fuzz targets share: registering the models once, and running a loaded scenario through
// `shsim check`'s steps with the same rule as the command line: InputError is the expected answer
// to bad input; any other exception aborts, so that libFuzzer records the input as a finding.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include "models/registry.hpp"
#include "sim/catalog.hpp"
#include "sim/estimate.hpp"
#include "sim/output.hpp"
#include "sim/scenario.hpp"

namespace shsim::fuzz {

inline void setup()
{
  static bool done = false;
  if (done)
    return;
  done = true;
  spdlog::set_level(spdlog::level::off);
  models::register_all();
}

inline std::string read_source(const std::string& relative)
{
  std::ifstream in(std::string(SHSIM_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

template <class Load> void check_like_shsim(Load&& load)
{
  try {
    Scenario scenario = load();
    check_expectation_metrics(scenario);
    review_scenario(scenario);
    estimate_resources(scenario);
  } catch (const InputError& e) {
    std::string message = e.what();
    if (message.empty() || message.find('\n') != std::string::npos) {
      std::fprintf(stderr, "finding: an error message that is not one line: %s\n", message.c_str());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finding: %s escaped as an internal error\n", e.what());
    std::abort();
  }
}

}  // namespace shsim::fuzz
