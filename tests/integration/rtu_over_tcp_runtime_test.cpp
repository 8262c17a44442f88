// A Modbus grid meter behind an RS-485-to-Ethernet converter in transparent mode ("RTU over TCP",
// framing = "rtu") in the running product: the project's meter simulator behind the framed server,
// read by a real emsgw runtime; a reply from another unit id is refused and raised as a meter fault.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "drivers/meters/sim/meter_simulator.hpp"
#include "drivers/modbus/sim/framed_tcp_server.hpp"
#include "tests/integration/site_rig.hpp"

namespace emsgw::test {
namespace {

std::string with_meter(std::string toml, const std::string& meter) {
  const auto from = toml.find("[meter.grid]");
  const auto to = toml.find("\n[", from + 1);
  toml.replace(from, to - from, meter);
  return toml;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST(RtuOverTcpRuntime, TheGridMeterIsReadAndAnotherUnitsReplyIsRefused) {
  drivers::sim::MeterSimulator meter(*drivers::find_meter_preset("eastron-sdm630"), 2);
  meter.set_phase_currents({7.0, 3.0, -5.0});
  drivers::sim::FramedTcpServer server(meter, {drivers::ModbusFraming::Rtu, "127.0.0.1", 0, 2, -1});
  const auto port = server.start();
  ASSERT_TRUE(port.has_value()) << port.error();

  gateway::SimulatedSite site(three_car_site());
  site.start();
  auto cfg = gateway::load_config_text(
      with_meter(site.config_toml(),
                 "[meter.grid]\nkind = \"modbus-tcp\"\nframing = \"rtu\"\nhost = \"127.0.0.1\"\nport = " +
                     std::to_string(*port) + "\nunit = 2\npreset = \"eastron-sdm630\"\npoll_interval_ms = 250\n"),
      "rtu-over-tcp.toml");
  ASSERT_TRUE(cfg.meters.at("grid").rtu_over_tcp);
  drivers::SystemClock clock;
  gateway::Runtime runtime(cfg, clock, gateway::make_meter, gateway::make_station, /*with_services=*/false);
  runtime.start();

  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const ems::SiteStatus> st;
  while (since(start) < 15) {
    st = runtime.loop().status();
    if (st && st->grid.current_a[2]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(st && st->grid.current_a[2]) << "no reading over RTU over TCP";
  EXPECT_NEAR(*st->grid.current_a[0], 7.0, 1e-3);
  EXPECT_NEAR(*st->grid.current_a[2], -5.0, 1e-3);

  server.set_answer_as(3);
  std::string text;
  start = std::chrono::steady_clock::now();
  while (since(start) < 15 && text.empty()) {
    if (const auto s = runtime.loop().status())
      for (const auto& f : s->faults)
        if (f.code == "meter_error:grid") text = f.text;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(text.find("reply from unit 3 to a request for unit 2"), std::string::npos) << text;
  runtime.stop();
  server.stop();
}

}  // namespace
}  // namespace emsgw::test
