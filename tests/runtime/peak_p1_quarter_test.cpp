// The quarter-hour peak over a whole quarter hour in virtual time: the project's P1 simulator writes
// each second's telegram (Fluvius, with its running quarter-hour average 1-0:1.4.0 and the month's
// peak 1-0:1.6.0) for a site whose grid meter sees a household of 2 kW and one car; the telegram goes
// through the DSMR parser into the control loop, the car draws what emsgw sets. Without [peak] the
// quarter averages about 13 kW; with a 9 kW target the car is held and the quarter stays under it;
// when the meter says the month's peak is already 11 kW, that billed peak becomes the target.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "drivers/dsmr/dsmr_parser.hpp"
#include "drivers/dsmr/sim/p1_emitter.hpp"
#include "gateway/config/config.hpp"
#include "gateway/control/control_loop.hpp"
#include "tests/runtime/fake_station_device.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

const ems::WallTime kQuarter = ems::WallTime{} + std::chrono::hours(500'000);
const ems::MonoTime kMono = ems::MonoTime{} + std::chrono::hours(1);
constexpr double kVolts = 230;
constexpr double kHouseholdA = 2000.0 / 3 / kVolts;  // 2 kW over three phases

class StationActuator : public Actuator {
 public:
  explicit StationActuator(test::FakeStationDevice& station) : station_(station) {}
  void set_desired(std::size_t, int unit, double amps, int) override {
    desired[unit] = amps;
    (void)station_.write_current(unit, amps);
  }
  void set_desired_scn(std::size_t, const std::array<double, 3>&) override {}
  void affirm() override {}
  std::map<int, double> desired;

 private:
  test::FakeStationDevice& station_;
};

struct QuarterResult {
  double average_w = 0;     ///< the quarter's average import, as the meter integrates it
  double ev_energy_wh = 0;  ///< what the car charged
  double highest_running_average_w = 0;
  std::string last_reason;
};

QuarterResult run_quarter(const std::string& peak_section, std::optional<double> meter_month_peak_kw) {
  auto text = test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
  text += peak_section;
  ems::ManualClock clock(kMono, kQuarter);
  test::FakeStationDevice station(clock, {1, 2}, 60);
  StationActuator actuator(station);
  ControlLoop loop(load_config_text(text, "peak-p1.toml"), clock, actuator);
  QuarterResult out;
  double energy_wh = 0;
  double ev_a = 0;
  station.plug(1, ems::ConnectorState::Charging, "C2", {0, 0, 0});
  for (int s = 1; s <= 900; ++s) {
    clock.advance(ems::Millis(1000));
    // The car follows the set-point emsgw wrote (at most 16 A, nothing below its 6 A minimum).
    const auto d = actuator.desired.find(1);
    ev_a = d == actuator.desired.end() ? 0.0 : std::clamp(d->second, 0.0, 16.0);
    if (ev_a < 6) ev_a = 0;
    station.plug(1, ems::ConnectorState::Charging, "C2", {ev_a, ev_a, ev_a});
    // The meter: household and car on every phase, its own running quarter average.
    drivers::sim::P1State p1;
    for (auto& a : p1.current_a) a = kHouseholdA + ev_a;
    const double import_w = 3 * (kHouseholdA + ev_a) * kVolts;
    energy_wh += import_w / 3600.0;
    out.ev_energy_wh += 3 * ev_a * kVolts / 3600.0;
    p1.demand_quarter_kw = energy_wh * 3600.0 / s / 1000.0;
    p1.demand_month_peak_kw = meter_month_peak_kw;
    out.highest_running_average_w = std::max(out.highest_running_average_w, *p1.demand_quarter_kw * 1000);
    const auto telegram = drivers::sim::make_p1_telegram(p1, clock.wall_now(), drivers::sim::P1Flavour::Fluvius);
    auto frame = drivers::parse_dsmr_frame(telegram);
    EXPECT_TRUE(frame.has_value());
    if (!frame) break;
    loop.handle(MeterEvent{"grid", drivers::dsmr_reading(*frame, clock.mono_now(), clock.wall_now())});
    loop.handle(StationEvent{0, station.poll()});
    loop.step("timer");
  }
  out.average_w = energy_wh * 3600.0 / 900.0;
  if (const auto st = loop.status(); st && !st->sockets.empty()) out.last_reason = st->sockets[0].reason;
  return out;
}

TEST(PeakP1Quarter, WithoutPeakControlTheQuarterAveragesAboveTheTarget) {
  const auto r = run_quarter("", 6.0);
  EXPECT_GT(r.average_w, 12000) << "the car charges at 16 A the whole quarter";
}

TEST(PeakP1Quarter, TheCarIsHeldSoTheQuarterStaysUnderTheTarget) {
  const auto free = run_quarter("", 6.0);
  const auto r = run_quarter("\n[peak]\ntarget_kw = 9.0\nfollow_month_peak = true\nmargin_kw = 0.2\n", 6.0);
  EXPECT_LE(r.average_w, 9000) << "the quarter's average must stay under the 9 kW target";
  EXPECT_GT(r.average_w, 8000) << "the budget is used, not wasted";
  EXPECT_GT(r.ev_energy_wh, 0.75 * (8800 - 2000) * 900 / 3600) << "charging is held, not stopped";
  EXPECT_LT(r.ev_energy_wh, free.ev_energy_wh);
  EXPECT_EQ(r.last_reason, "peak-limit");
  std::printf("quarter average: %.0f W without [peak], %.0f W with a 9 kW target; EV %.0f Wh vs %.0f Wh\n",
              free.average_w, r.average_w, r.ev_energy_wh, free.ev_energy_wh);
}

TEST(PeakP1Quarter, TheMetersMonthPeakBecomesTheTargetWhenFollowingIt) {
  const auto r = run_quarter("\n[peak]\ntarget_kw = 9.0\nfollow_month_peak = true\nmargin_kw = 0.2\n", 11.0);
  EXPECT_LE(r.average_w, 11000);
  EXPECT_GT(r.average_w, 9500) << "the month's 11 kW peak is billed anyway: the car may use up to it";
  const auto fixed = run_quarter("\n[peak]\ntarget_kw = 9.0\nfollow_month_peak = false\nmargin_kw = 0.2\n", 11.0);
  EXPECT_LE(fixed.average_w, 9000) << "without following, the setting stays the target";
}

}  // namespace
}  // namespace emsgw::gateway
