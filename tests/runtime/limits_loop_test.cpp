// The control loop fills the snapshot's limits: the quarter-hour peak's budget from the grid samples
// (and the meter's running quarter-hour average, DSMR 1-0:1.4.0, where it sends one), and each
// metered circuit's reading from its meter.
#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "gateway/control/control_loop.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using test::NullActuator;
using test::ReportLog;

std::string example() {
  return test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
}

/// A quarter-hour start on the wall clock (UTC quarters are local quarters).
const ems::WallTime kQuarter = ems::WallTime{} + std::chrono::hours(500'000);
const ems::MonoTime kMono = ems::MonoTime{} + std::chrono::hours(1);

Turn at(double s) {
  const auto d = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
  return {kMono + d, kQuarter + d};
}

MeterEvent sample(const std::string& role, double s, std::array<double, 3> a, std::optional<double> power_w,
                  std::optional<double> quarter_average_w = std::nullopt) {
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(a[p]);
  if (power_w) r.power_total_w = drivers::Measurement::of(*power_w);
  if (quarter_average_w) r.demand_quarter_hour_w = drivers::Measurement::of(*quarter_average_w);
  r.mono = at(s).mono;
  r.wall = at(s).wall;
  return MeterEvent{role, r};
}

Config with_peak() {
  const auto text = example() + "\n[peak]\ntarget_kw = 4.0\nfollow_month_peak = false\nmargin_kw = 0.2\n";
  return load_config_text(text, "peak.toml");
}

TEST(LimitsLoop, TheQuarterHourPeakBecomesTheEvsPowerLimit) {
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(with_peak(), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  // 1000 W of household for five minutes, no EV drawing.
  for (int s = 0; s <= 300; s += 10) loop.handle(sample("grid", s, {1.5, 1.5, 1.5}, 1000), at(s));
  ASSERT_TRUE(log.last);
  const auto& flex = log.last->snapshot.flex_limit;
  ASSERT_TRUE(flex.has_value());
  // (3.8 kW × 15 min − 1 kW × 5 min) over the 10 min left = 5200 W; less the household's 1000 W.
  EXPECT_NEAR(flex->power.value(), 4200, 1e-6);
  EXPECT_EQ(flex->reason, ems::Reason::PeakLimit);
  EXPECT_EQ(flex->text, "quarter-hour peak 4.0 kW");
}

TEST(LimitsLoop, TheMetersQuarterAverageIsTheBetterFigure) {
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(with_peak(), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  for (int s = 0; s < 300; s += 10) loop.handle(sample("grid", s, {1.5, 1.5, 1.5}, 1000), at(s));
  // The P1 telegram says the quarter so far averaged 3000 W (250 Wh in five minutes).
  loop.handle(sample("grid", 300, {1.5, 1.5, 1.5}, 1000, 3000), at(300));
  ASSERT_TRUE(log.last && log.last->snapshot.flex_limit);
  // (950 Wh − 250 Wh) over 10 min = 4200 W; less the household's 1000 W.
  EXPECT_NEAR(log.last->snapshot.flex_limit->power.value(), 3200, 1e-6);
}

TEST(LimitsLoop, WithoutPeakThereIsNoFlexibleLimit) {
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(load_config_text(example(), "example.toml"), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  loop.handle(sample("grid", 0, {1.5, 1.5, 1.5}, 1000), at(0));
  ASSERT_TRUE(log.last);
  EXPECT_FALSE(log.last->snapshot.flex_limit.has_value());
}

TEST(LimitsLoop, ACircuitMetersReadingReachesTheAllocator) {
  auto text = example();
  text.replace(text.find("[[station]]\n"), 12,
               "[meter.garage]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = 1510\nunit = 2\n"
               "preset = \"eastron-sdm630\"\n\n[[circuit]]\nname = \"garage-board\"\nmax_current_a = 20\n"
               "meter = \"garage\"\n\n[[station]]\ncircuit = \"garage-board\"\n");
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(load_config_text(text, "circuit.toml"), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  loop.handle(sample("garage", 0, {3, 4, 5}, std::nullopt), at(0));
  loop.handle(sample("grid", 0, {6, 6, 6}, std::nullopt), at(0));
  ASSERT_TRUE(log.last);
  const auto& snap = log.last->snapshot;
  ASSERT_EQ(snap.circuits.size(), 1u);
  EXPECT_TRUE(snap.circuits[0].valid);
  EXPECT_DOUBLE_EQ(snap.circuits[0].current[1].value(), 4);
  const auto& alloc = log.last->allocation;
  ASSERT_EQ(alloc.circuits.size(), 1u);
  EXPECT_TRUE(alloc.circuits[0].meter_ok);
  EXPECT_DOUBLE_EQ(alloc.circuits[0].non_ev_load[2].value(), 5);  // no station has answered: no EV to subtract
  EXPECT_FALSE(alloc.is_degraded(ems::Degradation::CircuitMeterStale));
}

TEST(LimitsLoop, TheStoredMonthPeakBecomesTheTargetWhenFollowingIt) {
  const auto text = example() + "\n[peak]\ntarget_kw = 4.0\nfollow_month_peak = true\nmargin_kw = 0.2\n";
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(load_config_text(text, "peak.toml"), clock, actuator);
  loop.set_month_peak(6000);  // kept by storage from earlier this month
  ReportLog log;
  loop.add_observer(&log);
  for (int s = 0; s <= 300; s += 10) loop.handle(sample("grid", s, {1.5, 1.5, 1.5}, 1000), at(s));
  ASSERT_TRUE(log.last && log.last->snapshot.flex_limit);
  // (5.8 kW × 15 min − 1 kW × 5 min) over the 10 min left = 8200 W; less the household's 1000 W.
  EXPECT_NEAR(log.last->snapshot.flex_limit->power.value(), 7200, 1e-6);
  EXPECT_EQ(log.last->snapshot.flex_limit->text, "quarter-hour peak 6.0 kW");
}

TEST(LimitsLoop, AQuarterThatEndsIsHandedToStorageInTheStepReport) {
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(with_peak(), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  std::vector<ems::ClosedQuarter> closed;
  for (int s = 0; s <= 910; s += 10) {
    loop.handle(sample("grid", s, {1.5, 1.5, 1.5}, 2000), at(s));
    closed.insert(closed.end(), log.last->closed_quarters.begin(), log.last->closed_quarters.end());
  }
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].start, kQuarter);
  EXPECT_NEAR(closed[0].average_w, 2000, 1e-6);
  EXPECT_NEAR(closed[0].energy_wh, 500, 1e-6);
}

TEST(LimitsLoop, TheStatusShowsEachCircuitsLoadAndTheQuartersFigures) {
  auto text = example();
  text.replace(text.find("[[station]]\n"), 12,
               "[meter.garage]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = 1510\nunit = 2\n"
               "preset = \"eastron-sdm630\"\n\n[[circuit]]\nname = \"garage-board\"\nmax_current_a = 20\n"
               "meter = \"garage\"\n\n[[circuit]]\nname = \"carport-board\"\nmax_power_w = 11000\n\n"
               "[[station]]\ncircuit = \"carport-board\"\n");
  text += "\n[peak]\ntarget_kw = 4.0\nfollow_month_peak = false\nmargin_kw = 0.2\n";
  ems::ManualClock clock(kMono, kQuarter);
  NullActuator actuator;
  ControlLoop loop(load_config_text(text, "circuits.toml"), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  loop.handle(sample("garage", 0, {3, 4, 5}, std::nullopt), at(0));
  for (int s = 0; s <= 300; s += 10) loop.handle(sample("grid", s, {1.5, 1.5, 1.5}, 1000), at(s));
  ASSERT_TRUE(log.last && log.last->status);
  const auto& st = *log.last->status;
  ASSERT_EQ(st.circuits.size(), 2u);
  EXPECT_EQ(st.circuits[0].name, "garage-board");
  EXPECT_TRUE(st.circuits[0].metered);
  EXPECT_DOUBLE_EQ(st.circuits[0].load_a[1], 4);
  EXPECT_DOUBLE_EQ(st.circuits[0].max_current_a, 20);
  EXPECT_EQ(st.circuits[1].name, "carport-board");
  EXPECT_FALSE(st.circuits[1].metered);
  EXPECT_DOUBLE_EQ(st.circuits[1].load_w, 0) << "no station has answered: no EV below it";
  EXPECT_DOUBLE_EQ(st.circuits[1].max_power_w, 11000);
  ASSERT_TRUE(st.peak.has_value());
  EXPECT_NEAR(st.peak->quarter_energy_wh, 1000.0 * 300 / 3600, 1e-6);
  EXPECT_NEAR(st.peak->projected_average_w, 1000, 1e-6);
  EXPECT_DOUBLE_EQ(st.peak->target_w, 4000);
  EXPECT_NEAR(st.peak->allowed_import_w, 5200, 1e-6);
  EXPECT_EQ(st.dimming.state, "unlimited");
  EXPECT_DOUBLE_EQ(st.dimming.floor_w, 4200);
}

}  // namespace
}  // namespace emsgw::gateway
