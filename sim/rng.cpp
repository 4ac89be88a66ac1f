#include "sim/rng.hpp"

#include <numbers>

namespace shsim {
namespace {
uint64_t splitmix64(uint64_t& x) { return mix64(x += golden_gamma); }
uint64_t fnv1a(std::string_view text)
{
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

RandomStream::RandomStream(uint64_t master_seed, std::string_view purpose, uint64_t index)
{
  uint64_t x = master_seed ^ fnv1a(purpose) ^ (index * 0xd1b54a32d192ed03ULL);
  for (auto& word : state_)
    word = splitmix64(x);
}

uint64_t RandomStream::next()
{
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t      = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

uint64_t RandomStream::below(uint64_t n)
{
  // Rejection sampling keeps every value equally likely.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = next();
  } while (x >= limit);
  return x % n;
}

double RandomStream::normal()
{
  double u1 = uniform01();
  double u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace shsim
