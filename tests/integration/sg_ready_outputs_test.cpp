// SG-Ready in the running product: the simulated house exports, emsgw boosts the heat pump through
// a relay module (the project's simulator on loopback Modbus TCP), the status shows the state read
// back from the outputs, a relay switched by hand is put right, and stopping emsgw leaves the heat
// pump on normal.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "drivers/heatpump/sim/relay_module_sim.hpp"
#include "tests/integration/site_rig.hpp"

namespace emsgw::test {
namespace {

TEST(SgReadyOutputs, TheRunningProductDrivesAndShowsTheOutputsItReadsBack) {
  drivers::sim::RelayModuleSimulator relay(8, 1);
  drivers::sim::ModbusTcpServer server(relay, {});
  const auto port = server.start();
  ASSERT_TRUE(port.has_value());

  auto o = three_car_site();
  o.household_a = {1, 1, 1};
  o.with_pv = true;
  SiteRig rig(o,
              "\n[heatpump]\nenabled = true\nboost_surplus_w = 2000\nmin_switch_interval_s = 60\n"
              "[heatpump.sg_ready]\nhost = \"127.0.0.1\"\nport = " +
                  std::to_string(*port) + "\nunit = 1\noutput = \"coils\"\noutput1_address = 2\noutput2_address = 3\n");
  const auto state = [&] {
    const auto st = rig.runtime->loop().status();
    return st ? st->heatpump.sg_ready_state : -1;
  };
  ASSERT_GE(rig.wait_for([&] { return state() == 2; }, 10), 0) << "normal at start, read back";
  EXPECT_FALSE(relay.output(2));
  EXPECT_FALSE(relay.output(3));

  // 6.9 kW of PV with 1 A of household load per phase: about 6 kW exported, above the boost level.
  rig.site->set_pv_power(6900);
  ASSERT_GE(rig.wait_for([&] { return relay.output(3) && !relay.output(2); }, 15), 0)
      << "the heat pump was never boosted\n"
      << rig.describe();
  ASSERT_GE(rig.wait_for([&] { return state() == 3; }, 5), 0);
  const auto st = rig.runtime->loop().status();
  EXPECT_TRUE(st->heatpump.sg_ready_outputs);
  EXPECT_EQ(st->heatpump.sg_ready_requested, 3);

  // Someone switches output 1 on at the module (1:1 = forced): the status shows it, then emsgw puts
  // it right at its next read-back.
  relay.set_output(2, true);
  ASSERT_GE(rig.wait_for([&] { return !relay.output(2) && relay.output(3); }, 12), 0)
      << "the hand-switched output was not put right";
  // The status shows it from the next control step on.
  EXPECT_GE(rig.wait_for([&] { return state() == 3; }, 5), 0) << "status still shows " << state();

  rig.runtime->stop();
  EXPECT_FALSE(relay.output(2));
  EXPECT_FALSE(relay.output(3)) << "emsgw stopped: the heat pump is back on normal";
  server.stop();
}

}  // namespace
}  // namespace emsgw::test
