// One turn of the control loop reads the clock once and every decision of the turn carries that
// time; every step publishes one report with its allocation, snapshot, status and faults.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "gateway/config/config.hpp"
#include "gateway/control/control_loop.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using test::NullActuator;
using test::ReportLog;

/// A manual clock that counts how often it is read.
class CountingClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override {
    ++mono_reads;
    return inner.mono_now();
  }
  [[nodiscard]] ems::WallTime wall_now() const override {
    ++wall_reads;
    return inner.wall_now();
  }
  ems::ManualClock inner{ems::MonoTime{} + std::chrono::hours(1), ems::WallTime{} + std::chrono::hours(500'000)};
  mutable std::atomic<int> mono_reads{0};
  mutable std::atomic<int> wall_reads{0};
};

Config example_config() {
  return load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                          "example.toml");
}

MeterEvent grid_sample(const ems::MonoTime at, std::array<double, 3> a) {
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(a[p]);
  r.mono = at;
  return MeterEvent{"grid", r};
}

TEST(ControlTurn, AGridSampleAndItsStepReadTheClockOnce) {
  CountingClock clock;
  NullActuator actuator;
  ControlLoop loop(example_config(), clock, actuator);
  loop.step("timer");  // faults raised before any sample, at this turn's time
  for (int i = 0; i < 3; ++i) {
    clock.inner.advance(ems::Millis(1000));
    const auto event = grid_sample(clock.inner.mono_now(), {5, 5, 5});
    clock.mono_reads = 0;
    clock.wall_reads = 0;
    loop.handle(event);
    EXPECT_EQ(clock.mono_reads.load(), 1) << "turn " << i;
    EXPECT_EQ(clock.wall_reads.load(), 1) << "turn " << i;
  }
}

TEST(ControlTurn, EveryDecisionOfATurnCarriesTheTurnsTime) {
  CountingClock clock;
  NullActuator actuator;
  ControlLoop loop(example_config(), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  const Turn turn{clock.inner.mono_now() + std::chrono::seconds(3), clock.inner.wall_now() + std::chrono::seconds(3)};
  loop.handle(grid_sample(turn.mono, {5, 5, 5}), turn);
  loop.handle(CommandEvent{ems::SetSocketMode{0, ems::ChargeMode::Off}, nullptr}, turn);
  ASSERT_EQ(log.reports.size(), 2u);
  std::size_t decisions = 0;
  for (const auto& r : log.reports) {
    EXPECT_EQ(r->status->time, turn.wall);
    EXPECT_EQ(r->snapshot.now, turn.mono);
    for (const auto& d : r->decisions) {
      EXPECT_EQ(d.at, turn.wall) << d.reason;
      ++decisions;
    }
  }
  EXPECT_GT(decisions, 0u);
  EXPECT_EQ(clock.mono_reads.load(), 0) << "a turn given its time reads no clock";
  EXPECT_EQ(clock.wall_reads.load(), 0);
}

TEST(ControlTurn, EachStepPublishesOneReportWhoseStatusFaultsAndAllocationAgree) {
  CountingClock clock;
  NullActuator actuator;
  ControlLoop loop(example_config(), clock, actuator);
  ReportLog log;
  loop.add_observer(&log);
  loop.step("timer");  // no grid reading yet: a fault, every socket on its safe current
  ASSERT_EQ(log.reports.size(), 1u);
  const auto& r = *log.reports[0];
  EXPECT_EQ(r.trigger, "timer");
  EXPECT_EQ(r.status, loop.status()) << "the same immutable status the loop keeps";
  ASSERT_FALSE(r.faults.empty());
  EXPECT_EQ(r.faults.size(), r.status->faults.size());
  EXPECT_EQ(r.faults[0].code, r.status->faults[0].code);
  ASSERT_EQ(r.allocation.sockets.size(), r.status->sockets.size());
  EXPECT_EQ(r.allocation.sockets[0].current_a, 6);
  EXPECT_DOUBLE_EQ(r.status->sockets[0].setpoint_a, 6);
  EXPECT_FALSE(r.snapshot.grid.valid);
  const bool fault_decision = std::any_of(r.decisions.begin(), r.decisions.end(),
                                          [](const Decision& d) { return d.reason == "fault_raised:meter_stale"; });
  EXPECT_TRUE(fault_decision) << "the raised fault travels with the report";
}

}  // namespace
}  // namespace emsgw::gateway
