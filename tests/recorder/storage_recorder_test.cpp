// The storage recorder fed SiteStatus snapshots as the control loop publishes them: history rows,
// charging sessions from ev_connected transitions, decisions and fault events; settings overrides
// kept from commands and restored at start through the validator; the dashboard's history source.
#include "gateway/runtime/storage_recorder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "gateway/config/config.hpp"
#include "gateway/runtime/runtime.hpp"
#include "gateway/runtime/store_history_source.hpp"
#include "tests/runtime/fake_station_device.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using std::chrono::seconds;

storage::SqliteStore memory_store(int flush_interval_s = 30) {
  storage::StorageSettings s;
  s.path = ":memory:";
  s.flush_interval_s = flush_interval_s;
  auto store = storage::SqliteStore::open(s);
  EXPECT_TRUE(store) << (store ? "" : store.error().message);
  return std::move(*store);
}

struct Rig {
  // 2023-11-14 22:13:20 UTC: a plausible wall time, so that retention keeps what is written.
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1), storage::from_unix_ms(1'700'000'000'000)};
  StorageRecorder recorder{memory_store()};
  std::vector<Decision> pending;
  double grid_max_a = 25;

  Rig() {
    recorder.set_decision_source([this] {
      std::vector<Decision> out;
      out.swap(pending);
      return out;
    });
  }

  /// A status of one site with one socket (id 0) at the clock's time.
  std::shared_ptr<const ems::SiteStatus> status(double grid_a, bool ev_connected, std::optional<double> counter_wh,
                                                double socket_a = 0) {
    auto st = std::make_shared<ems::SiteStatus>();
    st->time = clock.wall_now();
    st->grid_max_current_a = grid_max_a;
    st->safety_margin_a = 1;
    st->grid.stale = false;
    st->grid.current_a = {grid_a, grid_a + 1, grid_a + 2};
    st->grid.power_w = {grid_a * 230, (grid_a + 1) * 230, (grid_a + 2) * 230};
    st->pv.configured = true;
    st->pv.stale = false;
    st->pv.power_w = 1500;
    ems::SocketStatus so;
    so.id = 0;
    so.online = true;
    so.ev_connected = ev_connected;
    so.current_a = {socket_a, socket_a - 1, socket_a - 2};
    so.setpoint_a = socket_a;
    so.applied_a = socket_a;
    so.total_energy_wh = counter_wh;
    st->sockets.push_back(so);
    return st;
  }
  void feed(double grid_a, bool ev, std::optional<double> counter, double socket_a = 0) {
    recorder.on_status(status(grid_a, ev, counter, socket_a));
    clock.advance(ems::Millis(1000));
  }
};

TEST(StorageRecorder, SnapshotsBecomeTenSecondHistoryRowsWithGridPvAndSocketValues) {
  Rig rig;
  const auto t0 = rig.clock.wall_now();
  rig.recorder.start();
  for (int i = 0; i < 25; ++i) rig.feed(10, false, 1000, 0);
  rig.recorder.stop();  // writes the open bucket too
  const auto rows = rig.recorder.with_store([&](storage::SqliteStore& s) {
    return s.history(storage::HistoryTier::TenSeconds, t0 - seconds(10), t0 + seconds(60));
  });
  ASSERT_TRUE(rows);
  ASSERT_GE(rows->size(), 3U);
  const auto& r = rows->front();
  ASSERT_TRUE(r.grid_current_a[1]);
  EXPECT_DOUBLE_EQ(*r.grid_current_a[1], 11);
  ASSERT_TRUE(r.grid_power_w[0]);
  EXPECT_DOUBLE_EQ(*r.grid_power_w[0], 2300);
  ASSERT_TRUE(r.pv_w);
  EXPECT_DOUBLE_EQ(*r.pv_w, 1500);
  ASSERT_EQ(r.sockets.size(), 1U);
  EXPECT_EQ(r.sockets[0].socket, 0);
  EXPECT_EQ(rig.recorder.stats().statuses, 25U);
  EXPECT_EQ(rig.recorder.stats().failures, 0U);
}

TEST(StorageRecorder, ASessionOpensOnPlugInAndClosesOnPlugOutWithTheCounterDifference) {
  Rig rig;
  rig.recorder.start();
  rig.feed(5, false, 1000);
  rig.feed(5, true, 1000, 16);  // plug-in
  for (int i = 0; i < 20; ++i) rig.feed(5, true, 1000 + 10.0 * i, 16);
  rig.recorder.wait_idle();
  const auto open = rig.recorder.with_store([](storage::SqliteStore& s) { return s.open_session(0); });
  ASSERT_TRUE(open);
  ASSERT_TRUE(open->has_value());
  rig.feed(5, false, 1500);  // plug-out
  rig.recorder.stop();
  const auto sessions = rig.recorder.with_store([](storage::SqliteStore& s) { return s.sessions(0); });
  ASSERT_TRUE(sessions);
  ASSERT_EQ(sessions->size(), 1U);
  const auto& s = sessions->front();
  EXPECT_DOUBLE_EQ(s.start_energy_wh, 1000);
  ASSERT_TRUE(s.end);
  ASSERT_TRUE(s.energy_wh);
  EXPECT_DOUBLE_EQ(*s.energy_wh, 500);
  EXPECT_EQ(rig.recorder.stats().sessions_started, 1U);
  EXPECT_EQ(rig.recorder.stats().sessions_stopped, 1U);
}

TEST(StorageRecorder, AnOfflineSocketNeitherOpensNorClosesASession) {
  Rig rig;
  rig.recorder.start();
  rig.feed(5, true, 2000, 10);  // connected: session opens
  auto st = std::const_pointer_cast<ems::SiteStatus>(rig.status(5, false, std::nullopt));
  st->sockets[0].online = false;  // station silent: ev_connected means nothing
  rig.recorder.on_status(st);
  rig.recorder.stop();
  const auto open = rig.recorder.with_store([](storage::SqliteStore& s) { return s.open_session(0); });
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->has_value());
  EXPECT_EQ(rig.recorder.stats().sessions_stopped, 0U);
}

TEST(StorageRecorder, SocketDecisionsAreStoredAndFaultsAndCommandsBecomeEvents) {
  Rig rig;
  const auto t0 = rig.clock.wall_now();
  rig.pending.push_back({t0, 0, 16, 10, "grid-l2", "grid L2 at its limit"});
  rig.pending.push_back({t0, -1, 0, 0, "fault_raised:meter_stale", "grid meter silent"});
  rig.pending.push_back({t0 + seconds(1), -1, 0, 0, "fault_cleared:meter_stale", "grid meter silent"});
  rig.pending.push_back({t0 + seconds(2), -1, 0, 0, "command", "socket 0 mode set to pv"});
  rig.recorder.start();
  rig.feed(5, false, 1000);
  rig.recorder.stop();
  const auto decisions = rig.recorder.with_store([&](storage::SqliteStore& s) { return s.decisions(t0 - seconds(1)); });
  ASSERT_TRUE(decisions);
  ASSERT_EQ(decisions->size(), 1U);
  EXPECT_EQ(decisions->front().socket, 0);
  EXPECT_DOUBLE_EQ(decisions->front().old_a, 16);
  EXPECT_DOUBLE_EQ(decisions->front().new_a, 10);
  EXPECT_EQ(decisions->front().reason, "grid-l2");
  const auto events = rig.recorder.with_store([&](storage::SqliteStore& s) { return s.events(t0 - seconds(1)); });
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3U);  // newest first
  EXPECT_EQ(events->at(0).kind, storage::EventKind::ConfigChange);
  EXPECT_EQ(events->at(1).kind, storage::EventKind::FaultCleared);
  EXPECT_EQ(events->at(1).subject, "meter_stale");
  EXPECT_EQ(events->at(2).kind, storage::EventKind::FaultRaised);
  EXPECT_EQ(events->at(2).text, "grid meter silent");
}

TEST(StorageRecorder, GridOperatorDimmingIsStoredAsDimmingEvents) {
  Rig rig;
  const auto t0 = rig.clock.wall_now();
  rig.pending.push_back({t0, -1, 0, 0, "dimming", "command: grid operator limit 5000 W for 900 s"});
  rig.pending.push_back({t0 + seconds(1), -1, 0, 0, "dimming", "grid operator dimming 5.0 kW (api)"});
  rig.pending.push_back({t0 + seconds(900), -1, 0, 0, "dimming", "grid operator dimming ended"});
  rig.recorder.start();
  rig.feed(5, false, 1000);
  rig.recorder.stop();
  const auto events = rig.recorder.with_store([&](storage::SqliteStore& s) { return s.events(t0 - seconds(1)); });
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3U);  // newest first
  for (const auto& e : *events) {
    EXPECT_EQ(e.kind, storage::EventKind::Dimming);
    EXPECT_EQ(e.subject, "grid_operator");
  }
  EXPECT_EQ(events->at(0).text, "grid operator dimming ended");
  EXPECT_EQ(events->at(2).text, "command: grid operator limit 5000 W for 900 s");
  EXPECT_EQ(storage::parse_event_kind("dimming"), storage::EventKind::Dimming);
}

TEST(StorageRecorder, TheQuartersThatEndedAreKeptForTheMonthsPeak) {
  Rig rig;
  const auto t0 = rig.clock.wall_now();
  rig.recorder.start();
  auto report = std::make_shared<StepReport>();
  report->status = rig.status(5, false, std::nullopt);
  ems::ClosedQuarter q;
  q.start = t0 - std::chrono::minutes(15);
  q.energy_wh = 1000;
  q.average_w = 4000;
  q.covered_s = 900;
  report->closed_quarters.push_back(q);
  rig.recorder.on_step(report);
  rig.recorder.stop();
  const auto peak = rig.recorder.with_store(
      [&](storage::SqliteStore& s) { return s.peak_between(t0 - std::chrono::hours(1), t0 + std::chrono::hours(1)); });
  ASSERT_TRUE(peak);
  EXPECT_DOUBLE_EQ(*peak, 4000);
}

TEST(StorageRecorder, AFullQueueDropsSnapshotsButKeepsTheirDecisions) {
  ems::ManualClock clock{ems::MonoTime{}, storage::from_unix_ms(1'700'000'000'000)};
  StorageRecorder recorder(memory_store(), 2);
  int calls = 0;
  recorder.set_decision_source([&] {
    ++calls;
    return std::vector<Decision>{{clock.wall_now(), 0, 6.0, 8.0 + calls, "pv-surplus", ""}};
  });
  for (int i = 0; i < 5; ++i) {
    auto st = std::make_shared<ems::SiteStatus>();
    st->time = clock.wall_now();
    recorder.on_status(st);  // not started: nothing is taken off the queue
    clock.advance(ems::Millis(1000));
  }
  EXPECT_EQ(recorder.stats().dropped, 3U);
  recorder.start();
  recorder.stop();
  EXPECT_EQ(recorder.stats().statuses, 2U);
  EXPECT_EQ(recorder.stats().decisions, 5U);
  const auto d = recorder.with_store([](storage::SqliteStore& s) { return s.decisions(ems::WallTime{}); });
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size(), 5U);
}

TEST(StorageRecorder, HistoryIsFlushedOnTheConfiguredIntervalWithoutStopping) {
  ems::ManualClock clock{ems::MonoTime{}, storage::from_unix_ms(1'700'000'000'000)};
  StorageRecorder recorder(memory_store(5));
  recorder.start();
  for (int i = 0; i < 30; ++i) {
    auto st = std::make_shared<ems::SiteStatus>();
    st->time = clock.wall_now();
    st->grid.stale = false;
    st->grid.current_a = {1.0, 2.0, 3.0};
    recorder.on_status(st);
    clock.advance(ems::Millis(1000));
  }
  recorder.wait_idle();
  EXPECT_GE(recorder.stats().flushes, 4U);
  const auto rows = recorder.with_store([&](storage::SqliteStore& s) {
    return s.history(storage::HistoryTier::TenSeconds, ems::WallTime{}, clock.wall_now());
  });
  ASSERT_TRUE(rows);
  EXPECT_GE(rows->size(), 2U);  // closed buckets are in the file before stop()
  recorder.stop();
}

TEST(StorageOverrides, CommandsRoundTripThroughTheirOverrideText) {
  const auto at = storage::from_unix_ms(1'700'000'000'000);
  const auto mode = override_from_command(ems::SetSocketMode{3, ems::ChargeMode::Pv}, "command", at);
  ASSERT_TRUE(mode);
  EXPECT_EQ(mode->key, "socket[3].mode");
  EXPECT_EQ(mode->value, "pv");
  const auto back = command_from_override(*mode);
  ASSERT_TRUE(back);
  ASSERT_TRUE(std::holds_alternative<ems::SetSocketMode>(*back));
  EXPECT_EQ(std::get<ems::SetSocketMode>(*back).socket_id, 3);
  EXPECT_EQ(std::get<ems::SetSocketMode>(*back).mode, ems::ChargeMode::Pv);

  const auto max = override_from_command(ems::SetSocketMaxCurrent{1, 12.5}, "command", at);
  ASSERT_TRUE(max);
  EXPECT_EQ(max->key, "socket[1].max_current_a");
  const auto max_back = command_from_override(*max);
  ASSERT_TRUE(max_back);
  EXPECT_DOUBLE_EQ(std::get<ems::SetSocketMaxCurrent>(*max_back).max_current_a, 12.5);

  const auto site = override_from_command(ems::SetSiteLimit{20}, "command", at);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->key, "site.grid_max_current_a");
  // "Stop all charging" is kept too, so that a restart does not resume charging on its own.
  const auto suspend = override_from_command(ems::Suspend{}, "mqtt", at);
  ASSERT_TRUE(suspend);
  EXPECT_EQ(suspend->key, "site.suspended");
  EXPECT_EQ(suspend->value, "true");
  ASSERT_TRUE(command_from_override(*suspend));
  EXPECT_TRUE(std::holds_alternative<ems::Suspend>(*command_from_override(*suspend)));
  const auto resume = override_from_command(ems::Resume{}, "mqtt", at);
  ASSERT_TRUE(resume);
  EXPECT_EQ(resume->value, "false");
  EXPECT_TRUE(std::holds_alternative<ems::Resume>(*command_from_override(*resume)));
  EXPECT_FALSE(command_from_override({"site.suspended", "maybe", "web", at}));
  EXPECT_FALSE(command_from_override({"socket[x].mode", "pv", "web", at}));
  EXPECT_FALSE(command_from_override({"socket[0].mode", "turbo", "web", at}));
  EXPECT_FALSE(command_from_override({"socket[0].max_current_a", "12A", "web", at}));
}

Config example_config() {
  return load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                          "example.toml");
}

TEST(StorageOverrides, AcceptedOverridesApplyAndRefusedOnesAreSkipped) {
  auto site = example_config().site;
  const auto at = storage::from_unix_ms(1'700'000'000'000);
  const std::vector<storage::SettingOverride> items = {
      {"socket[0].mode", "pv", "command", at},
      {"socket[1].max_current_a", "500", "command", at},  // above the socket's limit: refused
      {"socket[9].mode", "now", "command", at},           // no such socket
      {"site.grid_max_current_a", "20", "command", at},
  };
  const auto before = site;
  const auto outcomes = apply_overrides(site, items);
  ASSERT_EQ(outcomes.size(), 4U);
  EXPECT_TRUE(outcomes[0].applied);
  EXPECT_FALSE(outcomes[1].applied) << outcomes[1].message;
  EXPECT_FALSE(outcomes[2].applied) << outcomes[2].message;
  EXPECT_TRUE(outcomes[3].applied) << outcomes[3].message;
  EXPECT_EQ(site.stations[0].sockets[0].mode, ems::ChargeMode::Pv);
  EXPECT_DOUBLE_EQ(site.stations[0].sockets[1].max_current_a, before.stations[0].sockets[1].max_current_a);
  EXPECT_DOUBLE_EQ(site.grid_max_current_a, 20);
}

TEST(StorageOverrides, AnAcceptedCommandIsKeptAsAnOverride) {
  Rig rig;
  rig.recorder.start();
  rig.recorder.record_command(ems::SetSocketMode{1, ems::ChargeMode::MinPv}, "command", rig.clock.wall_now());
  rig.recorder.record_command(ems::Suspend{}, "command", rig.clock.wall_now());
  rig.recorder.wait_idle();
  const auto o = rig.recorder.with_store([](storage::SqliteStore& s) { return s.overrides(); });
  ASSERT_TRUE(o);
  ASSERT_EQ(o->size(), 2U);
  const auto mode = std::find_if(o->begin(), o->end(), [](const auto& x) { return x.key == "socket[1].mode"; });
  ASSERT_NE(mode, o->end());
  EXPECT_EQ(mode->value, std::string(ems::to_string(ems::ChargeMode::MinPv)));
  const auto suspended = std::find_if(o->begin(), o->end(), [](const auto& x) { return x.key == "site.suspended"; });
  ASSERT_NE(suspended, o->end());
  EXPECT_EQ(suspended->value, "true");
  rig.recorder.stop();
}

TEST(StorageOverrides, TheRuntimeStartsWithTheStoredOverridesOnTopOfTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("emsgw-recorder-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto cfg = example_config();
  cfg.storage.path = (dir / "overrides.sqlite").string();
  cfg.web.password_file = (dir / "web-password").string();
  const auto at = storage::from_unix_ms(1'700'000'000'000);
  {
    auto store = storage::SqliteStore::open(cfg.storage);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->set_override({"socket[0].mode", "pv", "command", at}));
    ASSERT_TRUE(store->set_override({"socket[1].max_current_a", "500", "command", at}));  // refused
  }
  const auto file_max = cfg.site.stations[0].sockets[1].max_current_a;
  ems::ManualClock clock;
  {
    Runtime rt(cfg, clock, make_meter,
               [](const Config&, std::size_t, const ems::Clock& c) -> std::unique_ptr<StationDevice> {
                 return std::make_unique<test::FakeStationDevice>(c, std::vector<int>{1, 2});
               });
    ASSERT_NE(rt.recorder(), nullptr);
    const auto site = rt.loop().config().site;
    EXPECT_EQ(site.stations[0].sockets[0].mode, ems::ChargeMode::Pv);
    EXPECT_DOUBLE_EQ(site.stations[0].sockets[1].max_current_a, file_max);
  }
  std::filesystem::remove_all(dir);
}

TEST(StorageOverrides, ACommandAcceptedByTheRuntimeIsStoredAndAppliedAtTheNextStart) {
  const auto dir = std::filesystem::temp_directory_path() / ("emsgw-recorder-cmd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto cfg = example_config();
  cfg.storage.path = (dir / "commands.sqlite").string();
  cfg.web.password_file = (dir / "web-password").string();
  ASSERT_NE(cfg.site.stations[0].sockets[1].mode, ems::ChargeMode::Off);
  ems::ManualClock clock{ems::MonoTime{}, storage::from_unix_ms(1'700'000'000'000)};
  const auto fake = [](const Config&, std::size_t, const ems::Clock& c) -> std::unique_ptr<StationDevice> {
    return std::make_unique<test::FakeStationDevice>(c, std::vector<int>{1, 2});
  };
  {
    Runtime rt(cfg, clock, make_meter, fake);
    ASSERT_NE(rt.recorder(), nullptr);
    std::promise<ems::CommandReply> replied;
    rt.commands().submit(ems::SetSocketMode{1, ems::ChargeMode::Off},
                         [&](ems::CommandReply r) { replied.set_value(std::move(r)); });
    rt.commands().submit(ems::SetSocketMaxCurrent{0, 500}, [](ems::CommandReply) {});  // refused: not kept
    std::atomic<bool> stop{false};
    std::thread control([&] { rt.loop().run(stop, {}); });
    auto reply = replied.get_future();
    ASSERT_EQ(reply.wait_for(seconds(10)), std::future_status::ready);
    EXPECT_TRUE(reply.get().accepted);
    stop = true;
    rt.loop().wake();
    control.join();
    rt.recorder()->start();
    rt.recorder()->stop();
    const auto o = rt.recorder()->with_store([](storage::SqliteStore& s) { return s.overrides(); });
    ASSERT_TRUE(o);
    ASSERT_EQ(o->size(), 1U);
    EXPECT_EQ(o->front().key, "socket[1].mode");
    EXPECT_EQ(o->front().source, "command");
  }
  {
    Runtime rt(cfg, clock, make_meter, fake);
    EXPECT_EQ(rt.loop().config().site.stations[0].sockets[1].mode, ems::ChargeMode::Off);
    EXPECT_EQ(rt.started_config().site.stations[0].sockets[1].mode, ems::ChargeMode::Off);
  }
  std::filesystem::remove_all(dir);
}

TEST(StorageOverrides, ASuspendIsKeptAcrossARestartUntilResumed) {
  const auto dir = std::filesystem::temp_directory_path() / ("emsgw-recorder-suspend-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto cfg = example_config();
  cfg.storage.path = (dir / "suspend.sqlite").string();
  cfg.web.password_file = (dir / "web-password").string();
  ems::ManualClock clock{ems::MonoTime{}, storage::from_unix_ms(1'700'000'000'000)};
  const auto fake = [](const Config&, std::size_t, const ems::Clock& c) -> std::unique_ptr<StationDevice> {
    return std::make_unique<test::FakeStationDevice>(c, std::vector<int>{1, 2});
  };
  const auto submit = [](Runtime& rt, ems::Command c) {
    std::promise<ems::CommandReply> replied;
    rt.commands().submit(std::move(c), [&](ems::CommandReply r) { replied.set_value(std::move(r)); });
    std::atomic<bool> stop{false};
    std::thread control([&] { rt.loop().run(stop, {}); });
    auto reply = replied.get_future();
    const bool ready = reply.wait_for(seconds(10)) == std::future_status::ready;
    stop = true;
    rt.loop().wake();
    control.join();
    rt.recorder()->start();
    rt.recorder()->stop();
    return ready && reply.get().accepted;
  };
  {
    Runtime rt(cfg, clock, make_meter, fake);
    ASSERT_NE(rt.recorder(), nullptr);
    ASSERT_TRUE(submit(rt, ems::Suspend{}));
    ASSERT_TRUE(rt.loop().status());
    EXPECT_TRUE(rt.loop().status()->suspended);
  }
  {
    Runtime rt(cfg, clock, make_meter, fake);
    ASSERT_TRUE(rt.loop().status()) << "the stored suspend is applied before the first step";
    EXPECT_TRUE(rt.loop().status()->suspended) << "a restart does not resume charging on its own";
    ASSERT_TRUE(submit(rt, ems::Resume{}));
    EXPECT_FALSE(rt.loop().status()->suspended);
  }
  {
    Runtime rt(cfg, clock, make_meter, fake);
    EXPECT_TRUE(!rt.loop().status() || !rt.loop().status()->suspended) << "resumed stays resumed";
  }
  std::filesystem::remove_all(dir);
}

TEST(StorageOverrides, AReloadKeepsTheStoredOverridesOnTopOfTheNewFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("emsgw-recorder-reload-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto cfg = example_config();
  cfg.storage.path = (dir / "reload.sqlite").string();
  cfg.web.password_file = (dir / "web-password").string();
  {
    auto store = storage::SqliteStore::open(cfg.storage);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->set_override({"socket[0].mode", "pv", "command", storage::from_unix_ms(1'700'000'000'000)}));
  }
  ems::ManualClock clock;
  Runtime rt(cfg, clock, make_meter,
             [](const Config&, std::size_t, const ems::Clock& c) -> std::unique_ptr<StationDevice> {
               return std::make_unique<test::FakeStationDevice>(c, std::vector<int>{1, 2});
             });
  ASSERT_EQ(rt.loop().config().site.stations[0].sockets[0].mode, ems::ChargeMode::Pv);
  rt.recorder()->start();
  EXPECT_TRUE(rt.reload(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml").empty());
  std::atomic<bool> stop{false};
  std::thread control([&] { rt.loop().run(stop, {}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a few turns of the loop
  stop = true;
  rt.loop().wake();
  control.join();
  rt.recorder()->stop();
  EXPECT_EQ(rt.loop().config().site.stations[0].sockets[0].mode, ems::ChargeMode::Pv);
  const auto events = rt.recorder()->with_store([](storage::SqliteStore& s) { return s.events(ems::WallTime{}); });
  ASSERT_TRUE(events);
  const auto reloads = std::count_if(events->begin(), events->end(), [](const storage::Event& e) {
    return e.kind == storage::EventKind::ConfigChange && e.subject == "config";
  });
  EXPECT_EQ(reloads, 1);  // the reload is on record
  std::filesystem::remove_all(dir);
}

/// Remembers what the recorder reports as committed.
struct RecordingSink final : storage::RecordSink {
  std::mutex mutex;
  std::vector<storage::HistorySample> buckets;
  std::vector<storage::Decision> decisions;
  std::vector<storage::Event> events;
  void on_history(const storage::HistorySample& b) override {
    std::lock_guard lock(mutex);
    buckets.push_back(b);
  }
  void on_decision(const storage::Decision& d) override {
    std::lock_guard lock(mutex);
    decisions.push_back(d);
  }
  void on_event(const storage::Event& e) override {
    std::lock_guard lock(mutex);
    events.push_back(e);
  }
  void on_session_end(const storage::Session&) override {}
};

TEST(StorageRecorder, TheSinkHearsOfCommittedBucketsWithTheGridLimitDecisionsAndOtherPartsEvents) {
  Rig rig;
  RecordingSink sink;
  rig.recorder.set_sink(&sink);
  const auto t0 = rig.clock.wall_now();
  rig.recorder.start();
  for (int i = 0; i < 10; ++i) rig.feed(10, false, 1000);
  rig.grid_max_a = 21;  // a command lowered the site limit
  rig.pending.push_back({rig.clock.wall_now(), 0, 16, 10, "grid-l1", "grid L1 at its limit"});
  for (int i = 0; i < 10; ++i) rig.feed(10, false, 1000);
  std::thread other([&] { rig.recorder.record_event({0, t0, storage::EventKind::FaultRaised, "influx", "gone"}); });
  other.join();
  rig.recorder.stop();
  std::lock_guard lock(sink.mutex);
  ASSERT_EQ(sink.buckets.size(), 2U);
  EXPECT_EQ(sink.buckets[0].time, t0);
  EXPECT_DOUBLE_EQ(*sink.buckets[0].grid_limit_a, 24);
  EXPECT_DOUBLE_EQ(*sink.buckets[1].grid_limit_a, 20);
  ASSERT_EQ(sink.decisions.size(), 1U);
  EXPECT_EQ(sink.decisions[0].reason, "grid-l1");
  ASSERT_EQ(sink.events.size(), 1U);
  EXPECT_EQ(sink.events[0].subject, "influx");
  const auto stored = rig.recorder.with_store([&](storage::SqliteStore& s) { return s.events(t0); });
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1U);
  EXPECT_EQ(stored->front().text, "gone");
}

TEST(StoreHistorySource, TheDashboardSeesTheRecordedHistoryAndEvents) {
  Rig rig;
  const auto t0 = rig.clock.wall_now();
  rig.pending.push_back({t0, -1, 0, 0, "fault_raised:pv_stale", "PV reading stale"});
  rig.recorder.start();
  for (int i = 0; i < 20; ++i) rig.feed(8, true, 100, 12);
  rig.pending.push_back({rig.clock.wall_now(), -1, 0, 0, "fault_cleared:pv_stale", "PV reading stale"});
  rig.feed(8, true, 100, 12);
  rig.recorder.stop();

  StoreHistorySource source(rig.recorder);
  const auto h = source.history({t0 - seconds(10), rig.clock.wall_now() + seconds(10), 10});
  ASSERT_GE(h.size(), 2U);
  EXPECT_LE(h.front().time, h.back().time);
  ASSERT_TRUE(h.front().grid_current_a[2]);
  EXPECT_DOUBLE_EQ(*h.front().grid_current_a[2], 10);
  ASSERT_TRUE(h.front().pv_power_w);
  ASSERT_TRUE(h.front().socket_current_a.contains(0));
  EXPECT_DOUBLE_EQ(h.front().socket_current_a.at(0), 12);  // highest phase
  ASSERT_TRUE(h.front().grid_limit_a);
  EXPECT_DOUBLE_EQ(*h.front().grid_limit_a, 24);  // 25 A − 1 A margin

  const auto all = source.events({t0 - seconds(1), rig.clock.wall_now() + seconds(1), 200});
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].code, "pv_stale");
  EXPECT_EQ(all[0].level, webui::EventLevel::Info);  // the clearing, newest first
  EXPECT_EQ(all[1].level, webui::EventLevel::Warning);
  const auto early = source.events({t0 - seconds(1), t0 + seconds(5), 200});
  ASSERT_EQ(early.size(), 1U);
  EXPECT_EQ(early[0].level, webui::EventLevel::Warning);
  EXPECT_EQ(source.events({t0 - seconds(1), rig.clock.wall_now() + seconds(1), 1}).size(), 1U);
  EXPECT_TRUE(source.history({t0 + std::chrono::hours(1), t0 + std::chrono::hours(2), 10}).empty());
}

}  // namespace
}  // namespace emsgw::gateway
