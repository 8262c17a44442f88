// Stage: per-phase budget (non-EV load, reservations, external limits) and per-phase use.
#include <gtest/gtest.h>

#include "ems/allocator/phase_budget.hpp"
#include "tests/ems/allocator_stage_util.hpp"

namespace emsgw::ems::test {
namespace {

using CS = ConnectorState;
using allocator::SocketWork;

/// Grid 25 A per phase, margin 1 A; socket 1 (3-phase, L1L2L3) on station a, socket 2 (L2) on b.
SiteConfig two_sockets() {
  return site_cfg(
      25, 3,
      {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3", 6)}), station_cfg("b", 32, {socket_cfg(2, 16, "L2", 6)})});
}

std::vector<SocketWork> heard(const StageSite& s) {
  std::vector<SocketWork> work(s.index.sockets.size());
  for (const auto& so : s.snap.sockets) {
    auto& w = work[static_cast<std::size_t>(s.index.find(so.id))];
    w.snap = &so;
    w.fresh = true;
    w.known = so.state != CS::Unknown;
  }
  return work;
}

TEST(AllocatorPhaseBudget, SubtractsNonEvLoadAndMarginPerPhase) {
  // Meter 15 / 13 / 3 A includes socket 1 drawing 10 / 5 / 0 and socket 2 drawing 4 on L2.
  StageSite s(
      two_sockets(),
      snapshot_at(0, {15, 13, 3}, {socket_in(1, CS::Charging, {10, 5, 0}), socket_in(2, CS::Charging, {4, 0, 0})}));
  auto work = heard(s);
  Allocation out;
  const auto cap = phase_budget(s.inputs(), s.sessions, work, out);
  // Non-EV: 5 / 4 / 3 A; available = 25 − 1 − non-EV.
  EXPECT_DOUBLE_EQ(cap.phase[0], 19);
  EXPECT_DOUBLE_EQ(cap.phase[1], 20);
  EXPECT_DOUBLE_EQ(cap.phase[2], 21);
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_DOUBLE_EQ(out.phases[p].limit.value(), 24);
    EXPECT_DOUBLE_EQ(out.phases[p].available.value(), cap.phase[p]);
    EXPECT_DOUBLE_EQ(out.phases[p].reserved.value(), 0);
    EXPECT_EQ(out.phases[p].bound_by, allocator::grid_reason(p));
  }
  EXPECT_DOUBLE_EQ(out.phases[1].non_ev_load.value(), 4);
  EXPECT_EQ(cap.station_reserved, (std::vector<double>{0, 0}));
}

TEST(AllocatorPhaseBudget, MeterWithoutTheChargersIsAllNonEvLoad) {
  auto site = two_sockets();
  site.meter_includes_chargers = false;
  StageSite s(site, snapshot_at(0, {15, 13, 3}, {socket_in(1, CS::Charging, {10, 5, 0}), socket_in(2, CS::Available)}));
  auto work = heard(s);
  Allocation out;
  const auto cap = phase_budget(s.inputs(), s.sessions, work, out);
  EXPECT_DOUBLE_EQ(cap.phase[0], 9);
  EXPECT_DOUBLE_EQ(cap.phase[1], 11);
  EXPECT_DOUBLE_EQ(cap.phase[2], 21);
}

TEST(AllocatorPhaseBudget, ExportNeverRaisesTheGridBudget) {
  StageSite s(two_sockets(), snapshot_at(0, {-30, -2, 0}, {socket_in(1, CS::Available), socket_in(2, CS::Available)}));
  auto work = heard(s);
  Allocation out;
  const auto cap = phase_budget(s.inputs(), s.sessions, work, out);
  EXPECT_DOUBLE_EQ(out.phases[0].non_ev_load.value(), 0);
  EXPECT_DOUBLE_EQ(cap.phase[0], 24);
  EXPECT_DOUBLE_EQ(cap.phase[1], 24);
}

TEST(AllocatorPhaseBudget, SilentSocketStaysReservedAtItsLastSetPointAndGetsItsSafeCurrent) {
  auto snap = snapshot_at(0, {5, 5, 5}, {socket_in(1, CS::Charging, {0, 0, 0}), socket_in(2, CS::Unknown)});
  snap.sockets[0].reachable = false;
  StageSite s(two_sockets(), snap);
  s.sessions[0].setpoint_a = 16;  // last told 16 A
  auto work = heard(s);
  work[0].fresh = false;
  Allocation out;
  const auto cap = phase_budget(s.inputs(), s.sessions, work, out);
  // Socket 1: max(16, safe 6) on L1..L3; socket 2 (state unknown, never told): its safe 6 A on L2.
  EXPECT_DOUBLE_EQ(out.phases[0].reserved.value(), 16);
  EXPECT_DOUBLE_EQ(out.phases[1].reserved.value(), 22);
  EXPECT_DOUBLE_EQ(cap.phase[0], 24 - 5 - 16);
  EXPECT_DOUBLE_EQ(cap.phase[1], 0);  // 24 − 5 − 22 < 0: nothing left, never negative
  EXPECT_EQ(cap.station_reserved, (std::vector<double>{16, 6}));
  EXPECT_EQ(work[0].value, 6);
  EXPECT_EQ(work[0].reason, Reason::StationLost);
  EXPECT_EQ(work[1].value, 6);
  EXPECT_EQ(work[1].reason, Reason::StateUnknown);
}

TEST(AllocatorPhaseBudget, ExternalLimitsBindWhenLowerAndNameThemselves) {
  auto snap = snapshot_at(0, {2, 2, 2}, {socket_in(1, CS::Available), socket_in(2, CS::Available)});
  snap.site_limit = std::array<Amps, 3>{Amps(10), Amps(40), Amps(40)};
  snap.site_schedule.blocks.push_back({at_s(-1), at_s(60), Amps(15)});
  StageSite s(two_sockets(), snap);
  auto work = heard(s);
  Allocation out;
  const auto cap = phase_budget(s.inputs(), s.sessions, work, out);
  EXPECT_DOUBLE_EQ(cap.phase[0], 10);
  EXPECT_EQ(out.phases[0].bound_by, Reason::SiteLimit);
  EXPECT_DOUBLE_EQ(out.phases[0].limit.value(), 10);
  EXPECT_DOUBLE_EQ(cap.phase[1], 15);
  EXPECT_EQ(out.phases[1].bound_by, Reason::Schedule);
}

TEST(AllocatorPhaseBudget, PhasesBeyondASinglePhaseGridHaveNothing) {
  auto site = site_cfg(25, 1, {station_cfg("a", 32, {socket_cfg(1, 32, "L1")})});
  StageSite s(site, snapshot_at(0, {5, 0, 0}, {socket_in(1, CS::Available)}));
  auto work = heard(s);
  Allocation out;
  const auto cap = phase_budget(s.inputs(), s.sessions, work, out);
  EXPECT_DOUBLE_EQ(cap.phase[0], 19);
  EXPECT_DOUBLE_EQ(cap.phase[1], 0);
  EXPECT_DOUBLE_EQ(cap.phase[2], 0);
}

TEST(AllocatorPhaseBudget, PhaseUseAddsTheAdmittedSetPointsOnTheirPhases) {
  std::vector<SocketWork> work{candidate(6, 16, {0, 1, 2}), candidate(6, 16, {1}), candidate(6, 16, {2})};
  work[0].admitted = work[1].admitted = true;  // the third is not admitted: not counted
  std::vector<SocketAllocation> allocs(3);
  allocs[0].current_a = 10;
  allocs[1].current_a = 7;
  allocs[2].current_a = 9;
  Allocation out;
  add_phase_use(work, allocs, out);
  EXPECT_DOUBLE_EQ(out.phases[0].allocated.value(), 10);
  EXPECT_DOUBLE_EQ(out.phases[1].allocated.value(), 17);
  EXPECT_DOUBLE_EQ(out.phases[2].allocated.value(), 10);
}

}  // namespace
}  // namespace emsgw::ems::test
