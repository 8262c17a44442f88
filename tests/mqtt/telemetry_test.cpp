#include "mqtt/telemetry.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/mqtt/mqtt_test_support.hpp"

namespace emsgw::mqtt {
namespace {

const TelemetryItem* find(const std::vector<TelemetryItem>& items, const std::string& topic) {
  auto it = std::find_if(items.begin(), items.end(), [&](const auto& i) { return i.topic == topic; });
  return it == items.end() ? nullptr : &*it;
}

std::string payload(const std::vector<TelemetryItem>& items, const std::string& topic) {
  const auto* i = find(items, topic);
  return i ? i->payload : std::string("<absent>");
}

TEST(TelemetryItems, PeakDimmingAndCircuitsHaveTheirTopics) {
  const Topics t("emsgw/home_lab");
  auto st = test::sample_status(0);
  auto items = telemetry_items(st, t);
  EXPECT_EQ(find(items, "emsgw/home_lab/peak/month_peak"), nullptr) << "no [peak]: nothing published";
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid_operator/state"), "unlimited");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid_operator/limit"), "None");
  ems::PeakStatus peak;
  peak.quarter_energy_wh = 612.4;
  peak.projected_average_w = 3720;
  peak.month_peak_w = 4100;
  peak.target_w = 4100;
  peak.allowed_import_w = 2950.6;
  st.peak = peak;
  st.dimming.state = "limited";
  st.dimming.limit_w = 4200;
  st.dimming.source = "relay";
  ems::CircuitStatus c;
  c.name = "Garage Board";
  c.load_a = {10, 11, 12.26};
  c.load_w = 7647.6;
  st.circuits.push_back(c);
  items = telemetry_items(st, t);
  EXPECT_EQ(payload(items, "emsgw/home_lab/peak/quarter_energy"), "612");
  EXPECT_EQ(payload(items, "emsgw/home_lab/peak/projected_average"), "3720");
  EXPECT_EQ(payload(items, "emsgw/home_lab/peak/month_peak"), "4100");
  EXPECT_EQ(payload(items, "emsgw/home_lab/peak/allowed_import"), "2951");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid_operator/state"), "limited");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid_operator/limit"), "4200");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid_operator/source"), "relay");
  EXPECT_EQ(payload(items, "emsgw/home_lab/circuit/garage_board/load_power"), "7648");
  EXPECT_EQ(payload(items, "emsgw/home_lab/circuit/garage_board/l3_load"), "12.3");
}

TEST(TelemetryItems, MapsGridSocketsAndSiteToTopics) {
  const Topics t("emsgw/home_lab");
  auto st = test::sample_status(0);
  st.degraded = true;
  st.degraded_reasons = {"meter_stale", "station_offline:garage"};
  const auto items = telemetry_items(st, t);
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid/power"), "7590");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid/l1/current"), "10.00");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid/l3/voltage"), "231.0");
  EXPECT_EQ(payload(items, "emsgw/home_lab/grid/import_energy"), "1000.000");
  EXPECT_EQ(find(items, "emsgw/home_lab/grid/import_energy")->kind, ValueKind::Energy);
  EXPECT_EQ(payload(items, "emsgw/home_lab/site/state"), "degraded");
  EXPECT_EQ(payload(items, "emsgw/home_lab/site/degraded"), "ON");
  EXPECT_EQ(payload(items, "emsgw/home_lab/site/degraded_reasons"), "meter_stale; station_offline:garage");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/state"), "charging");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/state_text"), "charging");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/ev_connected"), "ON");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/2/charging"), "OFF");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/setpoint"), "10.0");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/mode"), "now");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/reason_text"), "limited by grid phase L1");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/2/reason"), "none");
  EXPECT_EQ(payload(items, "emsgw/home_lab/socket/1/session_energy"), "1.000");
  EXPECT_EQ(payload(items, "emsgw/home_lab/station/carport/online"), "ON");
  EXPECT_EQ(payload(items, "emsgw/home_lab/heatpump/sg_ready"), "2");
  for (const auto& i : items) EXPECT_TRUE(valid_publish_topic(i.topic)) << i.topic;
}

TEST(TelemetryItems, LeavesOutAbsentValuesAndUnconfiguredDevices) {
  const Topics t("p");
  auto st = test::sample_status(0);
  st.grid.current_a[1].reset();
  st.grid.import_wh.reset();
  st.sockets[0].applied_a.reset();
  st.pv.configured = false;
  st.heatpump.configured = false;
  const auto items = telemetry_items(st, t);
  EXPECT_EQ(find(items, "p/grid/l2/current"), nullptr);
  EXPECT_EQ(find(items, "p/grid/import_energy"), nullptr);
  EXPECT_EQ(find(items, "p/socket/1/applied"), nullptr);
  EXPECT_EQ(find(items, "p/pv/power"), nullptr);
  EXPECT_EQ(find(items, "p/heatpump/power"), nullptr);
  EXPECT_NE(find(items, "p/grid/l1/current"), nullptr);
}

TEST(TelemetryItems, NegativeZeroAndNanAreNotPublished) {
  auto st = test::sample_status(0);
  st.grid.power_w_total = -0.0001;
  st.grid.power_w[0] = std::numeric_limits<double>::quiet_NaN();
  const auto items = telemetry_items(st, Topics("p"));
  EXPECT_EQ(payload(items, "p/grid/power"), "0");
  EXPECT_EQ(find(items, "p/grid/l1/power"), nullptr);
}

TelemetryItem measurement(std::string topic, std::string payload) {
  return {std::move(topic), std::move(payload), ValueKind::Measurement, 0, std::nullopt};
}
TelemetryItem state(std::string topic, std::string payload) {
  return {std::move(topic), std::move(payload), ValueKind::State, 0, std::nullopt};
}
TelemetryItem energy(std::string topic, double wh, std::optional<bool> session = std::nullopt) {
  return {std::move(topic), std::to_string(wh), ValueKind::Energy, wh, session};
}

TEST(TelemetryFilter, StatesGoOutOnChangeOnly) {
  TelemetryFilter f(ems::Millis(1000));
  const ems::MonoTime t0{};
  EXPECT_EQ(f.select({state("s", "a")}, t0).size(), 1U);
  EXPECT_TRUE(f.select({state("s", "a")}, t0 + ems::Millis(5000)).empty());
  EXPECT_EQ(f.select({state("s", "b")}, t0 + ems::Millis(5001)).size(), 1U);
}

TEST(TelemetryFilter, MeasurementsAtMostOncePerIntervalAndOnlyWhenChanged) {
  TelemetryFilter f(ems::Millis(1000));
  const ems::MonoTime t0{};
  EXPECT_EQ(f.select({measurement("p", "1")}, t0).size(), 1U);
  EXPECT_TRUE(f.select({measurement("p", "2")}, t0 + ems::Millis(100)).empty()) << "faster than the interval";
  EXPECT_TRUE(f.select({measurement("p", "1")}, t0 + ems::Millis(1500)).empty()) << "unchanged";
  const auto out = f.select({measurement("p", "3")}, t0 + ems::Millis(1600));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].payload, "3");
  EXPECT_TRUE(f.select({measurement("p", "4")}, t0 + ems::Millis(2500)).empty());
  EXPECT_EQ(f.select({measurement("p", "4")}, t0 + ems::Millis(2600)).size(), 1U);
}

TEST(TelemetryFilter, EnergyNeverGoesBackwards) {
  TelemetryFilter f(ems::Millis(0));
  const ems::MonoTime t0{};
  EXPECT_EQ(f.select({energy("e", 1000)}, t0).size(), 1U);
  EXPECT_TRUE(f.select({energy("e", 0)}, t0 + ems::Millis(10)).empty()) << "a glitch to 0";
  EXPECT_TRUE(f.select({energy("e", 999)}, t0 + ems::Millis(20)).empty());
  EXPECT_EQ(f.energy_regressions(), 2U);
  const auto out = f.select({energy("e", 1001)}, t0 + ems::Millis(30));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].energy_wh, 1001);
  // A full re-send after a reconnect repeats the highest value, not the lower sample.
  f.resend_all();
  const auto again = f.select({energy("e", 10)}, t0 + ems::Millis(40));
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].energy_wh, 1001);
}

TEST(TelemetryFilter, SessionEnergyRestartsOnlyWithANewSession) {
  TelemetryFilter f(ems::Millis(0));
  const ems::MonoTime t0{};
  EXPECT_EQ(f.select({energy("s", 5000, true)}, t0).size(), 1U);
  EXPECT_TRUE(f.select({energy("s", 0, true)}, t0 + ems::Millis(1)).empty()) << "drop during a session is a glitch";
  EXPECT_EQ(f.select({energy("s", 5000, false)}, t0 + ems::Millis(2)).size(), 0U) << "unplugged, unchanged";
  const auto out = f.select({energy("s", 0, true)}, t0 + ems::Millis(3));
  ASSERT_EQ(out.size(), 1U) << "plugged in again: a new session starts at 0";
  EXPECT_EQ(out[0].energy_wh, 0);
}

TEST(TelemetryFilter, ResendAllSendsEverythingOnce) {
  TelemetryFilter f(ems::Millis(1000));
  const ems::MonoTime t0{};
  const std::vector<TelemetryItem> items{state("a", "1"), measurement("b", "2")};
  EXPECT_EQ(f.select(items, t0).size(), 2U);
  EXPECT_TRUE(f.select(items, t0 + ems::Millis(1)).empty());
  f.resend_all();
  EXPECT_EQ(f.select(items, t0 + ems::Millis(2)).size(), 2U);
  EXPECT_TRUE(f.select(items, t0 + ems::Millis(3)).empty());
}

}  // namespace
}  // namespace emsgw::mqtt
