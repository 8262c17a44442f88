// The storage recorder fed by the control loop's step reports: the sessions are the loop's session
// tracker's (the recorder keeps no session state of its own), the decisions come with the report
// (nothing is pulled out of the loop), and the dashboard's session energy agrees with storage.
#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/config/config.hpp"
#include "gateway/control/control_loop.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using test::NullActuator;
using test::ReportLog;

storage::SqliteStore memory_store() {
  storage::StorageSettings s;
  s.path = ":memory:";
  auto store = storage::SqliteStore::open(s);
  EXPECT_TRUE(store) << (store ? "" : store.error().message);
  return std::move(*store);
}

struct LoopAndRecorder {
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1), storage::from_unix_ms(1'700'000'000'000)};
  NullActuator actuator;
  ReportLog log;
  StorageRecorder recorder{memory_store()};
  std::unique_ptr<ControlLoop> loop;

  LoopAndRecorder() {
    auto cfg = load_config_text(
        test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"), "example.toml");
    loop = std::make_unique<ControlLoop>(std::move(cfg), clock, actuator);
    loop->set_decision_journal(false);
    loop->add_observer(&recorder);
    loop->add_observer(&log);
    recorder.start();
  }
  ~LoopAndRecorder() { recorder.stop(); }

  /// One second: the station reports unit 1 (EV or not, its counter), then a grid sample.
  void second(bool ev, double counter_wh) {
    clock.advance(ems::Millis(1000));
    StationSample s;
    s.ok = true;
    s.at = clock.mono_now();
    s.started = s.at;
    SocketSample a;
    a.unit = 1;
    a.valid = true;
    a.mode3 = ev ? "C2" : "A";
    a.state = ev ? ems::ConnectorState::Charging : ems::ConnectorState::Available;
    a.current_a = {ev ? 10.0 : 0.0, ev ? 10.0 : 0.0, ev ? 10.0 : 0.0};
    a.energy_wh = counter_wh;
    a.validity_s = 60;
    SocketSample b;
    b.unit = 2;
    b.valid = true;
    b.mode3 = "A";
    b.state = ems::ConnectorState::Available;
    s.sockets = {a, b};
    loop->handle(StationEvent{0, s});
    drivers::MeterReading r;
    for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(12);
    r.mono = clock.mono_now();
    loop->handle(MeterEvent{"grid", r});
  }
};

TEST(StepReportRecorder, TheStoredSessionIsTheControlLoopsSessionWithItsEnergy) {
  LoopAndRecorder rig;
  rig.second(false, 1000);
  rig.second(true, 1000);  // plug-in
  rig.second(true, 1250);
  rig.second(true, 1400);
  ASSERT_TRUE(rig.loop->status()->sockets[0].session_energy_wh);
  EXPECT_DOUBLE_EQ(*rig.loop->status()->sockets[0].session_energy_wh, 400) << "the dashboard's session energy";
  rig.second(false, 1500);  // unplugged
  rig.recorder.wait_idle();
  const auto sessions = rig.recorder.with_store([](storage::SqliteStore& s) { return s.sessions(0); });
  ASSERT_TRUE(sessions);
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_DOUBLE_EQ(sessions->front().start_energy_wh, 1000);
  ASSERT_TRUE(sessions->front().energy_wh);
  EXPECT_DOUBLE_EQ(*sessions->front().energy_wh, 500);
  EXPECT_EQ(sessions->front().end_reason, "unplugged");
  // The tracker's events, one report each.
  int started = 0;
  int ended = 0;
  for (const auto& r : rig.log.reports)
    for (const auto& e : r->session_events) {
      started += e.kind == SessionEventKind::Started;
      ended += e.kind == SessionEventKind::Ended;
    }
  EXPECT_EQ(started, 1);
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(rig.recorder.stats().sessions_started, 1u);
  EXPECT_EQ(rig.recorder.stats().sessions_stopped, 1u);
}

TEST(StepReportRecorder, DecisionsReachStorageWithTheReportsAndEachOnlyOnce) {
  LoopAndRecorder rig;
  for (int i = 0; i < 3; ++i) rig.second(i > 0, 1000);
  rig.loop->handle(CommandEvent{ems::SetSocketMode{0, ems::ChargeMode::Off}, nullptr});
  rig.second(true, 1000);
  EXPECT_TRUE(rig.loop->take_decisions().empty()) << "the journal is off: nothing to pull";
  std::size_t in_reports = 0;
  std::size_t setpoints = 0;
  std::uint64_t sequence = 0;
  for (const auto& r : rig.log.reports) {
    in_reports += r->decisions.size();
    for (const auto& d : r->decisions) setpoints += d.socket_id >= 0;
    EXPECT_GT(r->status->sequence, sequence) << "one report per step, each with its own status";
    sequence = r->status->sequence;
    EXPECT_EQ(r->faults.size(), r->status->faults.size());
  }
  ASSERT_GT(setpoints, 0u);
  rig.recorder.wait_idle();
  const auto stats = rig.recorder.stats();
  EXPECT_EQ(stats.decisions, setpoints) << "every set-point change stored once";
  EXPECT_EQ(stats.decisions + stats.events - stats.sessions_started - stats.sessions_stopped, in_reports)
      << "and every other decision as an event (plus the plug events)";
  const auto off = rig.recorder.with_store([](storage::SqliteStore& s) {
    (void)s.flush();
    return s.decisions(ems::WallTime{});
  });
  ASSERT_TRUE(off);
  EXPECT_TRUE(std::any_of(off->begin(), off->end(),
                          [](const storage::Decision& d) { return d.socket == 0 && d.reason == "mode-off"; }));
}

}  // namespace
}  // namespace emsgw::gateway
