// Deterministic random streams. One master seed; each purpose (and each node) draws from its own
// stream derived from the seed and the purpose's name, so adding a draw in one model does not shift
// another's. The generator (xoshiro256**) and every distribution are written here so that outputs
// are identical across standard libraries (std:: distributions are not).
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace shsim {

/// SplitMix64's finalizer: a well-spread 64-bit hash of `x` (for draws keyed by ids, and hash keys).
inline uint64_t mix64(uint64_t x)
{
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// SplitMix64's increment (2^64 / golden ratio): spreads consecutive keys before mix64.
constexpr uint64_t golden_gamma = 0x9e3779b97f4a7c15ULL;

class RandomStream {
public:
  RandomStream(uint64_t master_seed, std::string_view purpose, uint64_t index = 0);

  uint64_t next();
  /// Uniform in (0, 1): never exactly 0 or 1, so logarithms and powers are safe.
  double uniform01() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform01(); }
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n);
  double exponential(double mean) { return -mean * std::log(uniform01()); }
  /// Standard normal by Box-Muller (one value per call, the pair's second half discarded).
  double normal();
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
  /// Pareto type I: scale / U^(1/shape), >= scale.
  double pareto(double scale, double shape) { return scale / std::pow(uniform01(), 1.0 / shape); }
  bool bernoulli(double p) { return uniform01() < p; }

private:
  uint64_t state_[4];
};

}  // namespace shsim
