// Stage: cut fast, raise slow (deadband, unconfirmed cuts hold raises).
#include <gtest/gtest.h>

#include "ems/allocator/ramping.hpp"
#include "tests/ems/allocator_stage_util.hpp"

namespace emsgw::ems::test {
namespace {

using allocator::SocketWork;

SiteConfig two_sockets() {
  auto site = site_cfg(40, 3, {station_cfg("a", 32, {socket_cfg(1, 32, "L1"), socket_cfg(2, 32, "L2")})});
  site.ev_response_time_s = 5;
  site.raise_deadband_a = 1;
  return site;
}

/// Socket k decided `value` A this step and measures `measured` A.
SocketWork decided(int value, double measured) {
  auto w = candidate(6, 32, {0});
  w.admitted = true;
  w.value = value;
  w.max_measured = measured;
  w.reason = Reason::GridL1;
  return w;
}

TEST(AllocatorRamping, HoldsARaiseWhileACutIsUnconfirmedOnEveryStep) {
  StageSite s(two_sockets(), snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = s.sessions[0].settled_a = 16;
  s.sessions[1].setpoint_a = s.sessions[1].settled_a = 6;
  // Step at 0 s: socket 1 cut 16 → 10 (still draws 16), socket 2 raised 6 → 12.
  std::vector<SocketWork> work{decided(10, 16), decided(12, 6)};
  auto allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_EQ(allocs[0].current_a, 10);  // cuts are never held
  EXPECT_FALSE(allocs[0].wait_for_confirmation);
  EXPECT_EQ(allocs[1].current_a, 12);
  EXPECT_TRUE(allocs[1].wait_for_confirmation);
  EXPECT_EQ(s.sessions[1].settled_a, 6);
  ASSERT_TRUE(s.sessions[0].cut_at.has_value());

  // 2 s later the EV still draws 16 A: the raise keeps waiting.
  s.snap = snapshot_at(2, {0, 0, 0}, {});
  allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_TRUE(allocs[1].wait_for_confirmation);

  // 3 s: the cut shows in the measurement; the raise goes through and becomes the settled value.
  s.snap = snapshot_at(3, {0, 0, 0}, {});
  work[0].max_measured = 10.5;
  allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_FALSE(allocs[1].wait_for_confirmation);
  EXPECT_FALSE(s.sessions[0].cut_at.has_value());
  EXPECT_EQ(s.sessions[1].settled_a, 12);
}

// While the non-EV load counts a grid rise as an EV's answer to a raise its station has not
// reported yet, a household step may hide in it: no room is handed out until the stations report.
TEST(AllocatorRamping, HoldsRaisesWhileAnEvRiseIsUnconfirmed) {
  StageSite s(two_sockets(), snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = s.sessions[0].settled_a = 16;
  s.sessions[1].setpoint_a = s.sessions[1].settled_a = 6;
  s.snap.ev_rise_unconfirmed_on = {true, false, false};  // on L1, where both sockets load
  std::vector<SocketWork> work{decided(10, 16), decided(12, 6)};
  work[0].max_measured = 10;  // no cut pending
  auto allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_EQ(allocs[0].current_a, 10) << "cuts are never held";
  EXPECT_TRUE(allocs[1].wait_for_confirmation);
  EXPECT_EQ(s.sessions[1].settled_a, 6);

  s.snap = snapshot_at(1, {0, 0, 0}, {});  // the stations report the rise
  allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_FALSE(allocs[1].wait_for_confirmation);
  EXPECT_EQ(s.sessions[1].settled_a, 12);
}

// A rise taken on trust on L3 (another car ramping up there) hides at most a household step on L3:
// a raise that loads only L1 goes out at once (the EV lab: a car that fitted waited 7 s for
// another's ramp). One that loads L3 waits, and so does any raise under a power budget that joins
// the phases (a flexible limit, PV surplus, a circuit's power limit).
TEST(AllocatorRamping, ARiseOnTrustHoldsOnlyRaisesOnItsPhases) {
  const auto raise_on = [](std::size_t phase) {
    auto w = decided(12, 6);
    w.loads[0] = phase;
    return w;
  };
  const auto waits = [&](StageSite& s, const SocketWork& w) {
    s.sessions[0].setpoint_a = s.sessions[0].settled_a = 6;
    s.snap.ev_rise_unconfirmed_on = {false, false, true};
    return allocator::ramp(s.inputs(), {w}, s.sessions)[0].wait_for_confirmation;
  };
  const auto site = site_cfg(40, 3, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  StageSite s(site, snapshot_at(0, {0, 0, 0}, {}));
  EXPECT_FALSE(waits(s, raise_on(0))) << "L1 has nothing hidden";
  EXPECT_EQ(s.sessions[0].settled_a, 12);
  StageSite l3(site, snapshot_at(0, {0, 0, 0}, {}));
  EXPECT_TRUE(waits(l3, raise_on(2))) << "on L3 it waits";
  StageSite flex(site, snapshot_at(0, {0, 0, 0}, {}));
  flex.snap.flex_limit = FlexLimit{};
  EXPECT_TRUE(waits(flex, raise_on(0))) << "a power budget joins the phases";
  StageSite pv(site, snapshot_at(0, {0, 0, 0}, {}));
  auto member = raise_on(0);
  member.surplus_member = true;
  EXPECT_TRUE(waits(pv, member)) << "the surplus is all phases together";
  auto with_circuit = site;
  with_circuit.circuits.push_back(CircuitConfig{});
  with_circuit.circuits.back().max_power_w = 11000;
  StageSite c(with_circuit, snapshot_at(0, {0, 0, 0}, {}));
  EXPECT_TRUE(waits(c, raise_on(0))) << "a circuit's power limit";
}

// A socket kept at its minimum while cuts are unconfirmed (admission's held_for_cuts) may not fit
// once they show: no raise goes out beside it in that step, even the step the cuts are confirmed.
TEST(AllocatorRamping, HoldsRaisesWhileASocketIsHeldForCuts) {
  StageSite s(two_sockets(), snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = s.sessions[0].settled_a = 6;
  s.sessions[1].setpoint_a = s.sessions[1].settled_a = 6;
  std::vector<SocketWork> work{decided(6, 6), decided(12, 6)};
  work[0].held_for_cuts = true;
  auto allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_TRUE(allocs[1].wait_for_confirmation);
  EXPECT_EQ(s.sessions[1].settled_a, 6);

  s.snap = snapshot_at(1, {0, 0, 0}, {});
  work[0].held_for_cuts = false;  // decided on the settled estimate
  allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_FALSE(allocs[1].wait_for_confirmation);
  EXPECT_EQ(s.sessions[1].settled_a, 12);
}

TEST(AllocatorRamping, ACutCountsAsConfirmedAfterTheEvResponseTime) {
  StageSite s(two_sockets(), snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = s.sessions[0].settled_a = 16;
  s.sessions[1].setpoint_a = s.sessions[1].settled_a = 6;
  std::vector<SocketWork> work{decided(10, 16), decided(12, 6)};
  (void)allocator::ramp(s.inputs(), work, s.sessions);
  s.snap = snapshot_at(5, {0, 0, 0}, {});  // never seen to follow, but 5 s have passed
  const auto allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_FALSE(allocs[1].wait_for_confirmation);
  EXPECT_FALSE(s.sessions[0].cut_at.has_value());
}

TEST(AllocatorRamping, HoldsRaisesBelowTheDeadband) {
  auto site = two_sockets();
  site.raise_deadband_a = 3;
  StageSite s(site, snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = s.sessions[0].settled_a = 10;
  s.sessions[1].setpoint_a = s.sessions[1].settled_a = 10;
  std::vector<SocketWork> work{decided(12, 10), decided(13, 10)};
  const auto allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_EQ(allocs[0].current_a, 10);  // +2 A < 3 A: held
  EXPECT_TRUE(allocs[0].held_by_deadband);
  EXPECT_EQ(allocs[1].current_a, 13);  // +3 A: goes through
  EXPECT_FALSE(allocs[1].held_by_deadband);
  EXPECT_EQ(s.sessions[0].setpoint_a, 10);
}

TEST(AllocatorRamping, ASilentSocketKeepsItsSafeCurrentAndItsLastSetPointInMemory) {
  StageSite s(two_sockets(), snapshot_at(0, {0, 0, 0}, {}));
  s.sessions[0].setpoint_a = 16;
  SocketWork silent;
  silent.value = 6;
  silent.reason = Reason::StationLost;
  std::vector<SocketWork> work{silent, decided(8, 8)};
  const auto allocs = allocator::ramp(s.inputs(), work, s.sessions);
  EXPECT_EQ(allocs[0].id, 1);
  EXPECT_EQ(allocs[0].current_a, 6);
  EXPECT_EQ(allocs[0].reason, Reason::StationLost);
  EXPECT_EQ(s.sessions[0].setpoint_a, 16);  // still reserved at what it was last told
  EXPECT_FALSE(s.sessions[0].cut_at.has_value());
  EXPECT_EQ(allocs[1].id, 2);
  EXPECT_EQ(allocs[1].phases, 1);
}

}  // namespace
}  // namespace emsgw::ems::test
