// Grid operator dimming (ems/grid_operator.hpp): the guaranteed floor, relay and API limits, and the
// heartbeat's failsafe, each rule where a peer shipped a bug.
#include "ems/grid_operator.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace emsgw::ems {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const WallTime kT0 = WallTime(seconds(1'796'032'800));

TEST(GridOperator, TheFloorFollowsTheNumberOfDevicesBehindTheEms) {
  EXPECT_DOUBLE_EQ(dimming_floor_w(0), 0);
  EXPECT_DOUBLE_EQ(dimming_floor_w(1), 4200);
  EXPECT_DOUBLE_EQ(dimming_floor_w(2), 4200 + 0.8 * 4200);
  EXPECT_DOUBLE_EQ(dimming_floor_w(9), 4200 + 8 * 0.45 * 4200);
  EXPECT_DOUBLE_EQ(dimming_floor_w(20), 4200 + 19 * 0.45 * 4200);
  for (int n = 2; n < 20; ++n) EXPECT_GE(dimming_floor_w(n), dimming_floor_w(n - 1)) << n;
}

TEST(GridOperator, NoLimitEverCutsBelowTheFloorAndNegativeOrNonNumbersAreRefused) {
  GridOperator g({2, 0, 0, 120, 7200});
  std::string why;
  EXPECT_FALSE(g.command(kT0, -1000, 0, &why));
  EXPECT_NE(why.find("≥ 0"), std::string::npos);
  EXPECT_FALSE(g.command(kT0, std::nan(""), 0, &why));
  EXPECT_EQ(g.update(kT0).state, DimmingState::Unlimited);
  ASSERT_TRUE(g.command(kT0, 0, 0));  // "dim to 0 W" would stop every car: the floor holds
  const auto l = g.update(kT0);
  EXPECT_EQ(l.state, DimmingState::Limited);
  EXPECT_DOUBLE_EQ(l.limit_w.value(), 7560);
  ASSERT_TRUE(g.command(kT0 + seconds(1), 11000, 0));
  EXPECT_DOUBLE_EQ(g.update(kT0 + seconds(1)).limit_w.value(), 11000);
}

TEST(GridOperator, TheRelayDimsToTheFloorAndEachStartAndEndIsAnEvent) {
  GridOperator g({1, 0, 0, 120, 7200});
  g.relay(kT0, true);
  auto l = g.update(kT0);
  EXPECT_EQ(l.state, DimmingState::Limited);
  EXPECT_EQ(l.source, "relay");
  EXPECT_DOUBLE_EQ(l.limit_w.value(), 4200);
  g.update(kT0 + seconds(1));  // no change: no second event
  g.relay(kT0 + minutes(30), false);
  EXPECT_EQ(g.update(kT0 + minutes(30)).state, DimmingState::Unlimited);
  const auto ev = g.take_events();
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].state, DimmingState::Limited);
  EXPECT_NE(ev[0].text.find("4.2 kW"), std::string::npos) << ev[0].text;
  EXPECT_EQ(ev[1].state, DimmingState::Unlimited);
  EXPECT_EQ(ev[1].time, kT0 + minutes(30));
}

TEST(GridOperator, AnApiLimitEndsWithItsDuration) {
  GridOperator g({1, 0, 0, 120, 7200});
  ASSERT_TRUE(g.command(kT0, 6000, 600));
  auto l = g.update(kT0 + seconds(10));
  EXPECT_DOUBLE_EQ(l.limit_w.value(), 6000);
  EXPECT_EQ(l.until, kT0 + seconds(600));
  g.heartbeat(kT0 + seconds(60));
  g.heartbeat(kT0 + seconds(120));
  g.heartbeat(kT0 + seconds(180));
  g.heartbeat(kT0 + seconds(590));
  EXPECT_EQ(g.update(kT0 + seconds(600)).state, DimmingState::Unlimited);
}

TEST(GridOperator, FailsafeOnlyAfterTheHeartbeatIsMissingForItsTimeAndNeverUnlimitedWhileSilent) {
  GridOperator g({1, 0, 5000, 120, 7200});
  g.heartbeat(kT0);
  EXPECT_EQ(g.update(kT0 + seconds(119)).state, DimmingState::Unlimited);  // not after 10 s, not after 119 s
  const auto l = g.update(kT0 + seconds(121));
  EXPECT_EQ(l.state, DimmingState::Failsafe);
  EXPECT_DOUBLE_EQ(l.limit_w.value(), 5000);
  // Three hours without a word: still failsafe, not unlimited.
  EXPECT_EQ(g.update(kT0 + hours(3)).state, DimmingState::Failsafe);
}

TEST(GridOperator, ACommandEndsFailsafeAtOnceAHeartbeatAloneAfterTheFailsafeDuration) {
  GridOperator g({1, 0, 0, 120, 7200});
  g.heartbeat(kT0);
  ASSERT_EQ(g.update(kT0 + minutes(3)).state, DimmingState::Failsafe);
  EXPECT_DOUBLE_EQ(g.update(kT0 + minutes(3)).limit_w.value(), 4200);  // 0 configured: the floor
  // The heartbeat returns without a command: failsafe holds for its duration…
  g.heartbeat(kT0 + minutes(10));
  EXPECT_EQ(g.update(kT0 + minutes(10)).state, DimmingState::Failsafe);
  // …but a command ends it at once (not 2 h later).
  ASSERT_TRUE(g.command(kT0 + minutes(11), std::nullopt, 0));
  EXPECT_EQ(g.update(kT0 + minutes(11)).state, DimmingState::Unlimited);

  GridOperator h({1, 0, 0, 120, 7200});
  h.heartbeat(kT0);
  ASSERT_EQ(h.update(kT0 + minutes(3)).state, DimmingState::Failsafe);
  for (auto t = kT0 + minutes(4); t <= kT0 + minutes(3) + hours(2); t += minutes(1)) {
    h.heartbeat(t);
    h.update(t);
  }
  EXPECT_EQ(h.update(kT0 + minutes(3) + hours(2)).state, DimmingState::Unlimited);
}

}  // namespace
}  // namespace emsgw::ems
