// The grid operator's relay contact in the running product: a simulated I/O module (the project's
// simulator on loopback Modbus TCP) carries the contact as a discrete input. Closing it dims the EV
// to the guaranteed floor (4.2 kW for one controllable device), opening it ends the dimming, and a
// module that stops answering is a fault that keeps the EV dimmed.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "drivers/io/sim/io_module_sim.hpp"
#include "tests/integration/site_rig.hpp"

namespace emsgw::test {
namespace {

gateway::SimulatedSiteOptions one_car_site() {
  gateway::SimulatedSiteOptions o;
  o.grid_max_current_a = 25;
  o.safety_margin_a = 1;
  o.household_a = {1, 1, 1};
  o.site_extra = "probing_time_s = 2";
  o.stations = {gateway::SimStationSpec{"carport", 32, 60, false, {gateway::SimSocketSpec{0, 16, 6, "L1L2L3"}}}};
  return o;
}

std::optional<ems::SocketStatus> socket0(SiteRig& rig) {
  const auto st = rig.runtime->loop().status();
  if (!st || st->sockets.empty()) return std::nullopt;
  return st->sockets[0];
}

bool has_fault(SiteRig& rig, const std::string& code) {
  const auto st = rig.runtime->loop().status();
  return st && std::any_of(st->faults.begin(), st->faults.end(), [&](const ems::Fault& f) { return f.code == code; });
}

TEST(GridOperatorInput, TheRelayContactDimsTheEvToTheFloorAndReleasesIt) {
  drivers::sim::IoModuleSimulator module(8, 1);
  drivers::sim::ModbusTcpServer server(module, {});
  const auto port = server.start();
  ASSERT_TRUE(port.has_value());

  SiteRig rig(one_car_site(), "\n[grid_operator]\ninput = \"modbus-di\"\nhost = \"127.0.0.1\"\nport = " +
                                  std::to_string(*port) + "\nunit = 1\ndiscrete_input = 5\npoll_ms = 200\n");
  rig.site->station(0).station().plug(1, ev(3, 16, 6));
  // 4.2 kW over three phases at 230 V: 6.09 A per phase.
  const double floor_a = 4200.0 / (3 * 230.0);
  const auto setpoint = [&] { return socket0(rig) ? socket0(rig)->setpoint_a : -1.0; };
  ASSERT_GE(rig.wait_for([&] { return setpoint() > 12; }, 30), 0) << "never charged fully\n" << rig.describe();
  ASSERT_GT(module.reads(), 0) << "the I/O module was never read";
  ASSERT_GE(rig.wait_for([&] { return rig.site->ev_current()[0] > 12; }, 30), 0) << "the car never drew its current\n"
                                                                                 << rig.describe();

  module.set_input(5, true);
  ASSERT_GE(rig.wait_for([&] { return setpoint() <= floor_a + 1e-6; }, 10), 0)
      << "closing the contact did not dim the EV\n"
      << rig.describe();
  const auto dimmed = socket0(rig);
  ASSERT_TRUE(dimmed);
  EXPECT_EQ(dimmed->reason, "dimming");
  EXPECT_GE(dimmed->setpoint_a, 6) << "never below the socket's minimum: the floor is guaranteed";
  EXPECT_NE(dimmed->reason_text.find("4.2 kW"), std::string::npos) << dimmed->reason_text;
  // The station follows: the EV draws no more than the floor.
  ASSERT_GE(rig.wait_for([&] { return rig.site->ev_current()[0] <= floor_a + 0.5; }, 10), 0) << rig.describe();

  module.set_input(5, false);
  ASSERT_GE(rig.wait_for([&] { return setpoint() > 12; }, 30), 0) << "opening the contact did not end the dimming\n"
                                                                  << rig.describe();
  EXPECT_NE(socket0(rig)->reason, "dimming");
  EXPECT_FALSE(has_fault(rig, "grid_operator_input"));

  // The I/O module goes away: a fault, and the EV held at the floor while the contact is unknown.
  server.stop();
  ASSERT_GE(rig.wait_for([&] { return has_fault(rig, "grid_operator_input"); }, 15), 0)
      << "losing the I/O module raised no fault\n"
      << rig.describe();
  ASSERT_GE(rig.wait_for([&] { return setpoint() <= floor_a + 1e-6; }, 10), 0) << rig.describe();
  EXPECT_EQ(socket0(rig)->reason, "dimming");

  // Back: the fault clears and the EV is released.
  ASSERT_TRUE(server.start().has_value());
  ASSERT_GE(rig.wait_for([&] { return !has_fault(rig, "grid_operator_input"); }, 30), 0) << rig.describe();
  ASSERT_GE(rig.wait_for([&] { return setpoint() > 12; }, 30), 0) << rig.describe();
}

}  // namespace
}  // namespace emsgw::test
