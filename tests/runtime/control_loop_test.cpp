// The control loop with the real allocator, a recording actuator and a manual clock: the safety
// rules seen from the runtime (design.md §2): per-phase budget, stale meter → safe currents,
// rejected readings, commands through the validator, stations lost.
#include "gateway/runtime/control_loop.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "tests/runtime/fake_station_device.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using ems::Millis;
using ::testing::HasSubstr;

class RecordingActuator : public Actuator {
 public:
  void set_desired(std::size_t station, int unit, double amps, int phases) override {
    desired[{station, unit}] = amps;
    phases_[{station, unit}] = phases;
    ++calls;
  }
  void set_desired_scn(std::size_t station, const std::array<double, 3>& amps) override { scn[station] = amps; }
  void affirm() override { ++affirms; }
  std::map<std::pair<std::size_t, int>, double> desired;
  std::map<std::pair<std::size_t, int>, int> phases_;
  std::map<std::size_t, std::array<double, 3>> scn;
  int calls = 0;
  int affirms = 0;
};

class Observer : public StatusObserver {
 public:
  void on_status(const std::shared_ptr<const ems::SiteStatus>& s) override { seen.push_back(s); }
  std::vector<std::shared_ptr<const ems::SiteStatus>> seen;
};

Config example_config() {
  return load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                          "example.toml");
}

struct LoopRig {
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1)};
  RecordingActuator actuator;
  Observer observer;
  test::FakeStationDevice station{clock, {1, 2}, 60};
  std::unique_ptr<ControlLoop> loop;

  explicit LoopRig(Config cfg = example_config()) {
    loop = std::make_unique<ControlLoop>(std::move(cfg), clock, actuator);
    loop->add_observer(&observer);
  }
  void grid(std::array<double, 3> amps) {
    drivers::MeterReading r;
    for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(amps[p]);
    r.mono = clock.mono_now();
    loop->handle(MeterEvent{"grid", r});
  }
  void poll_station() { loop->handle(StationEvent{0, station.poll()}); }
  double desired(int unit) { return actuator.desired.at({0, unit}); }
  // Advance time in 1 s steps, with the station polled and the timer step run each second.
  void advance(int seconds, bool with_grid = false, std::array<double, 3> amps = {}) {
    for (int i = 0; i < seconds; ++i) {
      clock.advance(Millis(1000));
      poll_station();
      if (with_grid) grid(amps);
      loop->step("timer");
    }
  }
};

// Grid load per phase caused by the sockets' set-points, using the example's mappings
// (socket 0 L1L2L3, socket 1 L2L3L1: both three-phase, so each loads every phase).
TEST(ControlLoop, AnOverloadSampleIsCutInTheSameStepWithinThePerPhaseBudget) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.station.plug(2, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.poll_station();
  rig.grid({22, 22, 22});
  rig.advance(90, true, {22, 22, 22});  // past probing: steady state, household 2 A
  const double before = rig.desired(1) + rig.desired(2);
  // Household jumps by 9 A on L1 (the hair dryer): meter reads 20 A EVs + 11 A household = 31 A.
  rig.grid({31, 22, 22});
  const double after = rig.desired(1) + rig.desired(2);
  EXPECT_LT(after, before) << "the overload sample must be cut in the same step";
  // Budget on L1: 25 − 1 margin − non-EV load (31 − 20 measured EV current = 11) = 13 A.
  EXPECT_LE(after, 13.0 + 1e-9);
  const auto st = rig.loop->status();
  ASSERT_TRUE(st);
  EXPECT_LE(st->ev_allocated_a[0], st->budget_a[0] + 1e-9);
}

TEST(ControlLoop, AStaleGridMeterPutsEverySocketOnItsSafeCurrentAndRecovers) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.station.plug(2, ems::ConnectorState::Connected, "B2", {0, 0, 0});
  rig.poll_station();
  rig.grid({12, 12, 12});
  rig.advance(5, true, {12, 12, 12});
  rig.advance(6);  // meter silent for 6 s > meter_stale_after_s = 5
  EXPECT_EQ(rig.desired(1), 6);
  EXPECT_EQ(rig.desired(2), 6);
  auto st = rig.loop->status();
  EXPECT_TRUE(st->degraded);
  EXPECT_EQ(st->sockets[0].reason, "fail-safe");
  EXPECT_EQ(st->sockets[0].state, ems::SocketState::FallbackSafe);
  bool fault = false;
  for (const auto& f : st->faults) fault = fault || f.code == "meter_stale";
  EXPECT_TRUE(fault);
  rig.advance(3, true, {12, 12, 12});  // the meter is back
  st = rig.loop->status();
  EXPECT_NE(st->sockets[0].reason, "fail-safe");
  for (const auto& f : st->faults) EXPECT_NE(f.code, "meter_stale");
}

TEST(ControlLoop, TheFailSafeComesNoLaterThanTheStaleLimit) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {16, 16, 16});
  rig.poll_station();
  rig.grid({16, 16, 16});
  int seconds = 0;
  while (rig.loop->status()->sockets[0].reason != "fail-safe" && seconds < 30) {
    rig.advance(1);
    ++seconds;
  }
  EXPECT_LE(seconds, 6) << "meter_stale_after_s = 5: safe current within 5 s (+1 s step)";
}

TEST(ControlLoop, RejectsAGridSampleWithAnInvalidPhaseAndCountsIt) {
  LoopRig rig;
  rig.poll_station();
  rig.grid({10, 10, 10});
  drivers::MeterReading bad;
  bad.current_a[0] = drivers::Measurement::of(10);
  bad.current_a[1] = drivers::Measurement::invalid(drivers::Invalid::NotANumber);
  bad.current_a[2] = drivers::Measurement::of(10);
  bad.mono = rig.clock.mono_now();
  rig.loop->handle(MeterEvent{"grid", bad});
  EXPECT_EQ(rig.loop->stats().meter_rejected, 1u);
  EXPECT_EQ(rig.loop->status()->grid.current_a[1], 10.0) << "the rejected value never enters the model";
}

TEST(ControlLoop, CommandsAreValidatedAndAnsweredAndRefusedOnesChangeNothing) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.poll_station();
  rig.grid({12, 12, 12});
  std::optional<ems::CommandReply> reply;
  rig.loop->handle(CommandEvent{ems::SetSocketMaxCurrent{0, 40}, [&](ems::CommandReply r) { reply = r; }});
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->accepted);
  EXPECT_THAT(reply->message, HasSubstr("station's max_current_a (32 A)"));
  EXPECT_EQ(rig.loop->config().site.stations[0].sockets[0].max_current_a, 16);
  reply.reset();
  rig.loop->handle(CommandEvent{ems::SetSocketMode{0, ems::ChargeMode::Off}, [&](ems::CommandReply r) { reply = r; }});
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->accepted) << reply->message;
  EXPECT_EQ(rig.desired(1), 0);
  EXPECT_EQ(rig.loop->status()->sockets[0].reason, "mode-off");
  EXPECT_EQ(rig.loop->status()->sockets[0].mode, ems::ChargeMode::Off);
  EXPECT_EQ(rig.loop->stats().commands_refused, 1u);
  EXPECT_EQ(rig.loop->stats().commands_accepted, 1u);
}

TEST(ControlLoop, SuspendPausesEverySocketUntilResumed) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.station.plug(2, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.poll_station();
  rig.grid({22, 22, 22});
  rig.loop->handle(CommandEvent{ems::Suspend{}, nullptr});
  EXPECT_EQ(rig.desired(1), 0);
  EXPECT_EQ(rig.desired(2), 0);
  EXPECT_TRUE(rig.loop->status()->suspended);
  EXPECT_EQ(rig.loop->status()->sockets[1].state, ems::SocketState::Suspended);
  rig.loop->handle(CommandEvent{ems::Resume{}, nullptr});
  rig.advance(2, true, {2, 2, 2});
  EXPECT_GT(rig.desired(1), 0);
}

TEST(ControlLoop, ALostStationIsAFaultAndItsSocketsCountAtTheirSafeCurrent) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.poll_station();
  rig.grid({12, 12, 12});
  rig.station.set_online(false);
  rig.advance(12, true, {12, 12, 12});
  const auto st = rig.loop->status();
  EXPECT_FALSE(st->stations[0].online);
  bool fault = false;
  for (const auto& f : st->faults) fault = fault || f.code == "station_offline:carport";
  EXPECT_TRUE(fault);
  EXPECT_TRUE(st->degraded);
  EXPECT_EQ(st->sockets[0].reason, "station-lost");
}

TEST(ControlLoop, PublishesOneStatusPerStepWithARisingSequence) {
  LoopRig rig;
  rig.poll_station();
  rig.grid({5, 5, 5});
  rig.advance(3, true, {5, 5, 5});
  ASSERT_GE(rig.observer.seen.size(), 4u);
  for (std::size_t i = 1; i < rig.observer.seen.size(); ++i)
    EXPECT_GT(rig.observer.seen[i]->sequence, rig.observer.seen[i - 1]->sequence);
  EXPECT_EQ(rig.observer.seen.back()->site_name, "home");
  EXPECT_GE(rig.actuator.affirms, 4) << "every step renews the workers' leases";
}

TEST(ControlLoop, RecordsEverySetPointChangeWithItsReason) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.poll_station();
  rig.grid({12, 12, 12});
  rig.loop->handle(CommandEvent{ems::SetSocketMode{0, ems::ChargeMode::Off}, nullptr});
  const auto d = rig.loop->take_decisions();
  bool off = false;
  for (const auto& x : d) off = off || (x.socket_id == 0 && x.new_a == 0 && x.reason == "mode-off");
  EXPECT_TRUE(off);
}

}  // namespace
}  // namespace emsgw::gateway

namespace emsgw::gateway {
namespace {
TEST(ControlLoop, BeforeTheFirstMeterSampleTheFaultSaysSoAndSocketsAreOnTheirSafeCurrent) {
  LoopRig rig;
  rig.poll_station();
  rig.loop->step("timer");
  const auto st = rig.loop->status();
  ASSERT_FALSE(st->faults.empty());
  bool said = false;
  for (const auto& f : st->faults) said = said || f.text.find("no grid meter reading yet") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_EQ(rig.desired(1), 6);
}

TEST(ControlLoop, KeepsAtMostTenThousandUndrainedDecisionsAndTheNewestOnes) {
  LoopRig rig;
  rig.poll_station();
  rig.grid({5, 5, 5});
  for (int i = 0; i < 10500; ++i)
    rig.loop->handle(CommandEvent{ems::SetSocketMode{0, i % 2 ? ems::ChargeMode::Off : ems::ChargeMode::Now}, nullptr});
  const auto d = rig.loop->take_decisions();
  EXPECT_LE(d.size(), 10000u);
  EXPECT_GE(d.size(), 9000u);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d.back().text, "set socket 0 mode to off") << "the newest decision is kept";
}
}  // namespace
}  // namespace emsgw::gateway
