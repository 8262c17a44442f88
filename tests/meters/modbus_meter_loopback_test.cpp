// Modbus meters over real links: the meter simulator behind the project's Modbus server, read
// through libmodbus over TCP loopback (ephemeral port) and over RTU on a pseudo-terminal.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "drivers/meters/modbus_meter.hpp"
#include "drivers/meters/sim/meter_simulator.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"

namespace emsgw::drivers {
namespace {

TEST(ModbusMeterLoopback, EveryPresetOverTcp) {
  for (const auto& p : meter_presets()) {
    sim::MeterSimulator device(p, 3);
    device.set_phase_currents({16.0, -8.0, 2.0});
    sim::ModbusTcpServer server(device, {"127.0.0.1", 0, 2, 0});
    auto port = server.start();
    ASSERT_TRUE(port.has_value()) << port.error();
    LibmodbusTcpTransport bus({"127.0.0.1", *port, {}});
    ems::ManualClock clock;
    ModbusMeter meter(bus, clock, {3, p.map, p.limits, false, true});
    auto r = meter.poll();
    ASSERT_TRUE(r.has_value()) << p.name << ": " << r.error().message;
    EXPECT_NEAR(*r->current_a[0].value(), 16.0, 0.06) << p.name;
    EXPECT_NEAR(*r->power_w[0].value(), 16.0 * 230.0, 0.06) << p.name;
    if (p.phases == 3) {
      EXPECT_NEAR(*r->current_a[1].value(), -8.0, 0.06) << p.name;
    }
    // Values change at run time and the next poll sees them.
    device.set_phase_currents({-4.0, 0.0, 0.0});
    r = meter.poll();
    ASSERT_TRUE(r.has_value());
    EXPECT_NEAR(*r->current_a[0].value(), -4.0, 0.06) << p.name;
    server.stop();
  }
}

TEST(ModbusMeterLoopback, SilentMeterTimesOutAsTransientError) {
  const auto* p = find_meter_preset("eastron-sdm630");
  sim::MeterSimulator device(*p, 1);
  device.set_fault(sim::MeterFault::Silent);
  sim::ModbusTcpServer server(device, {"127.0.0.1", 0, 2, 0});
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  LinkTiming timing;
  timing.response_timeout_ms = 200;
  LibmodbusTcpTransport bus({"127.0.0.1", *port, timing});
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, p->map, p->limits, false, true});
  auto r = meter.poll();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().transient);
  device.set_fault(sim::MeterFault::None);
  r = meter.poll();
  EXPECT_TRUE(r.has_value()) << r.error().message;
}

TEST(ModbusMeterLoopback, RtuOverPseudoTerminal) {
  const auto* p = find_meter_preset("eastron-sdm120ct");
  sim::MeterSimulator device(*p, 1);
  device.set_phase_currents({-7.5, 0, 0});
  sim::ModbusRtuServer server(device, {"", 9600, 'N', 8, 1, 1});
  auto path = server.start();
  ASSERT_TRUE(path.has_value()) << path.error();
  LibmodbusRtuTransport bus({*path, 9600, 'N', 8, 1, {}});
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, p->map, p->limits, false, true});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(*r->current_a[0].value(), -7.5, 0.01);
  EXPECT_NEAR(*r->power_total_w.value(), -7.5 * 230.0, 0.1);
  server.stop();
}

// RS-485 stand-in: a socat pty pair, the simulator on one end, libmodbus RTU on the other.
TEST(ModbusMeterLoopback, RtuOverSocatPtyPair) {
  if (std::system("command -v socat >/dev/null 2>&1") != 0) GTEST_SKIP() << "socat not installed";
  const std::string dir = ::testing::TempDir();
  const std::string a = dir + "emsgw-rtu-a-" + std::to_string(::getpid());
  const std::string b = dir + "emsgw-rtu-b-" + std::to_string(::getpid());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string ea = "pty,raw,echo=0,link=" + a;
    const std::string eb = "pty,raw,echo=0,link=" + b;
    ::execlp("socat", "socat", ea.c_str(), eb.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && (::access(a.c_str(), F_OK) != 0 || ::access(b.c_str(), F_OK) != 0); ++i) ::usleep(20000);
  const auto* p = find_meter_preset("carlo-gavazzi-em24");
  sim::MeterSimulator device(*p, 7);
  device.set_phase_currents({5.0, -2.5, 1.0});
  sim::ModbusRtuServer server(device, {a, 19200, 'E', 8, 1, 7});
  auto started = server.start();
  ASSERT_TRUE(started.has_value()) << started.error();
  LibmodbusRtuTransport bus({b, 19200, 'E', 8, 1, {}});
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {7, p->map, p->limits, false, true});
  auto r = meter.poll();
  server.stop();
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(*r->current_a[0].value(), 5.0, 0.01);
  EXPECT_NEAR(*r->current_a[1].value(), -2.5, 0.01);
  EXPECT_NEAR(*r->voltage_v[2].value(), 230.0, 0.06);
}

}  // namespace
}  // namespace emsgw::drivers
