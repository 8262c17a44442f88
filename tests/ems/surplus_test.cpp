// Solar surplus without a PV meter: most homes have only the smart meter. The export at the grid
// meter plus what the surplus-mode EVs draw is the surplus; a PV meter, where one is configured,
// bounds it by the production and going stale stops surplus charging (design.md §2.4).
#include <gtest/gtest.h>

#include "ems/allocator.hpp"
#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {
namespace {

using CS = ConnectorState;

SocketSnapshot car(int id, std::array<double, 3> current_a) {
  auto s = socket_in(id, CS::Charging, current_a);
  s.ev_phases = 1;
  return s;
}

SiteConfig pv_site() {
  auto site = site_cfg(25, 1,
                       {station_cfg("a", 32, {socket_cfg(1, 16, "L1", 0, ChargeMode::Pv)}),
                        station_cfg("b", 32, {socket_cfg(2, 16, "L1", 0, ChargeMode::MinPv)})});
  site.surplus.start_delay_s = 30;
  site.surplus.stop_delay_s = 60;
  return site;
}

SiteSnapshot without_pv_meter(double t, double grid_l1_a, std::vector<SocketSnapshot> sockets) {
  auto s = snapshot_at(t, {grid_l1_a, 0, 0}, std::move(sockets));
  s.pv = {};                // no reading at all…
  s.pv_configured = false;  // …because there is no PV meter
  return s;
}

TEST(AllocatorSurplus, PvCarStartsFromTheGridMetersExportAfterTheStartDelay) {
  Allocator alloc(pv_site());
  // 20 A exported on L1 (4.6 kW): enough for the minpv car's minimum and the pv car's start
  // threshold (1.4 kW) once the delay has passed.
  auto out = alloc.step(without_pv_meter(0, -20, {car(1, {0, 0, 0}), car(2, {0, 0, 0})}));
  const auto* pv = out.find(1);
  ASSERT_NE(pv, nullptr);
  EXPECT_EQ(pv->current_a, 0);
  EXPECT_EQ(pv->reason, Reason::PvWaiting);
  EXPECT_FALSE(out.is_degraded(Degradation::PvStale));
  // The minpv car gets its minimum at once and more from the export.
  ASSERT_NE(out.find(2), nullptr);
  EXPECT_GE(out.find(2)->current_a, 6);

  for (double t = 1; t <= 31; t += 1)
    out = alloc.step(without_pv_meter(t, -20, {car(1, {0, 0, 0}), car(2, {0, 0, 0})}));
  ASSERT_NE(out.find(1), nullptr);
  EXPECT_GE(out.find(1)->current_a, 6) << "the pv car starts after start_delay_s of export";
  EXPECT_NE(out.find(1)->reason, Reason::PvStale);
}

TEST(AllocatorSurplus, PvCarStopsAfterTheStopDelayWhenTheExportEnds) {
  auto site = pv_site();
  site.surplus.start_delay_s = 0;
  Allocator alloc(site);
  auto out = alloc.step(without_pv_meter(0, -20, {car(1, {0, 0, 0})}));
  ASSERT_GE(out.find(1)->current_a, 6);
  // The car draws 10 A and the house imports 15 A: the surplus (10 A drawn − 15 A imported) is
  // below stop_surplus_w (0 W).
  for (double t = 1; t < 60; t += 1) {
    out = alloc.step(without_pv_meter(t, 15, {car(1, {10, 0, 0})}));
    ASSERT_GE(out.find(1)->current_a, 6) << "stopped before stop_delay_s at t=" << t;
  }
  for (double t = 60; t <= 62; t += 1) out = alloc.step(without_pv_meter(t, 15, {car(1, {10, 0, 0})}));
  EXPECT_EQ(out.find(1)->current_a, 0);
}

TEST(AllocatorSurplus, AConfiguredPvMeterThatIsSilentStillStopsSurplusCharging) {
  Allocator alloc(pv_site());
  auto snap = without_pv_meter(0, -12, {car(1, {0, 0, 0}), car(2, {0, 0, 0})});
  snap.pv_configured = true;  // a PV meter exists but has not answered
  const auto out = alloc.step(snap);
  EXPECT_EQ(out.find(1)->current_a, 0);
  EXPECT_EQ(out.find(1)->reason, Reason::PvStale);
  EXPECT_EQ(out.find(2)->current_a, 6);
  EXPECT_TRUE(out.is_degraded(Degradation::PvStale));
}

}  // namespace
}  // namespace emsgw::ems::test
