// Stage: socket status, sessions and probing.
#include <gtest/gtest.h>

#include "ems/allocator/sessions.hpp"
#include "tests/ems/allocator_stage_util.hpp"

namespace emsgw::ems::test {
namespace {

using CS = ConnectorState;

SiteConfig one_socket(const char* mapping = "L1L2L3") {
  auto site = site_cfg(40, 3, {station_cfg("a", 32, {socket_cfg(1, 32, mapping)})});
  site.probing_time_s = 60;
  site.probing_current_a = 14;
  site.ev_response_time_s = 5;
  return site;
}

std::vector<allocator::SocketWork> step_at(StageSite& s, double t, SocketSnapshot so, Allocation* out_ptr = nullptr) {
  s.snap = snapshot_at(t, {0, 0, 0}, {so});
  Allocation out;
  auto work = allocator::track_sessions(s.inputs(), s.sessions, out);
  if (out_ptr) *out_ptr = out;
  return work;
}

TEST(AllocatorSessions, ACarConnectedAfterTheSocketWasSeenFreeIsProbed) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(s, 0, socket_in(1, CS::Available));
  const auto work = step_at(s, 1, socket_in(1, CS::Charging));
  EXPECT_TRUE(work[0].occupied);
  ASSERT_TRUE(s.sessions[0].probing_until.has_value());
  EXPECT_EQ(*s.sessions[0].probing_until, at_s(61));
  (void)step_at(s, 61, socket_in(1, CS::Charging, {10, 10, 10}));
  EXPECT_FALSE(s.sessions[0].probing_until.has_value());
}

TEST(AllocatorSessions, ACarAlreadyThereAtStartIsNotProbed) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(s, 0, socket_in(1, CS::Charging));
  EXPECT_TRUE(s.sessions[0].occupied);
  EXPECT_FALSE(s.sessions[0].probing_until.has_value());
}

TEST(AllocatorSessions, DetectsTheEvsPhaseUseFromTheCurrents) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(s, 0, socket_in(1, CS::Charging, {8, 0.2, 0.1}));
  EXPECT_EQ(s.sessions[0].ev_phases, 1);
  (void)step_at(s, 1, socket_in(1, CS::Charging, {8, 7.5, 7.8}));
  EXPECT_EQ(s.sessions[0].ev_phases, 3);
  (void)step_at(s, 2, socket_in(1, CS::Charging, {8, 0, 0}));
  EXPECT_EQ(s.sessions[0].ev_phases, 3);  // remembered for the session: never counted lower

  StageSite single(one_socket("L2"), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(single, 0, socket_in(1, CS::Charging));
  EXPECT_EQ(single.sessions[0].ev_phases, 1);
}

TEST(AllocatorSessions, StaleImplausibleOrUnknownSocketsAreNotTrusted) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  Allocation out;
  auto so = socket_in(1, CS::Charging, {500, 0, 0});
  auto work = step_at(s, 0, so, &out);
  EXPECT_FALSE(work[0].fresh);
  EXPECT_TRUE(out.is_degraded(Degradation::StationStale));

  work = step_at(s, 1, socket_in(1, CS::Unknown), &out);
  EXPECT_TRUE(work[0].fresh);
  EXPECT_FALSE(work[0].known);
  EXPECT_TRUE(out.is_degraded(Degradation::SocketStateUnknown));
  EXPECT_FALSE(out.is_degraded(Degradation::StationStale));

  s.snap = snapshot_at(20, {0, 0, 0}, {});  // no reading at all
  work = allocator::track_sessions(s.inputs(), s.sessions, out);
  EXPECT_EQ(work[0].snap, nullptr);
  EXPECT_FALSE(work[0].fresh);
}

TEST(AllocatorSessions, AnEvThatDrawsNothingBelowTheProbingCurrentNeedsIt) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(s, 0, socket_in(1, CS::Charging));
  s.sessions[0].setpoint_a = 8;  // offered 8 A (≥ 6, < 14), asks (state C), draws nothing
  (void)step_at(s, 1, socket_in(1, CS::Charging));
  EXPECT_FALSE(s.sessions[0].needs_probing_current);
  (void)step_at(s, 60, socket_in(1, CS::Charging));
  EXPECT_FALSE(s.sessions[0].needs_probing_current);  // judged after a whole probing time
  (void)step_at(s, 61, socket_in(1, CS::Charging));
  EXPECT_TRUE(s.sessions[0].needs_probing_current);
}

TEST(AllocatorSessions, AFullBatteryIsNotFlagged) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(s, 0, socket_in(1, CS::Connected));
  s.sessions[0].setpoint_a = 8;
  for (double t = 1; t <= 200; t += 10) (void)step_at(s, t, socket_in(1, CS::Connected));
  EXPECT_FALSE(s.sessions[0].needs_probing_current);
}

TEST(AllocatorSessions, ANewSessionForgetsTheEvButKeepsWhatTheStationIsSetTo) {
  StageSite s(one_socket(), snapshot_at(0, {0, 0, 0}, {}));
  (void)step_at(s, 0, socket_in(1, CS::Charging, {8, 0, 0}));
  s.sessions[0].setpoint_a = 12;
  s.sessions[0].settled_a = 12;
  s.sessions[0].needs_probing_current = true;
  (void)step_at(s, 1, socket_in(1, CS::Available));
  EXPECT_FALSE(s.sessions[0].occupied);
  EXPECT_EQ(s.sessions[0].ev_phases, 0);
  EXPECT_FALSE(s.sessions[0].needs_probing_current);
  EXPECT_EQ(s.sessions[0].setpoint_a, 12);
  EXPECT_EQ(s.sessions[0].settled_a, 12);
  EXPECT_TRUE(s.sessions[0].seen_free);
}

}  // namespace
}  // namespace emsgw::ems::test
