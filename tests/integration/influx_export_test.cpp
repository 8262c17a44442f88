// The InfluxDB export of the running product, end to end: gateway::Runtime on the project's
// simulators over loopback, [storage] in a temp dir, [influx] pointing at a real influxd (Debian's
// influxdb 1.x, tests/influx/influxd_fixture). Grid, socket and decision points arrive and query
// back; then influxd is stopped for a while and started again, and no 10 s history bucket is
// missing across the outage, the outbox ends empty and the outage shows as events.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "drivers/system_clock.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "tests/influx/influxd_fixture.hpp"
#include "tests/integration/site_rig.hpp"

namespace emsgw::test {
namespace {

using std::chrono::seconds;

/// Polls `condition` every 200 ms (each poll queries influxd) for up to `timeout_s`; the seconds it
/// took, or -1.
double wait_until(const std::function<bool()>& condition, double timeout_s) {
  const double start = now_s();
  while (!condition()) {
    if (now_s() - start > timeout_s) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return now_s() - start;
}

std::int64_t storage_ms(ems::WallTime t) {
  return gateway::storage::to_unix_ms(t);
}

/// The `values` of the first series of an InfluxQL answer ([[time, …], …]); empty when none.
nlohmann::json values(const nlohmann::json& answer) {
  if (answer.is_null() || !answer["results"][0].contains("series")) return nlohmann::json::array();
  return answer["results"][0]["series"][0]["values"];
}

/// Bucket times (Unix ms) of the grid L1 points, oldest first.
std::vector<std::int64_t> grid_times(const Influxd& influxd) {
  std::vector<std::int64_t> out;
  for (const auto& v : values(influxd.query("emsgw", "SELECT limit_a FROM grid WHERE phase = 'L1' ORDER BY time")))
    out.push_back(v[0].get<std::int64_t>());
  return out;
}

std::size_t rows(const Influxd& influxd, const std::string& q) {
  return values(influxd.query("emsgw", q)).size();
}

TEST(InfluxExport, PointsArriveAndAnInfluxdOutageLosesNoHistoryBucket) {
  spdlog::set_level(spdlog::level::warn);
  const double t_begin = now_s();
  const auto dir = std::filesystem::temp_directory_path() / ("emsgw-influx-export-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Influxd influxd;
  ASSERT_TRUE(influxd.start()) << influxd.log();
  ASSERT_TRUE(influxd.create_database("emsgw"));

  gateway::SimulatedSite site(three_car_site());
  site.start();
  const std::string extra = "\n[web]\nlisten = \"127.0.0.1:0\"\npassword_file = \"" + (dir / "web-password").string() +
                            "\"\n\n[storage]\npath = \"" + (dir / "emsgw.sqlite").string() +
                            "\"\nflush_interval_s = 1\nsynchronous = \"normal\"\n\n[influx]\nurl = \"" + influxd.url() +
                            "\"\ndatabase = \"emsgw\"\nflush_interval_s = 1\nretry_min_s = 1\nretry_max_s = 2\n"
                            "timeout_ms = 1000\n";
  drivers::SystemClock clock;
  auto rt =
      std::make_unique<gateway::Runtime>(gateway::load_config_text(site.config_toml(extra), "influx.toml"), clock);
  ASSERT_TRUE(rt->influx_stats()) << "[influx] with storage: the export runs";
  rt->start();
  site.station(0).station().plug(1, ev(3, 16, 6));

  // 1. Grid, socket and decision points arrive and query back.
  const double first = wait_until(
      [&] {
        return !grid_times(influxd).empty() &&
               rows(influxd, "SELECT setpoint_a FROM socket WHERE \"socket\" = '0' AND setpoint_a > 0") > 0 &&
               rows(influxd, "SELECT new_a FROM decision") > 0;
      },
      40);
  ASSERT_GE(first, 0) << "no grid/socket/decision points in InfluxDB; export: " << rt->influx_stats()->last_error;
  const auto limit = values(influxd.query("emsgw", "SELECT limit_a, current_a FROM grid WHERE phase = 'L1'"));
  EXPECT_DOUBLE_EQ(limit[0][1].get<double>(), 24) << "25 A − 1 A margin";
  const auto decision = values(influxd.query("emsgw", "SELECT new_a, reason FROM decision LIMIT 1"));
  EXPECT_FALSE(decision[0][2].get<std::string>().empty()) << "a decision says why";

  // 2. influxd stops for longer than a bucket: the export notices and keeps the points.
  influxd.stop();
  const auto outage_from = clock.wall_now();
  const double t_outage = now_s();
  EXPECT_GE(wait_until([&] { return !rt->influx_stats()->reachable; }, 20), 0) << "the outage was not noticed";
  std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.0, 15 - (now_s() - t_outage))));
  const auto during = *rt->influx_stats();
  EXPECT_GT(during.outbox_lines, 0U) << "points wait in the SQLite outbox";
  ASSERT_TRUE(influxd.start()) << influxd.log();
  const auto back_at = clock.wall_now();
  const double outage_s = now_s() - t_outage;

  // 3. After the restart the outbox drains and the bucket that ends after it follows the old ones.
  const auto back_ms = storage_ms(back_at);
  const double drained = wait_until(
      [&] {
        const auto s = rt->influx_stats();
        const auto t = grid_times(influxd);
        return s->reachable && s->outbox_lines == 0 && !t.empty() && t.back() + 10'000 > back_ms;
      },
      40);
  ASSERT_GE(drained, 0) << "export did not catch up: " << rt->influx_stats()->last_error;
  const auto after = *rt->influx_stats();
  EXPECT_EQ(after.outbox_lines, 0U);
  EXPECT_EQ(after.points_rejected, 0U);
  EXPECT_EQ(after.outbox_dropped, 0U);
  EXPECT_EQ(after.queue_dropped, 0U);

  // 4. Every 10 s bucket, before, during and after the outage, is in InfluxDB, as stored.
  const auto times = grid_times(influxd);
  ASSERT_GE(times.size(), 3U);
  EXPECT_TRUE(std::any_of(times.begin(), times.end(), [&](std::int64_t t) {
    return t + 10'000 >= storage_ms(outage_from) && t + 10'000 <= back_ms;
  })) << "a bucket that closed while influxd was down went through the outbox";
  EXPECT_LT(times.front(), storage_ms(outage_from) - 10'000) << "the series starts before the outage";
  for (std::size_t i = 1; i < times.size(); ++i)
    EXPECT_EQ(times[i] - times[i - 1], 10'000) << "a gap after bucket " << times[i - 1];
  const auto stored = rt->recorder()->with_store([&](gateway::storage::SqliteStore& s) {
    return s.history(gateway::storage::HistoryTier::TenSeconds, gateway::storage::from_unix_ms(times.front()),
                     gateway::storage::from_unix_ms(times.back() + 1));
  });
  ASSERT_TRUE(stored);
  std::vector<std::int64_t> stored_times;
  for (const auto& h : *stored) stored_times.push_back(storage_ms(h.time));
  EXPECT_EQ(times, stored_times) << "InfluxDB holds exactly the stored buckets";

  // 5. The outage is in the dashboard's events (and exported too, once InfluxDB was back).
  const auto events =
      rt->recorder()->with_store([&](gateway::storage::SqliteStore& s) { return s.events(outage_from - seconds(1)); });
  ASSERT_TRUE(events);
  const auto influx_events = std::count_if(events->begin(), events->end(),
                                           [](const gateway::storage::Event& e) { return e.subject == "influx"; });
  EXPECT_EQ(influx_events, 2) << "one raised, one cleared";
  EXPECT_GE(wait_until([&] { return rows(influxd, "SELECT text FROM event WHERE subject = 'influx'") == 2; }, 10), 0);

  rt->stop();
  std::printf(
      "influx export: first points after %.1f s, outage %.1f s, caught up %.1f s after influxd restarted; "
      "%zu buckets contiguous; %llu points sent, %u failed attempts; whole test %.1f s\n",
      first, outage_s, drained, times.size(), static_cast<unsigned long long>(after.points_sent),
      static_cast<unsigned>(after.failed_attempts), now_s() - t_begin);
  rt.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace emsgw::test
