// SunSpec over a real Modbus TCP link: the simulator behind the project's server, read through libmodbus.
#include <gtest/gtest.h>

#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/sunspec/sim/sunspec_simulator.hpp"
#include "drivers/sunspec/sunspec.hpp"

namespace emsgw::drivers {
namespace {

TEST(SunspecLoopback, DiscoverAndReadOverTcp) {
  sim::SunspecSimulator dev({40000, 1, false, true, true});
  sim::ModbusTcpServer server(dev, {"127.0.0.1", 0, 2, 0});
  auto port = server.start();
  ASSERT_TRUE(port.has_value()) << port.error();
  LibmodbusTcpTransport bus({"127.0.0.1", *port, {}});
  ems::ManualClock clock;
  SunspecMeter meter(bus, clock, 1);
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(meter.device().has_value());
  EXPECT_EQ(meter.device()->models.size(), 5U);
  EXPECT_NEAR(*r->power_total_w.value(), 700.0, 1e-6);  // the meter model: 1000 − 500 + 200
  dev.set_meter({{-3000.0, 0.0, 0.0}, {230.0, 230.0, 230.0}, 5e6, 2e6});
  r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(*r->power_total_w.value(), -3000.0, 1e-6);
  server.stop();
}

}  // namespace
}  // namespace emsgw::drivers
