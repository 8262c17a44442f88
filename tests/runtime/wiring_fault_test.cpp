// The automatic wiring check in the control loop: a 1-phase car on a socket configured to load grid
// L1 whose current steps keep showing on grid L3 raises a fault that names the socket, both phases
// and the evidence; a rightly wired site raises nothing.
#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "gateway/runtime/control_loop.hpp"
#include "tests/runtime/fake_station_device.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using test::NullActuator;

using ems::Millis;

/// The reference example (socket 0 wired L1L2L3: a 1-phase car loads grid L1), a car on socket 0
/// switching between 0 and 10 A every 15 s, and a grid meter that sees it on `real_phase`.
std::vector<ems::Fault> run(std::size_t real_phase) {
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1)};
  NullActuator actuator;
  test::FakeStationDevice station{clock, {1, 2}, 60};
  ControlLoop loop(
      load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                       "example.toml"),
      clock, actuator);
  for (int i = 0; i < 8 * 60; ++i) {  // 2 minutes at 250 ms
    const double car = (i / 60) % 2 == 1 ? 10.0 : 0.0;
    station.plug(1, ems::ConnectorState::Charging, "C2", {car, 0, 0});
    clock.advance(Millis(250));
    if (i % 2 == 0) loop.handle(StationEvent{0, station.poll()});
    drivers::MeterReading r;
    for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(4.0 + (p == real_phase ? car : 0.0));
    r.mono = clock.mono_now();
    loop.handle(MeterEvent{"grid", r});
  }
  return loop.status()->faults;
}

TEST(WiringFault, StepsShowingOnAnotherGridPhaseRaiseAFaultWithTheEvidence) {
  const auto faults = run(2);
  const auto it = std::find_if(faults.begin(), faults.end(), [](const ems::Fault& f) { return f.code == "wiring:0"; });
  ASSERT_NE(it, faults.end()) << "no wiring fault raised";
  EXPECT_NE(it->text.find("socket 0 appears to load grid L3, configured L1"), std::string::npos) << it->text;
}

TEST(WiringFault, ARightlyWiredSocketRaisesNothing) {
  for (const auto& f : run(0)) EXPECT_NE(f.code.rfind("wiring:", 0), 0U) << f.text;
}

}  // namespace
}  // namespace emsgw::gateway
