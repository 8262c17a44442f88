// /api/energy on the real server (ephemeral loopback port) over the real SQLite store, fed by the
// StorageRecorder from the status stream every 10 s: grid import and export, PV, each socket from its
// energy register, home consumption and self-consumption per local day and month, and clear errors
// for bad parameters.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <ctime>

#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/runtime/store_energy_source.hpp"
#include "gateway/runtime/store_session_source.hpp"
#include "webui/web_server.hpp"

namespace emsgw::webui {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-29 23:00:00 UTC.
const ems::WallTime kLate = gateway::storage::from_unix_ms(1'795'993'200'000);

ems::SiteConfig garage() {
  ems::SiteConfig site;
  ems::StationConfig st;
  st.name = "garage";
  ems::SocketConfig so;
  so.id = 3;
  st.sockets = {so};
  site.stations = {st};
  return site;
}

class EnergyApi : public ::testing::Test {
 protected:
  void SetUp() override {
    // Local days in UTC, whatever the machine's zone.
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    gateway::storage::StorageSettings s;
    s.path = ":memory:";
    s.flush_interval_s = 1;
    auto store = gateway::storage::SqliteStore::open(s);
    ASSERT_TRUE(store) << store.error().message;
    recorder_ = std::make_unique<gateway::StorageRecorder>(std::move(*store));
    recorder_->start();
    sessions_ = std::make_unique<gateway::StoreSessionSource>(*recorder_, garage());
    energy_ = std::make_unique<gateway::StoreEnergySource>(*recorder_, *sessions_);
    WebSettings settings;
    settings.listen = {"127.0.0.1", 0};
    settings.password_file = "";
    WebServices services{&board_, nullptr, nullptr, nullptr, nullptr, &clock_};
    services.energy = energy_.get();
    server_ = std::make_unique<WebServer>(settings, services);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (recorder_) recorder_->stop();
  }
  /// Statuses every 10 s for `span`: each grid phase at phase_w, PV at pv_w, the EV drawing with
  /// its register rising by ev_wh_per_step.
  void run(seconds span, double phase_w, double pv_w, bool ev, double ev_wh_per_step) {
    for (auto end = clock_.wall_now() + span; clock_.wall_now() < end;) {
      auto st = std::make_shared<ems::SiteStatus>();
      st->time = clock_.wall_now();
      st->grid.stale = false;
      st->grid.power_w = {phase_w, phase_w, phase_w};
      st->grid.power_w_total = 3 * phase_w;
      st->pv.configured = true;
      st->pv.stale = false;
      st->pv.power_w = pv_w;
      ems::SocketStatus so;
      so.id = 3;
      so.station = "garage";
      so.online = true;
      so.ev_connected = ev;
      if (ev) register_wh_ += ev_wh_per_step;
      so.total_energy_wh = register_wh_;
      st->sockets.push_back(so);
      recorder_->on_status(st);
      if (++fed_ % 32 == 0) recorder_->wait_idle();  // statuses come every second, not in a burst
      clock_.advance(ems::Millis(10'000));
    }
  }
  json get(const std::string& path, int status = 200) {
    recorder_->wait_idle();
    (void)recorder_->with_store([](gateway::storage::SqliteStore& s) { return s.flush(true); });
    auto r = client_->Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  ems::ManualClock clock_{ems::MonoTime{}, kLate};
  double register_wh_ = 50'000;
  int fed_ = 0;
  StatusBoard board_;
  std::unique_ptr<gateway::StorageRecorder> recorder_;
  std::unique_ptr<gateway::StoreSessionSource> sessions_;
  std::unique_ptr<gateway::StoreEnergySource> energy_;
  std::unique_ptr<WebServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(EnergyApi, DaysCarryImportExportSolarHomeAndEachSocketSplitAtLocalMidnight) {
  run(hours(1), 1000, 0, true, 10);     // 23:00–24:00: 3 kW import, the car takes 360 × 10 Wh
  run(hours(1), -500, 2000, false, 0);  // 00:00–01:00: 1.5 kW export with 2 kW of sun
  const auto j = get("/api/energy?period=day&from=2026-11-29&to=2026-12-01");
  ASSERT_EQ(j["period"], "day");
  const auto& p = j["periods"];
  ASSERT_EQ(p.size(), 2U) << j.dump(1);
  EXPECT_EQ(p[0]["period"], "2026-11-29");
  EXPECT_NEAR(p[0]["grid_import_kwh"].get<double>(), 3.0, 0.011);
  EXPECT_NEAR(p[0]["pv_kwh"].get<double>(), 0.0, 1e-9);
  EXPECT_NEAR(p[0]["ev_kwh"].get<double>(), 3.59, 0.011);  // the register's rise (the first step sets the baseline)
  ASSERT_EQ(p[0]["sockets"].size(), 1U);
  EXPECT_EQ(p[0]["sockets"][0]["socket"], 3);
  EXPECT_EQ(p[0]["sockets"][0]["name"], "socket 3 · garage");
  EXPECT_EQ(p[1]["period"], "2026-11-30");
  EXPECT_NEAR(p[1]["grid_export_kwh"].get<double>(), 1.5, 0.011);
  EXPECT_NEAR(p[1]["pv_kwh"].get<double>(), 2.0, 0.011);
  EXPECT_NEAR(p[1]["home_kwh"].get<double>(), 0.5, 0.011);
  EXPECT_NEAR(p[1]["self_consumed_kwh"].get<double>(), 0.5, 0.011);
  EXPECT_NEAR(j["total"]["grid_import_kwh"].get<double>(), 3.0, 0.011);
  EXPECT_NEAR(j["total"]["pv_kwh"].get<double>(), 2.0, 0.011);
  const auto m = get("/api/energy?period=month&from=2026-11-01&to=2027-01-01");
  ASSERT_EQ(m["periods"].size(), 1U);  // both days are in November
  EXPECT_EQ(m["periods"][0]["period"], "2026-11");
  EXPECT_NEAR(m["periods"][0]["grid_import_kwh"].get<double>(), 3.0, 0.011);
  EXPECT_NEAR(m["periods"][0]["grid_export_kwh"].get<double>(), 1.5, 0.011);
}

TEST_F(EnergyApi, BadParametersAreNamedAndNoStoreIsA503) {
  EXPECT_NE(get("/api/energy?period=week", 400)["error"].get<std::string>().find("period = \"week\""),
            std::string::npos);
  EXPECT_NE(get("/api/energy?from=yesterday", 400)["error"].get<std::string>().find("from = \"yesterday\""),
            std::string::npos);
  EXPECT_NE(get("/api/energy?from=2026-12-01&to=2026-11-01", 400)["error"].get<std::string>().find("before"),
            std::string::npos);
  // The default range is the last 31 days up to now: empty here, but a valid answer.
  const auto j = get("/api/energy");
  EXPECT_TRUE(j["periods"].is_array());

  server_->stop();
  WebSettings settings;
  settings.listen = {"127.0.0.1", 0};
  settings.password_file = "";
  WebServer bare(settings, WebServices{&board_, nullptr, nullptr, nullptr, nullptr, &clock_});
  ASSERT_TRUE(bare.start());
  httplib::Client c("127.0.0.1", bare.port());
  const auto r = c.Get("/api/energy");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  bare.stop();
}

}  // namespace
}  // namespace emsgw::webui
