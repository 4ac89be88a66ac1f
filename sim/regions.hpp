// Inter-region latency matrices shipped in platforms/regions/, each citing its source.
// File format:
//   source: "who measured it, when, where it was published"
//   unit: rtt_ms | one_way_ms        # RTT matrices are halved into one-way latencies
//   regions: [name, ...]
//   matrix: [[...], ...]             # square, symmetric; the diagonal is the intra-region latency
#pragma once

#include <string>
#include <vector>

namespace shsim {

struct RegionMatrix {
  std::string file;
  std::string source;
  std::vector<std::string> regions;
  std::vector<std::vector<double>> one_way_seconds;

  int index_of(const std::string& region) const;  // -1 when unknown
  double latency(int from, int to) const { return one_way_seconds[from][to]; }
};

/// Throws InputError naming the file, line and key.
RegionMatrix load_region_matrix(const std::string& path);

}  // namespace shsim
