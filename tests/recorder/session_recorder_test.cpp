// Charging sessions as the storage recorder derives them from the status stream: quarter-hour
// metering from the station's register, the solar share, events for plug-in, unplug and a full
// EV, and sessions interrupted by a restart of emsgw (the same SQLite file opened again).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "gateway/runtime/storage_recorder.hpp"

namespace emsgw::gateway {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

struct SiteRun {
  std::string path;
  // 2023-11-14 22:13:20 UTC.
  ems::ManualClock clock{ems::MonoTime{} + std::chrono::hours(1), storage::from_unix_ms(1'700'000'000'000)};
  std::unique_ptr<StorageRecorder> recorder;

  explicit SiteRun(const std::string& name)
      : path((std::filesystem::temp_directory_path() / ("emsgw-sessions-" + std::to_string(::getpid()) + "-" + name))
                 .string()) {
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  ~SiteRun() {
    stop();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  /// emsgw starts: the recorder opens the file.
  void start() {
    storage::StorageSettings s;
    s.path = path;
    s.flush_interval_s = 1;
    auto store = storage::SqliteStore::open(s);
    ASSERT_TRUE(store) << store.error().message;
    recorder = std::make_unique<StorageRecorder>(std::move(*store));
    recorder->start();
  }
  /// emsgw stops (SIGTERM): what is queued is written.
  void stop() {
    if (recorder) recorder->stop();
  }

  struct Socket {
    Socket(int id_, bool ev_, std::optional<double> counter, double amps_ = 0, std::string mode3_ = {})
        : id(id_), ev(ev_), counter_wh(counter), amps(amps_), mode3(std::move(mode3_)) {}
    int id;
    bool ev;
    std::optional<double> counter_wh;
    double amps;
    std::string mode3;
  };
  void feed(std::vector<Socket> sockets, double grid_w = 3000, bool pv = false) {
    auto st = std::make_shared<ems::SiteStatus>();
    st->time = clock.wall_now();
    st->grid_max_current_a = 25;
    st->grid.stale = false;
    st->grid.power_w_total = grid_w;
    st->pv.configured = pv;
    st->pv.stale = !pv;
    for (const auto& x : sockets) {
      ems::SocketStatus so;
      so.id = x.id;
      so.station = "carport";
      so.online = true;
      so.ev_connected = x.ev;
      so.current_a = {x.amps, x.amps, x.amps};
      so.setpoint_a = x.ev ? 16 : 0;
      so.total_energy_wh = x.counter_wh;
      so.mode3 = x.mode3;
      st->sockets.push_back(so);
    }
    recorder->on_status(st);
    clock.advance(ems::Millis(60'000));
  }
  std::vector<storage::Session> sessions() {
    recorder->wait_idle();
    auto r = recorder->with_store([](storage::SqliteStore& s) { return s.sessions(); });
    EXPECT_TRUE(r);
    return r ? *r : std::vector<storage::Session>{};
  }
  std::vector<storage::Event> events() {
    recorder->wait_idle();
    auto r = recorder->with_store([](storage::SqliteStore& s) {
      (void)s.flush();
      return s.events(storage::from_unix_ms(0), 100);
    });
    EXPECT_TRUE(r);
    return r ? *r : std::vector<storage::Event>{};
  }
};

TEST(SessionRecorder, AnEvStillConnectedAfterARestartKeepsOneSessionWithTheEnergyAcrossTheRestart) {
  SiteRun run("continue");
  run.start();
  run.feed({{0, false, 1000}});
  const auto started = run.clock.wall_now();
  for (int i = 0; i < 5; ++i) run.feed({{0, true, 1000 + 100.0 * i, 16, "C2"}});
  run.stop();  // emsgw restarts while the EV charges on (at the station's safe current)
  run.clock.advance(ems::Millis(10 * 60'000));
  run.start();
  run.feed({{0, true, 2000, 6, "C2"}});
  run.feed({{0, true, 2100, 6, "C2"}});
  ASSERT_EQ(run.sessions().size(), 1u);
  EXPECT_FALSE(run.sessions()[0].end) << "still running after the restart";
  run.feed({{0, false, 2100}});  // unplugged
  const auto s = run.sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].start, started);
  ASSERT_TRUE(s[0].end);
  EXPECT_EQ(s[0].end_reason, "unplugged");
  EXPECT_DOUBLE_EQ(s[0].start_energy_wh, 1000);
  EXPECT_DOUBLE_EQ(*s[0].end_energy_wh, 2100);
  EXPECT_DOUBLE_EQ(*s[0].energy_wh, 1100);
  // The quarter hours add up to the register difference, the downtime's energy included.
  auto slices = run.recorder->with_store([&](storage::SqliteStore& st) { return st.session_slices(s[0].id); });
  ASSERT_TRUE(slices);
  double sum = 0;
  for (const auto& x : *slices) sum += x.energy_wh;
  EXPECT_DOUBLE_EQ(sum, 1100);
}

TEST(SessionRecorder, AnEvThatLeftWhileEmsgwWasStoppedEndsItsSessionAtTheLastReading) {
  SiteRun run("left");
  run.start();
  run.feed({{0, false, 5000}});
  for (int i = 0; i < 4; ++i) run.feed({{0, true, 5000 + 250.0 * i, 16, "C2"}});
  const auto last_seen = run.clock.wall_now() - minutes(1);
  run.stop();
  run.clock.advance(ems::Millis(30 * 60'000));
  run.start();
  run.feed({{0, false, 5900}});  // the EV charged a little more at the safe current, then left
  const auto s = run.sessions();
  ASSERT_EQ(s.size(), 1u);
  ASSERT_TRUE(s[0].end) << "closed, not left open forever";
  EXPECT_EQ(*s[0].end, last_seen);
  EXPECT_EQ(s[0].end_reason, "unplugged_during_restart");
  EXPECT_DOUBLE_EQ(*s[0].end_energy_wh, 5900) << "the register read after the restart";
  EXPECT_DOUBLE_EQ(*s[0].energy_wh, 900);
  const auto ev = run.events();
  EXPECT_TRUE(std::any_of(ev.begin(), ev.end(), [](const storage::Event& e) {
    return e.kind == storage::EventKind::Unplug && e.text.find("while emsgw was stopped") != std::string::npos;
  }));
  // A new EV later opens a new session.
  run.feed({{0, true, 5900, 10, "C2"}});
  EXPECT_EQ(run.sessions().size(), 2u);
}

TEST(SessionRecorder, ASocketRemovedFromTheConfigurationEndsItsSession) {
  SiteRun run("removed");
  run.start();
  run.feed({{3, false, 100}});
  run.feed({{3, true, 100, 10, "C2"}});
  run.feed({{3, true, 400, 10, "C2"}});
  run.stop();
  run.start();
  run.feed({{1, false, 0}});  // socket 3 is gone from the new configuration
  const auto s = run.sessions();
  ASSERT_EQ(s.size(), 1u);
  ASSERT_TRUE(s[0].end);
  EXPECT_EQ(s[0].end_reason, "socket_removed");
  EXPECT_DOUBLE_EQ(*s[0].energy_wh, 300);
}

TEST(SessionRecorder, PlugInAFullEvAndUnplugBecomeEvents) {
  SiteRun run("events");
  run.start();
  run.feed({{0, false, 0, 0, "A1"}});
  run.feed({{0, true, 0, 0, "B1"}});
  run.feed({{0, true, 500, 16, "C2"}});
  run.feed({{0, true, 900, 0, "B2"}});  // offered 16 A, the EV stopped asking
  run.feed({{0, false, 900, 0, "A1"}});
  auto ev = run.events();
  std::reverse(ev.begin(), ev.end());  // oldest first
  std::vector<storage::EventKind> kinds;
  for (const auto& e : ev) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector{storage::EventKind::PlugIn, storage::EventKind::EvFull, storage::EventKind::Unplug}));
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].subject, "socket[0]");
  EXPECT_NE(ev[0].text.find("socket 0 (carport)"), std::string::npos) << ev[0].text;
  EXPECT_NE(ev[2].text.find("0.90 kWh"), std::string::npos) << ev[2].text;
}

TEST(SessionRecorder, TheSolarShareIsWhatTheSiteDidNotImport) {
  SiteRun run("solar");
  run.start();
  run.feed({{0, false, 0}}, 0, true);
  run.feed({{0, true, 0, 10, "C2"}}, -1000, true);  // exporting while charging: all solar
  run.feed({{0, true, 1000, 10, "C2"}}, -1000, true);
  // The EVs draw 3 × 10 A × 230 V = 6900 W; the site imports 3450 W: half solar.
  run.feed({{0, true, 3000, 10, "C2"}}, 3450, true);
  run.feed({{0, false, 3000}}, 0, true);
  const auto s = run.sessions();
  ASSERT_EQ(s.size(), 1u);
  ASSERT_TRUE(s[0].pv_energy_wh);
  EXPECT_NEAR(*s[0].pv_energy_wh, 1000 + 1000, 1e-9);
  EXPECT_NEAR(*s[0].pv_share(), 2.0 / 3, 1e-9);
}

}  // namespace
}  // namespace emsgw::gateway
