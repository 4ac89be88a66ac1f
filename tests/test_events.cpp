// Events with typed fields (issue 10): every event kind declares its fields (sim/event_log.hpp,
// `shsim events`), the detail column is written from the declaration, and a reader gets the typed
// values back from a CSV line (through the dictionary) and from a JSON line (under "fields").
#include <catch2/catch.hpp>

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/event_log.hpp"
#include "tests/support.hpp"

using namespace shsim;

namespace {

/// Awkward values of each field's type: negative and large integers, a 64-bit id, reals with more
/// digits than the declaration keeps, and text with commas, quotes, spaces and '='.
std::vector<FieldValue> sample_values(const EventKindSpec& kind, nlohmann::json& expected)
{
  std::vector<FieldValue> values;
  expected = nlohmann::json::object();
  for (size_t f = 0; f < kind.fields.size(); ++f) {
    const EventField& field = kind.fields[f];
    switch (field.type) {
      case FieldType::integer: {
        long long v = (f % 2 == 0 ? -1 : 1) * (1000003LL * static_cast<long long>(f + 7));
        values.emplace_back(v);
        expected[field.name] = v;
        break;
      }
      case FieldType::real: {
        double v = 1234.567890123456 * static_cast<double>(f + 1);
        values.emplace_back(v);
        expected[field.name] = std::stod(fmt::format("{:.{}f}", v, field.decimals));
        break;
      }
      case FieldType::hex: {
        uint64_t v = 0xfedcba9876543210ULL ^ f;
        values.emplace_back(v);
        expected[field.name] = fmt::format("{:016x}", v);
        break;
      }
      case FieldType::flag:
        values.emplace_back(f % 2 == 0);
        expected[field.name] = f % 2 == 0;
        break;
      case FieldType::text:
        values.emplace_back(std::string("a, \"quoted\" text=with spaces"));
        expected[field.name] = "a, \"quoted\" text=with spaces";
        break;
    }
  }
  return values;
}

}  // namespace

TEST_CASE("every event kind's fields round-trip through CSV and JSONL", "[events]")
{
  models::register_all();
  auto kinds = event_kinds();
  REQUIRE(kinds.size() >= 30);  // the engine's and every registered model's
  for (const EventKindSpec* kind : kinds) {
    INFO(kind->name);
    nlohmann::json expected;
    std::vector<FieldValue> values = sample_values(*kind, expected);
    EventRecord record{12.5, "a,chain", 3, kind->name, 42, 2, format_detail(*kind, values)};

    std::string csv = format_event(record, "csv");
    REQUIRE(csv.back() == '\n');
    EventRecord back = parse_event_csv(csv.substr(0, csv.size() - 1));
    CHECK(back.time == record.time);
    CHECK(back.chain == record.chain);
    CHECK(back.node == record.node);
    CHECK(back.event == record.event);
    CHECK(back.height == record.height);
    CHECK(back.round == record.round);
    CHECK(back.detail == record.detail);
    CHECK(parse_detail(*kind, back.detail) == expected);

    nlohmann::json line = nlohmann::json::parse(format_event(record, "jsonl"));
    CHECK(line["event"] == kind->name);
    CHECK(line["fields"] == expected);
  }
}

TEST_CASE("a detail that does not match its kind's declaration is refused", "[events]")
{
  models::register_all();
  const EventKindSpec* commit = find_event("commit");
  REQUIRE(commit != nullptr);
  CHECK_NOTHROW(parse_detail(*commit, "block=00000000000000ff proposer=3 txs=10 bytes=2000"));
  CHECK_THROWS_AS(parse_detail(*commit, "block=00000000000000ff proposer=three txs=10 bytes=2000"), InputError);
  CHECK_THROWS_AS(parse_detail(*commit, "block=00000000000000ff txs=10 bytes=2000"), InputError);
  CHECK_THROWS_AS(parse_detail(*commit, "block=00000000000000ff proposer=3 txs=10 bytes=2000 extra=1"), InputError);
  CHECK_THROWS_AS(format_detail(*commit, {1, 2}), std::logic_error);
}

TEST_CASE("every event a run writes is declared and reads back through the dictionary", "[events]")
{
  models::register_all();
  for (const char* scenario : {"scenarios/op-invalid-root-caught.yaml", "scenarios/equivocation-fork.yaml",
                               "scenarios/gasper-partition.yaml", "scenarios/nakamoto-rollups.yaml"}) {
    INFO(scenario);
    auto run = testing::simulate(testing::read_file(testing::source_path(scenario)),
                                 {"duration=20m", "expect=[]"});
    REQUIRE(!run.events.empty());
    std::set<std::string> seen;
    for (const auto& event : run.events) {
      const EventKindSpec* kind = find_event(event.event);
      REQUIRE(kind != nullptr);
      CHECK_NOTHROW(parse_detail(*kind, event.detail));
      seen.insert(event.event);
    }
    CHECK(seen.size() >= 3);
  }
}

TEST_CASE("a scenario records only the event kinds it names", "[events]")
{
  models::register_all();
  auto run = testing::simulate(testing::read_file(testing::source_path("scenarios/quickstart.yaml")),
                               {"duration=2m", "expect=[]", "output.event_kinds=[commit]"});
  std::set<std::string> seen;
  for (const auto& event : run.events)
    seen.insert(event.event);
  CHECK(seen == std::set<std::string>{"commit"});
  // The figures do not depend on what is logged.
  auto all = testing::simulate(testing::read_file(testing::source_path("scenarios/quickstart.yaml")),
                               {"duration=2m", "expect=[]"});
  CHECK(all.events.size() > run.events.size());
  CHECK(all.summary == run.summary);
}
