#include "sim/regions.hpp"

#include <cmath>
#include <filesystem>

#include "sim/schema.hpp"
#include "sim/yaml_guard.hpp"

namespace shsim {

int RegionMatrix::index_of(const std::string& region) const
{
  for (size_t i = 0; i < regions.size(); ++i)
    if (regions[i] == region)
      return static_cast<int>(i);
  return -1;
}

namespace {
struct MatrixFile {
  std::string source;
  std::string unit = "rtt_ms";
  std::vector<std::string> regions;
  std::vector<std::vector<double>> matrix;
  std::vector<double> upload_bps, download_bps;

  template <class V> void describe(V& v)
  {
    v.field("source", source, "citation of the measurement");
    v.field("unit", unit, "rtt_ms or one_way_ms", one_of({"rtt_ms", "one_way_ms"}));
    v.field("regions", regions, "region names");
    v.field("matrix", matrix, "square symmetric latency matrix");
    v.field("upload_bps", upload_bps, "typical node upload bandwidth per region, bit/s (optional)");
    v.field("download_bps", download_bps, "typical node download bandwidth per region, bit/s (optional)");
  }
};
}  // namespace

RegionMatrix load_region_matrix(const std::string& path)
{
  SourceContext context{path, {}};
  YAML::Node root = load_untrusted_yaml(read_untrusted_file(path, max_yaml_bytes, "latency matrix", ""), path, false);
  if (!root.IsMap())
    context.fail(root, "", "a latency matrix file is a map (source, unit, regions, matrix)");
  MatrixFile file;
  SchemaReader::read(root, "", context, file);
  if (file.source.empty())
    context.fail(root, "source", "every shipped matrix must cite its source");
  size_t n = file.regions.size();
  if (n == 0)
    context.fail(root, "regions", "at least one region is needed");
  for (size_t i = 0; i < n; ++i)
    if (auto problem = name_problem(file.regions[i]))
      context.fail(root["regions"][i], fmt::format("regions[{}]", i), *problem);
  if (file.matrix.size() != n)
    context.fail(root["matrix"], "matrix", fmt::format("expected {} rows, one per region", n));
  RegionMatrix result;
  result.file    = path;
  result.source  = file.source;
  result.regions = file.regions;
  double scale   = file.unit == "rtt_ms" ? 0.5e-3 : 1e-3;
  for (size_t i = 0; i < n; ++i) {
    std::string row_path = fmt::format("matrix[{}]", i);
    if (file.matrix[i].size() != n)
      context.fail(root["matrix"][i], row_path, fmt::format("expected {} columns", n));
    std::vector<double> row;
    for (size_t j = 0; j < n; ++j) {
      double value = file.matrix[i][j];
      if (value < 0 || !std::isfinite(value))
        context.fail(root["matrix"][i][j], fmt::format("{}[{}]", row_path, j), "latency must be >= 0");
      row.push_back(value * scale);
    }
    result.one_way_seconds.push_back(row);
  }
  for (auto [key, list] : {std::pair<const char*, const std::vector<double>*>{"upload_bps", &file.upload_bps},
                           std::pair<const char*, const std::vector<double>*>{"download_bps", &file.download_bps}}) {
    if (list->empty())
      continue;
    if (list->size() != n)
      context.fail(root[key], key, fmt::format("expected {} values, one per region", n));
    for (size_t i = 0; i < n; ++i)
      if (!((*list)[i] > 0) || !std::isfinite((*list)[i]))
        context.fail(root[key][i], fmt::format("{}[{}]", key, i), "bandwidth must be > 0");
  }
  result.upload_bps   = file.upload_bps;
  result.download_bps = file.download_bps;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      if (file.matrix[i][j] != file.matrix[j][i])
        context.fail(root["matrix"][i][j], fmt::format("matrix[{}][{}]", i, j),
                     fmt::format("matrix is not symmetric ({} vs {})", file.matrix[i][j], file.matrix[j][i]));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      double diagonal_mean = (result.one_way_seconds[i][i] + result.one_way_seconds[j][j]) / 2;
      if (result.one_way_seconds[i][j] < diagonal_mean)
        context.fail(root["matrix"][i][j], fmt::format("matrix[{}][{}]", i, j),
                     "inter-region latency is below the mean of the two intra-region latencies; the platform "
                     "places half of each intra-region latency on every access link and cannot represent it");
    }
  return result;
}

}  // namespace shsim
