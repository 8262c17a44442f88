// The simulator Modbus server: functions, exceptions, malformed handler replies, restarts.

#include "drivers/modbus/sim/modbus_server.hpp"

#include <gtest/gtest.h>

#include "drivers/modbus/libmodbus_transport.hpp"

namespace emsgw::drivers::sim {
namespace {

TcpLink local(int port) {
  TcpLink l;
  l.host = "127.0.0.1";
  l.port = port;
  l.timing.response_timeout_ms = 500;
  l.timing.initial_backoff_ms = 50;
  return l;
}

TEST(ModbusServer, PassesRequestsToTheHandler) {
  std::vector<ModbusRequest> seen;
  FunctionHandler h([&](const ModbusRequest& r) {
    seen.push_back(r);
    if (r.function == 1) return ModbusReply::registers_reply({1, 0, 1});
    if (r.function == 3)
      return ModbusReply::registers_reply(std::vector<std::uint16_t>(static_cast<std::size_t>(r.count), 9));
    return ModbusReply::ok();
  });
  ModbusTcpServer server(h, {});
  auto port = server.start();
  ASSERT_TRUE(port);
  EXPECT_GT(*port, 0);
  LibmodbusTcpTransport t(local(*port));
  auto r = t.read_holding(3, 1000, 125);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 125u);
  const std::uint16_t v[] = {0x4100, 0};
  ASSERT_TRUE(t.write_multiple(1, 1210, v));
  auto coils = t.read_coils(1, 5, 3);
  ASSERT_TRUE(coils);
  EXPECT_EQ(*coils, (std::vector<bool>{true, false, true}));
  ASSERT_TRUE(t.write_coil(1, 8, true));
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].unit, 3);
  EXPECT_EQ(seen[0].function, 3);
  EXPECT_EQ(seen[0].address, 1000);
  EXPECT_EQ(seen[0].count, 125);
  EXPECT_EQ(seen[1].function, 16);
  EXPECT_EQ(seen[1].address, 1210);
  EXPECT_EQ(seen[1].values, (std::vector<std::uint16_t>{0x4100, 0}));
  EXPECT_EQ(seen[3].function, 5);
  EXPECT_EQ(seen[3].values, (std::vector<std::uint16_t>{1}));
  EXPECT_EQ(server.stats().requests, 4u);
}

TEST(ModbusServer, WrongSizedOrThrowingHandlerRepliesAreDeviceFailures) {
  FunctionHandler h([](const ModbusRequest& r) -> ModbusReply {
    if (r.address == 1) throw std::runtime_error("boom");
    return ModbusReply::registers_reply({1});  // always one register
  });
  ModbusTcpServer server(h, {});
  auto port = server.start();
  ASSERT_TRUE(port);
  LibmodbusTcpTransport t(local(*port));
  auto r = t.read_holding(1, 10, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().exception_code, kServerDeviceFailure);
  auto thrown = t.read_holding(1, 1, 1);
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().exception_code, kServerDeviceFailure);
  EXPECT_TRUE(t.read_holding(1, 10, 1));
  EXPECT_EQ(server.stats().exceptions, 2u);
}

TEST(ModbusServer, RestartsOnTheSamePortAndDropsClients) {
  FunctionHandler h([](const ModbusRequest&) { return ModbusReply::registers_reply({5}); });
  ModbusTcpServer server(h, {});
  auto port = server.start();
  ASSERT_TRUE(port);
  LibmodbusTcpTransport t(local(*port));
  ASSERT_TRUE(t.read_holding(1, 0, 1));
  server.drop_clients();
  // The link was dropped under the client: the transport reconnects and repeats the read once.
  EXPECT_TRUE(t.read_holding(1, 0, 1));
  EXPECT_EQ(t.stats().connects, 2u);
  EXPECT_EQ(t.stats().failures, 0u);
  server.stop();
  EXPECT_FALSE(server.running());
  auto again = server.start();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *port);
  t.disconnect();
  EXPECT_TRUE(t.read_holding(1, 0, 1));
}

}  // namespace
}  // namespace emsgw::drivers::sim
