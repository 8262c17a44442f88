// The relay contact reader against the I/O module simulator over loopback Modbus TCP: the contact
// as read through FC2, its meaning (active_low), and errors that name the module and the input.
#include "drivers/io/relay_contact.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "drivers/io/sim/io_module_sim.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/modbus/socket_transport.hpp"

namespace emsgw::drivers {
namespace {

struct Module {
  Module() : server(sim, {}) { port = server.start().value(); }
  sim::IoModuleSimulator sim{8, 3};
  sim::ModbusTcpServer server;
  int port = 0;
};

std::vector<std::unique_ptr<ModbusTransport>> transports(int port) {
  std::vector<std::unique_ptr<ModbusTransport>> out;
  out.push_back(std::make_unique<LibmodbusTcpTransport>(TcpLink{"127.0.0.1", port, {}}));
  out.push_back(std::make_unique<SocketModbusTransport>(TcpLink{"127.0.0.1", port, {}}, ModbusFraming::Mbap));
  return out;
}

TEST(RelayContact, ReadsTheDiscreteInputThroughBothTransports) {
  Module m;
  for (auto& bus : transports(m.port)) {
    RelayContact contact(*bus, {3, 6, false});
    m.sim.set_input(6, false);
    auto r = contact.read();
    ASSERT_TRUE(r.has_value()) << r.error();
    EXPECT_FALSE(r->closed);
    EXPECT_FALSE(r->dim);
    m.sim.set_input(6, true);
    m.sim.set_input(5, false);
    r = contact.read();
    ASSERT_TRUE(r.has_value()) << r.error();
    EXPECT_TRUE(r->closed);
    EXPECT_TRUE(r->dim);
  }
  EXPECT_GE(m.sim.reads(), 4);
}

TEST(RelayContact, ActiveLowDimsOnAnOpenContact) {
  Module m;
  LibmodbusTcpTransport bus(TcpLink{"127.0.0.1", m.port, {}});
  RelayContact contact(bus, {3, 0, true});
  auto r = contact.read();
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_FALSE(r->closed);
  EXPECT_TRUE(r->dim);
  m.sim.set_input(0, true);
  r = contact.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->dim);
}

TEST(RelayContact, ErrorsNameTheModuleAndTheInput) {
  Module m;
  LibmodbusTcpTransport bus(TcpLink{"127.0.0.1", m.port, {}});
  RelayContact beyond(bus, {3, 8, false});  // the module has inputs 0 … 7
  auto r = beyond.read();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("unit 3 discrete input 8"), std::string::npos) << r.error();
  RelayContact contact(bus, {3, 1, false});
  m.sim.set_failing(true);
  r = contact.read();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("127.0.0.1:" + std::to_string(m.port)), std::string::npos) << r.error();
  m.sim.set_failing(false);
  EXPECT_TRUE(contact.read().has_value());
}

}  // namespace
}  // namespace emsgw::drivers
