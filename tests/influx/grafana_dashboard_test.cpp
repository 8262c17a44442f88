// deploy/grafana/emsgw-influxdb.json against a real influxd 1.x: the site's history, sessions,
// decisions and events go through emsgw's own export path (site_points + InfluxExporter), then every
// query of every panel and of the socket variable runs as Grafana would send it (macros expanded)
// and must return data. A renamed measurement, field or tag in the export breaks this test.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "gateway/influx/site_points.hpp"
#include "tests/influx/influxd_export_fixture.hpp"

namespace emsgw::gateway::influx {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const std::int64_t kBaseMs = 1'780'000'000'000;  // 2026-05-28, any fixed time will do
constexpr int kBuckets = 90;                     // 15 minutes of 10 s buckets

ems::WallTime at(std::int64_t offset_s) {
  return ems::WallTime(milliseconds(kBaseMs + 1000 * offset_s));
}

json load_dashboard() {
  std::ifstream in(std::string(EMSGW_SOURCE_DIR) + "/deploy/grafana/emsgw-influxdb.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
}

/// The query as Grafana's InfluxDB data source sends it: $timeFilter and $__interval expanded,
/// $socket replaced by the selected value (a regex: "All" is .*).
std::string expand(std::string q, const std::string& socket) {
  const std::string time_filter =
      "time >= " + std::to_string(kBaseMs - 60'000) + "ms and time <= " + std::to_string(kBaseMs + 3'600'000) + "ms";
  q = std::regex_replace(q, std::regex(R"(\$timeFilter)"), time_filter);
  q = std::regex_replace(q, std::regex(R"(\$__interval)"), "10s");
  q = std::regex_replace(q, std::regex(R"(\$socket)"), socket);
  return q;
}

/// Rows with at least one value besides the time, over every series of the answer.
int rows_with_values(const json& answer) {
  int n = 0;
  for (const auto& series : answer["results"][0].value("series", json::array())) {
    for (const auto& row : series["values"]) {
      for (std::size_t i = 1; i < row.size(); ++i) {
        if (!row[i].is_null()) {
          ++n;
          break;
        }
      }
    }
  }
  return n;
}

std::set<std::string> socket_tags(const json& answer) {
  std::set<std::string> out;
  for (const auto& series : answer["results"][0].value("series", json::array())) {
    if (series.contains("tags") && series["tags"].contains("socket")) out.insert(series["tags"]["socket"]);
  }
  return out;
}

class GrafanaDashboard : public InfluxdExportTest {
 protected:
  void SetUp() override {
    dashboard_ = load_dashboard();
    ASSERT_TRUE(dashboard_.is_object()) << "deploy/grafana/emsgw-influxdb.json is not valid JSON";
    InfluxdExportTest::SetUp();
    if (HasFatalFailure()) return;
    export_site();
  }

  /// Fifteen minutes of a site with two sockets, a finished session on each, decisions and events.
  void export_site() {
    InfluxExporter e(settings_, db_, make_http_write_transport(settings_));
    for (int i = 0; i < kBuckets; ++i) {
      storage::HistorySample s;
      s.time = at(10 * i);
      s.grid_current_a = {20.0 + i % 5, 12.0, 8.0};
      s.grid_power_w = {4600.0, 2760.0, -1840.0};
      s.grid_limit_a = 22.0;
      s.pv_w = 3000.0 + 10 * i;
      s.heatpump_w = 800.0;
      for (int socket : {1, 2}) {
        storage::SocketSample so;
        so.socket = socket;
        so.current_a = {10.0, socket == 1 ? 10.0 : 0.0, socket == 1 ? 10.0 : 0.0};
        so.setpoint_a = 11.0;
        so.applied_a = 11.0;
        s.sockets.push_back(so);
      }
      for (const auto& p : to_points(s)) ASSERT_TRUE(e.add(p, now_));
    }
    for (int socket : {1, 2}) {
      storage::Session ses;
      ses.socket = socket;
      ses.start = at(0);
      ses.end = at(10 * (kBuckets - 1));
      ses.energy_wh = 5400.0 * socket;
      ses.pv_energy_wh = 2000.0;
      ses.max_current_a = 11.0;
      ses.avg_current_a = 10.0;
      ASSERT_TRUE(e.add(*to_point(ses), now_));
      ASSERT_TRUE(e.add(to_point(storage::Decision{0, at(30), socket, 6.0, 11.0, "surplus"}), now_));
    }
    ASSERT_TRUE(
        e.add(to_point(storage::Event{0, at(5), storage::EventKind::PlugIn, "socket[1]", "EV connected"}), now_));
    ASSERT_TRUE(
        e.add(to_point(storage::Event{0, at(50), storage::EventKind::FaultRaised, "meter.grid", "meter stale"}), now_));
    drain(e);
  }

  json dashboard_;
};

TEST_F(GrafanaDashboard, EveryPanelQueryReturnsDataFromTheExport) {
  int queries = 0;
  for (const auto& panel : dashboard_["panels"]) {
    const std::string title = panel.value("title", "");
    SCOPED_TRACE(title);
    ASSERT_FALSE(panel["targets"].empty()) << "panel without a query";
    EXPECT_EQ(panel["datasource"]["uid"], "${DS_INFLUXDB}") << "a panel must use the imported data source";
    for (const auto& target : panel["targets"]) {
      ASSERT_TRUE(target.value("rawQuery", false));
      const std::string q = expand(target["query"], ".*");
      const auto answer = influxd_.query("emsgw", q);
      ASSERT_FALSE(answer.is_null()) << q;
      ASSERT_FALSE(answer["results"][0].contains("error")) << q << "\n" << answer.dump();
      EXPECT_GT(rows_with_values(answer), 0) << "no data for: " << q << "\n" << answer.dump();
      ++queries;
    }
  }
  EXPECT_GE(queries, 10);
}

TEST_F(GrafanaDashboard, TheSocketVariableListsTheSocketsAndFiltersThePanels) {
  const auto& vars = dashboard_["templating"]["list"];
  ASSERT_EQ(vars.size(), 1U);
  const auto tags = influxd_.query("emsgw", vars[0]["query"]);
  ASSERT_FALSE(tags.is_null());
  std::set<std::string> values;
  for (const auto& row : tags["results"][0]["series"][0]["values"]) values.insert(row[1]);
  EXPECT_EQ(values, (std::set<std::string>{"1", "2"}));

  int filtered = 0;
  for (const auto& panel : dashboard_["panels"]) {
    for (const auto& target : panel["targets"]) {
      const std::string raw = target["query"];
      if (raw.find("$socket") == std::string::npos) continue;
      SCOPED_TRACE(raw);
      const auto answer = influxd_.query("emsgw", expand(raw, "2"));
      EXPECT_EQ(socket_tags(answer), (std::set<std::string>{"2"}));
      ++filtered;
    }
  }
  EXPECT_GE(filtered, 4);
}

}  // namespace
}  // namespace emsgw::gateway::influx
