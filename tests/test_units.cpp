// Quantities with units, as users write them in scenarios.
#include <catch2/catch.hpp>

#include "sim/units.hpp"

using namespace shsim;

TEST_CASE("durations parse in every unit and print back in the largest exact one", "[units]")
{
  CHECK(parse_duration("250ms").value->seconds == Approx(0.25));
  CHECK(parse_duration("2h").value->seconds == 7200);
  CHECK(parse_duration("7d").value->seconds == 7 * 86400);
  CHECK(parse_duration("1.5s").value->seconds == 1.5);
  CHECK(parse_duration("30min").value->seconds == 1800);
  CHECK(parse_duration("10us").value->seconds == Approx(1e-5));
  CHECK(format_duration(Duration{3600}) == "1h");
  CHECK(format_duration(Duration{0.5}) == "500ms");
  CHECK(format_duration(Duration{90}) == "90s");
  CHECK(format_duration(Duration{7 * 86400}) == "7d");
  CHECK(format_duration(Duration{0}) == "0s");
  for (const char* text : {"250ms", "2h", "7d", "1500us", "45s"})
    CHECK(parse_duration(format_duration(*parse_duration(text).value)).value->seconds ==
          parse_duration(text).value->seconds);
}

TEST_CASE("a duration without a unit, with an unknown unit or negative is refused with the reason", "[units]")
{
  CHECK_FALSE(parse_duration("5").value);
  CHECK_THAT(parse_duration("5").reason, Catch::Contains("no unit"));
  CHECK_THAT(parse_duration("5 parsecs").reason, Catch::Contains("unknown unit 'parsecs'"));
  CHECK_THAT(parse_duration("-3s").reason, Catch::Contains("negative"));
  CHECK_THAT(parse_duration("soon").reason, Catch::Contains("not a duration"));
}

TEST_CASE("sizes distinguish decimal and binary prefixes", "[units]")
{
  CHECK(parse_bytes("300B").value->count == 300);
  CHECK(parse_bytes("1KB").value->count == 1000);
  CHECK(parse_bytes("1KiB").value->count == 1024);
  CHECK(parse_bytes("2MiB").value->count == 2 * 1024 * 1024);
  CHECK(format_bytes(Bytes{120 * 1024}) == "120KiB");
  CHECK_FALSE(parse_bytes("0.5B").value);
  CHECK_FALSE(parse_bytes("12").value);
}

TEST_CASE("bandwidths are bits per second, byte-based units are converted", "[units]")
{
  CHECK(parse_bandwidth("100Mbps").value->bits_per_second == 100e6);
  CHECK(parse_bandwidth("1Gbps").value->bits_per_second == 1e9);
  CHECK(parse_bandwidth("1MBps").value->bits_per_second == 8e6);
  CHECK_FALSE(parse_bandwidth("0Mbps").value);
  CHECK(format_bandwidth(Bandwidth{100e6}) == "100Mbps");
}

TEST_CASE("fractions are written as 0.3 or 30% and must lie in [0, 1]", "[units]")
{
  CHECK(parse_fraction("30%").value->value == Approx(0.3));
  CHECK(parse_fraction("0.25").value->value == 0.25);
  CHECK_FALSE(parse_fraction("130%").value);
  CHECK_FALSE(parse_fraction("1.5").value);
  CHECK_THAT(parse_fraction("-1%").reason, Catch::Contains("outside [0, 1]"));
}

TEST_CASE("rates are a count per time unit", "[units]")
{
  CHECK(parse_rate("20/s").value->per_second == 20);
  CHECK(parse_rate("1/min").value->per_second == Approx(1.0 / 60));
  CHECK(parse_rate("6/h").value->per_second == Approx(6.0 / 3600));
  CHECK_FALSE(parse_rate("20").value);
  CHECK_FALSE(parse_rate("20/fortnight").value);
}
