// `emsgw probe-meter` end to end: the real binary against in-process simulators on loopback.
#include <gtest/gtest.h>

#include "drivers/dsmr/sim/p1_emitter.hpp"
#include "drivers/meters/sim/meter_simulator.hpp"
#include "tests/support/process.hpp"

namespace emsgw::drivers {
namespace {

using test::built;
using test::run_command;

class RealClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

std::string probe(const std::string& args) {
  return built("gateway/emsgw") + " probe-meter " + args;
}

TEST(ProbeMeter, ModbusPresetPrintsPhasesAndTotals) {
  sim::MeterSimulator device(*find_meter_preset("eastron-sdm72d-m-v2"), 4);
  device.set_phase_currents({12.0, -3.0, 0.5});
  sim::ModbusTcpServer server(device, {"127.0.0.1", 0, 2, 0});
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  const auto r = run_command(probe("--kind modbus-tcp --host 127.0.0.1 --port " + std::to_string(*port) +
                                   " --unit 4 --preset eastron-sdm72d-m-v2"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("L1  current      12.00 A"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("L2  current      -3.00 A"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("energy import   1234.500 kWh"), std::string::npos) << r.output;
  server.stop();
}

TEST(ProbeMeter, WrongFunctionCodeGivesAHint) {
  sim::MeterSimulator device(*find_meter_preset("socomec-diris"), 1);  // holding registers only
  sim::ModbusTcpServer server(device, {"127.0.0.1", 0, 2, 0});
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  const auto r = run_command(probe("--kind modbus-tcp --host 127.0.0.1 --port " + std::to_string(*port) +
                                   " --unit 1 --preset carlo-gavazzi-em340 --timeout-ms 500"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("hint: the meter refuses the function code"), std::string::npos) << r.output;
  server.stop();
}

TEST(ProbeMeter, CustomMapFromConfigWithWrongWordOrderGivesAHint) {
  // The meter serves float32 low word first; the config says high-first.
  std::vector<MapEntry> served{{Quantity::CurrentL1, {0, 4, ValueType::Float32, WordOrder::LowFirst, 1.0}},
                               {Quantity::VoltageL1, {2, 4, ValueType::Float32, WordOrder::LowFirst, 1.0}}};
  sim::MeterSimulator device(served, 1);
  device.set_phase_currents({8.0, 0, 0});
  sim::ModbusTcpServer server(device, {"127.0.0.1", 0, 2, 0});
  auto port = server.start();
  ASSERT_TRUE(port.has_value());
  std::string cfg = test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
  ASSERT_FALSE(cfg.empty());
  const auto at = cfg.find("[meter.grid]");
  const auto end = cfg.find("[[station]]");
  ASSERT_NE(at, std::string::npos);
  cfg.replace(
      at, end - at,
      "[meter.grid]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(*port) +
          "\nunit = 1\npreset = \"custom\"\n"
          "map.current_l1 = { register = 0, function = 4, type = \"float32\", word_order = \"high-first\" }\n"
          "map.voltage_l1 = { register = 2, function = 4, type = \"float32\", word_order = \"high-first\" }\n\n");
  const auto path = test::write_temp_file("probe-custom.toml", cfg);
  const auto r = run_command(probe("--config " + path + " --meter grid"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("word_order = \"low-first\""), std::string::npos) << r.output;
  server.stop();
}

TEST(ProbeMeter, DsmrOverTcpShowsTheMeterTime) {
  RealClock clock;
  sim::P1Emitter p1(clock, {100, sim::P1Flavour::Dsmr5});
  p1.set_currents({6.0, 0.0, -9.0});
  auto port = p1.start_tcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  const auto r =
      run_command(probe("--kind dsmr-tcp --host 127.0.0.1 --port " + std::to_string(*port) + " --timeout-ms 3000"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("L3  current      -9.00 A"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("meter time"), std::string::npos) << r.output;
  p1.stop();
}

// The simulator executables as an installer would use them, read by the probe.
TEST(ProbeMeter, SimulatorExecutables) {
  const int port = test::free_loopback_port();
  auto r = run_command(
      built("drivers/meters/sim/emsgw-sim-meter") + " --preset eastron-sdm630 --port " + std::to_string(port) +
      " --current-a 3,-2,1 & pid=$!; sleep 0.4; " +
      probe("--kind modbus-tcp --host 127.0.0.1 --port " + std::to_string(port) + " --preset eastron-sdm630") +
      "; rc=$?; kill $pid; exit $rc");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("L2  current      -2.00 A"), std::string::npos) << r.output;
  const int p1_port = test::free_loopback_port();
  r = run_command(built("drivers/dsmr/sim/emsgw-sim-p1") + " --fluvius --interval-ms 100 --port " +
                  std::to_string(p1_port) + " --current-a 1.5,0,0 & pid=$!; sleep 0.4; " +
                  probe("--kind dsmr-tcp --host 127.0.0.1 --port " + std::to_string(p1_port) + " --timeout-ms 3000") +
                  "; rc=$?; kill $pid; exit $rc");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("L1  current       1.50 A"), std::string::npos) << r.output;
}

TEST(ProbeMeter, UsageErrors) {
  auto r = run_command(probe("--kind modbus-tcp --host 127.0.0.1 --preset nope"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("eastron-sdm630"), std::string::npos);
  r = run_command(probe("--list-presets"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("carlo-gavazzi-em340"), std::string::npos);
}

}  // namespace
}  // namespace emsgw::drivers
