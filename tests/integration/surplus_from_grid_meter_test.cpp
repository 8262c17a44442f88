// Solar surplus from the grid meter alone, in the running product: no PV meter is configured, the
// house exports through the grid meter (the simulated site's PV lowers the meter's reading), and a
// `pv` car starts after the start delay once the export covers its minimum, then stops after the
// stop delay when the export is gone.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/site_rig.hpp"

namespace emsgw::test {
namespace {

using gateway::SimSocketSpec;
using gateway::SimStationSpec;

gateway::SimulatedSiteOptions grid_meter_only_site() {
  gateway::SimulatedSiteOptions o;
  o.site_name = "export";
  o.grid_max_current_a = 25;
  o.safety_margin_a = 1;
  o.with_pv = false;  // no PV meter in the configuration
  o.household_a = {2, 2, 2};
  o.site_extra = "probing_time_s = 2";
  o.stations = {SimStationSpec{"carport", 32, 60, false, {SimSocketSpec{0, 16, 6, "L1", "pv"}}}};
  return o;
}

TEST(SurplusFromGridMeter, APvCarStartsFromExportAndStopsWhenItEnds) {
  SiteRig rig(grid_meter_only_site(), "\n[surplus]\nstart_delay_s = 3\nstop_delay_s = 4\n");
  ASSERT_FALSE(rig.runtime->loop().config().meters.contains("pv"));
  rig.site->station(0).station().plug(1, ev(1, 16, 6));
  // No export yet: the car waits, and nothing says a PV reading is stale (there is no PV meter).
  std::this_thread::sleep_for(std::chrono::seconds(5));
  auto st = rig.runtime->loop().status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->sockets.at(0).setpoint_a, 0) << rig.describe();
  EXPECT_EQ(st->sockets.at(0).reason, "pv-waiting") << rig.describe();
  for (const auto& r : st->degraded_reasons) EXPECT_NE(r, "pv-stale") << rig.describe();

  // 6.9 kW of PV behind the meter: about 8 A exported per phase.
  rig.site->set_pv_power(6900);
  const double started = now_s();
  const double took = rig.wait_for([&] { return rig.socket(0, 1).drawn_a >= 5.5; }, 20);
  ASSERT_GE(took, 0) << "the pv car never started from the export\n" << rig.describe();
  EXPECT_GE(now_s() - started, 3.0) << "started before start_delay_s";

  // The sun is gone: the export ends and the car stops after the stop delay.
  rig.site->set_pv_power(0);
  const double cloud = now_s();
  ASSERT_GE(rig.wait_for([&] { return rig.runtime->loop().status()->sockets.at(0).setpoint_a == 0; }, 20), 0)
      << rig.describe();
  EXPECT_GE(now_s() - cloud, 4.0) << "stopped before stop_delay_s";
}

}  // namespace
}  // namespace emsgw::test
