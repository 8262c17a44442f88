// The [[schedule]] windows at a moment of local time: open or not (past midnight, by the day they
// start on), across the clock changes of Europe/Brussels, the next change, and in the control loop:
// the limits in force go into the snapshot, their state into the status, and opening and closing
// are decisions.
#include "gateway/control/schedule_windows.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/control/control_loop.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using namespace std::chrono;
using storage::LocalMinute;

constexpr int kMon = 0, kFri = 4, kSat = 5, kSun = 6;

LocalMinute at(int weekday, int hour, int minute) {
  return {hour * 60 + minute, weekday};
}

ScheduleWindow night(std::vector<std::string> days = {"mon", "tue", "wed", "thu", "fri"}) {
  return {"night-contract", "", std::move(days), "22:00", "06:00", 10, 0};
}

TEST(ScheduleWindows, AWindowPastMidnightBelongsToTheDayItStartsOn) {
  const auto w = night();
  EXPECT_FALSE(window_open(w, at(kMon, 21, 59)));
  EXPECT_TRUE(window_open(w, at(kMon, 22, 0)));
  EXPECT_TRUE(window_open(w, at(kMon + 1, 5, 59)));  // Tuesday morning: Monday's night
  EXPECT_FALSE(window_open(w, at(kMon + 1, 6, 0)));
  EXPECT_TRUE(window_open(w, at(kSat, 3, 0))) << "Friday's night runs into Saturday";
  EXPECT_FALSE(window_open(w, at(kSat, 22, 30))) << "Saturday is not a start day";
  EXPECT_FALSE(window_open(w, at(kSun, 23, 0)));
  EXPECT_FALSE(window_open(w, at(kMon, 3, 0))) << "Monday morning belongs to Sunday, not a start day";
}

TEST(ScheduleWindows, AWindowWithinADayAndAWholeDay) {
  ScheduleWindow evening{"evening", "", {"sat"}, "17:30", "21:00", 0, 3000};
  EXPECT_FALSE(window_open(evening, at(kSat, 17, 29)));
  EXPECT_TRUE(window_open(evening, at(kSat, 17, 30)));
  EXPECT_FALSE(window_open(evening, at(kSat, 21, 0)));
  EXPECT_FALSE(window_open(evening, at(kFri, 18, 0)));
  ScheduleWindow always{"always", "", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "00:00", "00:00", 16, 0};
  for (int d = 0; d < 7; ++d)
    for (int h = 0; h < 24; h += 5) EXPECT_TRUE(window_open(always, at(d, h, 7)));
  EXPECT_EQ(window_limit_text(evening), "3.0 kW");
  EXPECT_EQ(window_limit_text(night()), "10 A");
}

TEST(ScheduleWindows, TheLimitsInForceNameTheWindowAndTheNode) {
  ems::SiteConfig site;
  site.circuits.push_back({"garage-board", "", 16, 0, 0.5, ""});
  const std::vector<ScheduleWindow> windows = {night(), {"board", "garage-board", {"mon"}, "21:00", "23:00", 0, 3000}};
  auto limits = node_limits_at(windows, site, at(kMon, 22, 15));
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[0].node, 0);
  EXPECT_DOUBLE_EQ(limits[0].current->value(), 10);
  EXPECT_FALSE(limits[0].power);
  EXPECT_EQ(limits[0].current_text, "schedule night-contract 10 A");
  EXPECT_EQ(limits[1].node, 1);
  EXPECT_DOUBLE_EQ(limits[1].power->value(), 3000);
  EXPECT_EQ(limits[1].power_text, "schedule board 3.0 kW");
  EXPECT_TRUE(node_limits_at(windows, site, at(kMon, 12, 0)).empty());
}

/// Runs the test body in the time zone of Brussels (and puts the old one back).
class Brussels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) old_ = tz;
    setenv("TZ", "Europe/Brussels", 1);
    tzset();
  }
  void TearDown() override {
    if (old_)
      setenv("TZ", old_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  std::optional<std::string> old_;
};

ems::WallTime utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours(h) + minutes(min);
}

TEST_F(Brussels, SpringForwardTheNightIsAnHourShorter) {
  // Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC). Saturday's night runs from
  // 22:00 CET (21:00 UTC) to 06:00 CEST (04:00 UTC): seven hours.
  const auto w = night({"sat"});
  const storage::LocalTimeFn local = storage::local_minute;
  EXPECT_FALSE(window_open(w, local(utc(2026, 3, 28, 20, 59))));
  EXPECT_TRUE(window_open(w, local(utc(2026, 3, 28, 21, 0))));
  EXPECT_TRUE(window_open(w, local(utc(2026, 3, 29, 0, 59))));  // 01:59 CET
  EXPECT_TRUE(window_open(w, local(utc(2026, 3, 29, 1, 0))));   // 03:00 CEST
  EXPECT_TRUE(window_open(w, local(utc(2026, 3, 29, 3, 59))));
  EXPECT_FALSE(window_open(w, local(utc(2026, 3, 29, 4, 0))));
  EXPECT_EQ(window_next_change(w, utc(2026, 3, 28, 12, 0), local), utc(2026, 3, 28, 21, 0));
  EXPECT_EQ(window_next_change(w, utc(2026, 3, 28, 21, 30), local), utc(2026, 3, 29, 4, 0));
}

TEST_F(Brussels, FallBackTheNightIsAnHourLongerAndTheRepeatedHourStaysOpen) {
  // Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC). Saturday's night runs from
  // 22:00 CEST (20:00 UTC) to 06:00 CET (05:00 UTC): nine hours.
  const auto w = night({"sat"});
  const storage::LocalTimeFn local = storage::local_minute;
  EXPECT_TRUE(window_open(w, local(utc(2026, 10, 24, 20, 0))));
  EXPECT_TRUE(window_open(w, local(utc(2026, 10, 25, 0, 30))));  // 02:30 CEST
  EXPECT_TRUE(window_open(w, local(utc(2026, 10, 25, 1, 30))));  // 02:30 CET, the second time
  EXPECT_TRUE(window_open(w, local(utc(2026, 10, 25, 4, 59))));
  EXPECT_FALSE(window_open(w, local(utc(2026, 10, 25, 5, 0))));
  EXPECT_EQ(window_next_change(w, utc(2026, 10, 24, 20, 30), local), utc(2026, 10, 25, 5, 0));
  // A window that opens inside the repeated hour opens the first time round.
  ScheduleWindow early{"early", "", {"sun"}, "02:30", "04:00", 10, 0};
  EXPECT_EQ(window_next_change(early, utc(2026, 10, 24, 23, 0), local), utc(2026, 10, 25, 0, 30));
}

TEST(ScheduleWindows, AWindowOpenAllWeekNeverChanges) {
  ScheduleWindow always{"always", "", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "06:00", "06:00", 16, 0};
  EXPECT_FALSE(window_next_change(always, utc(2026, 6, 1, 12), storage::utc_minute).has_value());
}

/// A grid sample of 2 A per phase taken at `t` (each sample steps the loop).
MeterEvent grid_sample(const Turn& t) {
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(2);
  r.mono = t.mono;
  r.wall = t.wall;
  return MeterEvent{"grid", r};
}

// The loop: a grid window open at the step's local time lowers the grid phases' limit, the status
// lists the windows, and opening and closing are decisions.
TEST(ScheduleLoop, AnOpenWindowReachesTheAllocatorTheStatusAndTheDecisions) {
  auto config = load_config_text(
      test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"), "example.toml");
  config.schedules = {night({"mon", "tue"})};
  // Monday 1 June 2026, 21:59 UTC; the loop judges the windows in UTC here.
  const auto monday = utc(2026, 6, 1, 21, 59);
  const auto mono = ems::MonoTime{} + hours(1);
  ems::ManualClock clock(mono, monday);
  test::NullActuator actuator;
  ControlLoop loop(config, clock, actuator);
  loop.set_local_time(storage::utc_minute);
  test::ReportLog log;
  loop.add_observer(&log);
  const auto step = [&](Turn t) { loop.handle(grid_sample(t), t); };
  step({mono, monday});
  ASSERT_TRUE(log.last);
  EXPECT_TRUE(log.last->snapshot.node_limits.empty());
  ASSERT_EQ(log.last->status->schedules.size(), 1u);
  EXPECT_FALSE(log.last->status->schedules[0].active);

  step({mono + minutes(1), monday + minutes(1)});
  const auto& snap = log.last->snapshot;
  ASSERT_EQ(snap.node_limits.size(), 1u);
  EXPECT_EQ(snap.node_limits[0].node, 0);
  EXPECT_EQ(snap.node_limits[0].current_text, "schedule night-contract 10 A");
  const double margin = config.site.safety_margin_a;
  EXPECT_DOUBLE_EQ(log.last->allocation.phases[0].limit.value(), 10 - margin);
  EXPECT_EQ(log.last->allocation.phases[0].bound_by, ems::Reason::Schedule);
  const auto& st = log.last->status->schedules[0];
  EXPECT_TRUE(st.active);
  EXPECT_EQ(st.name, "night-contract");
  EXPECT_EQ(st.limit, "10 A");
  bool opened = false;
  for (const auto& d : log.last->decisions)
    opened = opened || d.text == "schedule night-contract open: the grid connection limited to 10 A";
  EXPECT_TRUE(opened);

  step({mono + hours(8), monday + hours(8) + minutes(1)});  // Tuesday 06:00
  EXPECT_TRUE(log.last->snapshot.node_limits.empty());
  EXPECT_FALSE(log.last->status->schedules[0].active);
  bool closed = false;
  for (const auto& d : log.last->decisions)
    closed = closed || d.text.find("night-contract closed") != std::string::npos;
  EXPECT_TRUE(closed);

  // Removed while open (a reload without it): the limit goes at once, and that is a decision too.
  step({mono + hours(24), monday + hours(24) + minutes(1)});  // Tuesday 22:00: open again
  ASSERT_EQ(log.last->snapshot.node_limits.size(), 1u);
  ReloadEvent reload{config, {}};
  reload.config.schedules.clear();
  loop.handle(std::move(reload), {mono + hours(24) + minutes(1), monday + hours(24) + minutes(2)});
  EXPECT_TRUE(log.last->snapshot.node_limits.empty());
  EXPECT_TRUE(log.last->status->schedules.empty());
  bool removed = false;
  for (const auto& d : log.last->decisions)
    removed = removed || d.text == "schedule night-contract removed while open: its node back to its own limit";
  EXPECT_TRUE(removed);
}

}  // namespace
}  // namespace emsgw::gateway
