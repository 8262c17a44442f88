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

// Meter loss, rejected readings and refused reloads as faults with names, samples aligned in time,
// stations checked against the file (design.md §2.1, §2.2, §2.9).
namespace emsgw::gateway {
namespace {

const ems::Fault* fault_named(const ems::SiteStatus& st, const std::string& code) {
  for (const auto& f : st.faults)
    if (f.code == code) return &f;
  return nullptr;
}

TEST(ControlLoop, MeterLostRightAfterAnOverloadCutLeavesTheSocketsAtZeroNotTheirSafeCurrent) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.station.plug(2, ems::ConnectorState::Charging, "C2", {10, 10, 10});
  rig.poll_station();
  rig.grid({22, 22, 22});
  rig.advance(30, true, {22, 22, 22});
  ASSERT_GT(rig.desired(1), 6);
  // The household takes 22 A of the 24 A budget on every phase: both cars are cut to 0 A.
  rig.grid({42, 42, 42});
  ASSERT_EQ(rig.desired(1), 0);
  ASSERT_EQ(rig.desired(2), 0);
  // Then the meter falls silent: fail-safe, and still 0 A (design.md §2.9), for as long as it lasts.
  for (int i = 0; i < 20; ++i) {
    rig.advance(1);
    EXPECT_EQ(rig.desired(1), 0) << "after " << i + 1 << " s without meter";
    EXPECT_EQ(rig.desired(2), 0) << "after " << i + 1 << " s without meter";
  }
  EXPECT_EQ(rig.loop->status()->sockets[0].reason, "fail-safe");
}

TEST(ControlLoop, ARejectedGridValueIsAFaultNamingPhaseAndReasonAtOnce) {
  LoopRig rig;
  rig.poll_station();
  rig.grid({10, 10, 10});
  drivers::MeterReading bad;
  bad.current_a[0] = drivers::Measurement::of(10);
  bad.current_a[1] = drivers::Measurement::invalid(drivers::Invalid::NotANumber);
  bad.current_a[2] = drivers::Measurement::of(10);
  bad.mono = rig.clock.mono_now();
  rig.loop->handle(MeterEvent{"grid", bad});
  auto st = rig.loop->status();
  const auto* f = fault_named(*st, "meter_rejected:grid");
  ASSERT_NE(f, nullptr) << "no fault right after the rejected sample";
  EXPECT_THAT(f->text, HasSubstr("grid meter reported NaN or infinity on L2"));
  EXPECT_EQ(fault_named(*st, "meter_stale"), nullptr) << "the meter is not stale yet";
  rig.grid({10, 10, 10});
  EXPECT_EQ(fault_named(*rig.loop->status(), "meter_rejected:grid"), nullptr) << "a valid sample clears it";

  // A value the driver passes but no connection of this size can carry: named with its value.
  rig.grid({1e9, 10, 10});
  st = rig.loop->status();
  f = fault_named(*st, "meter_rejected:grid");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->text, HasSubstr("grid meter reported 1e+09 A on L1"));
  EXPECT_EQ(rig.loop->stats().meter_rejected, 2u);
  EXPECT_EQ(st->grid.current_a[0], 10.0) << "the rejected value never enters the model";
}

TEST(ControlLoop, ARefusedReloadIsAFaultUntilAReloadSucceeds) {
  LoopRig rig;
  rig.poll_station();
  rig.grid({5, 5, 5});
  rig.loop->handle(ReloadRefusedEvent{"site.toml", {"site.toml:3: site.grid_max_current_a = -1: must be > 0"}});
  rig.loop->step("timer");
  const auto* f = fault_named(*rig.loop->status(), "reload_refused");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->text, HasSubstr("site.toml:3: site.grid_max_current_a = -1: must be > 0"));
  EXPECT_THAT(f->text, HasSubstr("running configuration stays"));
  auto cfg = example_config();
  rig.loop->handle(ReloadEvent{cfg, {}});
  EXPECT_EQ(fault_named(*rig.loop->status(), "reload_refused"), nullptr);
}

// A station sample read before the grid sample still shows an EV the meter no longer sees: its
// current must not be subtracted from the newer meter reading (the household would look 10 A
// smaller on every phase and the other socket would be raised into an overload).
TEST(ControlLoop, AnEvThatDroppedAfterTheStationSampleDoesNotHideHouseholdLoad) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {9, 9, 9});
  rig.station.plug(2, ems::ConnectorState::Charging, "C2", {9, 9, 9});
  rig.poll_station();
  rig.grid({23, 23, 23});  // household 5 A + 2 × 9 A
  rig.advance(30, true, {23, 23, 23});
  ASSERT_LE(rig.desired(1) + rig.desired(2), 19);
  // The station is polled; 100 ms later socket 1's car stops on its own (full). The meter sees it
  // at once; the station's next sample is 400 ms away.
  rig.clock.advance(Millis(1000));
  rig.poll_station();
  rig.clock.advance(Millis(100));
  rig.grid({23, 23, 23});
  rig.clock.advance(Millis(150));
  rig.grid({14, 14, 14});  // 5 A household + 9 A of socket 2
  // The household is still 5 A: sockets 1 and 2 together may have at most 24 − 5 = 19 A.
  EXPECT_LE(rig.desired(1) + rig.desired(2), 19) << "the non-EV load was underestimated";
  rig.loop->step("timer");
  EXPECT_LE(rig.desired(1) + rig.desired(2), 19) << "the non-EV load was underestimated";
}

TEST(ControlLoop, AStationSafeCurrentAboveTheFileIsAFaultAndCountedAtTheHigherValue) {
  LoopRig rig;
  rig.station.set_safe_current(10);  // the file says 6 A
  rig.poll_station();
  rig.grid({5, 5, 5});
  const auto st = rig.loop->status();
  const auto* f = fault_named(*st, "station_settings:carport:1:safe_current");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->text, HasSubstr("safe current (1212) is 10 A"));
  EXPECT_THAT(f->text, HasSubstr("station[0].socket[0].safe_current_a = 6 A"));
  // A silent station is reserved for at the higher safe current: 10 A, not 6 A, per socket.
  rig.station.set_online(false);
  rig.advance(12, true, {5, 5, 5});
  EXPECT_DOUBLE_EQ(rig.loop->status()->stations[0].online ? 0 : 1, 1);
  EXPECT_EQ(rig.desired(1), 10) << "offered the station's safe current, as it falls back to it";
}

}  // namespace
}  // namespace emsgw::gateway

namespace emsgw::gateway {
namespace {

// A station sample newer than the grid reading shows an EV's rise the meter has not seen yet: the
// rise must not be subtracted from a reading that does not contain it.
TEST(ControlLoop, AnEvRiseTheMeterHasNotSeenYetDoesNotHideHouseholdLoad) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {5, 5, 5});
  rig.station.plug(2, ems::ConnectorState::Charging, "C2", {9, 9, 9});
  rig.poll_station();
  rig.grid({19, 19, 19});  // household 5 A + 5 A + 9 A
  rig.advance(30, true, {19, 19, 19});
  rig.clock.advance(Millis(1000));
  rig.grid({19, 19, 19});
  rig.clock.advance(Millis(200));
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {9, 9, 9});  // socket 1's car rises by 4 A
  rig.poll_station();                                                   // seen by the station first
  rig.loop->step("timer");
  EXPECT_LE(rig.desired(1) + rig.desired(2), 19) << "the non-EV load was underestimated";
  // The meter then shows the rise: counted once, not twice (no cut below the 19 A that fit).
  rig.clock.advance(Millis(100));
  rig.grid({23, 23, 23});
  rig.loop->step("timer");
  EXPECT_LE(rig.desired(1) + rig.desired(2), 19);
  EXPECT_GE(rig.desired(1) + rig.desired(2), 18) << "the rise was counted twice";
}

}  // namespace
}  // namespace emsgw::gateway

namespace emsgw::gateway {
namespace {

// A meter's values lag its readings: a newer grid reading may still not contain an EV rise the
// station has reported. The rise counts until the grid shows it, whatever the timestamps say.
TEST(ControlLoop, AnEvRiseALaggingMeterDoesNotShowYetIsNotSubtractedFromIt) {
  LoopRig rig;
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {5, 5, 5});
  rig.station.plug(2, ems::ConnectorState::Charging, "C2", {9, 9, 9});
  rig.poll_station();
  rig.grid({19, 19, 19});  // household 5 A + 5 A + 9 A
  rig.advance(30, true, {19, 19, 19});
  rig.clock.advance(Millis(500));
  rig.station.plug(1, ems::ConnectorState::Charging, "C2", {9, 9, 9});  // socket 1's car rises by 4 A
  rig.poll_station();
  for (int i = 0; i < 3; ++i) {  // newer readings, still without the rise
    rig.clock.advance(Millis(250));
    rig.grid({19, 19, 19});
    EXPECT_LE(rig.desired(1) + rig.desired(2), 19) << "reading " << i << ": the non-EV load was underestimated";
  }
}

}  // namespace
}  // namespace emsgw::gateway
