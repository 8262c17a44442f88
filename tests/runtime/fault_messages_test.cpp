// The control loop's faults and events carry their text as a message code with parameters: for
// each situation (no meter reading yet, a rejected and an implausible grid sample, a silent meter,
// a lost station, a station setting that differs from the file, a refused reload, commands) the
// dashboard's English template of the message, filled with its parameters, gives the fault's or
// event's text word for word, so that a translation says what the English text says.
#include <gtest/gtest.h>

#include <set>

#include "gateway/config/config.hpp"
#include "gateway/control/messages.hpp"
#include "gateway/runtime/control_loop.hpp"
#include "tests/runtime/fake_station_device.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/message_templates.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using ems::Millis;

class Observer : public StatusObserver {
 public:
  void on_status(const std::shared_ptr<const ems::SiteStatus>& s) override {
    for (const auto& f : s->faults) faults.push_back(f);
  }
  std::vector<ems::Fault> faults;
};

struct Rig {
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1)};
  test::NullActuator actuator;
  Observer observer;
  test::FakeStationDevice station{clock, {1, 2}, 60};
  std::unique_ptr<ControlLoop> loop;

  Rig() {
    loop = std::make_unique<ControlLoop>(
        load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                         "example.toml"),
        clock, actuator);
    loop->add_observer(&observer);
  }
  void grid(std::array<double, 3> amps) {
    drivers::MeterReading r;
    for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(amps[p]);
    r.mono = clock.mono_now();
    loop->handle(MeterEvent{"grid", r});
  }
  void advance(int seconds, bool with_grid) {
    for (int i = 0; i < seconds; ++i) {
      clock.advance(Millis(1000));
      loop->handle(StationEvent{0, station.poll()});
      if (with_grid) grid({5, 5, 5});
      loop->step("timer");
    }
  }
};

TEST(FaultMessages, EveryFaultAndEventOfTheLoopHasAMessageWhoseEnglishTemplateGivesItsText) {
  Rig rig;
  rig.station.set_safe_current(10);  // the file says 6 A: a station setting that differs
  rig.loop->step("timer");           // no grid reading yet
  rig.loop->handle(StationEvent{0, rig.station.poll()});
  rig.grid({5, 5, 5});
  drivers::MeterReading bad;
  bad.current_a[0] = drivers::Measurement::of(5);
  bad.current_a[1] = drivers::Measurement::invalid(drivers::Invalid::NotANumber);
  bad.current_a[2] = drivers::Measurement::of(5);
  bad.mono = rig.clock.mono_now();
  rig.loop->handle(MeterEvent{"grid", bad});
  rig.loop->step("timer");
  rig.grid({1e9, 5, 5});
  rig.loop->step("timer");
  rig.advance(8, false);  // the meter silent past its stale limit
  rig.advance(2, true);
  rig.loop->handle(CommandEvent{ems::SetSocketMode{0, ems::ChargeMode::Off}, nullptr});
  rig.loop->handle(CommandEvent{ems::SetSocketMaxCurrent{0, 10}, nullptr});
  rig.loop->handle(CommandEvent{ems::Suspend{}, nullptr});
  rig.loop->handle(CommandEvent{ems::Resume{}, nullptr});
  rig.loop->handle(ReloadRefusedEvent{"site.toml", {"site.toml:3: a = -1: must be > 0", "site.toml:4: b: unknown"}});
  rig.loop->handle(DimmingInputEvent{true, ""});  // the grid operator's relay: dim
  rig.advance(1, true);
  rig.loop->handle(DimmingInputEvent{std::nullopt, "relay module does not answer"});
  rig.advance(1, true);
  rig.loop->handle(CommandEvent{ems::GridOperatorLimit{6000, 60}, nullptr});
  rig.advance(1, true);
  rig.loop->handle(CommandEvent{ems::GridOperatorLimit{std::nullopt, 0}, nullptr});
  rig.loop->handle(DimmingInputEvent{false, ""});
  rig.advance(1, true);
  rig.station.set_online(false);
  rig.advance(12, true);

  std::set<std::string> codes;
  for (const auto& f : rig.observer.faults) {
    ASSERT_FALSE(f.message.code.empty()) << "fault " << f.code << " without a message: " << f.text;
    EXPECT_EQ(test::render_english(f.message), f.text) << "fault " << f.code << " as " << f.message.code;
    codes.insert(f.message.code);
  }
  std::size_t events = 0;
  for (const auto& d : rig.loop->take_decisions()) {
    if (d.socket_id >= 0) continue;  // set-point changes: reasons, not texts
    ASSERT_FALSE(d.message.code.empty()) << d.reason << " without a message: " << d.text;
    EXPECT_EQ(test::render_english(d.message), d.text) << d.reason << " as " << d.message.code;
    codes.insert(d.message.code);
    ++events;
  }
  EXPECT_GT(events, 5u);
  for (const auto* want : {"meter_never_read", "meter_rejected", "meter_implausible", "meter_stale", "station_offline",
                           "socket_settings", "reload_file_refused_because", "command_socket_mode",
                           "command_socket_max", "command_suspend", "command_resume"})
    EXPECT_TRUE(codes.contains(want)) << want << " not seen: the scenario no longer makes it";
  // Every code seen is one of the table's (the one the dashboard's templates are checked against).
  std::set<std::string> table;
  for (const auto& c : message_codes()) table.insert(std::string(c.code));
  for (const auto& c : codes) EXPECT_TRUE(table.contains(c)) << c << " is not in message_codes()";
}

}  // namespace
}  // namespace emsgw::gateway
