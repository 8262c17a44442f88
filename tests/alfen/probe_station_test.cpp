// `emsgw probe-station` against the in-process station simulator.

#include <gtest/gtest.h>

#include <string>

#include "drivers/alfen/sim/alfen_station_sim.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "tests/support/process.hpp"

namespace emsgw::drivers::alfen {
namespace {

using test::built;
using test::run_command;

std::string probe(int port, const std::string& extra = "") {
  return built("gateway/emsgw") + " probe-station 127.0.0.1:" + std::to_string(port) + " --timeout-ms 500 " + extra;
}

void expect_has(const std::string& out, const std::string& what) {
  EXPECT_NE(out.find(what), std::string::npos) << "missing '" << what << "' in:\n" << out;
}

TEST(ProbeStation, ReportsIdentificationAndEverySocket) {
  AlfenSimConfig cfg;
  cfg.sockets = 2;
  cfg.firmware = "6.6.2-4396";
  AlfenSimRunner sim(cfg);
  auto port = sim.start(0);
  ASSERT_TRUE(port) << port.error();
  sim.command("plug 1 phases=3 max=16 delay=0");
  sim.command("advance 1");
  const auto r = run_command(probe(*port));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_has(r.output, "Name:          ALF_1000");
  expect_has(r.output, "Firmware:      6.6.2-4396");
  expect_has(r.output, "Sockets:       2 (Double)");
  expect_has(r.output, "Socket 1 (unit 1)");
  expect_has(r.output, "Mode 3 state:            C2 - charging");
  expect_has(r.output, "L1 6.0 A, L2 6.0 A, L3 6.0 A");
  expect_has(r.output, "Applied limit (1206):    6.0 A");
  expect_has(r.output, "EMS set-point (1210):    6.0 A");
  expect_has(r.output, "Remaining validity (1208): 0 s - no fresh EMS set-point");
  expect_has(r.output, "Safe current (1212):     6.0 A");
  expect_has(r.output, "Accounted for (1214):    no");
  expect_has(r.output, "Socket 2 (unit 2)");
  expect_has(r.output, "A - no vehicle connected");
}

TEST(ProbeStation, WriteTestConfirmsTheSetpoint) {
  AlfenSimRunner sim(AlfenSimConfig{});
  auto port = sim.start(0);
  ASSERT_TRUE(port);
  const auto r = run_command(probe(*port, "--test-write 10"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_has(r.output, "Write test socket 1: 10.0 A at 1210 -> accepted");
  expect_has(r.output, "remaining validity 60 s");
}

TEST(ProbeStation, NoAnswerHintsAtAddressAndModbusSlave) {
  const auto r = run_command(probe(test::free_loopback_port()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_has(r.output, "no answer");
  expect_has(r.output, "Modbus TCP slave is enabled");
}

TEST(ProbeStation, RefusedWritesHintAtDataSourceOrLicence) {
  AlfenSimRunner sim(AlfenSimConfig{});
  auto port = sim.start(0);
  ASSERT_TRUE(port);
  sim.command("ems off");
  const auto r = run_command(probe(*port, "--test-write 10"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_has(r.output, "NOT accepted");
  expect_has(r.output, "data source not set to Energy Management System");
}

TEST(ProbeStation, PhaseSwitchingNotAllowedIsExplained) {
  AlfenSimRunner sim(AlfenSimConfig{});
  auto port = sim.start(0);
  ASSERT_TRUE(port);
  sim.command("phase-switching off");
  const auto r = run_command(probe(*port, "--test-phases 1"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_has(r.output, "phase switching not allowed");
}

TEST(ProbeStation, SecondMasterHoldingTheConnectionIsExplained) {
  AlfenSimConfig cfg;
  cfg.max_masters = 1;
  AlfenSimRunner sim(cfg);
  auto port = sim.start(0);
  ASSERT_TRUE(port);
  TcpLink link;
  link.host = "127.0.0.1";
  link.port = *port;
  LibmodbusTcpTransport other(link);  // another master holds the only slot
  ASSERT_TRUE(other.read_holding(200, 1100, 6));
  const auto r = run_command(probe(*port));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_has(r.output, "second master");
}

TEST(ProbeStation, RejectsABadAddress) {
  const auto r = run_command(built("gateway/emsgw") + " probe-station 127.0.0.1:99999");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace emsgw::drivers::alfen
