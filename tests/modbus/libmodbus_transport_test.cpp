// LibmodbusTcpTransport / LibmodbusRtuTransport against the project's Modbus server over loopback
// and a pty.

#include "drivers/modbus/libmodbus_transport.hpp"

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "drivers/modbus/sim/modbus_server.hpp"
#include "tests/modbus/register_bank.hpp"
#include "tests/support/process.hpp"

namespace emsgw::drivers {
namespace {

using namespace std::chrono_literals;
using sim::ModbusTcpServer;
using test::RegisterBank;

TcpLink link_to(int port, int response_ms = 500) {
  TcpLink l;
  l.host = "127.0.0.1";
  l.port = port;
  l.timing.connect_timeout_ms = 500;
  l.timing.response_timeout_ms = response_ms;
  l.timing.initial_backoff_ms = 200;
  l.timing.max_backoff_ms = 1000;
  return l;
}

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int a = 100; a < 110; ++a) bank_.set(1, a, static_cast<std::uint16_t>(a));
    bank_.set(2, 1210, 0);
    bank_.set(2, 1211, 0);
    bank_.set(200, 1105, 2);
    auto p = server_.start();
    ASSERT_TRUE(p) << p.error();
    port_ = *p;
  }
  RegisterBank bank_;
  ModbusTcpServer server_{bank_, {.bind_address = "127.0.0.1", .port = 0, .max_clients = 2, .idle_timeout_ms = 0}};
  int port_ = 0;
};

TEST(ModbusErrnoMapping, SortsLibmodbusErrors) {
  EXPECT_EQ(modbus_error_from_errno(EMBXILFUN, "").kind, ModbusErrorKind::Exception);
  EXPECT_EQ(modbus_error_from_errno(EMBXILFUN, "").exception_code, 1);
  EXPECT_EQ(modbus_error_from_errno(EMBXILVAL, "").exception_code, 3);
  EXPECT_EQ(modbus_error_from_errno(EMBXGTAR, "").exception_code, 11);
  EXPECT_EQ(modbus_error_from_errno(ETIMEDOUT, "").kind, ModbusErrorKind::Timeout);
  EXPECT_EQ(modbus_error_from_errno(ECONNRESET, "").kind, ModbusErrorKind::ConnectionLost);
  EXPECT_EQ(modbus_error_from_errno(EPIPE, "").kind, ModbusErrorKind::ConnectionLost);
  EXPECT_EQ(modbus_error_from_errno(EMBBADDATA, "").kind, ModbusErrorKind::BadReply);
  EXPECT_EQ(modbus_error_from_errno(EMBBADCRC, "").kind, ModbusErrorKind::BadReply);
  EXPECT_EQ(modbus_error_from_errno(EMBBADEXC, "").kind, ModbusErrorKind::BadReply);
  EXPECT_FALSE(modbus_error_from_errno(EMBXILADD, "").transient());
  EXPECT_TRUE(modbus_error_from_errno(EMBXSBUSY, "").transient());
  EXPECT_TRUE(modbus_error_from_errno(ETIMEDOUT, "").transient());
}

TEST_F(TransportTest, ReadsAndWritesOverOneConnectionForAllUnits) {
  LibmodbusTcpTransport t(link_to(port_));
  auto r = t.read_holding(1, 100, 10);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 10u);
  EXPECT_EQ((*r)[0], 100);
  EXPECT_EQ((*r)[9], 109);
  const std::uint16_t v[] = {0x4180, 0x0000};
  ASSERT_TRUE(t.write_multiple(2, 1210, v));
  EXPECT_EQ(bank_.get(2, 1210), 0x4180);
  EXPECT_EQ(bank_.last().function, 16);
  ASSERT_TRUE(t.write_single(1, 105, 7));
  EXPECT_EQ(bank_.get(1, 105), 7);
  EXPECT_EQ(bank_.last().function, 6);
  auto s = t.read_holding(200, 1105, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)[0], 2);
  auto in = t.read_input(1, 101, 2);
  ASSERT_TRUE(in);
  EXPECT_EQ((*in)[1], 102);
  EXPECT_EQ(server_.stats().accepted, 1u);  // units 1, 2 and 200 share one connection
  EXPECT_TRUE(t.connected());
  EXPECT_EQ(t.stats().connects, 1u);
  ASSERT_TRUE(t.idle_for().has_value());
}

TEST_F(TransportTest, ExceptionsCarryTheirCode) {
  LibmodbusTcpTransport t(link_to(port_));
  auto r = t.read_holding(1, 500, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ModbusErrorKind::Exception);
  EXPECT_EQ(r.error().exception_code, kIllegalDataAddress);
  EXPECT_FALSE(r.error().transient());
  auto u = t.read_holding(77, 100, 1);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().exception_code, kGatewayTargetFailed);
  // An exception leaves the link usable.
  EXPECT_TRUE(t.read_holding(1, 100, 1));
  EXPECT_EQ(t.stats().connects, 1u);
}

TEST_F(TransportTest, RejectsRequestsModbusCannotCarry) {
  LibmodbusTcpTransport t(link_to(port_));
  auto r = t.read_holding(1, 100, 126);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ModbusErrorKind::InvalidRequest);
  EXPECT_FALSE(t.read_holding(300, 100, 1));
  EXPECT_FALSE(t.write_multiple(1, 100, std::span<const std::uint16_t>{}));
}

TEST_F(TransportTest, SilentDeviceTimesOut) {
  LibmodbusTcpTransport t(link_to(port_, 150));
  bank_.set_silent(true);
  auto r = t.read_holding(1, 100, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ModbusErrorKind::Timeout);
  EXPECT_TRUE(r.error().transient());
  bank_.set_silent(false);
  EXPECT_TRUE(t.read_holding(1, 100, 1));
}

TEST(TransportBackoff, RefusedConnectBacksOffOnTheClock) {
  const int port = test::free_loopback_port();
  ems::ManualClock clock;
  LibmodbusTcpTransport t(link_to(port), &clock);
  auto r = t.read_holding(1, 100, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ModbusErrorKind::NotConnected);
  EXPECT_EQ(t.stats().connect_failures, 1u);
  // Inside the back-off window no new connect is attempted.
  EXPECT_FALSE(t.read_holding(1, 100, 1));
  EXPECT_EQ(t.stats().connect_failures, 1u);
  clock.advance(250ms);
  EXPECT_FALSE(t.read_holding(1, 100, 1));
  EXPECT_EQ(t.stats().connect_failures, 2u);
  // The window doubled to 400 ms.
  clock.advance(250ms);
  EXPECT_FALSE(t.read_holding(1, 100, 1));
  EXPECT_EQ(t.stats().connect_failures, 2u);
  // A server appears on that port: after the window the transport connects.
  RegisterBank bank;
  bank.set(1, 100, 42);
  ModbusTcpServer server(bank, {.bind_address = "127.0.0.1", .port = port, .max_clients = 2, .idle_timeout_ms = 0});
  ASSERT_TRUE(server.start());
  clock.advance(200ms);
  auto ok = t.read_holding(1, 100, 1);
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ((*ok)[0], 42);
}

TEST_F(TransportTest, ReconnectsAfterTheServerRestarts) {
  LibmodbusTcpTransport t(link_to(port_));
  ASSERT_TRUE(t.read_holding(1, 100, 1));
  server_.stop();
  auto lost = t.read_holding(1, 100, 1);
  ASSERT_FALSE(lost);
  EXPECT_TRUE(lost.error().transient());
  ASSERT_TRUE(server_.start());
  bool ok = false;
  for (int i = 0; i < 20 && !ok; ++i) {
    ok = static_cast<bool>(t.read_holding(1, 100, 1));
    if (!ok) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(t.stats().connects, 2u);
}

TEST_F(TransportTest, ThirdMasterIsRefused) {
  LibmodbusTcpTransport a(link_to(port_)), b(link_to(port_)), c(link_to(port_));
  ASSERT_TRUE(a.read_holding(1, 100, 1));
  ASSERT_TRUE(b.read_holding(1, 100, 1));
  auto r = c.read_holding(1, 100, 1);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().kind == ModbusErrorKind::ConnectionLost || r.error().kind == ModbusErrorKind::NotConnected ||
              r.error().kind == ModbusErrorKind::Timeout)
      << r.error().describe();
  EXPECT_EQ(server_.stats().refused, 1u);
  EXPECT_EQ(server_.client_count(), 2);
  a.disconnect();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server_.client_count(), 1);
}

TEST(TransportIdle, ServerIdleTimeoutDropsAndTransportReconnects) {
  RegisterBank bank;
  bank.set(1, 100, 1);
  ModbusTcpServer server(bank, {.bind_address = "127.0.0.1", .port = 0, .max_clients = 2, .idle_timeout_ms = 300});
  auto port = server.start();
  ASSERT_TRUE(port);
  LibmodbusTcpTransport t(link_to(*port));
  ASSERT_TRUE(t.read_holding(1, 100, 1));
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(server.stats().idle_closed, 1u);
  // The station closed the idle link; the next request reconnects and succeeds.
  auto r = t.read_holding(1, 100, 1);
  EXPECT_TRUE(r) << r.error().describe();
  EXPECT_EQ(t.stats().connects, 2u);
}

TEST_F(TransportTest, OneRequestInFlightAcrossThreads) {
  LibmodbusTcpTransport t(link_to(port_));
  std::atomic<int> failures{0};
  auto worker = [&](int unit, int address) {
    for (int i = 0; i < 200; ++i) {
      auto r = t.read_holding(unit, address, 1);
      if (!r) ++failures;
    }
  };
  std::thread th1(worker, 1, 100), th2(worker, 200, 1105);
  th1.join();
  th2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server_.stats().accepted, 1u);
}

TEST(RtuTransport, ReadsAndWritesOverAPty) {
  RegisterBank bank;
  bank.set(7, 40, 0x1234);
  bank.set(7, 41, 0x5678);
  sim::ModbusRtuServer server(bank, {.device = "", .baud = 19200, .parity = 'E', .unit = 7});
  auto path = server.start();
  ASSERT_TRUE(path) << path.error();
  RtuLink link;
  link.device = *path;
  link.baud = 19200;
  link.parity = 'E';
  link.timing.response_timeout_ms = 500;
  LibmodbusRtuTransport t(link);
  EXPECT_NE(t.endpoint().find("@19200 8E1"), std::string::npos);
  auto r = t.read_holding(7, 40, 2);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ((*r)[0], 0x1234);
  EXPECT_EQ((*r)[1], 0x5678);
  const std::uint16_t v[] = {1, 2};
  ASSERT_TRUE(t.write_multiple(7, 40, v));
  EXPECT_EQ(bank.get(7, 41), 2);
  auto e = t.read_holding(7, 90, 1);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().exception_code, kIllegalDataAddress);
  // Another unit id on the bus: nobody answers.
  auto none = t.read_holding(8, 40, 1);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ModbusErrorKind::Timeout);
  auto after = t.read_holding(7, 40, 1);
  EXPECT_TRUE(after) << after.error().describe();
}

}  // namespace
}  // namespace emsgw::drivers
