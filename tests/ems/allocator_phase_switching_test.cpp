// Stage: automatic 1/3-phase switching.
#include <gtest/gtest.h>

#include "ems/allocator/phase_switching.hpp"
#include "tests/ems/allocator_stage_util.hpp"

namespace emsgw::ems::test {
namespace {

SiteConfig switching_site() {
  auto site = site_cfg(40, 3, {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3", 0, ChargeMode::Pv)})});
  site.stations[0].phase_switching = true;
  site.surplus.stop_delay_s = 60;
  site.surplus.start_delay_s = 30;
  site.phase_switch.min_interval_s = 600;
  site.phase_switch.hysteresis_w = 500;
  site.phase_switch.pause_s = 10;
  site.phase_switch.settle_s = 5;
  return site;
}

struct Switcher {
  StageSite s{switching_site(), snapshot_at(0, {0, 0, 0}, {})};
  allocator::SocketWork w;
  bool at(double t, double surplus_w, ChargeMode mode = ChargeMode::Pv, bool pv_ok = true) {
    s.snap = snapshot_at(t, {0, 0, 0}, {});
    w = {};
    w.mode = mode;
    return allocator::switch_phases(s.inputs(), pv_ok, surplus_w, s.sessions[0], w);
  }
};

TEST(AllocatorPhaseSwitching, GoesToOnePhaseAfterTheStopDelayPausingThenSettling) {
  Switcher sw;
  ASSERT_TRUE(sw.s.index.sockets[0].phase_switching);
  auto& ses = sw.s.sessions[0];
  // 3 × 6 A × 230 V = 4140 W needed on three phases; 3000 W is not enough.
  EXPECT_FALSE(sw.at(0, 3000));
  EXPECT_FALSE(sw.at(59, 3000));
  EXPECT_TRUE(sw.at(60, 3000));  // the stop delay has passed: pause before the switch
  EXPECT_EQ(sw.w.reason, Reason::PhaseSwitching);
  EXPECT_EQ(sw.w.until, at_s(70));
  EXPECT_EQ(ses.phases_set, 3);
  EXPECT_TRUE(sw.at(70, 3000));  // switched; settling
  EXPECT_EQ(ses.phases_set, 1);
  EXPECT_EQ(sw.w.until, at_s(75));
  EXPECT_FALSE(sw.at(75, 3000));
  EXPECT_EQ(ses.phases_set, 1);
}

TEST(AllocatorPhaseSwitching, BackToThreePhasesNeedsTheHysteresisAndTheMinimumInterval) {
  Switcher sw;
  auto& ses = sw.s.sessions[0];
  ses.phases_set = 1;
  ses.last_switch_at = at_s(0);
  EXPECT_FALSE(sw.at(100, 4500));  // < 4140 + 500 W
  EXPECT_FALSE(ses.switch_condition_since.has_value());
  EXPECT_FALSE(sw.at(200, 5000));  // enough, counting the start delay
  EXPECT_FALSE(sw.at(599, 5000));  // delay passed, but not 600 s since the last switch
  EXPECT_TRUE(sw.at(600, 5000));
  EXPECT_TRUE(sw.at(610, 5000));
  EXPECT_EQ(ses.phases_set, 3);
  EXPECT_EQ(ses.ev_phases, 0);  // count all three until re-detected
}

TEST(AllocatorPhaseSwitching, ModeNowWantsThreePhasesWithoutDelay) {
  Switcher sw;
  auto& ses = sw.s.sessions[0];
  ses.phases_set = 1;
  EXPECT_TRUE(sw.at(0, 0, ChargeMode::Now));
  EXPECT_EQ(ses.switch_target, 3);
}

TEST(AllocatorPhaseSwitching, WithoutAPvReadingNothingSwitches) {
  Switcher sw;
  EXPECT_FALSE(sw.at(0, 0, ChargeMode::Pv, false));
  EXPECT_FALSE(sw.at(1000, 0, ChargeMode::Pv, false));
  EXPECT_EQ(sw.s.sessions[0].phases_set, 3);
}

}  // namespace
}  // namespace emsgw::ems::test
