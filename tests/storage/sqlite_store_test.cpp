// SqliteStore on ":memory:" (and on a temp file where WAL and reopening matter).
#include "gateway/storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "gateway/storage/migrations.hpp"

namespace emsgw::gateway::storage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2023-11-14 21:45:00 UTC: a multiple of 15 min, so every tier's buckets start here.
const WallTime kT0 = from_unix_ms(1'699'998'300'000);

SqliteStore memory_store(StorageSettings s = {}) {
  s.path = ":memory:";
  auto st = SqliteStore::open(s);
  EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().message);
  return std::move(st).value();
}

/// A directory for this test process, removed when it ends.
const std::filesystem::path& temp_dir() {
  struct Dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("emsgw-store-" + std::to_string(::getpid()));
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

std::string temp_db_path(const std::string& name) {
  const auto& dir = temp_dir();
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

HistorySample sample(WallTime t, std::optional<double> pv_w) {
  HistorySample h;
  h.time = t;
  h.grid_current_a = {10.0, 11.0, 12.0};
  h.grid_power_w = {2300.0, 2530.0, 2760.0};
  h.pv_w = pv_w;
  h.heatpump_w = 800.0;
  return h;
}

SocketSample socket_sample(int socket, double a, std::optional<double> setpoint = std::nullopt) {
  SocketSample s;
  s.socket = socket;
  s.current_a = {a, a, a};
  s.setpoint_a = setpoint;
  s.applied_a = setpoint;
  return s;
}

TEST(SqliteStore, FileDatabaseUsesWalAndIsMigrated) {
  StorageSettings s;
  s.path = temp_db_path("wal.sqlite");
  auto store = SqliteStore::open(s);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(*store->database().query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*store->database().query_int("PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(store->database().user_version(), latest_schema_version());
}

TEST(SqliteStore, OpenFailsWithAResultNotAThrow) {
  StorageSettings s;
  s.path = "/nonexistent-dir/emsgw.sqlite";
  auto store = SqliteStore::open(s);
  ASSERT_FALSE(store);
  EXPECT_FALSE(store.error().message.empty());
}

TEST(SqliteStore, OverridesArePersistedReplacedAndCleared) {
  StorageSettings s;
  s.path = temp_db_path("overrides.sqlite");
  const SettingOverride mode{"socket[0].mode", "pv", "web", kT0};
  const SettingOverride limit{"site.grid_max_current_a", "32", "mqtt", kT0 + seconds(5)};
  {
    auto store = SqliteStore::open(s);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->set_override(mode));
    ASSERT_TRUE(store->set_override(limit));
  }
  auto store = SqliteStore::open(s);  // restored at start
  ASSERT_TRUE(store);
  auto all = store->overrides();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], limit);  // ordered by key
  EXPECT_EQ((*all)[1], mode);

  const SettingOverride mode2{"socket[0].mode", "now", "mqtt", kT0 + seconds(9)};
  ASSERT_TRUE(store->set_override(mode2));
  ASSERT_TRUE(store->clear_override("site.grid_max_current_a"));
  ASSERT_TRUE(store->clear_override("not.there"));
  all = store->overrides();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], mode2);
}

TEST(SqliteStore, TheQuarterHourPeakRecordSurvivesAReopenAndIsReadPerMonth) {
  StorageSettings s;
  s.path = temp_db_path("peak.sqlite");
  const auto month = kT0 - hours(24 * 40);  // a quarter of an earlier month
  {
    auto store = SqliteStore::open(s);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_peak_quarter({kT0, 3200, 800, 900}));
    ASSERT_TRUE(store->record_peak_quarter({kT0 + minutes(15), 4100, 1025, 900}));
    ASSERT_TRUE(store->record_peak_quarter({month, 9000, 2250, 900}));
    // The same quarter again (a restart inside it) replaces its row.
    ASSERT_TRUE(store->record_peak_quarter({kT0, 2000, 500, 400}));
  }
  auto store = SqliteStore::open(s);
  ASSERT_TRUE(store);
  auto peak = store->peak_between(kT0 - hours(24), kT0 + hours(24));
  ASSERT_TRUE(peak) << peak.error().message;
  EXPECT_DOUBLE_EQ(*peak, 4100) << "the earlier month's 9 kW does not count";
  peak = store->peak_between(kT0 - hours(24 * 45), kT0 - hours(24 * 30));
  ASSERT_TRUE(peak);
  EXPECT_DOUBLE_EQ(*peak, 9000);
  peak = store->peak_between(kT0 + hours(24), kT0 + hours(48));
  ASSERT_TRUE(peak);
  EXPECT_DOUBLE_EQ(*peak, 0) << "no quarter: no peak";
  EXPECT_EQ(*store->database().query_int("SELECT COUNT(*) FROM peak_quarter"), 3);
}

TEST(SqliteStore, SamplesAreAveragedInto10sBucketsAndWrittenOnlyOnFlush) {
  auto store = memory_store();
  auto with_socket = [](HistorySample h, double a, double sp) {
    h.sockets.push_back(socket_sample(3, a, sp));
    return h;
  };
  store.add_sample(with_socket(sample(kT0, 100.0), 6, 10));
  store.add_sample(with_socket(sample(kT0 + seconds(3), std::nullopt), 8, 10));  // unknown PV: left out of the mean
  store.add_sample(with_socket(sample(kT0 + seconds(9), 300.0), 10, 16));
  store.add_sample(sample(kT0 + seconds(10), 1000.0));  // opens the next bucket, closes the first
  EXPECT_EQ(store.pending(), 1u);
  EXPECT_TRUE(store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1))->empty());

  ASSERT_TRUE(store.flush());
  EXPECT_EQ(store.pending(), 0u);
  auto h = store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);  // the second bucket is still open
  const auto& b = (*h)[0];
  EXPECT_EQ(b.time, kT0);
  EXPECT_DOUBLE_EQ(*b.pv_w, 200.0);
  EXPECT_DOUBLE_EQ(*b.grid_current_a[1], 11.0);
  EXPECT_DOUBLE_EQ(*b.grid_power_w[2], 2760.0);
  ASSERT_EQ(b.sockets.size(), 1u);
  EXPECT_EQ(b.sockets[0].socket, 3);
  EXPECT_DOUBLE_EQ(*b.sockets[0].current_a[0], 8.0);
  EXPECT_DOUBLE_EQ(*b.sockets[0].setpoint_a, 12.0);

  ASSERT_TRUE(store.flush(true));  // shutdown: the open bucket too
  h = store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1));
  ASSERT_EQ(h->size(), 2u);
  EXPECT_DOUBLE_EQ(*(*h)[1].pv_w, 1000.0);
  EXPECT_TRUE((*h)[1].sockets.empty());
}

TEST(SqliteStore, AllUnknownStaysUnknown) {
  auto store = memory_store();
  store.add_sample(sample(kT0, std::nullopt));
  ASSERT_TRUE(store.flush(true));
  auto h = store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1));
  ASSERT_EQ(h->size(), 1u);
  EXPECT_FALSE((*h)[0].pv_w.has_value());
  EXPECT_TRUE((*h)[0].heatpump_w.has_value());
}

TEST(SqliteStore, FailedFlushKeepsEveryRowForTheNextAttempt) {
  auto store = memory_store();
  store.add_sample(sample(kT0, 1.0));
  store.record_decision({0, kT0, 1, 16, 10, "grid phase L2"});
  store.record_event({0, kT0, EventKind::FaultRaised, "meter.grid", "stale"});
  ASSERT_TRUE(store.database().exec("PRAGMA query_only = ON"));
  EXPECT_FALSE(store.flush(true));
  EXPECT_EQ(store.pending(), 3u);
  ASSERT_TRUE(store.database().exec("PRAGMA query_only = OFF"));
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(store.pending(), 0u);
  EXPECT_EQ(store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1))->size(), 1u);
  EXPECT_EQ(store.decisions(kT0)->size(), 1u);
  EXPECT_EQ(store.events(kT0)->size(), 1u);
}

TEST(SqliteStore, RollsUpTo1MinAnd15MinAndAppliesRetention) {
  StorageSettings s;
  s.history_10s_retention_h = 1;
  s.history_1min_retention_d = 2;
  s.history_15min_retention_d = 30;
  auto store = memory_store(s);
  // Two hours of 10 s samples; PV = index of the sample (so every bucket mean is known).
  const int n = 2 * 360;
  for (int i = 0; i < n; ++i) {
    auto h = sample(kT0 + seconds(10 * i), static_cast<double>(i));
    h.sockets.push_back(socket_sample(0, i % 2 == 0 ? 6.0 : 10.0));
    store.add_sample(h);
  }
  const auto now = kT0 + hours(2);
  ASSERT_TRUE(store.maintain(now));
  ASSERT_TRUE(store.maintain(now));  // idempotent

  auto m = store.history(HistoryTier::OneMinute, kT0, now);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 120u);
  for (std::size_t k = 0; k < m->size(); ++k) {
    EXPECT_EQ((*m)[k].time, kT0 + minutes(k));
    EXPECT_DOUBLE_EQ(*(*m)[k].pv_w, 6.0 * static_cast<double>(k) + 2.5);  // mean of 6k … 6k+5
    ASSERT_EQ((*m)[k].sockets.size(), 1u);
    EXPECT_DOUBLE_EQ(*(*m)[k].sockets[0].current_a[2], 8.0);
  }
  auto q = store.history(HistoryTier::FifteenMinutes, kT0, now);
  ASSERT_EQ(q->size(), 8u);
  EXPECT_DOUBLE_EQ(*(*q)[0].pv_w, 44.5);  // mean of 0 … 89
  EXPECT_DOUBLE_EQ(*(*q)[7].pv_w, 7 * 90 + 44.5);

  // 10 s history older than 1 h is gone; the last hour is there.
  auto t = store.history(HistoryTier::TenSeconds, kT0, now);
  ASSERT_EQ(t->size(), 360u);
  EXPECT_EQ(t->front().time, kT0 + hours(1));

  // Days later: the 1 min tier has expired, the 15 min tier is kept.
  ASSERT_TRUE(store.maintain(now + hours(24 * 3)));
  EXPECT_TRUE(store.history(HistoryTier::OneMinute, kT0, now)->empty());
  EXPECT_TRUE(store.history(HistoryTier::TenSeconds, kT0, now)->empty());
  EXPECT_EQ(store.history(HistoryTier::FifteenMinutes, kT0, now)->size(), 8u);
  ASSERT_TRUE(store.maintain(now + hours(24 * 31)));
  EXPECT_TRUE(store.history(HistoryTier::FifteenMinutes, kT0, now)->empty());
}

TEST(SqliteStore, TheGridLimitIsKeptInEveryTier) {
  auto store = memory_store();
  // 30 min at 24 A (25 A − 1 A margin), then the limit is lowered to 20 A for 30 min.
  for (int i = 0; i < 360; ++i) {
    auto h = sample(kT0 + seconds(10 * i), 0.0);
    h.grid_limit_a = i < 180 ? 24.0 : 20.0;
    store.add_sample(h);
  }
  auto last = sample(kT0 + minutes(60), 0.0);  // limit unknown: stays out of the mean
  store.add_sample(last);
  ASSERT_TRUE(store.maintain(kT0 + minutes(61)));
  const auto ten = store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(2));
  ASSERT_TRUE(ten);
  ASSERT_EQ(ten->size(), 361u);
  EXPECT_DOUBLE_EQ(*ten->front().grid_limit_a, 24);
  EXPECT_DOUBLE_EQ(*(*ten)[180].grid_limit_a, 20);
  EXPECT_FALSE(ten->back().grid_limit_a);
  const auto m = store.history(HistoryTier::OneMinute, kT0, kT0 + hours(2));
  ASSERT_EQ(m->size(), 61u);
  EXPECT_DOUBLE_EQ(*(*m)[29].grid_limit_a, 24);
  EXPECT_DOUBLE_EQ(*(*m)[30].grid_limit_a, 20);
  EXPECT_FALSE((*m)[60].grid_limit_a);
  const auto q = store.history(HistoryTier::FifteenMinutes, kT0, kT0 + hours(2));
  ASSERT_EQ(q->size(), 4u);
  EXPECT_DOUBLE_EQ(*(*q)[1].grid_limit_a, 24);
  EXPECT_DOUBLE_EQ(*(*q)[2].grid_limit_a, 20);
}

/// Remembers what the store reports as committed.
struct RecordingSink final : RecordSink {
  std::vector<HistorySample> buckets;
  std::vector<Decision> decisions;
  std::vector<Event> events;
  std::vector<Session> sessions;
  void on_history(const HistorySample& b) override { buckets.push_back(b); }
  void on_decision(const Decision& d) override { decisions.push_back(d); }
  void on_event(const Event& e) override { events.push_back(e); }
  void on_session_end(const Session& s) override { sessions.push_back(s); }
};

TEST(SqliteStore, TheSinkHearsOfEachRecordOnlyOnceItIsCommitted) {
  auto store = memory_store();
  RecordingSink sink;
  store.set_sink(&sink);
  ASSERT_TRUE(store.start_session({0, kT0, 1000}));
  for (int i = 0; i < 25; ++i) {
    auto h = sample(kT0 + seconds(i), 1500.0);
    h.grid_limit_a = 24;
    h.sockets.push_back(socket_sample(0, 16, 16));
    store.add_sample(h);
  }
  store.record_decision({0, kT0 + seconds(3), 0, 16, 10, "grid-l1"});
  store.record_event({0, kT0 + seconds(4), EventKind::FaultRaised, "influx", "unreachable"});
  EXPECT_TRUE(sink.buckets.empty());
  EXPECT_TRUE(sink.decisions.empty());
  ASSERT_TRUE(store.flush());
  ASSERT_EQ(sink.buckets.size(), 2u) << "the open bucket (20 s) is not written yet";
  EXPECT_EQ(sink.buckets[0].time, kT0);
  EXPECT_EQ(sink.buckets[1].time, kT0 + seconds(10));
  EXPECT_DOUBLE_EQ(*sink.buckets[0].grid_limit_a, 24);
  EXPECT_DOUBLE_EQ(*sink.buckets[0].pv_w, 1500);
  ASSERT_EQ(sink.buckets[0].sockets.size(), 1u);
  EXPECT_DOUBLE_EQ(*sink.buckets[0].sockets[0].setpoint_a, 16);
  ASSERT_EQ(sink.decisions.size(), 1u);
  EXPECT_GT(sink.decisions[0].id, 0);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].subject, "influx");
  ASSERT_TRUE(store.stop_session({0, kT0 + seconds(25), 1100, std::nullopt}));
  ASSERT_EQ(sink.sessions.size(), 1u);
  EXPECT_DOUBLE_EQ(*sink.sessions[0].energy_wh, 100);
  ASSERT_TRUE(store.flush(true));
  EXPECT_EQ(sink.buckets.back().time, kT0 + seconds(20)) << "written early for the session, then whole";
  EXPECT_EQ(sink.decisions.size(), 1u) << "told once";
}

TEST(SqliteStore, AnUnfinishedMinuteIsNotRolledUp) {
  auto store = memory_store();
  for (int i = 0; i < 9; ++i) store.add_sample(sample(kT0 + seconds(10 * i), 60.0));  // 0:00 … 1:20
  ASSERT_TRUE(store.maintain(kT0 + seconds(85)));
  // The bucket 1:20–1:30 is still open at 1:25; the minute 1:00–2:00 is not rolled up.
  EXPECT_EQ(store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1))->size(), 8u);
  auto m = store.history(HistoryTier::OneMinute, kT0, kT0 + hours(1));
  ASSERT_EQ(m->size(), 1u);
  ASSERT_TRUE(store.maintain(kT0 + seconds(90)));  // `now` passed its end: closed and written
  EXPECT_EQ(store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1))->size(), 9u);
  for (int i = 9; i < 12; ++i) store.add_sample(sample(kT0 + seconds(10 * i), 120.0));
  ASSERT_TRUE(store.maintain(kT0 + seconds(125)));
  m = store.history(HistoryTier::OneMinute, kT0, kT0 + hours(1));
  ASSERT_EQ(m->size(), 2u);
  EXPECT_DOUBLE_EQ(*(*m)[1].pv_w, 90.0);  // 3 × 60 and 3 × 120
}

TEST(SqliteStore, SessionGetsEnergyCurrentsAndPvShare) {
  auto store = memory_store();
  auto id = store.start_session({2, kT0, 1000});
  ASSERT_TRUE(id);
  auto open = store.open_session(2);
  ASSERT_TRUE(open && *open);
  EXPECT_EQ((*open)->id, *id);
  EXPECT_FALSE((*open)->end);

  const double amps[] = {10, 16, 6};
  for (int i = 0; i < 3; ++i) {
    auto h = sample(kT0 + seconds(10 * i), 0.0);
    h.sockets.push_back(socket_sample(2, amps[i]));
    h.sockets.push_back(socket_sample(5, 32));  // another socket does not count
    store.add_sample(h);
  }
  auto closed = store.stop_session({2, kT0 + seconds(30), 1500, 200.0});
  ASSERT_TRUE(closed) << closed.error().message;
  ASSERT_TRUE(*closed);
  const auto& s = **closed;
  EXPECT_EQ(s.socket, 2);
  EXPECT_EQ(s.start, kT0);
  EXPECT_EQ(*s.end, kT0 + seconds(30));
  EXPECT_DOUBLE_EQ(*s.energy_wh, 500);
  EXPECT_DOUBLE_EQ(*s.max_current_a, 16);
  EXPECT_NEAR(*s.avg_current_a, 32.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(*s.pv_share(), 0.4);
  EXPECT_FALSE(*store.open_session(2));
  // Stopping again finds nothing to stop.
  auto again = store.stop_session({2, kT0 + seconds(40), 1500, std::nullopt});
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST(SqliteStore, StoppingASessionMidBucketKeepsTheBucketWhole) {
  auto store = memory_store();
  ASSERT_TRUE(store.start_session({1, kT0, 0}));
  for (auto [t, a] : {std::pair{0, 10.0}, {2, 20.0}}) {
    auto h = sample(kT0 + seconds(t), 0.0);
    h.sockets.push_back(socket_sample(1, a));
    store.add_sample(h);
  }
  auto closed = store.stop_session({1, kT0 + seconds(5), 10, std::nullopt});
  ASSERT_TRUE(closed && *closed);
  EXPECT_DOUBLE_EQ(*(*closed)->max_current_a, 15.0);  // the bucket so far: mean of 10 and 20
  auto h = sample(kT0 + seconds(7), 0.0);
  h.sockets.push_back(socket_sample(1, 30.0));
  store.add_sample(h);
  ASSERT_TRUE(store.flush(true));
  auto rows = store.history(HistoryTier::TenSeconds, kT0, kT0 + hours(1));
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_DOUBLE_EQ(*(*rows)[0].sockets[0].current_a[0], 20.0);  // all three samples
}

TEST(SqliteStore, StartingASessionClosesTheOpenOneAndListsNewestFirst) {
  auto store = memory_store();
  ASSERT_TRUE(store.start_session({0, kT0, 10}));
  ASSERT_TRUE(store.start_session({1, kT0 + seconds(1), 20}));
  ASSERT_TRUE(store.start_session({0, kT0 + seconds(60), 110}));
  auto all = store.sessions();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].start, kT0 + seconds(60));
  auto s0 = store.sessions(0);
  ASSERT_EQ(s0->size(), 2u);
  EXPECT_FALSE((*s0)[0].end);
  ASSERT_TRUE((*s0)[1].end);
  EXPECT_DOUBLE_EQ(*(*s0)[1].energy_wh, 100);
  EXPECT_FALSE((*s0)[1].max_current_a);  // no history: unknown, not 0
  EXPECT_FALSE((*s0)[1].pv_share());
  EXPECT_EQ(store.sessions(-1, 1)->size(), 1u);
}

TEST(SqliteStore, DecisionsAndEventsAreQueryableNewestFirst) {
  auto store = memory_store();
  store.record_decision({0, kT0, 0, 16, 10, "grid phase L1"});
  store.record_decision({0, kT0 + seconds(1), 1, 0, 6, "PV surplus"});
  store.record_decision({0, kT0 + seconds(2), 0, 10, 13, "grid phase L1"});
  store.record_event({0, kT0, EventKind::FaultRaised, "meter.grid", "no reading for 10 s"});
  store.record_event({0, kT0 + seconds(5), EventKind::FaultCleared, "meter.grid", "reading again"});
  store.record_event({0, kT0 + seconds(6), EventKind::ConfigChange, "socket[0].mode", "pv -> now (web)"});
  EXPECT_TRUE(store.decisions(kT0)->empty());  // buffered until flush
  ASSERT_TRUE(store.flush());

  auto d = store.decisions(kT0);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].new_a, 13);
  EXPECT_EQ((*d)[2].reason, "grid phase L1");
  EXPECT_GT((*d)[0].id, 0);
  EXPECT_EQ(store.decisions(kT0, 200, 1)->size(), 1u);
  EXPECT_EQ(store.decisions(kT0 + seconds(1))->size(), 2u);
  EXPECT_EQ(store.decisions(kT0, 1)->size(), 1u);

  auto e = store.events(kT0);
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].kind, EventKind::ConfigChange);
  EXPECT_EQ((*e)[1].kind, EventKind::FaultCleared);
  EXPECT_EQ((*e)[2].kind, EventKind::FaultRaised);
  EXPECT_EQ((*e)[2].subject, "meter.grid");
  EXPECT_EQ((*e)[2].text, "no reading for 10 s");
}

TEST(SqliteStore, AnEventKeepsItsMessageCodeAndParameters) {
  auto store = memory_store();
  const ems::Message plug{"unplug_energy", {{"socket", "1"}, {"station", "carport \"A\""}, {"kwh", "12.50"}}};
  store.record_event(
      {0, kT0, EventKind::Unplug, "socket[1]", "socket 1 (carport \"A\"): EV unplugged after 12.50 kWh", plug});
  store.record_event({0, kT0 + seconds(1), EventKind::ConfigChange, "site.x", "no code", {}});
  ASSERT_TRUE(store.flush());
  const auto e = store.events(kT0);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[1].message, plug) << "code and parameters, in their order";
  EXPECT_EQ((*e)[1].text, "socket 1 (carport \"A\"): EV unplugged after 12.50 kWh");
  EXPECT_EQ((*e)[0].message, ems::Message{}) << "an event without a code stays without one";
  EXPECT_EQ((*e)[0].text, "no code");
}

TEST(SqliteStore, ADatabaseOfTheSchemaBeforeMessageCodesOpensAndKeepsItsEventTexts) {
  StorageSettings s;
  s.path = temp_db_path("before-messages.sqlite");
  {
    auto db = Database::open(s.path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(migrate(*db, 7));
    ASSERT_TRUE(db->exec("INSERT INTO event (t_ms, kind, subject, text) VALUES (" + std::to_string(to_unix_ms(kT0)) +
                         ", 'plug_in', 'socket[0]', 'socket 0 (carport): EV plugged in')"));
  }
  auto store = SqliteStore::open(s);
  ASSERT_TRUE(store) << store.error().message;
  store->record_event({0, kT0 + seconds(5), EventKind::EvFull, "socket[0]", "full", {"ev_full", {{"socket", "0"}}}});
  ASSERT_TRUE(store->flush());
  const auto e = store->events(kT0);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[1].text, "socket 0 (carport): EV plugged in");
  EXPECT_EQ((*e)[1].kind, EventKind::PlugIn);
  EXPECT_TRUE((*e)[1].message.code.empty());
  EXPECT_TRUE((*e)[1].message.params.empty());
  EXPECT_EQ((*e)[0].message, (ems::Message{"ev_full", {{"socket", "0"}}}));
}

TEST(SqliteStore, DecisionsAndEventsExpireAfterTheirRetention) {
  StorageSettings s;
  s.log_retention_d = 7;
  auto store = memory_store(s);
  store.record_decision({0, kT0, 0, 16, 10, "old"});
  store.record_decision({0, kT0 + hours(24 * 6), 0, 10, 16, "recent"});
  store.record_event({0, kT0, EventKind::FaultRaised, "x", "old"});
  ASSERT_TRUE(store.maintain(kT0 + hours(24 * 8)));
  auto d = store.decisions(kT0);
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].reason, "recent");
  EXPECT_TRUE(store.events(kT0)->empty());
}

TEST(SqliteStore, TierForPicksTheFinestTierThatStillCoversTheRange) {
  auto store = memory_store();  // 24 h, 31 d, 1830 d
  const auto now = kT0 + hours(24 * 400);
  EXPECT_EQ(store.tier_for(now - hours(6), now), HistoryTier::TenSeconds);
  EXPECT_EQ(store.tier_for(now - hours(48), now), HistoryTier::OneMinute);
  EXPECT_EQ(store.tier_for(now - hours(24 * 90), now), HistoryTier::FifteenMinutes);
}

}  // namespace
}  // namespace emsgw::gateway::storage

namespace emsgw::gateway::storage {
namespace {

// 2023-11-14 22:45:00 UTC, a quarter of an hour before the off-peak window of these tests.
const WallTime kEvening = from_unix_ms(1'700'001'900'000);

Tariff day_and_night() {
  Tariff t;
  t.configured = true;
  t.currency = "EUR";
  t.import_price_per_kwh = 0.30;
  t.export_price_per_kwh = 0.08;
  TariffWindow night;
  night.name = "off-peak";
  night.start_min = 23 * 60;
  night.end_min = 7 * 60;
  night.import_price_per_kwh = 0.20;
  t.windows.push_back(night);
  return t;
}

TEST(SqliteStoreSessions, ASessionAcrossATariffBoundaryIsPricedInBothWindows) {
  auto store = memory_store();
  store.set_tariff(day_and_night(), utc_minute);
  ASSERT_TRUE(store.start_session({0, kEvening, 10'000}));
  // 2 kWh before 23:00 (flat 0.30), 3 kWh after (off-peak 0.20), all from the grid.
  ASSERT_TRUE(store.meter_session(0, kEvening + minutes(5), 11'000, 0.0));
  ASSERT_TRUE(store.meter_session(0, kEvening + minutes(14), 12'000, 0.0));
  ASSERT_TRUE(store.meter_session(0, kEvening + minutes(20), 14'000, 0.0));
  ASSERT_TRUE(store.meter_session(0, kEvening + minutes(35), 15'000, 0.0));
  auto closed = store.stop_session({0, kEvening + minutes(40), 15'000, std::nullopt});
  ASSERT_TRUE(closed && *closed) << (closed ? "" : closed.error().message);
  const auto& s = **closed;
  EXPECT_DOUBLE_EQ(*s.energy_wh, 5000);
  EXPECT_DOUBLE_EQ(*s.end_energy_wh, 15'000);
  EXPECT_DOUBLE_EQ(s.start_energy_wh, 10'000);
  ASSERT_TRUE(s.cost);
  EXPECT_NEAR(*s.cost, 2 * 0.30 + 3 * 0.20, 1e-9);
  EXPECT_EQ(s.currency, "EUR");
  EXPECT_EQ(s.end_reason, "unplugged");
  EXPECT_DOUBLE_EQ(*s.pv_share(), 0.0);
  auto slices = store.session_slices(s.id);
  ASSERT_TRUE(slices);
  ASSERT_EQ(slices->size(), 3u);  // 22:45, 23:00, 23:15
  EXPECT_EQ((*slices)[0].start, kEvening);
  EXPECT_DOUBLE_EQ((*slices)[0].energy_wh, 2000);
  EXPECT_DOUBLE_EQ((*slices)[1].energy_wh, 2000);
  EXPECT_DOUBLE_EQ((*slices)[2].energy_wh, 1000);
}

TEST(SqliteStoreSessions, SolarEnergyIsValuedAtTheExportPrice) {
  auto store = memory_store();
  auto tariff = day_and_night();
  tariff.windows.clear();
  store.set_tariff(tariff, utc_minute);
  ASSERT_TRUE(store.start_session({3, kT0, 0}));
  ASSERT_TRUE(store.meter_session(3, kT0 + minutes(1), 1000, 1.0));   // all solar
  ASSERT_TRUE(store.meter_session(3, kT0 + minutes(2), 3000, 0.25));  // a quarter solar
  auto closed = store.stop_session({3, kT0 + minutes(3), 3000, std::nullopt});
  ASSERT_TRUE(closed && *closed);
  EXPECT_DOUBLE_EQ(*(*closed)->pv_energy_wh, 1500);
  EXPECT_DOUBLE_EQ(*(*closed)->pv_share(), 0.5);
  EXPECT_NEAR(*(*closed)->cost, 1.5 * 0.30 + 1.5 * 0.08, 1e-9);
}

TEST(SqliteStoreSessions, WithoutATariffThereIsNoCostAndUnknownSolarStaysUnknown) {
  auto store = memory_store();
  ASSERT_TRUE(store.start_session({0, kT0, 0}));
  ASSERT_TRUE(store.meter_session(0, kT0 + minutes(1), 1000, std::nullopt));
  auto closed = store.stop_session({0, kT0 + minutes(2), 1000, std::nullopt});
  ASSERT_TRUE(closed && *closed);
  EXPECT_FALSE((*closed)->cost);
  EXPECT_FALSE((*closed)->pv_energy_wh);
  EXPECT_DOUBLE_EQ(*(*closed)->energy_wh, 1000);
}

TEST(SqliteStoreSessions, AStopWithoutARegisterKeepsTheLastReadingNotZero) {
  auto store = memory_store();
  ASSERT_TRUE(store.start_session({0, kT0, 50'000}));
  ASSERT_TRUE(store.meter_session(0, kT0 + minutes(1), 50'700, 0.0));
  auto closed = store.stop_session({0, kT0 + minutes(2), std::nullopt, std::nullopt});
  ASSERT_TRUE(closed && *closed);
  EXPECT_DOUBLE_EQ(*(*closed)->end_energy_wh, 50'700);
  EXPECT_DOUBLE_EQ(*(*closed)->energy_wh, 700);
}

TEST(SqliteStoreSessions, ARegisterThatWentBackwardsGivesNoEnergyRatherThanANegativeOne) {
  auto store = memory_store();
  ASSERT_TRUE(store.start_session({0, kT0, 50'000}));
  ASSERT_TRUE(store.meter_session(0, kT0 + minutes(1), 120, 0.0));  // station replaced
  auto closed = store.stop_session({0, kT0 + minutes(2), 120, std::nullopt});
  ASSERT_TRUE(closed && *closed);
  EXPECT_DOUBLE_EQ(*(*closed)->end_energy_wh, 120);
  EXPECT_FALSE((*closed)->energy_wh);
}

TEST(SqliteStoreSessions, MeteringIsWrittenByFlushAndSurvivesReopening) {
  const auto path = temp_db_path("metering.sqlite");
  StorageSettings s;
  s.path = path;
  {
    auto store = SqliteStore::open(s);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->start_session({1, kT0, 100}));
    ASSERT_TRUE(store->meter_session(1, kT0 + minutes(1), 400, 0.0));
    EXPECT_GT(store->pending(), 0u);
    ASSERT_TRUE(store->flush());
    EXPECT_EQ(store->pending(), 0u);
  }
  auto store = SqliteStore::open(s);
  ASSERT_TRUE(store);
  auto open = store->open_session(1);
  ASSERT_TRUE(open && *open);
  EXPECT_EQ(*(*open)->last_seen, kT0 + minutes(1));
  EXPECT_DOUBLE_EQ(*(*open)->last_energy_wh, 400);
  // Carries on from the stored reading: only the increase since then is added.
  ASSERT_TRUE(store->meter_session(1, kT0 + minutes(20), 900, 0.0));
  auto closed = store->stop_session({1, kT0 + minutes(21), 900, std::nullopt});
  ASSERT_TRUE(closed && *closed);
  auto slices = store->session_slices((*closed)->id);
  ASSERT_EQ(slices->size(), 2u);
  EXPECT_DOUBLE_EQ((*slices)[0].energy_wh, 300);
  EXPECT_DOUBLE_EQ((*slices)[1].energy_wh, 500);
  EXPECT_DOUBLE_EQ(*(*closed)->energy_wh, 800);
}

TEST(SqliteStoreSessions, TheListIsFilteredBySocketAndStartTimeAndPaged) {
  auto store = memory_store();
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(store.start_session({i % 2, kT0 + hours(i), 1000.0 * i}));
    ASSERT_TRUE(store.stop_session({i % 2, kT0 + hours(i) + minutes(30), 1000.0 * i + 500, std::nullopt}));
  }
  SessionQuery q;
  EXPECT_EQ(*store.count_sessions(q), 7);
  q.socket = 1;
  EXPECT_EQ(*store.count_sessions(q), 3);
  q.socket = -1;
  q.from = kT0 + hours(2);
  q.to = kT0 + hours(5);
  EXPECT_EQ(*store.count_sessions(q), 3);
  q.limit = 2;
  auto page1 = store.sessions(q);
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].start, kT0 + hours(4));  // newest first
  EXPECT_EQ((*page1)[1].start, kT0 + hours(3));
  q.offset = 2;
  auto page2 = store.sessions(q);
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].start, kT0 + hours(2));
  auto one = store.session((*page2)[0].id);
  ASSERT_TRUE(one && *one);
  EXPECT_DOUBLE_EQ(*(*one)->energy_wh, 500);
  EXPECT_FALSE(*store.session(999));
}

TEST(SqliteStoreSessions, ANewSessionOnABusySocketEndsTheOldOneAsReplaced) {
  auto store = memory_store();
  ASSERT_TRUE(store.start_session({0, kT0, 10}));
  ASSERT_TRUE(store.start_session({0, kT0 + minutes(5), 40}));
  auto all = store.sessions(0);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].end_reason, "replaced");
  EXPECT_DOUBLE_EQ(*(*all)[1].energy_wh, 30);
  EXPECT_EQ(store.open_sessions()->size(), 1u);
}

}  // namespace
}  // namespace emsgw::gateway::storage
