// /api/sessions, /api/sessions/{id} and /api/sessions.csv on the real server (ephemeral loopback
// port) over the real SQLite store and the gateway's session source: sessions recorded from the
// status stream, priced by a day/night tariff, listed with paging and filters, detailed per
// quarter hour, exported as CSV; and a session that runs across a restart of emsgw.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>

#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/runtime/store_session_source.hpp"
#include "webui/session_routes.hpp"
#include "webui/web_server.hpp"

namespace emsgw::webui {
namespace {

using nlohmann::json;
using std::chrono::minutes;

// 2023-11-14 22:45:00 UTC (a Tuesday), a quarter of an hour before the off-peak window.
const ems::WallTime kEvening = gateway::storage::from_unix_ms(1'700'001'900'000);

gateway::storage::Tariff day_and_night() {
  gateway::storage::Tariff t;
  t.configured = true;
  t.currency = "EUR";
  t.import_price_per_kwh = 0.30;
  t.export_price_per_kwh = 0.08;
  t.windows.push_back({"off-peak", 23 * 60, 7 * 60, 0x7f, 0.20, std::nullopt});
  return t;
}

ems::SiteConfig carport() {
  ems::SiteConfig site;
  ems::StationConfig st;
  st.name = "carport";
  ems::SocketConfig left;
  left.id = 1;
  left.unit = 1;
  ems::SocketConfig right;
  right.id = 2;
  right.unit = 2;
  st.sockets = {left, right};
  site.stations = {st};
  return site;
}

/// emsgw's recorder on a SQLite file, fed status snapshots one minute apart, with the web server
/// answering from it. start()/stop() are a start and a stop of emsgw.
class SessionApi : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("emsgw-session-api-" + std::to_string(::getpid()))).string();
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
    start();
  }
  void TearDown() override {
    stop();
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }
  void start(WebSettings settings = {}) {
    gateway::storage::StorageSettings s;
    s.path = path_;
    auto store = gateway::storage::SqliteStore::open(s);
    ASSERT_TRUE(store) << store.error().message;
    recorder_ = std::make_unique<gateway::StorageRecorder>(std::move(*store));
    recorder_->set_tariff(day_and_night(), gateway::storage::utc_minute);
    recorder_->start();
    source_ = std::make_unique<gateway::StoreSessionSource>(*recorder_, carport());
    settings.listen = {"127.0.0.1", 0};
    settings.password_file = "";
    WebServices services{&board_, nullptr, nullptr, nullptr, nullptr, &clock_};
    services.charging_sessions = source_.get();
    server_ = std::make_unique<WebServer>(settings, services);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }
  void stop() {
    if (server_) server_->stop();
    if (recorder_) recorder_->stop();
    server_.reset();
    source_.reset();
    recorder_.reset();
  }
  /// One control step: socket `id` with its EV present or not, the register and the current.
  void step(int id, bool ev, double counter_wh, double amps = 0, double grid_w = 2000) {
    auto st = std::make_shared<ems::SiteStatus>();
    st->time = clock_.wall_now();
    st->grid.stale = false;
    st->grid.power_w_total = grid_w;
    for (int sid : {1, 2}) {
      ems::SocketStatus so;
      so.id = sid;
      so.station = "carport";
      so.unit = sid;
      so.online = true;
      so.ev_connected = sid == id && ev;
      so.current_a = {sid == id ? amps : 0, sid == id ? amps : 0, sid == id ? amps : 0};
      if (sid == id) so.total_energy_wh = counter_wh;
      st->sockets.push_back(so);
    }
    recorder_->on_status(st);
    clock_.advance(ems::Millis(60'000));
  }
  json get_json(const std::string& path, int status = 200) {
    recorder_->wait_idle();
    auto r = client_->Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  /// Three finished sessions and a running one (the clock starts at 22:44 UTC):
  ///  socket 1, 22:45–23:12, 5 kWh: 2 before 23:00 (flat 0.30), 3 after (off-peak 0.20)
  ///  socket 2, 23:30–23:41, 1 kWh off-peak
  ///  socket 1, 23:50–00:01, 2 kWh off-peak
  ///  socket 2, from 00:02, running, 0.5 kWh so far
  void record_an_evening() {
    step(1, false, 10'000);
    step(1, true, 10'000, 16);  // 22:45 plug-in
    step(1, true, 11'000, 16);
    step(1, true, 12'000, 16);
    while (clock_.wall_now() < kEvening + minutes(15)) step(1, true, 12'000, 16);
    for (int i = 1; i <= 12; ++i) step(1, true, 12'000 + 250.0 * i, 16);  // 23:00 … 23:11
    step(1, false, 15'000);
    while (clock_.wall_now() < kEvening + minutes(45)) step(2, false, 20'000);
    for (int i = 0; i <= 10; ++i) step(2, true, 20'000 + 100.0 * i, 10);
    step(2, false, 21'000);
    while (clock_.wall_now() < kEvening + minutes(65)) step(1, false, 15'000);
    for (int i = 0; i <= 10; ++i) step(1, true, 15'000 + 200.0 * i, 16);
    step(1, false, 17'000);
    step(2, true, 21'000, 10);
    step(2, true, 21'500, 10);
    recorder_->wait_idle();
    (void)recorder_->with_store([](gateway::storage::SqliteStore& s) { return s.flush(); });
  }

  ems::ManualClock clock_{ems::MonoTime{}, kEvening - minutes(1)};
  StatusBoard board_;
  std::string path_;
  std::unique_ptr<gateway::StorageRecorder> recorder_;
  std::unique_ptr<gateway::StoreSessionSource> source_;
  std::unique_ptr<WebServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SessionApi, TheListIsNewestFirstWithRegisterReadingsDurationAndCostAcrossTheTariffBoundary) {
  record_an_evening();
  const auto j = get_json("/api/sessions");
  ASSERT_EQ(j["total"], 4);
  const auto& s = j["sessions"];
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(s[0]["running"].get<bool>());
  EXPECT_EQ(s[0]["socket_name"], "socket 2 · carport right");
  EXPECT_TRUE(s[0]["end"].is_null());
  EXPECT_DOUBLE_EQ(s[0]["energy_wh"].get<double>(), 500);
  EXPECT_NEAR(s[0]["cost"].get<double>(), 0.5 * 0.20, 1e-9) << "a running session is priced so far";
  const auto& first = s[3];
  EXPECT_EQ(first["socket"], 1);
  EXPECT_EQ(first["socket_name"], "socket 1 · carport left");
  EXPECT_EQ(first["start_ms"], gateway::storage::to_unix_ms(kEvening));
  EXPECT_EQ(first["start"], "2023-11-14T22:45:00.000Z");
  EXPECT_DOUBLE_EQ(first["start_energy_wh"].get<double>(), 10'000);
  EXPECT_DOUBLE_EQ(first["end_energy_wh"].get<double>(), 15'000);
  EXPECT_DOUBLE_EQ(first["energy_wh"].get<double>(), 5000);
  EXPECT_EQ(first["end_reason"], "unplugged");
  EXPECT_GT(first["duration_s"].get<double>(), 0);
  EXPECT_EQ(first["currency"], "EUR");
  // 2 kWh in the quarter hour from 22:45 at 0.30, 3 kWh after 23:00 at the off-peak 0.20.
  EXPECT_NEAR(first["cost"].get<double>(), 2 * 0.30 + 3 * 0.20, 1e-9);
  EXPECT_DOUBLE_EQ(first["solar_share"].get<double>(), 0) << "no PV at this site";
}

TEST_F(SessionApi, FiltersAndPagesAndRefusesBadParametersNamingThem) {
  record_an_evening();
  EXPECT_EQ(get_json("/api/sessions?socket=2")["total"], 2);
  const auto page = get_json("/api/sessions?limit=1&offset=1");
  EXPECT_EQ(page["total"], 4);
  ASSERT_EQ(page["sessions"].size(), 1u);
  EXPECT_EQ(page["sessions"][0]["start_ms"], gateway::storage::to_unix_ms(kEvening + minutes(65)));
  EXPECT_EQ(get_json("/api/sessions?from=2023-11-14T23:00:00Z")["total"], 3);
  EXPECT_EQ(get_json("/api/sessions?from=2023-11-14T23:00:00Z&to=2023-11-15")["total"], 2);
  EXPECT_EQ(
      get_json("/api/sessions?to=" + std::to_string(gateway::storage::to_unix_ms(kEvening + minutes(1))))["total"], 1);
  EXPECT_EQ(get_json("/api/sessions?socket=x", 400)["error"], "socket = \"x\": must be a socket id (0..1000)");
  EXPECT_NE(get_json("/api/sessions?limit=0", 400)["error"].get<std::string>().find("limit = \"0\""),
            std::string::npos);
  EXPECT_NE(get_json("/api/sessions?from=yesterday", 400)["error"].get<std::string>().find("from = \"yesterday\""),
            std::string::npos);
  EXPECT_NE(get_json("/api/sessions?from=2023-11-15&to=2023-11-14", 400)["error"].get<std::string>().find("before"),
            std::string::npos);
}

TEST_F(SessionApi, TheDetailListsEachQuarterHourWithItsTariffWindow) {
  record_an_evening();
  const auto list = get_json("/api/sessions?socket=1");
  const auto id = list["sessions"][1]["id"].get<std::int64_t>();
  const auto d = get_json("/api/sessions/" + std::to_string(id));
  ASSERT_TRUE(d.contains("quarters"));
  const auto& q = d["quarters"];
  ASSERT_GE(q.size(), 2u);
  EXPECT_EQ(q[0]["start"], "2023-11-14T22:45:00.000Z");
  EXPECT_DOUBLE_EQ(q[0]["energy_wh"].get<double>(), 2000);
  EXPECT_DOUBLE_EQ(q[0]["import_price_per_kwh"].get<double>(), 0.30);
  EXPECT_EQ(q[0]["tariff_window"], "");
  EXPECT_EQ(q[1]["tariff_window"], "off-peak");
  EXPECT_DOUBLE_EQ(q[1]["import_price_per_kwh"].get<double>(), 0.20);
  double sum = 0;
  for (const auto& x : q) sum += x["energy_wh"].get<double>();
  EXPECT_DOUBLE_EQ(sum, d["energy_wh"].get<double>());
  EXPECT_EQ(get_json("/api/sessions/9999", 404)["error"], "no session has id 9999");
}

TEST_F(SessionApi, TheCsvExportHasOneLinePerSessionWithBothRegisterReadings) {
  record_an_evening();
  recorder_->wait_idle();
  auto r = client_->Get("/api/sessions.csv?socket=1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(r->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < r->body.size();) {
    const auto end = r->body.find("\r\n", at);
    ASSERT_NE(end, std::string::npos) << "every line ends with CRLF";
    lines.push_back(r->body.substr(at, end - at));
    at = end + 2;
  }
  ASSERT_EQ(lines.size(), 3u);  // header + two sessions of socket 1
  EXPECT_EQ(lines[0],
            "id,socket,socket_name,start_utc,end_utc,duration_min,start_register_kwh,end_register_kwh,energy_kwh,"
            "solar_kwh,peak_current_a,cost,currency,end_reason");
  EXPECT_NE(lines[2].find(",socket 1 · carport left,2023-11-14T22:45:00.000Z,"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(",10.000,15.000,5.000,"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(",1.20,EUR,unplugged"), std::string::npos) << lines[2];
  auto bad = client_->Get("/api/sessions.csv?to=soon");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(SessionApi, ASessionAcrossARestartOfEmsgwIsOneSessionWithAllItsEnergy) {
  step(1, false, 1000);
  step(1, true, 1000, 16);
  step(1, true, 1400, 16);
  stop();  // emsgw stops with the EV charging
  clock_.advance(ems::Millis(20 * 60'000));
  start();
  const auto during = get_json("/api/sessions");
  ASSERT_EQ(during["total"], 1);
  EXPECT_TRUE(during["sessions"][0]["running"].get<bool>());
  step(1, true, 2600, 16);
  step(1, false, 2600);
  const auto after = get_json("/api/sessions");
  ASSERT_EQ(after["total"], 1) << "one session, not two";
  const auto& s = after["sessions"][0];
  EXPECT_FALSE(s["running"].get<bool>());
  EXPECT_EQ(s["end_reason"], "unplugged");
  EXPECT_DOUBLE_EQ(s["energy_wh"].get<double>(), 1600);
  EXPECT_DOUBLE_EQ(s["start_energy_wh"].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(s["end_energy_wh"].get<double>(), 2600);
}

TEST_F(SessionApi, ReadingNeedsALoginWhenTheDashboardSaysSo) {
  stop();
  WebSettings s;
  s.read_requires_login = true;
  start(s);
  EXPECT_EQ(get_json("/api/sessions", 401)["error"].get<std::string>().find("log in"), 0u);
  auto r = client_->Get("/api/sessions.csv");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace emsgw::webui
