#include "sim/message.hpp"

#include <stdexcept>
#include <vector>

namespace shsim {
namespace {
// A function-local registry: safe whatever order static MessageKind objects are built in.
std::vector<std::string>& names()
{
  static std::vector<std::string> registered;
  return registered;
}
}  // namespace

MessageKind::MessageKind(std::string_view name)
{
  auto& all = names();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == name) {
      id_ = static_cast<uint16_t>(i);
      return;
    }
  if (all.size() >= UINT16_MAX)
    throw std::length_error("too many message kinds");
  id_ = static_cast<uint16_t>(all.size());
  all.emplace_back(name);
}

const std::string& MessageKind::name() const { return names()[id_]; }

const std::string& MessageKind::name_of(uint16_t id) { return names().at(id); }

}  // namespace shsim
