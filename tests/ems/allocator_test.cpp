// The safety rules of design.md §2 and the allocator's contract, one test per rule: each fails if
// the rule it names is broken.
#include "ems/allocator.hpp"

#include <gtest/gtest.h>

#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {
namespace {

using CS = ConnectorState;

int current_of(const Allocation& a, int id) {
  const auto* s = a.find(id);
  return s ? s->current_a : -1;
}
Reason reason_of(const Allocation& a, int id) {
  const auto* s = a.find(id);
  return s ? s->reason : Reason::NotConnected;
}

SocketSnapshot ev(int id, std::array<double, 3> current_a, int phases) {
  auto s = socket_in(id, CS::Charging, current_a);
  s.ev_phases = phases;
  return s;
}

// §2.1 Per-phase budget, through each socket's phase mapping and the EV's phase use.
TEST(AllocatorSafety, PerPhaseBudgetFollowsRotatedMappings) {
  auto site =
      site_cfg(20, 3,
               {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3")}),
                station_cfg("b", 32, {socket_cfg(2, 32, "L3L1L2")}), station_cfg("c", 32, {socket_cfg(3, 32, "L2")})});
  Allocator alloc(site);
  // Household 5 / 0 / 3 A; nothing drawing yet. 1-phase car on socket 2 loads its first phase: L3.
  const auto out =
      alloc.step(snapshot_at(0, {5, 0, 3}, {ev(1, {0, 0, 0}, 3), ev(2, {0, 0, 0}, 1), ev(3, {0, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 8);
  EXPECT_EQ(reason_of(out, 1), Reason::GridL3);
  EXPECT_EQ(current_of(out, 2), 8);
  EXPECT_EQ(reason_of(out, 2), Reason::GridL3);
  EXPECT_EQ(current_of(out, 3), 11);
  EXPECT_EQ(reason_of(out, 3), Reason::GridL2);
  const std::array<double, 3> household{5, 0, 3};
  const std::array<double, 3> load{8.0, 8.0 + 11.0, 8.0 + 8.0};
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_LE(household[p] + load[p], 19.0) << "phase " << p;
    EXPECT_DOUBLE_EQ(out.phases[p].allocated.value(), load[p]) << "phase " << p;
    EXPECT_LE(out.phases[p].allocated.value(), out.phases[p].available.value()) << "phase " << p;
  }
}

// A 2-phase car (seen drawing on two of its socket's three phases) loads those two grid phases,
// not the third: it does not take room on the third from a car that needs it.
TEST(AllocatorSafety, ATwoPhaseCarLoadsOnlyTheTwoGridPhasesItDrawsOn) {
  auto site = site_cfg(
      20, 3,
      {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3")}), station_cfg("b", 32, {socket_cfg(2, 32, "L2L3L1")})});
  Allocator alloc(site);
  // Household 7 / 0 / 0 A. Socket 1: a 3-phase car at 8 A; socket 2: a car on station phases 1 and
  // 2 only, which are grid L2 and L3. The grid meter shows household + EVs.
  const auto out = alloc.step(snapshot_at(
      0, {7 + 8, 8 + 8, 8 + 8}, {socket_in(1, CS::Charging, {8, 8, 8}), socket_in(2, CS::Charging, {8, 8, 0})}));
  EXPECT_GE(current_of(out, 1), 9) << "L1 has 12 A for socket 1 alone";
  EXPECT_DOUBLE_EQ(out.phases[0].allocated.value(), current_of(out, 1)) << "socket 2 is not counted on L1";
  for (std::size_t p = 1; p < 3; ++p)
    EXPECT_DOUBLE_EQ(out.phases[p].allocated.value(), current_of(out, 1) + current_of(out, 2)) << "phase " << p;
  for (std::size_t p = 0; p < 3; ++p)
    EXPECT_LE(out.phases[p].allocated.value(), out.phases[p].available.value()) << "phase " << p;
}

// Guide §3.10: with the chargers behind the meter, non-EV load = meter − EV currents.
TEST(AllocatorSafety, NonEvLoadSubtractsMeasuredEvCurrentsOnlyWhenTheMeterIncludesThem) {
  auto site = site_cfg(32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  Allocator with(site);
  auto out = with.step(snapshot_at(0, {30, 0, 0}, {ev(1, {20, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 21);  // 31 − (30 − 20)
  EXPECT_DOUBLE_EQ(out.phases[0].non_ev_load.value(), 10);

  site.meter_includes_chargers = false;
  Allocator without(site);
  out = without.step(snapshot_at(0, {24, 0, 0}, {ev(1, {20, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 7);  // 31 − 24
}

// §2.2 A socket whose state is unknown counts at its limit: what it was last told.
TEST(AllocatorSafety, UnknownStateCountsAtItsLastSetPoint) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)}), station_cfg("b", 32, {socket_cfg(2, 32, "L1", 6)})});
  Allocator alloc(site);
  auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)}));
  ASSERT_EQ(current_of(out, 2), 15);
  ASSERT_EQ(current_of(out, 1), 16);
  auto unknown = socket_in(2, CS::Unknown, {15, 0, 0});
  out = alloc.step(snapshot_at(1, {31, 0, 0}, {ev(1, {16, 0, 0}, 1), unknown}));
  EXPECT_EQ(reason_of(out, 2), Reason::StateUnknown);
  EXPECT_EQ(current_of(out, 2), 6);                      // offered its safe current…
  EXPECT_DOUBLE_EQ(out.phases[0].reserved.value(), 15);  // …but counted at 15 A
  // Its measured 15 A is replaced by its 15 A reservation, not added to it: 31 − 15 = 16 A left.
  EXPECT_EQ(current_of(out, 1), 16);
  EXPECT_DOUBLE_EQ(out.phases[0].non_ev_load.value(), 0);
  EXPECT_TRUE(out.is_degraded(Degradation::SocketStateUnknown));
}

TEST(AllocatorSafety, MissingSocketCountsAtItsSafeCurrentNeverAtZero) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)}), station_cfg("b", 32, {socket_cfg(2, 32, "L1", 10)})});
  Allocator alloc(site);
  const auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1)}));
  EXPECT_EQ(reason_of(out, 2), Reason::StationLost);
  EXPECT_EQ(current_of(out, 2), 10);
  EXPECT_EQ(current_of(out, 1), 21);  // 31 − 10 reserved
  EXPECT_TRUE(out.is_degraded(Degradation::StationStale));
}

// A station that falls silent keeps counting at what it was last told, even across a meter outage
// (it may still be running that set-point until its validity window lapses).
TEST(AllocatorSafety, SilentStationKeepsItsReservationThroughAMeterOutage) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)}), station_cfg("b", 32, {socket_cfg(2, 32, "L1", 6)})});
  Allocator alloc(site);
  auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)}));
  ASSERT_EQ(current_of(out, 2), 15);
  auto snap = snapshot_at(1, {31, 0, 0}, {ev(1, {16, 0, 0}, 1)});  // station b silent…
  snap.grid.valid = false;                                         // …and the meter gone
  out = alloc.step(snap);
  ASSERT_EQ(reason_of(out, 1), Reason::FailSafe);
  out = alloc.step(snapshot_at(2, {21, 0, 0}, {ev(1, {6, 0, 0}, 1)}));  // meter back, b still silent
  EXPECT_DOUBLE_EQ(out.phases[0].reserved.value(), 15);
  EXPECT_EQ(reason_of(out, 2), Reason::StationLost);
}

// §2.2 Implausible readings are rejected, not clamped.
TEST(AllocatorSafety, NanSocketReadingIsRejectedAndTheSocketReserved) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)}), station_cfg("b", 32, {socket_cfg(2, 32, "L1", 6)})});
  Allocator alloc(site);
  auto bad = ev(2, {0, 0, 0}, 1);
  bad.current[0] = Amps(std::numeric_limits<double>::quiet_NaN());
  const auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), bad}));
  EXPECT_EQ(reason_of(out, 2), Reason::StationLost);
  EXPECT_EQ(current_of(out, 1), 25);
}

TEST(AllocatorSafety, NanOrHugeMeterReadingMeansFailSafe) {
  auto site = site_cfg(32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 8)})});
  Allocator alloc(site);
  auto snap = snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1)});
  snap.grid.current[0] = Amps(std::numeric_limits<double>::quiet_NaN());
  auto out = alloc.step(snap);
  EXPECT_EQ(reason_of(out, 1), Reason::FailSafe);
  EXPECT_EQ(current_of(out, 1), 8);
  EXPECT_TRUE(out.is_degraded(Degradation::MeterImplausible));
  snap.now = at_s(1);
  snap.grid.measured_at = snap.now;
  snap.grid.current[0] = Amps(-1e6);
  out = alloc.step(snap);
  EXPECT_EQ(reason_of(out, 1), Reason::FailSafe);
}

// §2.4 A stale grid meter sends every socket to its safe current (which may be 0).
TEST(AllocatorSafety, StaleMeterSendsEverySocketToItsSafeCurrent) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)}), station_cfg("b", 32, {socket_cfg(2, 32, "L1", 0)})});
  Allocator alloc(site);
  auto snap = snapshot_at(10, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)});
  snap.grid.measured_at = at_s(10 - site.meter_stale_after_s - 0.5);
  const auto out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 1), 6);
  EXPECT_EQ(current_of(out, 2), 0);
  EXPECT_EQ(reason_of(out, 1), Reason::FailSafe);
  EXPECT_TRUE(out.is_degraded(Degradation::MeterStale));
}

// §2.9 Losing the meter never raises a socket: right after an overload cut to 0 A, a meter loss
// keeps the socket at 0 A (min(set-point, safe current)), not at its 8 A safe current.
TEST(AllocatorSafety, MeterLossAfterAnOverloadCutKeepsTheSocketAtZeroNotItsSafeCurrent) {
  auto site = site_cfg(
      25, 1, {station_cfg("a", 32, {socket_cfg(1, 16, "L1", 8)}), station_cfg("b", 32, {socket_cfg(2, 16, "L1", 6)})});
  Allocator alloc(site);
  auto out = alloc.step(snapshot_at(0, {2, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)}));
  ASSERT_GT(current_of(out, 1), 8);
  // The household takes 22 A of 24: nothing left for either car (6 A minimum): both cut to 0 A.
  out = alloc.step(snapshot_at(1, {22 + 11 + 11, 0, 0}, {ev(1, {11, 0, 0}, 1), ev(2, {11, 0, 0}, 1)}));
  ASSERT_EQ(current_of(out, 1), 0);
  ASSERT_EQ(current_of(out, 2), 0);
  auto lost = snapshot_at(2, {0, 0, 0}, {ev(1, {11, 0, 0}, 1), ev(2, {11, 0, 0}, 1)});
  lost.grid.valid = false;
  out = alloc.step(lost);
  EXPECT_EQ(reason_of(out, 1), Reason::FailSafe);
  EXPECT_EQ(current_of(out, 1), 0) << "a meter loss raised the socket from 0 A to its safe current";
  EXPECT_EQ(current_of(out, 2), 0);
  // Still lost seconds later: still 0 A.
  lost.now = at_s(10);
  out = alloc.step(lost);
  EXPECT_EQ(current_of(out, 1), 0);
  EXPECT_EQ(current_of(out, 2), 0);
}

// §2.9 A socket above its safe current goes down to it on a meter loss; one below stays below.
TEST(AllocatorSafety, MeterLossTakesEverySocketToTheLowerOfItsSetPointAndItsSafeCurrent) {
  auto site = site_cfg(
      25, 1, {station_cfg("a", 32, {socket_cfg(1, 16, "L1", 10)}), station_cfg("b", 32, {socket_cfg(2, 16, "L1", 6)})});
  Allocator alloc(site);
  // 10 A household of a 24 A budget: 7 A each, below socket 1's 10 A safe current, above socket 2's 6 A.
  auto out = alloc.step(snapshot_at(0, {10, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)}));
  ASSERT_EQ(current_of(out, 1), 7);
  ASSERT_EQ(current_of(out, 2), 7);
  auto lost = snapshot_at(1, {0, 0, 0}, {ev(1, {7, 0, 0}, 1), ev(2, {7, 0, 0}, 1)});
  lost.grid.measured_at = at_s(1 - site.meter_stale_after_s - 1);
  out = alloc.step(lost);
  EXPECT_EQ(reason_of(out, 1), Reason::FailSafe);
  EXPECT_EQ(current_of(out, 1), 7) << "raised to its safe current by a meter loss";
  EXPECT_EQ(current_of(out, 2), 6);
}

// §2.4 A stale PV reading stops surplus-only charging; minpv keeps its minimum, now is untouched.
TEST(AllocatorSafety, StalePvStopsSurplusOnlyCharging) {
  auto site = site_cfg(40, 1,
                       {station_cfg("a", 32, {socket_cfg(1, 16, "L1", 0, ChargeMode::Pv)}),
                        station_cfg("b", 32, {socket_cfg(2, 16, "L1", 0, ChargeMode::MinPv)}),
                        station_cfg("c", 32, {socket_cfg(3, 16, "L1", 0, ChargeMode::Now)})});
  site.surplus.start_delay_s = 0;
  Allocator alloc(site);
  auto snap = snapshot_at(0, {-40, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1), ev(3, {0, 0, 0}, 1)});
  snap.pv = {Watts(10000), snap.now, true};
  auto out = alloc.step(snap);
  EXPECT_GT(current_of(out, 1), 0);
  EXPECT_GT(current_of(out, 2), 6);
  snap = snapshot_at(100, {-40, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1), ev(3, {0, 0, 0}, 1)});
  snap.pv = {Watts(10000), at_s(100 - site.pv_stale_after_s - 1), true};
  out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 1), 0);
  EXPECT_EQ(reason_of(out, 1), Reason::PvStale);
  EXPECT_EQ(current_of(out, 2), 6);
  EXPECT_EQ(reason_of(out, 2), Reason::PvStale);
  EXPECT_EQ(current_of(out, 3), 16);
  EXPECT_TRUE(out.is_degraded(Degradation::PvStale));
}

// §2.3 Cut fast: a cut is never held by the deadband; small raises are.
TEST(AllocatorSafety, DeadbandHoldsSmallRaisesButNeverCuts) {
  auto site = site_cfg(32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  site.raise_deadband_a = 3;
  Allocator alloc(site);
  auto out = alloc.step(snapshot_at(0, {10, 0, 0}, {ev(1, {0, 0, 0}, 1)}));
  ASSERT_EQ(current_of(out, 1), 21);
  out = alloc.step(snapshot_at(1, {32, 0, 0}, {ev(1, {21, 0, 0}, 1)}));  // household 11 A: cut by 1 A
  EXPECT_EQ(current_of(out, 1), 20);
  EXPECT_FALSE(out.find(1)->held_by_deadband);
  out = alloc.step(snapshot_at(10, {30, 0, 0}, {ev(1, {20, 0, 0}, 1)}));  // could raise by 1 A: held
  EXPECT_EQ(current_of(out, 1), 20);
  EXPECT_TRUE(out.find(1)->held_by_deadband);
  out = alloc.step(snapshot_at(20, {28, 0, 0}, {ev(1, {20, 0, 0}, 1)}));  // raise by 3 A: applied
  EXPECT_EQ(current_of(out, 1), 23);
  EXPECT_FALSE(out.find(1)->held_by_deadband);
}

// §2.3 Raise slow: raises wait until the cuts show in the measurements or the EV response time.
TEST(AllocatorSafety, RaisesWaitUntilCutsAreConfirmed) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")}), station_cfg("b", 32, {socket_cfg(2, 32, "L1")})});
  Allocator alloc(site);
  auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)}));
  ASSERT_EQ(current_of(out, 1), 16);
  ASSERT_EQ(current_of(out, 2), 15);
  auto limited = ev(1, {16, 0, 0}, 1);
  limited.limit = Amps(6);
  out = alloc.step(snapshot_at(1, {31, 0, 0}, {limited, ev(2, {15, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 6);
  EXPECT_FALSE(out.find(1)->wait_for_confirmation);  // cuts go out at once
  EXPECT_EQ(current_of(out, 2), 25);
  EXPECT_TRUE(out.find(2)->wait_for_confirmation);
  // Still drawing 16 A two seconds later: the raise keeps waiting.
  out = alloc.step(snapshot_at(3, {31, 0, 0}, {limited, ev(2, {15, 0, 0}, 1)}));
  EXPECT_TRUE(out.find(2)->wait_for_confirmation);
  // The cut shows: the raise may go.
  limited.current[0] = Amps(6);
  out = alloc.step(snapshot_at(4, {21, 0, 0}, {limited, ev(2, {15, 0, 0}, 1)}));
  EXPECT_FALSE(out.find(2)->wait_for_confirmation);
  EXPECT_EQ(current_of(out, 2), 25);
}

TEST(AllocatorSafety, RaisesStopWaitingAfterTheEvResponseTime) {
  auto site = site_cfg(
      32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")}), station_cfg("b", 32, {socket_cfg(2, 32, "L1")})});
  Allocator alloc(site);
  (void)alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)}));
  auto limited = ev(1, {16, 0, 0}, 1);
  limited.limit = Amps(6);
  auto out = alloc.step(snapshot_at(1, {31, 0, 0}, {limited, ev(2, {15, 0, 0}, 1)}));
  ASSERT_TRUE(out.find(2)->wait_for_confirmation);
  out = alloc.step(snapshot_at(1 + site.ev_response_time_s, {31, 0, 0}, {limited, ev(2, {15, 0, 0}, 1)}));
  EXPECT_FALSE(out.find(2)->wait_for_confirmation);
}

// Set-points are whole amperes, rounded down, and 0 or at least the minimum.
TEST(AllocatorSafety, SetPointsAreWholeAmpsRoundedDown) {
  auto site = site_cfg(20.9, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  Allocator alloc(site);
  auto out = alloc.step(snapshot_at(0, {0.5, 0, 0}, {ev(1, {0, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 19);  // 20.9 − 1 − 0.5 = 19.4
  out = alloc.step(snapshot_at(1, {14.5, 0, 0}, {ev(1, {0, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 0);  // 5.4 A left: below the 6 A minimum
  EXPECT_EQ(reason_of(out, 1), Reason::GridL1);
}

TEST(AllocatorPolicy, SuspendPausesEverySocketUntilCleared) {
  auto site = site_cfg(32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)})});
  Allocator alloc(site);
  auto snap = snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1)});
  snap.suspended = true;
  auto out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 1), 0);
  EXPECT_EQ(reason_of(out, 1), Reason::Suspended);
  EXPECT_TRUE(out.is_degraded(Degradation::Suspended));
  out = alloc.step(snapshot_at(1, {0, 0, 0}, {ev(1, {0, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 31);
}

TEST(AllocatorPolicy, MostLimitingExternalLimitPrevails) {
  auto site = site_cfg(
      63, 3,
      {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3")}), station_cfg("b", 32, {socket_cfg(2, 32, "L1L2L3")})});
  Allocator alloc(site);
  auto s1 = ev(1, {0, 0, 0}, 3);
  s1.limit = Amps(10);
  auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {s1, ev(2, {0, 0, 0}, 3)}));
  EXPECT_EQ(current_of(out, 1), 10);
  EXPECT_EQ(reason_of(out, 1), Reason::SocketLimit);
  s1.schedule.blocks.push_back({at_s(5), at_s(20), Amps(8)});
  out = alloc.step(snapshot_at(10, {0, 0, 0}, {s1, ev(2, {0, 0, 0}, 3)}));
  EXPECT_EQ(current_of(out, 1), 8);
  EXPECT_EQ(reason_of(out, 1), Reason::Schedule);
  out = alloc.step(snapshot_at(20, {0, 0, 0}, {s1, ev(2, {0, 0, 0}, 3)}));  // block over
  EXPECT_EQ(current_of(out, 1), 10);
  auto snap = snapshot_at(30, {0, 0, 0}, {s1, ev(2, {0, 0, 0}, 3)});
  snap.site_limit = std::array<Amps, 3>{Amps(20), Amps(30), Amps(30)};
  out = alloc.step(snap);
  EXPECT_LE(current_of(out, 1) + current_of(out, 2), 20);
  EXPECT_EQ(current_of(out, 2), 10);
  EXPECT_EQ(reason_of(out, 2), Reason::SiteLimit);
  snap = snapshot_at(40, {0, 0, 0}, {s1, ev(2, {0, 0, 0}, 3)});
  snap.site_limit = std::array<Amps, 3>{Amps(20), Amps(30), Amps(30)};
  snap.site_schedule.blocks.push_back({at_s(0), at_s(100), Amps(12)});
  out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 1), 6);
  EXPECT_EQ(current_of(out, 2), 6);
  EXPECT_EQ(reason_of(out, 2), Reason::Schedule);
  s1.limit = Amps(4);  // below the IEC minimum: paused, not 4 A
  out = alloc.step(snapshot_at(50, {0, 0, 0}, {s1, ev(2, {0, 0, 0}, 3)}));
  EXPECT_EQ(current_of(out, 1), 0);
  EXPECT_EQ(reason_of(out, 1), Reason::SocketLimit);
}

// Guide §3.8: both sockets of a double station together stay within the station maximum.
TEST(AllocatorPolicy, DoubleStationSharesItsMaximum) {
  auto site = site_cfg(63, 3, {station_cfg("double", 20, {socket_cfg(1, 16, "L1L2L3"), socket_cfg(2, 16, "L1L2L3")})});
  Allocator alloc(site);
  const auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 3), ev(2, {0, 0, 0}, 3)}));
  EXPECT_EQ(current_of(out, 1), 10);
  EXPECT_EQ(current_of(out, 2), 10);
  EXPECT_EQ(reason_of(out, 1), Reason::StationMax);
}

TEST(AllocatorPolicy, EvMaximumLeavesTheRestToOthers) {
  auto site = site_cfg(
      33, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")}), station_cfg("b", 32, {socket_cfg(2, 32, "L1")})});
  Allocator alloc(site);
  auto slow = ev(1, {0, 0, 0}, 1);
  slow.ev_max_current = Amps(10);
  const auto out = alloc.step(snapshot_at(0, {0, 0, 0}, {slow, ev(2, {0, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 10);
  EXPECT_EQ(reason_of(out, 1), Reason::EvMax);
  EXPECT_EQ(current_of(out, 2), 22);
}

TEST(AllocatorPolicy, ModeOffAndMinPv) {
  auto site = site_cfg(32, 1,
                       {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 0, ChargeMode::Off)}),
                        station_cfg("b", 32, {socket_cfg(2, 32, "L1", 0, ChargeMode::MinPv)})});
  Allocator alloc(site);
  auto snap = snapshot_at(0, {2, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {0, 0, 0}, 1)});
  auto out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 1), 0);
  EXPECT_EQ(reason_of(out, 1), Reason::ModeOff);
  EXPECT_EQ(current_of(out, 2), 6);                      // minimum at once, no surplus
  EXPECT_EQ(reason_of(out, 2), Reason::SurplusMinimum);  // held at its minimum, not following a surplus
  snap = snapshot_at(1, {-12, 0, 0}, {ev(1, {0, 0, 0}, 1), ev(2, {6, 0, 0}, 1)});  // 6 A drawn + 12 A export
  snap.pv = {Watts(5000), snap.now, true};
  out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 2), 18);
  snap.sockets[1].mode = ChargeMode::Now;  // a run-time mode change
  out = alloc.step(snap);
  EXPECT_EQ(current_of(out, 2), 31 - 0);
}

TEST(AllocatorPolicy, ProbingPausesOthersOnlyWhenNeeded) {
  auto site = site_cfg(
      41, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")}), station_cfg("b", 32, {socket_cfg(2, 32, "L1")})});
  Allocator alloc(site);
  (void)alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), socket_in(2, CS::Available)}));
  auto out = alloc.step(snapshot_at(1, {32, 0, 0}, {ev(1, {32, 0, 0}, 1), socket_in(2, CS::Connected)}));
  EXPECT_EQ(reason_of(out, 2), Reason::Probing);
  EXPECT_EQ(current_of(out, 2), 14);
  EXPECT_EQ(current_of(out, 1), 26);  // 40 − 14: nobody paused
  ASSERT_TRUE(out.find(2)->until.has_value());
  EXPECT_EQ(*out.find(2)->until, at_s(1 + site.probing_time_s));
}

TEST(AllocatorPolicy, ACarCutForAnotherSocketsMinimumSaysWhoTookTheCurrent) {
  // 21 A on one phase (20 A after the margin): socket 2 (garage, left) probes at 14 A, socket 1
  // (Now) gets the 6 A left. Its reason is socket 2's minimum, not the grid phase alone.
  auto site = site_cfg(21, 1, {station_cfg("garage", 32, {socket_cfg(2, 32, "L1"), socket_cfg(1, 32, "L1")})});
  Allocator alloc(site);
  (void)alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), socket_in(2, CS::Available)}));
  auto out = alloc.step(snapshot_at(1, {6, 0, 0}, {ev(1, {6, 0, 0}, 1), socket_in(2, CS::Connected)}));
  EXPECT_EQ(reason_of(out, 2), Reason::Probing);
  EXPECT_EQ(current_of(out, 2), 14);
  EXPECT_EQ(current_of(out, 1), 6);
  EXPECT_EQ(reason_of(out, 1), Reason::OtherMinimum);
  EXPECT_EQ(out.find(1)->detail, "socket 2 (garage left) at its 14 A minimum");
  ASSERT_TRUE(out.find(1)->other_socket.has_value());
  EXPECT_EQ(*out.find(1)->other_socket, 2);
  EXPECT_EQ(out.find(1)->other_minimum_a, 14);
  EXPECT_EQ(out.find(1)->shared_bound, Reason::GridL1) << "the two share grid phase L1";
  // Once probing ends, both share by the grid phase again and nobody's minimum is named.
  out = alloc.step(snapshot_at(1 + site.probing_time_s, {20, 0, 0}, {ev(1, {6, 0, 0}, 1), ev(2, {14, 0, 0}, 1)}));
  EXPECT_EQ(current_of(out, 1), 10);
  EXPECT_EQ(reason_of(out, 1), Reason::GridL1);
  EXPECT_TRUE(out.find(1)->detail.empty());
  EXPECT_FALSE(out.find(1)->other_socket.has_value());
}

// A lone car paused by a load spike (a kettle) resumes as soon as its minimum fits again: with no
// other car there is no rotation, and no resume rule of the rotation (which asks a recently paused
// car for room for the probing current, 14 A, here more than the 12 A there is) may hold it.
TEST(AllocatorPolicy, ALoneCarPausedByALoadSpikeResumesWhenItsMinimumFitsAgain) {
  auto site = site_cfg(25, 3, {station_cfg("carport", 32, {socket_cfg(1, 16, "L1L2L3")})});
  Allocator alloc(site);
  Allocation out;
  for (int t = 0; t <= 10; ++t) out = alloc.step(snapshot_at(t, {24, 24, 24}, {ev(1, {12, 12, 12}, 3)}));
  ASSERT_EQ(current_of(out, 1), 12);
  out = alloc.step(snapshot_at(11, {31, 31, 31}, {ev(1, {12, 12, 12}, 3)}));  // household 19 A: 5 A left
  ASSERT_EQ(current_of(out, 1), 0) << "paused: its 6 A minimum does not fit";
  for (int t = 12; t <= 20; ++t) out = alloc.step(snapshot_at(t, {12, 12, 12}, {ev(1, {0, 0, 0}, 3)}));
  EXPECT_EQ(current_of(out, 1), 12) << to_string(reason_of(out, 1));
}

TEST(AllocatorPolicy, AStationWithOneSocketIsNamedWithoutASide) {
  auto site = site_cfg(
      21, 1,
      {station_cfg("carport", 32, {socket_cfg(1, 32, "L1")}), station_cfg("drive", 32, {socket_cfg(3, 32, "L1")})});
  Allocator alloc(site);
  (void)alloc.step(snapshot_at(0, {0, 0, 0}, {ev(1, {0, 0, 0}, 1), socket_in(3, CS::Available)}));
  const auto out = alloc.step(snapshot_at(1, {6, 0, 0}, {ev(1, {6, 0, 0}, 1), socket_in(3, CS::Connected)}));
  EXPECT_EQ(reason_of(out, 1), Reason::OtherMinimum);
  EXPECT_EQ(out.find(1)->detail, "socket 3 (drive) at its 14 A minimum");
}

TEST(AllocatorPolicy, HeatPumpBoostsOnSurplusAndRespectsItsSwitchInterval) {
  auto site = site_cfg(32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  site.heatpump.enabled = true;
  site.heatpump.boost_surplus_w = 2000;
  site.heatpump.min_switch_interval_s = 600;
  Allocator alloc(site);
  auto snap = snapshot_at(0, {-10, 0, 0}, {socket_in(1, CS::Available)});  // 2300 W export
  snap.pv = {Watts(4000), snap.now, true};
  auto out = alloc.step(snap);
  EXPECT_EQ(out.heatpump, SgReadyState::Boost);
  snap = snapshot_at(60, {5, 0, 0}, {socket_in(1, CS::Available)});  // importing now
  snap.pv = {Watts(500), snap.now, true};
  snap.heatpump = {Watts(2000), snap.now, true};
  out = alloc.step(snap);
  EXPECT_EQ(out.heatpump, SgReadyState::Boost);  // too soon to switch back
  snap.now = at_s(700);
  snap.grid.measured_at = snap.pv.measured_at = snap.heatpump.measured_at = snap.now;
  for (auto& s : snap.sockets) s.measured_at = snap.now;
  out = alloc.step(snap);
  EXPECT_EQ(out.heatpump, SgReadyState::Normal);
}

// design.md §2.7 at run time: the allocator refuses an invalid configuration.
TEST(AllocatorConfig, RefusesInvalidConfiguration) {
  auto site = site_cfg(10, 1,
                       {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)}),
                        station_cfg("b", 32, {socket_cfg(2, 32, "L1", 6)})});  // 12 A of safe current on 10 A
  EXPECT_THROW(Allocator{site}, std::invalid_argument);
  auto good = site_cfg(32, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1", 6)})});
  Allocator alloc(good);
  EXPECT_FALSE(alloc.update_config(site).empty());
  EXPECT_DOUBLE_EQ(alloc.config().grid_max_current_a, 32);
}

// update_config keeps what the session learned: here, that the EV needs the probing current.
TEST(AllocatorConfig, UpdateConfigKeepsSessionState) {
  auto site = site_cfg(41, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  site.probing_time_s = 10;
  Allocator alloc(site);
  (void)alloc.step(snapshot_at(0, {0, 0, 0}, {socket_in(1, CS::Available)}));
  auto out = alloc.step(snapshot_at(1, {0, 0, 0}, {socket_in(1, CS::Connected)}));
  ASSERT_EQ(reason_of(out, 1), Reason::Probing);
  out = alloc.step(snapshot_at(5, {14, 0, 0}, {ev(1, {14, 0, 0}, 1)}));  // draws at 14 A
  // Offered 8 A: draws nothing for more than twice the EV response time.
  auto s = site;
  s.grid_max_current_a = 9;
  ASSERT_TRUE(alloc.update_config(s).empty());
  for (double t = 12; t <= 30; t += 2) out = alloc.step(snapshot_at(t, {0, 0, 0}, {socket_in(1, CS::Connected)}));
  EXPECT_EQ(current_of(out, 1), 0) << "needs 14 A, only 8 A available";
  ASSERT_TRUE(alloc.update_config(site).empty());
  out = alloc.step(snapshot_at(32, {0, 0, 0}, {socket_in(1, CS::Connected)}));
  EXPECT_EQ(current_of(out, 1), 32);
  // A fresh allocator with the small budget does not know and offers 8 A.
  Allocator fresh(s);
  out = fresh.step(snapshot_at(0, {0, 0, 0}, {socket_in(1, CS::Connected)}));
  EXPECT_EQ(current_of(out, 1), 8);
}

}  // namespace
}  // namespace emsgw::ems::test
