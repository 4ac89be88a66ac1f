#include "sim/child.hpp"

namespace shsim {

namespace {
constexpr const char* stage_names_in_order[tx_stage_count] = {"soft", "safe", "parent_final", "settled"};
}

const char* stage_name(TxStage stage) { return stage_names_in_order[static_cast<int>(stage)]; }

bool parse_stage(const std::string& name, TxStage& stage)
{
  for (int s = 0; s < tx_stage_count; ++s)
    if (name == stage_names_in_order[s]) {
      stage = static_cast<TxStage>(s);
      return true;
    }
  return false;
}

std::vector<std::string> stage_names() { return {std::begin(stage_names_in_order), std::end(stage_names_in_order)}; }

}  // namespace shsim
