// [[circuit]], [[station]] circuit, [meter.grid] kind = "none", [peak] and [grid_operator]: read from
// the file into the site model, and refused with key, value and rule when they break one.
#include <gtest/gtest.h>

#include <set>

#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

/// The example with a garage board (metered by [meter.garage]) under the grid connection, the
/// station on it, a quarter-hour peak and a relay input.
std::string with_limits() {
  auto t = replace(issue_example(), "[[station]]\nname = \"carport\"\n",
                   "[[station]]\nname = \"carport\"\ncircuit = \"garage-board\"\n");
  t = replace(t, "[[station]]\n",
              "[meter.garage]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = 1510\nunit = 2\n"
              "preset = \"eastron-sdm630\"\n\n"
              "[[circuit]]\nname = \"garage-board\"\nparent = \"\"\nmax_current_a = 16\nmax_power_w = 0\n"
              "margin_a = 0.5\nmeter = \"garage\"\n\n"
              "[peak]\ntarget_kw = 4.0\nfollow_month_peak = true\nmargin_kw = 0.2\n\n"
              "[grid_operator]\ninput = \"modbus-di\"\nhost = \"127.0.0.1\"\ndiscrete_input = 3\n"
              "failsafe_after_s = 60\n\n[[station]]\n");
  return t;
}

TEST(LimitsConfig, ReadsCircuitsStationCircuitPeakAndGridOperator) {
  const auto c = gateway::load_config_text(with_limits(), "site.toml");
  ASSERT_EQ(c.site.circuits.size(), 1u);
  const auto& board = c.site.circuits[0];
  EXPECT_EQ(board.name, "garage-board");
  EXPECT_EQ(board.parent, "");
  EXPECT_DOUBLE_EQ(board.max_current_a, 16);
  EXPECT_DOUBLE_EQ(board.margin_a, 0.5);
  EXPECT_EQ(board.meter, "garage");
  EXPECT_EQ(c.site.stations[0].circuit, "garage-board");
  ASSERT_TRUE(c.meters.contains("garage"));
  EXPECT_EQ(c.meters.at("garage").port, 1510);
  EXPECT_TRUE(c.peak.enabled);
  EXPECT_DOUBLE_EQ(c.peak.target_kw, 4.0);
  EXPECT_TRUE(c.peak.follow_month_peak);
  EXPECT_DOUBLE_EQ(c.peak.margin_kw, 0.2);
  EXPECT_EQ(c.grid_operator.input, "modbus-di");
  EXPECT_EQ(c.grid_operator.discrete_input, 3);
  EXPECT_DOUBLE_EQ(c.grid_operator.failsafe_after_s, 60);
  EXPECT_DOUBLE_EQ(c.grid_operator.failsafe_duration_s, 7200);
  EXPECT_TRUE(c.site.grid_metered);
}

TEST(LimitsConfig, WithoutTheSectionsNothingIsLimited) {
  const auto c = gateway::load_config_text(issue_example(), "site.toml");
  EXPECT_TRUE(c.site.circuits.empty());
  EXPECT_FALSE(c.peak.enabled);
  EXPECT_EQ(c.grid_operator.input, "none");
}

TEST(LimitsConfig, RefusesAStationOnAnUnknownCircuit) {
  const auto t = replace(with_limits(), "circuit = \"garage-board\"", "circuit = \"garage\"");
  const auto e = error_for(errors_of(t), "station[0].circuit");
  EXPECT_EQ(e.value, "garage");
  EXPECT_THAT(e.rule, HasSubstr("names no [[circuit]]"));
}

TEST(LimitsConfig, RefusesSafeCurrentsThatOverloadACircuitNamingNodePhaseAndAmperes) {
  const auto t = replace(with_limits(), "max_current_a = 16\nmax_power_w", "max_current_a = 10\nmax_power_w");
  // One finding per overloaded phase: both sockets' 6 A land on every phase.
  std::vector<gateway::ConfigError> found;
  for (const auto& e : errors_of(t))
    if (e.key == "circuit[0].max_current_a") found.push_back(e);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].value, "10");
  EXPECT_THAT(found[0].rule, HasSubstr("circuit garage-board L1"));
  EXPECT_THAT(found[0].rule, HasSubstr("add up to 12 A"));
  EXPECT_THAT(found[2].rule, HasSubstr("circuit garage-board L3"));
}

TEST(LimitsConfig, RefusesACircuitMeterWithoutItsSection) {
  auto t = replace(with_limits(), "meter = \"garage\"", "meter = \"shed\"");
  t = replace(t,
              "[meter.garage]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = 1510\nunit = 2\n"
              "preset = \"eastron-sdm630\"\n",
              "");
  const auto e = error_for(errors_of(t), "circuit[0].meter");
  EXPECT_EQ(e.value, "\"shed\"");
  EXPECT_THAT(e.rule, HasSubstr("names no [meter.shed]"));
}

TEST(LimitsConfig, AMeterNoCircuitNamesIsAnUnknownKey) {
  const auto t = replace(with_limits(), "meter = \"garage\"", "meter = \"\"");
  const auto errors = errors_of(t);
  bool found = false;
  for (const auto& e : errors) found = found || e.key == "meter.garage";
  EXPECT_TRUE(found);
}

TEST(LimitsConfig, RefusesOutOfRangePeakAndGridOperatorValues) {
  auto t = replace(with_limits(), "target_kw = 4.0", "target_kw = -1");
  EXPECT_THAT(error_for(errors_of(t), "peak.target_kw").rule, HasSubstr("must be between 0 and 100000 kW"));
  t = replace(with_limits(), "margin_kw = 0.2", "margin_kw = 5");
  const auto m = error_for(errors_of(t), "peak.margin_kw");
  EXPECT_EQ(m.value, "5");
  EXPECT_THAT(m.rule, HasSubstr("must be below peak.target_kw"));
  t = replace(with_limits(), "input = \"modbus-di\"", "input = \"relay\"");
  const auto i = error_for(errors_of(t), "grid_operator.input");
  EXPECT_EQ(i.value, "\"relay\"");
  EXPECT_THAT(i.rule, HasSubstr("none, modbus-di, gpio"));
  t = replace(with_limits(), "failsafe_after_s = 60", "failsafe_after_s = 1");
  EXPECT_THAT(error_for(errors_of(t), "grid_operator.failsafe_after_s").rule, HasSubstr("between 10 and 3600 s"));
  t = replace(with_limits(), "host = \"127.0.0.1\"\ndiscrete_input", "host = \"\"\ndiscrete_input");
  EXPECT_THAT(error_for(errors_of(t), "grid_operator.host").rule, HasSubstr("must name a host"));
}

TEST(LimitsConfig, AGpioInputIsRefusedWithWhatToUseInstead) {
  const auto t = replace(with_limits(), "input = \"modbus-di\"", "input = \"gpio\"");
  const auto e = error_for(errors_of(t), "grid_operator.input");
  EXPECT_EQ(e.value, "\"gpio\"");
  EXPECT_THAT(e.rule, HasSubstr("not supported"));
  EXPECT_THAT(e.rule, HasSubstr("modbus-di"));
}

/// The example without a grid meter: [meter.grid] kind = "none" and nothing else.
std::string static_budget() {
  auto t = issue_example();
  const auto from = t.find("[meter.grid]");
  const auto to = t.find("[[station]]");
  t.replace(from, to - from, "[meter.grid]\nkind = \"none\"\n\n");
  return t;
}

TEST(LimitsConfig, AStaticBudgetWithoutAGridMeterIsValid) {
  const auto c = gateway::load_config_text(static_budget(), "site.toml");
  EXPECT_FALSE(c.site.grid_metered);
  EXPECT_FALSE(c.meters.contains("grid"));  // no meter worker to start
}

TEST(LimitsConfig, AStaticBudgetRefusesWhatNeedsAGridMeter) {
  auto t = replace(static_budget(), "mode = \"now\"", "mode = \"pv\"");
  const auto e = error_for(errors_of(t), "station[0].socket[0].mode");
  EXPECT_THAT(e.rule, HasSubstr("needs a grid meter"));
  t = replace(static_budget(), "[[station]]\n", "[peak]\ntarget_kw = 4.0\n\n[[station]]\n");
  EXPECT_THAT(error_for(errors_of(t), "peak.enabled").rule, HasSubstr("needs a grid meter"));
  // kind = "none" holds nothing else: a host there is a typo, not a meter.
  t = replace(static_budget(), "kind = \"none\"\n", "kind = \"none\"\nhost = \"127.0.0.1\"\n");
  EXPECT_THAT(error_for(errors_of(t), "meter.grid.host").rule, HasSubstr("unknown key"));
}

TEST(LimitsConfig, AStaticBudgetKeepsTheSafeCurrentRule) {
  // Safe currents alone (2 × 6 A on L1) may not exceed the site limit, meter or no meter.
  auto t = replace(static_budget(), "grid_max_current_a = 25", "grid_max_current_a = 10");
  t = replace(t, "safety_margin_a = 1.0", "safety_margin_a = 0.5");
  t = replace(t, "phase_mapping = \"L2L3L1\"", "phase_mapping = \"L1L2L3\"");
  const auto errors = errors_of(t);
  bool found = false;
  for (const auto& e : errors) found = found || e.rule.find("safe currents alone could overload") != std::string::npos;
  EXPECT_TRUE(found);
}

/// The example with the garage board and two [[schedule]] windows: one on the grid connection on
/// weekday nights, one on the board all week.
std::string with_schedules(const std::string& extra = "") {
  return replace(with_limits(), "[peak]\n",
                 "[[schedule]]\nname = \"night-contract\"\nnode = \"\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", "
                 "\"fri\"]\nfrom = \"22:00\"\nuntil = \"06:00\"\nmax_current_a = 10\nmax_power_w = 0\n\n"
                 "[[schedule]]\nname = \"board-evening\"\nnode = \"garage-board\"\nfrom = \"17:30\"\n"
                 "until = \"21:00\"\nmax_power_w = 3000\n" +
                     extra + "\n[peak]\n");
}

TEST(ScheduleConfig, ReadsTheWindowsWithTheirDefaults) {
  const auto c = gateway::load_config_text(with_schedules(), "site.toml");
  ASSERT_EQ(c.schedules.size(), 2u);
  const auto& night = c.schedules[0];
  EXPECT_EQ(night.name, "night-contract");
  EXPECT_EQ(night.node, "");
  EXPECT_EQ(night.days, (std::vector<std::string>{"mon", "tue", "wed", "thu", "fri"}));
  EXPECT_EQ(night.from, "22:00");
  EXPECT_EQ(night.until, "06:00");
  EXPECT_DOUBLE_EQ(night.max_current_a, 10);
  EXPECT_DOUBLE_EQ(night.max_power_w, 0);
  const auto& board = c.schedules[1];
  EXPECT_EQ(board.node, "garage-board");
  EXPECT_EQ(board.days.size(), 7u) << "all seven days unless it says";
  EXPECT_DOUBLE_EQ(board.max_current_a, 0);
  EXPECT_DOUBLE_EQ(board.max_power_w, 3000);
}

TEST(ScheduleConfig, EveryMistakeIsNamedAtOnceWithKeyValueAndRule) {
  auto t = with_schedules();
  t = replace(t, "node = \"garage-board\"", "node = \"shed\"");
  t = replace(t, "\"fri\"]", "\"friday\"]");
  t = replace(t, "from = \"22:00\"", "from = \"24:00\"");
  t = replace(t, "until = \"21:00\"", "until = \"9pm\"");
  t = replace(t, "max_current_a = 10\nmax_power_w = 0", "max_current_a = -3\nmax_power_w = 0");
  t = replace(t, "max_power_w = 3000", "max_power_w = 0");
  t = replace(t, "name = \"board-evening\"", "name = \"night-contract\"");
  const auto errors = errors_of(t);
  const auto node = error_for(errors, "schedule[1].node");
  EXPECT_EQ(node.value, "\"shed\"");
  EXPECT_THAT(node.rule, HasSubstr("names no [[circuit]]"));
  const auto day = error_for(errors, "schedule[0].days");
  EXPECT_EQ(day.value, "\"friday\"");
  EXPECT_THAT(day.rule, HasSubstr("mon, tue, wed, thu, fri, sat, sun"));
  const auto from = error_for(errors, "schedule[0].from");
  EXPECT_EQ(from.value, "\"24:00\"");
  EXPECT_THAT(from.rule, HasSubstr("HH:MM"));
  EXPECT_EQ(error_for(errors, "schedule[1].until").value, "\"9pm\"");
  const auto negative = error_for(errors, "schedule[0].max_current_a");
  EXPECT_EQ(negative.value, "-3");
  EXPECT_THAT(negative.rule, HasSubstr("between 0 and 1000 A"));
  const auto no_limit = error_for(errors, "schedule[1].max_current_a");
  EXPECT_THAT(no_limit.rule, HasSubstr("needs max_current_a or max_power_w above 0"));
  const auto name = error_for(errors, "schedule[1].name");
  EXPECT_THAT(name.rule, HasSubstr("must be unique"));
  for (const auto& e : errors) EXPECT_GT(e.line, 0) << e.format();
}

TEST(ScheduleConfig, AWindowAboveTheFuseIsValidItCannotRaiseAnything) {
  auto t = replace(with_schedules(), "max_current_a = 10\nmax_power_w = 0", "max_current_a = 400\nmax_power_w = 0");
  const auto c = gateway::load_config_text(t, "site.toml");
  EXPECT_DOUBLE_EQ(c.schedules[0].max_current_a, 400);
}

TEST(ScheduleConfig, TheSameRulesJudgeTheJsonList) {
  const auto site = gateway::load_config_text(with_limits(), "site.toml").site;
  const auto list = nlohmann::json::parse(R"([{"name": "a", "from": "22:00", "until": "06:00", "max_current_a": 10},
      {"name": "b", "node": "garage-board", "days": ["sat", "sun"], "from": "08:00", "until": "12:00",
       "max_power_w": 4000}])");
  const auto windows = gateway::schedules_from_json(list);
  ASSERT_TRUE(windows);
  EXPECT_TRUE(gateway::validate_schedules(*windows, site).empty());
  EXPECT_EQ(gateway::schedules_to_json(*windows)[1]["days"], nlohmann::json::array({"sat", "sun"}));
  // A round trip gives the same windows.
  const auto again = gateway::schedules_from_json(gateway::schedules_to_json(*windows));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *windows);
  // Shape: every problem at once.
  const auto bad = gateway::schedules_from_json(
      nlohmann::json::parse(R"([{"name": 3, "from": "22:00", "colour": "red"}, {"until": "06:00", "days": "mon"}])"));
  ASSERT_FALSE(bad);
  std::set<std::string> keys;
  for (const auto& i : bad.error()) keys.insert(i.key);
  EXPECT_EQ(keys, (std::set<std::string>{"schedule[0].name", "schedule[0].colour", "schedule[0].until",
                                         "schedule[1].name", "schedule[1].from", "schedule[1].days"}));
  EXPECT_FALSE(gateway::schedules_from_json(nlohmann::json::object()));
}

}  // namespace
}  // namespace emsgw::test
