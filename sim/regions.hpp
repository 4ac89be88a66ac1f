// Inter-region latency matrices shipped in platforms/regions/, each citing its source.
// File format:
//   source: "who measured it, when, where it was published"
//   unit: rtt_ms | one_way_ms        # RTT matrices are halved into one-way latencies
//   regions: [name, ...]
//   matrix: [[...], ...]             # square, symmetric; the diagonal is the intra-region latency
//   upload_bps: [...]                # optional: typical node upload bandwidth per region (bit/s)
//   download_bps: [...]              # optional: typical node download bandwidth per region (bit/s)
#pragma once

#include <string>
#include <vector>

namespace shsim {

struct RegionMatrix {
  std::string file;
  std::string source;
  std::vector<std::string> regions;
  std::vector<std::vector<double>> one_way_seconds;
  std::vector<double> upload_bps, download_bps;  // empty when the file gives no bandwidth

  int index_of(const std::string& region) const;  // -1 when unknown
  double latency(int from, int to) const { return one_way_seconds[from][to]; }
};

/// Throws InputError naming the file, line and key.
RegionMatrix load_region_matrix(const std::string& path);

}  // namespace shsim
