// Against a real influxd 1.x on ephemeral loopback ports: write and query back, escaping round
// trips of awkward names, and an outage in the middle (influxd stopped and restarted) with no
// point lost and every value at its time.
#include <gtest/gtest.h>

#include "tests/influx/influxd_export_fixture.hpp"

namespace emsgw::gateway::influx {
namespace {

using std::chrono::seconds;
const std::int64_t kBaseMs = 1'700'000'000'000;

class InfluxdTest : public InfluxdExportTest {
 protected:
  static Point sample(int i) {
    return {"grid",
            {{"phase", i % 2 == 0 ? "L1" : "L2"}, {"meter", "p1"}},
            {{"power_w", 100.5 * i}, {"seq", std::int64_t{i}}, {"ok", i % 3 == 0}, {"note", "n" + std::to_string(i)}},
            ems::WallTime(std::chrono::milliseconds(kBaseMs + 1000LL * i))};
  }
  /// Every "grid" row, oldest first: [time, meter, note, ok, phase, power_w, seq] (columns sorted).
  nlohmann::json rows() {
    auto j = influxd_.query("emsgw", "SELECT * FROM grid ORDER BY time");
    if (j.is_null() || !j["results"][0].contains("series")) return nlohmann::json::array();
    return j["results"][0]["series"][0]["values"];
  }
  void expect_rows(int n) {
    auto j = influxd_.query("emsgw", "SELECT * FROM grid ORDER BY time");
    ASSERT_FALSE(j.is_null());
    const auto& series = j["results"][0]["series"][0];
    EXPECT_EQ(series["columns"], nlohmann::json({"time", "meter", "note", "ok", "phase", "power_w", "seq"}));
    const auto& values = series["values"];
    ASSERT_EQ(values.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const auto& v = values[static_cast<std::size_t>(i)];
      EXPECT_EQ(v[0].get<std::int64_t>(), kBaseMs + 1000LL * i);
      EXPECT_EQ(v[1], "p1");
      EXPECT_EQ(v[2], "n" + std::to_string(i));
      EXPECT_EQ(v[3].get<bool>(), i % 3 == 0);
      EXPECT_EQ(v[4], i % 2 == 0 ? "L1" : "L2");
      EXPECT_DOUBLE_EQ(v[5].get<double>(), 100.5 * i);
      EXPECT_EQ(v[6].get<std::int64_t>(), i);
    }
  }
};

TEST_F(InfluxdTest, WritesAndQueriesBack) {
  InfluxExporter e(settings_, db_, make_http_write_transport(settings_));
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(e.add(sample(i), now_));
    e.tick(now_);
  }
  drain(e);
  const auto s = e.stats();
  EXPECT_EQ(s.points_sent, 120u);
  EXPECT_EQ(s.failed_attempts, 0u);
  expect_rows(120);
}

TEST_F(InfluxdTest, AwkwardNamesRoundTrip) {
  const std::string meas = "my meas,x=1 \"q\" Wärme";
  const std::vector<std::pair<std::string, std::string>> tags = {
      {"tag key=1", "v a,l=ue"}, {"path", "C:\\dir\\x"}, {"q\"uote", "it's \"quoted\""}, {"ünïcødé ⚡", "Wärmepumpe"}};
  const std::string text = "say \"hi\" \\ there, =done";
  InfluxExporter e(settings_, db_, make_http_write_transport(settings_));
  ASSERT_TRUE(e.add(
      {meas, tags, {{"f ield,=", text}, {"w\"=", 1.25}}, ems::WallTime(std::chrono::milliseconds(kBaseMs))}, now_));
  drain(e);
  ASSERT_EQ(e.stats().points_sent, 1u) << e.stats().last_error;
  // Identifiers in InfluxQL: double quotes, with \" and \\ escaped.
  std::string q = "SELECT * FROM \"";
  for (char c : meas) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  q += "\"";
  auto j = influxd_.query("emsgw", q);
  ASSERT_FALSE(j.is_null());
  const auto& series = j["results"][0]["series"][0];
  EXPECT_EQ(series["name"], meas);
  const auto& columns = series["columns"];
  const auto& values = series["values"][0];
  std::map<std::string, nlohmann::json> got;
  for (std::size_t i = 0; i < columns.size(); ++i) got[columns[i].get<std::string>()] = values[i];
  for (const auto& [k, v] : tags) EXPECT_EQ(got[k], v) << k;
  EXPECT_EQ(got["f ield,="], text);
  EXPECT_DOUBLE_EQ(got["w\"="].get<double>(), 1.25);
  EXPECT_EQ(got["time"].get<std::int64_t>(), kBaseMs);
}

TEST_F(InfluxdTest, OutageInTheMiddleLosesNoPoint) {
  InfluxExporter e(settings_, db_, make_http_write_transport(settings_));
  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(e.add(sample(i), now_));
      now_ += std::chrono::milliseconds(100);
      e.tick(now_);
    }
  };
  produce(0, 100);
  drain(e);
  EXPECT_EQ(e.stats().points_sent, 100u);

  influxd_.stop();
  produce(100, 200);  // InfluxDB gone: everything waits in the outbox
  now_ += seconds(5);
  e.tick(now_);
  auto s = e.stats();
  EXPECT_FALSE(s.reachable);
  EXPECT_GT(s.failed_attempts, 0u);
  EXPECT_EQ(s.outbox_lines + s.pending_lines, 100u);
  EXPECT_EQ(s.points_sent, 100u);

  ASSERT_TRUE(influxd_.start()) << influxd_.log();
  produce(200, 300);
  drain(e);
  s = e.stats();
  EXPECT_TRUE(s.reachable);
  EXPECT_EQ(s.points_sent, 300u);
  EXPECT_EQ(s.points_rejected, 0u);
  EXPECT_EQ(s.outbox_dropped, 0u);
  expect_rows(300);
}

}  // namespace
}  // namespace emsgw::gateway::influx
