// Each schema migration on an in-memory database: the step applies alone, sets user_version,
// keeps the data of the steps before it, and a newer database is refused.
#include "gateway/storage/migrations.hpp"

#include <gtest/gtest.h>

namespace emsgw::gateway::storage {
namespace {

Database memory_db() {
  auto db = Database::open(":memory:");
  EXPECT_TRUE(db.has_value());
  return std::move(db).value();
}

bool has_table(Database& db, const std::string& name) {
  auto n = db.query_int("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='" + name + "'");
  return n && *n == 1;
}

TEST(Migrations, AreNumberedWithoutGaps) {
  int expected = 1;
  for (const auto& m : migrations()) EXPECT_EQ(m.version, expected++);
  EXPECT_EQ(latest_schema_version(), expected - 1);
}

TEST(Migrations, FreshDatabaseStartsAtZero) {
  auto db = memory_db();
  EXPECT_EQ(db.user_version(), 0);
}

TEST(Migrations, Migration1CreatesSettingsSessionsDecisionsEvents) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 1));
  EXPECT_EQ(db.user_version(), 1);
  for (auto t : {"settings_override", "session", "decision", "event", "counter"}) EXPECT_TRUE(has_table(db, t)) << t;
  EXPECT_FALSE(has_table(db, "history"));
  ASSERT_TRUE(db.exec("INSERT INTO settings_override VALUES ('socket[0].mode', 'pv', 'web', 1)"));
  ASSERT_TRUE(db.exec("INSERT INTO session (socket, start_ms, start_energy_wh) VALUES (0, 5, 100)"));
}

TEST(Migrations, Migration2AddsHistoryAndKeepsEarlierData) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 1));
  ASSERT_TRUE(db.exec("INSERT INTO settings_override VALUES ('socket[0].mode', 'pv', 'web', 1)"));
  ASSERT_TRUE(migrate(db, 2));
  EXPECT_EQ(db.user_version(), 2);
  for (auto t : {"history", "socket_history", "rollup_state"}) EXPECT_TRUE(has_table(db, t)) << t;
  EXPECT_FALSE(has_table(db, "influx_outbox"));
  EXPECT_EQ(*db.query_text("SELECT value FROM settings_override WHERE key='socket[0].mode'"), "pv");
  ASSERT_TRUE(db.exec("INSERT INTO history (tier_s, t_ms, pv_w) VALUES (10, 0, 1500)"));
  // Primary key (tier, time): a second row for the same bucket is refused.
  EXPECT_FALSE(db.exec("INSERT INTO history (tier_s, t_ms, pv_w) VALUES (10, 0, 1600)"));
}

TEST(Migrations, Migration3AddsTheOutboxAndKeepsEarlierData) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 2));
  ASSERT_TRUE(db.exec("INSERT INTO history (tier_s, t_ms, pv_w) VALUES (10, 0, 1500)"));
  ASSERT_TRUE(migrate(db, 3));
  EXPECT_EQ(db.user_version(), 3);
  EXPECT_TRUE(has_table(db, "influx_outbox"));
  EXPECT_EQ(*db.query_int("SELECT pv_w FROM history"), 1500);
  ASSERT_TRUE(db.exec("INSERT INTO influx_outbox (line) VALUES ('m v=1 1')"));
}

TEST(Migrations, Migration4AddsTheGridLimitToTheHistoryAndKeepsEarlierRows) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 3));
  ASSERT_TRUE(db.exec("INSERT INTO history (tier_s, t_ms, pv_w) VALUES (10, 0, 1500)"));
  EXPECT_FALSE(db.exec("UPDATE history SET grid_limit_a = 24"));
  ASSERT_TRUE(migrate(db, 4));
  EXPECT_EQ(db.user_version(), 4);
  EXPECT_EQ(*db.query_int("SELECT pv_w FROM history"), 1500);
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM history WHERE grid_limit_a IS NULL"), 1) << "unknown before 4";
  ASSERT_TRUE(db.exec("INSERT INTO history (tier_s, t_ms, grid_limit_a) VALUES (10, 10000, 24)"));
  EXPECT_EQ(*db.query_int("SELECT grid_limit_a FROM history WHERE t_ms = 10000"), 24);
}

TEST(Migrations, Migration5AddsSessionEndReadingsAndQuarterHoursAndKeepsEarlierSessions) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 4));
  ASSERT_TRUE(
      db.exec("INSERT INTO session (socket, start_ms, start_energy_wh, end_ms, end_energy_wh) "
              "VALUES (1, 0, 1000, 60000, 1500)"));
  ASSERT_TRUE(db.exec("INSERT INTO session (socket, start_ms, start_energy_wh) VALUES (2, 0, 300)"));
  EXPECT_FALSE(db.exec("UPDATE session SET cost = 1"));
  EXPECT_FALSE(has_table(db, "session_slice"));
  ASSERT_TRUE(migrate(db, 5));
  EXPECT_EQ(db.user_version(), 5);
  EXPECT_TRUE(has_table(db, "session_slice"));
  EXPECT_EQ(*db.query_int("SELECT end_energy_wh - start_energy_wh FROM session WHERE socket = 1"), 500);
  // Sessions closed before migration 5 ended by an unplug (the only way they could end); the open
  // one stays open, its end reason unknown until it ends.
  EXPECT_EQ(*db.query_text("SELECT end_reason FROM session WHERE socket = 1"), "unplugged");
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM session WHERE socket = 2 AND end_reason IS NULL AND end_ms IS NULL"),
            1);
  ASSERT_TRUE(db.exec("UPDATE session SET cost = 1.5, currency = 'EUR', last_seen_ms = 5, last_energy_wh = 310"));
  ASSERT_TRUE(db.exec("INSERT INTO session_slice (session_id, t_ms, energy_wh) VALUES (1, 0, 500)"));
  EXPECT_FALSE(db.exec("INSERT INTO session_slice (session_id, t_ms, energy_wh) VALUES (1, 0, 1)"))
      << "one row per session and quarter hour";
}

TEST(Migrations, Migration6AddsTheQuarterHourEnergyTable) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 5));
  EXPECT_FALSE(has_table(db, "energy_quarter"));
  ASSERT_TRUE(migrate(db, 6));
  EXPECT_EQ(db.user_version(), 6);
  ASSERT_TRUE(
      db.exec("INSERT INTO energy_quarter (t_ms, grid_import_wh, grid_export_wh, covered_s) VALUES (0, 1, 0, 10)"));
  EXPECT_FALSE(
      db.exec("INSERT INTO energy_quarter (t_ms, grid_import_wh, grid_export_wh, covered_s) VALUES (0, 1, 0, 10)"))
      << "one row per quarter hour";
}

TEST(Migrations, Migration7AddsTheQuarterHourPeakRecord) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 6));
  EXPECT_FALSE(has_table(db, "peak_quarter"));
  ASSERT_TRUE(migrate(db, 7));
  EXPECT_EQ(db.user_version(), 7);
  ASSERT_TRUE(db.exec("INSERT INTO peak_quarter (t_ms, average_w, energy_wh, covered_s) VALUES (0, 4000, 1000, 900)"));
  EXPECT_FALSE(db.exec("INSERT INTO peak_quarter (t_ms, average_w, energy_wh, covered_s) VALUES (0, 1, 1, 1)"))
      << "one row per quarter hour";
}

TEST(Migrations, Migration8AddsMessageCodeAndParametersToEventsAndKeepsEarlierEvents) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 7));
  ASSERT_TRUE(db.exec("INSERT INTO event (t_ms, kind, subject, text) VALUES (0, 'plug_in', 'socket[1]', 'EV in')"));
  EXPECT_FALSE(db.exec("UPDATE event SET code = 'plug_in'"));
  ASSERT_TRUE(migrate(db, 8));
  EXPECT_EQ(db.user_version(), 8);
  // An event stored before migration 8 keeps its text and has no code and no parameters.
  EXPECT_EQ(*db.query_text("SELECT text FROM event WHERE subject = 'socket[1]'"), "EV in");
  EXPECT_EQ(*db.query_text("SELECT code || '|' || params FROM event WHERE subject = 'socket[1]'"), "|");
  ASSERT_TRUE(
      db.exec("INSERT INTO event (t_ms, kind, subject, text, code, params) "
              "VALUES (1, 'unplug', 'socket[1]', 'EV out', 'unplug', '{\"socket\":\"1\"}')"));
  EXPECT_EQ(*db.query_text("SELECT params FROM event WHERE code = 'unplug'"), "{\"socket\":\"1\"}");
}

TEST(Migrations, MigrateIsIdempotent) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db));
  ASSERT_TRUE(db.exec("INSERT INTO influx_outbox (line) VALUES ('m v=1 1')"));
  ASSERT_TRUE(migrate(db));
  EXPECT_EQ(db.user_version(), latest_schema_version());
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM influx_outbox"), 1);
}

TEST(Migrations, NewerDatabaseIsRefusedUntouched) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1)));
  auto r = migrate(db);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("newer"), std::string::npos);
  EXPECT_FALSE(has_table(db, "session"));
}

TEST(Migrations, FailedMigrationLeavesTheVersionUnchanged) {
  auto db = memory_db();
  ASSERT_TRUE(migrate(db, 1));
  // A table in the way of migration 2 makes it fail; its transaction is rolled back whole.
  ASSERT_TRUE(db.exec("CREATE TABLE rollup_state (x INTEGER)"));
  EXPECT_FALSE(migrate(db));
  EXPECT_EQ(db.user_version(), 1);
  EXPECT_FALSE(has_table(db, "history"));
}

}  // namespace
}  // namespace emsgw::gateway::storage
