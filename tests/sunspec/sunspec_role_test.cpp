// SunSpec roles in the product's meter factory: a device exposing an inverter model and a meter
// model on the same unit (SolarEdge: 103 + 203) is read as the inverter for [meter.pv] and as the
// meter for [meter.grid], over a real Modbus TCP link to the project's simulator.
#include <gtest/gtest.h>

#include "drivers/sunspec/sim/sunspec_simulator.hpp"
#include "drivers/system_clock.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::drivers {
namespace {

MeterSettings sunspec_settings(const std::string& role, int port) {
  MeterSettings s;
  s.role = role;
  s.kind = "sunspec-tcp";
  s.host = "127.0.0.1";
  s.port = port;
  s.unit = 1;
  s.timeout_ms = 500;
  return s;
}

class SunspecRoles : public ::testing::TestWithParam<bool> {};

TEST_P(SunspecRoles, PvReadsTheInverterAndGridReadsTheMeterOfOneDevice) {
  sim::SunspecSimulator dev({40000, 1, GetParam(), true, false});
  sim::SunspecInverterState inv;
  inv.ac_power_w = 4200.0;
  inv.energy_wh = 7654321.0;
  dev.set_inverter(inv);
  dev.set_meter({{-1000.0, -1200.0, -900.0}, {230.0, 230.0, 230.0}, 5e6, 2e6});
  sim::ModbusTcpServer server(dev, {"127.0.0.1", 0, 4, 0});
  auto port = server.start();
  ASSERT_TRUE(port.has_value()) << port.error();
  SystemClock clock;

  auto pv = gateway::make_meter(sunspec_settings("pv", *port), clock);
  auto r = pv->poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->sign, PowerSign::ProductionPositive);
  EXPECT_NEAR(*r->power_total_w.value(), 4200.0, 1e-6);
  EXPECT_NEAR(*r->energy_export_wh.value(), 7654321.0, 1e-6);

  auto grid = gateway::make_meter(sunspec_settings("grid", *port), clock);
  r = grid->poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->sign, PowerSign::ImportPositive);
  EXPECT_NEAR(*r->power_total_w.value(), -3100.0, 1e-6);
  server.stop();
}

INSTANTIATE_TEST_SUITE_P(IntAndFloatModels, SunspecRoles, ::testing::Values(false, true));

}  // namespace
}  // namespace emsgw::drivers
