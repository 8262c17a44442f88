// Stages: grid meter check, suspend / fail-safe override, SCN budget (with power limits).
#include <gtest/gtest.h>

#include <cmath>

#include "ems/allocator/fail_safe.hpp"
#include "ems/allocator/grid_meter.hpp"
#include "ems/allocator/scn.hpp"
#include "ems/bound_words.hpp"
#include "tests/ems/allocator_stage_util.hpp"

namespace emsgw::ems::test {
namespace {

using CS = ConnectorState;

SiteConfig two_sockets() {
  return site_cfg(
      25, 3,
      {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3", 6)}), station_cfg("b", 32, {socket_cfg(2, 16, "L2", 0)})});
}

TEST(AllocatorGridMeter, FreshAndPlausibleOrRejected) {
  StageSite s(two_sockets(), snapshot_at(0, {10, 10, 10}, {}));
  Allocation out;
  EXPECT_TRUE(allocator::check_grid_meter(s.inputs(), out));
  EXPECT_TRUE(out.degraded.empty());

  s.snap.grid.measured_at = at_s(-6);  // older than meter_stale_after_s (5 s)
  out = {};
  EXPECT_FALSE(allocator::check_grid_meter(s.inputs(), out));
  EXPECT_EQ(out.degraded, std::vector<Degradation>{Degradation::MeterStale});

  s.snap = snapshot_at(0, {10, 111, 10}, {});  // beyond 4 × 25 + 10 A
  out = {};
  EXPECT_FALSE(allocator::check_grid_meter(s.inputs(), out));
  EXPECT_EQ(out.degraded, std::vector<Degradation>{Degradation::MeterImplausible});

  s.snap = snapshot_at(0, {10, NAN, 10}, {});
  s.snap.suspended = true;
  out = {};
  EXPECT_FALSE(allocator::check_grid_meter(s.inputs(), out));
  EXPECT_EQ(out.degraded, (std::vector<Degradation>{Degradation::MeterImplausible, Degradation::Suspended}));
}

TEST(AllocatorFailSafe, MeterLostNeverRaisesASocketAboveItsSetPointInForce) {
  StageSite s(two_sockets(), snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = 10;
  s.sessions[0].settled_a = 4;  // a raise to 10 was still waiting: 4 A is in force
  s.sessions[1].setpoint_a = 8;
  std::vector<allocator::SocketWork> work(2);
  work[0].fresh = work[0].known = true;
  work[1].fresh = work[1].known = true;
  allocator::AllocatorState state;
  state.sessions = s.sessions;
  state.rotation_until = at_s(100);
  Allocation out;
  allocator::override_all(s.inputs(), work, state, out);
  ASSERT_EQ(out.sockets.size(), 2U);
  EXPECT_EQ(out.sockets[0].current_a, 4);  // min(safe 6, in force 4)
  EXPECT_EQ(out.sockets[0].reason, Reason::FailSafe);
  EXPECT_EQ(out.sockets[1].current_a, 0);  // safe current 0
  EXPECT_TRUE(state.sessions[1].cut_at.has_value());
  EXPECT_EQ(state.sessions[1].setpoint_a, 0);
  EXPECT_FALSE(state.rotation_until.has_value());
}

TEST(AllocatorFailSafe, SuspendIsZeroEverywhere) {
  auto snap = snapshot_at(0, {0, 0, 0}, {});
  snap.suspended = true;
  StageSite s(two_sockets(), snap);
  std::vector<allocator::SocketWork> work(2);
  allocator::AllocatorState state;
  state.sessions = s.sessions;
  state.heatpump.state = SgReadyState::Boost;
  auto site = two_sockets();
  Allocation out;
  allocator::override_all(s.inputs(), work, state, out);
  for (const auto& a : out.sockets) {
    EXPECT_EQ(a.current_a, 0);
    EXPECT_EQ(a.reason, Reason::Suspended);
  }
  EXPECT_EQ(out.heatpump, SgReadyState::Boost);  // heat pump disabled: left as it is
}

TEST(AllocatorScnBudget, GridHeadroomPerPhaseMinusNonEvLoad) {
  auto site = two_sockets();
  site.control = ControlMode::Scn;
  StageSite s(site, snapshot_at(0, {12, 8, 5}, {socket_in(1, CS::Charging, {6, 6, 6})}));
  Allocation out;
  allocator::scn_budget(s.inputs(), true, out);
  ASSERT_TRUE(out.scn.has_value());
  // Non-EV 6 / 2 / 0 A; 24 − non-EV.
  EXPECT_EQ(out.scn->current_a, (std::array<int, 3>{18, 22, 24}));
  EXPECT_EQ(out.scn->reason, Reason::GridL1);
  EXPECT_DOUBLE_EQ(out.phases[0].allocated.value(), 6);
}

TEST(AllocatorScnBudget, WithoutAMeterTheSumOfSafeCurrents) {
  auto site = two_sockets();
  site.control = ControlMode::Scn;
  StageSite s(site, snapshot_at(0, {12, 8, 5}, {}));
  Allocation out;
  allocator::scn_budget(s.inputs(), false, out);
  ASSERT_TRUE(out.scn.has_value());
  EXPECT_EQ(out.scn->current_a, (std::array<int, 3>{6, 6, 6}));
  EXPECT_EQ(out.scn->reason, Reason::FailSafe);
}

TEST(AllocatorScnBudget, APowerLimitCapsTheSumOfThePhasesKeepingWhatEachDraws) {
  auto site = two_sockets();
  site.control = ControlMode::Scn;
  site.surplus.nominal_voltage_v = 230;
  // A 1-phase car draws 10 A on L1; headroom 18 / 22 / 24 A (non-EV 6 / 2 / 0 A).
  StageSite s(site, snapshot_at(0, {16, 2, 0}, {socket_in(1, CS::Charging, {10, 0, 0})}));
  s.snap.flex_limit = FlexLimit{Watts(4200), Reason::Dimming, dimming_words(4200)};
  Allocation out;
  allocator::scn_budget(s.inputs(), true, out);
  ASSERT_TRUE(out.scn.has_value());
  // 4200 W / 230 V = 18.26 A in all: L1 keeps its 10 A and each phase gets a third of the other 8.26.
  EXPECT_EQ(out.scn->current_a, (std::array<int, 3>{12, 2, 2}));
  EXPECT_EQ(out.scn->reason, Reason::Dimming);
  EXPECT_EQ(out.phases[0].bound_by, Reason::Dimming);
  EXPECT_NEAR(out.phases[0].available.value() + out.phases[1].available.value() + out.phases[2].available.value(),
              4200.0 / 230, 1e-9);
  // A limit above the headroom changes nothing.
  s.snap.flex_limit = FlexLimit{Watts(50000), Reason::PeakLimit, quarter_peak_words(50000)};
  out = {};
  allocator::scn_budget(s.inputs(), true, out);
  EXPECT_EQ(out.scn->current_a, (std::array<int, 3>{18, 22, 24}));
  EXPECT_EQ(out.scn->reason, Reason::GridL1);
  // A power window on the grid connection, less the non-EV load (8 A × 230 V): 6 kW → 18.09 A.
  s.snap.flex_limit.reset();
  s.snap.node_limits = {NodeLimit{0, std::nullopt, Watts(6000), "", schedule_power_words("w", 6000)}};
  out = {};
  allocator::scn_budget(s.inputs(), true, out);
  EXPECT_EQ(out.scn->reason, Reason::Schedule);
  EXPECT_EQ(out.scn->current_a, (std::array<int, 3>{12, 2, 2}));
}

TEST(AllocatorScnBudget, SplitPowerBudgetKeepsLoadsSharesTheRestAndRespectsHeadroom) {
  using allocator::split_power_budget;
  // The rest in equal parts; a phase at its headroom leaves its part to the others.
  auto s = split_power_budget(30, {5, 20, 20}, {0, 0, 0}, 3);
  EXPECT_NEAR(s[0], 5, 1e-9);
  EXPECT_NEAR(s[1], 12.5, 1e-9);
  EXPECT_NEAR(s[2], 12.5, 1e-9);
  // Loads above the total are scaled down together.
  s = split_power_budget(12, {20, 20, 20}, {16, 8, 0}, 3);
  EXPECT_NEAR(s[0], 8, 1e-9);
  EXPECT_NEAR(s[1], 4, 1e-9);
  EXPECT_NEAR(s[2], 0, 1e-9);
  // Never more than the headroom in all, one phase on a 1-phase site.
  s = split_power_budget(100, {10, 10, 10}, {3, 3, 3}, 3);
  EXPECT_NEAR(s[0] + s[1] + s[2], 30, 1e-9);
  s = split_power_budget(20, {25, 25, 25}, {4, 4, 4}, 1);
  EXPECT_NEAR(s[0], 20, 1e-9);
  EXPECT_EQ(s[1], 0);
  EXPECT_EQ(s[2], 0);
}

}  // namespace
}  // namespace emsgw::ems::test
