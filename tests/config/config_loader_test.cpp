// The loader's own duties: types, required keys, unknown keys, file:line, every error at once.
#include <gtest/gtest.h>

#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

TEST(ConfigLoader, RefusesAMissingRequiredKeyNamingKeyAndSection) {
  const auto t =
      replace(issue_example(), "grid_max_current_a = 25      # per phase, at the point of interconnection\n", "");
  const auto e = error_for(errors_of(t), "site.grid_max_current_a");
  EXPECT_EQ(e.value, "(missing)");
  EXPECT_THAT(e.rule, HasSubstr("is required in [site]"));
  EXPECT_EQ(e.line, 1);  // the [site] header
  EXPECT_EQ(e.file, "site.toml");
}

TEST(ConfigLoader, RefusesAMissingSocketKey) {
  const auto t = replace(issue_example(), "phase_mapping = \"L2L3L1\"\n", "");
  const auto e = error_for(errors_of(t), "station[0].socket[1].phase_mapping");
  EXPECT_EQ(e.value, "(missing)");
}

TEST(ConfigLoader, RefusesAMissingGridMeter) {
  auto t = issue_example();
  const auto from = t.find("[meter.grid]");
  const auto to = t.find("[[station]]");
  t.erase(from, to - from);
  const auto errors = errors_of(t);
  EXPECT_THAT(error_for(errors, "meter").rule, HasSubstr("is required"));
}

TEST(ConfigLoader, RefusesAnUnknownKeyWithItsLine) {
  const auto t = replace(issue_example(), "safety_margin_a = 1.0", "safety_margin = 1.0");
  const auto e = error_for(errors_of(t), "site.safety_margin");
  EXPECT_EQ(e.value, "1.0");
  EXPECT_THAT(e.rule, HasSubstr("unknown key in [site]"));
  EXPECT_EQ(e.line, 6);
}

TEST(ConfigLoader, RefusesUnknownKeysEverywhere) {
  auto t = replace(issue_example(), "poll_interval_ms = 250", "poll_interval_ms = 250\npolling = 1");
  t = replace(t, "mode = \"now\"                 # off | now | minpv | pv", "mode = \"now\"\nmaximum_a = 16");
  t += "\n[mqttt]\nurl = \"tcp://127.0.0.1:1883\"\n";
  const auto errors = errors_of(t);
  EXPECT_THAT(error_for(errors, "meter.grid.polling").rule, HasSubstr("unknown key in [meter.grid]"));
  EXPECT_THAT(error_for(errors, "station[0].socket[0].maximum_a").rule, HasSubstr("unknown key"));
  EXPECT_THAT(error_for(errors, "mqttt").rule, HasSubstr("unknown key"));
}

TEST(ConfigLoader, RefusesAWrongTypeNamingBothTypes) {
  const auto e =
      error_for(errors_of(replace(issue_example(), "grid_max_current_a = 25", "grid_max_current_a = \"25\"")),
                "site.grid_max_current_a");
  EXPECT_EQ(e.value, "\"25\"");
  EXPECT_EQ(e.rule, "must be a number, not a string");
  const auto b =
      error_for(errors_of(replace(issue_example(), "meter_includes_chargers = true", "meter_includes_chargers = 1")),
                "site.meter_includes_chargers");
  EXPECT_EQ(b.rule, "must be true or false, not an integer");
}

TEST(ConfigLoader, ReportsAllErrorsAtOnce) {
  auto t = replace(issue_example(), "alternating_period_s = 900", "alternating_period_s = 10");
  t = replace(t, "unit = 2\n", "unit = 5\n");
  t = replace(t, "\"L2L3L1\"", "\"L4\"");
  t = replace(t, "safe_current_a = 6", "safe_current_a = 99");
  const auto errors = errors_of(replace(t, "mode = \"now\"\n", "mode = \"turbo\"\n"));
  // Structural errors (unknown mapping and mode) come first; range rules need a sound structure.
  EXPECT_EQ(errors.size(), 2u);
  const auto semantic = errors_of(t = replace(t, "\"L4\"", "\"L1\""));
  EXPECT_EQ(semantic.size(), 3u);  // period, unit, safe current
  for (const auto& e : semantic) EXPECT_GT(e.line, 0) << e.format();
}

TEST(ConfigLoader, ReportsSyntaxErrorsWithTheirLine) {
  const auto errors = errors_of(replace(issue_example(), "grid_phases = 3", "grid_phases = = 3"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_THAT(errors[0].rule, HasSubstr("TOML syntax error"));
}

TEST(ConfigLoader, FormatsErrorsAsFileLineKeyValueRule) {
  const gateway::ConfigError e{"home.toml", 12, "site.grid_phases", "2", "must be 1 or 3"};
  EXPECT_EQ(e.format(), "home.toml:12: site.grid_phases = 2: must be 1 or 3");
}

TEST(ConfigLoader, AnUnreadableFileIsAClearError) {
  try {
    (void)gateway::load_config_file("/nonexistent/emsgw.toml");
    FAIL() << "expected ConfigLoadError";
  } catch (const gateway::ConfigLoadError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_THAT(e.errors()[0].rule, HasSubstr("cannot be read"));
  }
}

TEST(ConfigLoader, RefusesAnUnknownMeterKindAndPreset) {
  const auto k =
      error_for(errors_of(replace(issue_example(), "kind = \"modbus-tcp\"", "kind = \"modbus\"")), "meter.grid.kind");
  EXPECT_THAT(k.rule, HasSubstr("modbus-tcp, modbus-rtu, dsmr-serial, dsmr-tcp, tic-serial"));
  const auto p =
      error_for(errors_of(replace(issue_example(), "\"eastron-sdm630\"", "\"sdm630\"")), "meter.grid.preset");
  EXPECT_THAT(p.rule, HasSubstr("eastron-sdm630"));
}

TEST(ConfigLoader, ReadsACustomRegisterMap) {
  const auto t = replace(issue_example(), "preset = \"eastron-sdm630\"",
                         "preset = \"custom\"\n"
                         "map.current_l1 = { register = 50528, function = 3, type = \"u32\", scale = 0.001 }\n"
                         "map.power_l1 = { register = 18, type = \"s32\", word_order = \"low-first\", scale = 0.1 }");
  const auto cfg = gateway::load_config_text(t, "custom.toml");
  const auto& m = cfg.meters.at("grid");
  ASSERT_EQ(m.custom.size(), 2u);
  const auto& c = m.custom.at(drivers::Quantity::CurrentL1);
  EXPECT_EQ(c.address, 50528);
  EXPECT_EQ(c.function, 3);
  EXPECT_EQ(c.type, drivers::ValueType::U32);
  EXPECT_DOUBLE_EQ(c.scale, 0.001);
  EXPECT_EQ(m.custom.at(drivers::Quantity::PowerL1).order, drivers::WordOrder::LowFirst);
}

TEST(ConfigLoader, RefusesBadCustomMapEntries) {
  const auto t = replace(issue_example(), "preset = \"eastron-sdm630\"",
                         "preset = \"custom\"\n"
                         "map.current_l1 = { register = 6, function = 5, type = \"float32\" }\n"
                         "map.current_x = { register = 8, type = \"float32\" }\n"
                         "map.power_l1 = { register = 12, type = \"float16\" }");
  const auto errors = errors_of(t);
  EXPECT_THAT(error_for(errors, "meter.grid.map.current_x").rule, HasSubstr("unknown key"));
  EXPECT_THAT(error_for(errors, "meter.grid.map.power_l1.type").rule, HasSubstr("u16, s16, u32"));
  const auto fixed = errors_of(
      replace(replace(t, "map.current_x = { register = 8, type = \"float32\" }\n", ""), "\"float16\"", "\"float32\""));
  EXPECT_THAT(error_for(fixed, "meter.grid.map.current_l1.function").rule, HasSubstr("3 (holding) or 4 (input"));
}

TEST(ConfigLoader, SerialMetersGetTheirProtocolDefaults) {
  auto t = issue_example();
  const auto from = t.find("[meter.grid]");
  const auto to = t.find("[[station]]");
  t.replace(from, to - from, "[meter.grid]\nkind = \"dsmr-serial\"\ndevice = \"/dev/ttyUSB0\"\n\n");
  const auto cfg = gateway::load_config_text(t, "p1.toml");
  const auto& s = cfg.meters.at("grid").serial;
  EXPECT_EQ(s.baud, 115200);
  EXPECT_EQ(s.parity, 'N');
  EXPECT_EQ(s.data_bits, 8);
}

}  // namespace
}  // namespace emsgw::test

namespace emsgw::test {
namespace {

// An integer beyond every range is a value, not the file's shape: it is reported together with
// every rule the rest of the file breaks (here a huge number and a unit), in one pass.
TEST(ConfigLoader, OutOfRangeIntegersAndHugeNumbersComeInOnePass) {
  auto t = replace(issue_example(), "alternating_period_s = 900", "alternating_period_s = 99999999999");
  t = replace(t, "meter_stale_after_s = 5", "meter_stale_after_s = 1e300");
  t = replace(t, "unit = 2\n", "unit = 5\n");
  const auto errors = errors_of(t);
  EXPECT_EQ(error_for(errors, "site.alternating_period_s").rule, "is out of range for an integer setting");
  EXPECT_THAT(error_for(errors, "site.meter_stale_after_s").rule, ::testing::HasSubstr("must be between"));
  EXPECT_THAT(error_for(errors, "station[0].socket[1].unit").rule, ::testing::HasSubstr("must be 1"));
  EXPECT_EQ(errors.size(), 3u) << "no follow-up findings about the refused value's default";
  // A number that no double holds stops the TOML parser itself: one syntax error with its line.
  const auto syntax = errors_of(replace(issue_example(), "meter_stale_after_s = 5", "meter_stale_after_s = 1e400"));
  ASSERT_EQ(syntax.size(), 1u);
  EXPECT_EQ(syntax[0].line, 9);
}

// Two [[station]] entries on one endpoint would count one station twice: refused, naming both, also
// when one says localhost and the other 127.0.0.1.
TEST(ConfigLoader, RefusesTwoStationsOnOneEndpoint) {
  const std::string second = R"(
[[station]]
name = "garage"
host = "HOST"
port = 1503
max_current_a = 16

[[station.socket]]
id = 5
unit = 1
max_current_a = 16
safe_current_a = 0
phase_mapping = "L3L1L2"
)";
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    const auto errors = errors_of(issue_example() + replace(second, "HOST", host));
    const auto e = error_for(errors, "station[1].host");
    EXPECT_THAT(e.rule, ::testing::HasSubstr("\"garage\"")) << host;
    EXPECT_THAT(e.rule, ::testing::HasSubstr("\"carport\"")) << host;
    EXPECT_EQ(e.value, "\"" + host + ":1503\"");
  }
  EXPECT_TRUE(errors_of(issue_example() + replace(replace(second, "HOST", "localhost"), "1503", "1504")).empty());
}

}  // namespace
}  // namespace emsgw::test
