// A cut for a station that is slow to answer, through the station worker and the Alfen driver over
// loopback Modbus TCP against the station simulator: while the worker's poll awaits a reply, a new
// decrease goes on the same connection as a second transaction at once (pipelined_cuts = true), or
// waits for the reply and goes out between two reads (false). The latency figures are measured by
// emsgw_cut_latency_bench; this test checks the path the cut takes and that it lands either way.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/alfen/alfen_station_device.hpp"
#include "drivers/alfen/sim/alfen_station_sim.hpp"
#include "drivers/system_clock.hpp"
#include "gateway/devices/station_worker.hpp"

namespace emsgw::gateway {
namespace {

using namespace std::chrono_literals;

class SlowStation : public ::testing::TestWithParam<bool> {};

TEST_P(SlowStation, ACutDuringAPollLandsOnTheSameConnection) {
  const bool pipelined_cuts = GetParam();
  drivers::alfen::AlfenSimConfig c;
  c.sockets = 1;
  c.validity_s = 60;
  c.modbus_response_delay = 300ms;
  c.modbus_pipelined = true;
  drivers::alfen::AlfenSimRunner sim(c);
  const auto port = sim.start(0);
  ASSERT_TRUE(port.has_value()) << port.error();

  drivers::SystemClock clock;
  drivers::TcpLink link;
  link.host = "127.0.0.1";
  link.port = *port;
  link.timing.connect_timeout_ms = 500;
  link.timing.response_timeout_ms = 1500;
  auto owned = std::make_unique<drivers::alfen::AlfenStationDevice>(link, 1, false, clock, pipelined_cuts);
  auto* device = owned.get();
  StationWorker::Options o;
  o.poll_interval = ems::Millis(1);  // poll back to back: a cut always finds a read in progress
  std::atomic<int> samples{0};
  std::mutex mu;
  std::vector<std::string> refused;  // writes the station did not confirm, and why
  StationWorker worker(
      0, std::move(owned), clock, o, [&](std::size_t, StationSample) { ++samples; },
      [&](WriteReport r) {
        if (r.outcome.accepted) return;
        std::lock_guard lock(mu);
        refused.push_back(std::to_string(r.amps) + " A: " + r.outcome.error);
      });
  const auto wait_for = [&](auto pred, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(10ms);
    return pred();
  };
  worker.set_desired(1, 16, 0);
  worker.start();
  ASSERT_TRUE(wait_for([&] { return sim.station().socket_state(1).setpoint_a == 16 && samples.load() >= 2; }, 20s));

  for (int cut = 0; cut < 5; ++cut) {
    const double amps = 14.0 - 2 * cut;
    worker.affirm();
    worker.set_desired(1, amps, 0);
    EXPECT_TRUE(wait_for([&] { return sim.station().socket_state(1).setpoint_a == amps; }, 10s)) << amps << " A";
    std::this_thread::sleep_for(450ms);  // into another poll
  }
  worker.stop();
  for (const auto& r : refused) ADD_FAILURE() << "a write was not confirmed: " << r;
  const auto stats = device->link_stats();
  if (pipelined_cuts) {
    // A cut and its read-back are two requests; a cut asked for in the microseconds between two
    // reads goes out there instead, so not every one of the three need be counted.
    EXPECT_GE(stats.pipelined, 2U) << "the cuts went out while a read awaited its reply";
  } else {
    EXPECT_EQ(stats.pipelined, 0U);
    EXPECT_GE(worker.stats().cuts_during_poll, 1U) << "cuts still go out between the reads of a poll";
  }
  EXPECT_EQ(stats.pipelined_timeouts, 0U);
  EXPECT_EQ(stats.connects, 1U) << "one connection throughout";
}

INSTANTIATE_TEST_SUITE_P(PipelinedOrNot, SlowStation, ::testing::Bool());

}  // namespace
}  // namespace emsgw::gateway
