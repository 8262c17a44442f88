// Stage: surplus measurement, the `pv` start/stop rule and the heat pump's SG-Ready state.
#include <gtest/gtest.h>

#include "ems/allocator/heat_pump.hpp"
#include "ems/allocator/surplus.hpp"
#include "ems/bound_words.hpp"
#include "tests/ems/allocator_stage_util.hpp"

namespace emsgw::ems::test {
namespace {

using CS = ConnectorState;
using allocator::SocketWork;

SiteConfig pv_site() {
  auto site = site_cfg(40, 1, {station_cfg("a", 32, {socket_cfg(1, 16, "L1", 0, ChargeMode::Pv)})});
  site.surplus.start_surplus_w = 1400;
  site.surplus.stop_surplus_w = 0;
  site.surplus.start_delay_s = 30;
  site.surplus.stop_delay_s = 60;
  return site;
}

/// The pv site with SG-Ready control: boost at 2 kW of surplus, forced on at 5 kW, 10 min between switches.
SiteConfig heat_pump_site() {
  auto site = pv_site();
  site.heatpump.enabled = true;
  site.heatpump.boost_surplus_w = 2000;
  site.heatpump.force_surplus_w = 5000;
  site.heatpump.min_switch_interval_s = 600;
  return site;
}

std::vector<SocketWork> occupied(const StageSite& s, ChargeMode mode) {
  std::vector<SocketWork> work(1);
  work[0].snap = &s.snap.sockets[0];
  work[0].fresh = work[0].known = work[0].occupied = true;
  work[0].mode = mode;
  return work;
}

TEST(AllocatorSurplusStage, ExportPlusWhatSurplusEvsDrawBoundedByProduction) {
  // 10 A exported on L1 (2300 W) while the pv car draws 4 A (920 W).
  auto snap = snapshot_at(0, {-10, 0, 0}, {socket_in(1, CS::Charging, {4, 0, 0})});
  snap.pv = {Watts(5000), snap.now, true};
  StageSite s(pv_site(), snap);
  Allocation out;
  auto sp = allocator::measure_surplus(s.inputs(), occupied(s, ChargeMode::Pv), s.sessions, SgReadyState::Normal, out);
  EXPECT_TRUE(sp.pv_ok);
  EXPECT_DOUBLE_EQ(sp.raw_w, 3220);
  EXPECT_DOUBLE_EQ(sp.ev_w, 3220);
  EXPECT_DOUBLE_EQ(out.surplus.value(), 3220);

  s.snap.pv = {Watts(2000), s.snap.now, true};  // production bounds it
  sp = allocator::measure_surplus(s.inputs(), occupied(s, ChargeMode::Pv), s.sessions, SgReadyState::Normal, out);
  EXPECT_DOUBLE_EQ(sp.ev_w, 2000);
}

TEST(AllocatorSurplusStage, AStalePvMeterStopsSurplusCharging) {
  auto snap = snapshot_at(100, {-10, 0, 0}, {socket_in(1, CS::Charging, {0, 0, 0})});
  snap.pv = {Watts(5000), at_s(0), true};  // 100 s old, stale after 30 s
  StageSite s(pv_site(), snap);
  Allocation out;
  const auto sp =
      allocator::measure_surplus(s.inputs(), occupied(s, ChargeMode::Pv), s.sessions, SgReadyState::Normal, out);
  EXPECT_FALSE(sp.pv_ok);
  EXPECT_DOUBLE_EQ(sp.ev_w, 0);
  EXPECT_TRUE(out.is_degraded(Degradation::PvStale));
}

TEST(AllocatorSurplusStage, CommittedMinimumCountsSurplusSocketsAlreadyOn) {
  auto snap = snapshot_at(0, {-10, 0, 0}, {socket_in(1, CS::Charging)});
  StageSite s(pv_site(), snap);
  Allocation out;
  auto work = occupied(s, ChargeMode::Pv);
  EXPECT_DOUBLE_EQ(allocator::measure_surplus(s.inputs(), work, s.sessions, SgReadyState::Normal, out).committed_min_w,
                   0);
  s.sessions[0].pv_on = true;
  EXPECT_DOUBLE_EQ(allocator::measure_surplus(s.inputs(), work, s.sessions, SgReadyState::Normal, out).committed_min_w,
                   6 * 230);
}

TEST(AllocatorSurplusStage, PvModeStartsAfterTheStartDelayAndStopsAfterTheStopDelay) {
  StageSite s(pv_site(), snapshot_at(0, {0, 0, 0}, {socket_in(1, CS::Charging)}));
  allocator::Surplus sp;
  sp.pv_ok = true;
  sp.ev_w = 2000;
  SocketWork w;
  auto& ses = s.sessions[0];
  EXPECT_FALSE(allocator::pv_start_stop(s.inputs(), sp, 6 * 230, ses, w));
  EXPECT_EQ(w.reason, Reason::PvWaiting);
  EXPECT_EQ(w.until, at_s(30));
  s.snap = snapshot_at(30, {0, 0, 0}, {});
  EXPECT_TRUE(allocator::pv_start_stop(s.inputs(), sp, 6 * 230, ses, w));
  sp.committed_min_w = 6 * 230;  // its own minimum, now that it charges
  sp.ev_w = -100;                // below stop_surplus_w
  s.snap = snapshot_at(40, {0, 0, 0}, {});
  EXPECT_TRUE(allocator::pv_start_stop(s.inputs(), sp, 6 * 230, ses, w));
  s.snap = snapshot_at(100, {0, 0, 0}, {});
  EXPECT_FALSE(allocator::pv_start_stop(s.inputs(), sp, 6 * 230, ses, w));
  sp.pv_ok = false;
  w = {};
  EXPECT_FALSE(allocator::pv_start_stop(s.inputs(), sp, 6 * 230, ses, w));
  EXPECT_EQ(w.reason, Reason::PvStale);
}

TEST(AllocatorHeatPumpStage, BoostsOnSurplusHoldsForTheIntervalAndDropsWhenPvIsLost) {
  const auto site = heat_pump_site();
  StageSite s(site, snapshot_at(0, {0, 0, 0}, {}));
  allocator::HeatPumpState hp;
  allocator::Surplus sp;
  sp.pv_ok = true;
  sp.raw_w = 2500;
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, {}, {}, hp).state, SgReadyState::Boost);
  sp.raw_w = 100;
  s.snap = snapshot_at(300, {0, 0, 0}, {});
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, {}, {}, hp).state, SgReadyState::Boost);  // within the interval
  s.snap = snapshot_at(600, {0, 0, 0}, {});
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, {}, {}, hp).state, SgReadyState::Normal);
  sp.raw_w = 6000;
  s.snap = snapshot_at(1200, {0, 0, 0}, {});
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, {}, {}, hp).state, SgReadyState::Forced);
  sp.pv_ok = false;  // at once, whatever the interval
  s.snap = snapshot_at(1201, {0, 0, 0}, {});
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, {}, {}, hp).state, SgReadyState::Normal);
}

TEST(AllocatorHeatPumpStage, WithEvsFirstWhatTheSurplusEvsGotIsTakenOff) {
  auto site = pv_site();
  site.heatpump.enabled = true;
  site.heatpump.priority = HeatPumpPriority::EvFirst;
  site.heatpump.boost_surplus_w = 2000;
  StageSite s(site, snapshot_at(0, {0, 0, 0}, {}));
  allocator::HeatPumpState hp;
  allocator::Surplus sp;
  sp.pv_ok = true;
  sp.raw_w = 3500;
  std::vector<SocketWork> work{candidate(6, 16, {0}, true)};
  work[0].admitted = true;
  std::vector<SocketAllocation> allocs(1);
  allocs[0].current_a = 8;  // 1840 W to the EV: 1660 W left < 2000 W
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, work, allocs, hp).state, SgReadyState::Normal);
  allocs[0].current_a = 6;  // 1380 W: 2120 W left
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, work, allocs, hp).state, SgReadyState::Boost);
}

TEST(AllocatorHeatPumpStage, AFlexLimitWithoutRoomForTheBoostBesideTheEvsHoldsItBack) {
  const auto site = heat_pump_site();
  StageSite s(site, snapshot_at(0, {0, 0, 0}, {}));
  const auto peak = [&s](double w) {
    s.snap.flex_limit = FlexLimit{Watts(w), Reason::PeakLimit, quarter_peak_words(4000)};
  };
  allocator::HeatPumpState hp;
  allocator::Surplus sp;
  sp.pv_ok = true;
  sp.raw_w = 6000;  // enough surplus to force it on
  std::vector<SocketWork> work{candidate(6, 16, {0}, true)};
  work[0].admitted = true;
  work[0].load_count = 1;
  std::vector<SocketAllocation> allocs(1);
  allocs[0].current_a = 6;  // 1380 W to the EV
  peak(3000);               // 1620 W beside the EV: not the 2000 W of a boost
  auto step = allocator::heat_pump(s.inputs(), sp, work, allocs, hp);
  EXPECT_EQ(step.state, SgReadyState::Normal);
  ASSERT_NE(step.held_by, nullptr);
  EXPECT_EQ(*step.held_by, "quarter-hour peak 4.0 kW");
  peak(4000);  // 2620 W: a boost, not the 5000 W of forced on
  step = allocator::heat_pump(s.inputs(), sp, work, allocs, hp);
  EXPECT_EQ(step.state, SgReadyState::Boost);
  EXPECT_EQ(step.held_by, nullptr);
  // Boosting, its draw is among the limit's other loads: the room shrinks by it, and that is not a
  // reason to stop (else it would switch at every step).
  sp.hp_draw_w = 2000;
  s.snap = snapshot_at(10, {0, 0, 0}, {});
  peak(2000);
  EXPECT_EQ(allocator::heat_pump(s.inputs(), sp, work, allocs, hp).state, SgReadyState::Boost);
  // The room gone (the EVs took it, or the quarter's budget fell): back to Normal at once, within
  // the switch interval.
  allocs[0].current_a = 10;  // 2300 W to the EV
  s.snap = snapshot_at(20, {0, 0, 0}, {});
  s.snap.flex_limit = FlexLimit{Watts(2000), Reason::Dimming, dimming_words(4200)};
  step = allocator::heat_pump(s.inputs(), sp, work, allocs, hp);
  EXPECT_EQ(step.state, SgReadyState::Normal);
  ASSERT_NE(step.held_by, nullptr);
  EXPECT_EQ(*step.held_by, "grid operator dimming 4.2 kW");
  // Without a flex limit the surplus alone decides (after the interval).
  s.snap = snapshot_at(700, {0, 0, 0}, {});
  step = allocator::heat_pump(s.inputs(), sp, work, allocs, hp);
  EXPECT_EQ(step.state, SgReadyState::Forced);
  EXPECT_EQ(step.held_by, nullptr);
}

}  // namespace
}  // namespace emsgw::ems::test
