// Weekly windows from the dashboard in the running product: the real runtime with SQLite storage
// and its HTTP server, over loopback against the project's station and meter simulators. A window
// PUT through /api/schedules that is open now lowers the EV's set-point within a few steps and names
// itself in the reason; a window above the fuse raises nothing; the list survives a restart; removing
// it gives the EV its current back. Writes need a login; a bad list is a 400 naming every issue.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "drivers/system_clock.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/runtime/runtime.hpp"
#include "gateway/runtime/storage_recorder.hpp"

namespace emsgw::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

drivers::alfen::SimEv car() {
  drivers::alfen::SimEv e;
  e.phases = 3;
  e.max_current_a = 16;
  e.min_current_a = 6;
  return e;
}

class SchedulesApi : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::SimulatedSiteOptions o;
    o.site_name = "home";
    o.grid_max_current_a = 25;
    o.safety_margin_a = 1;
    o.household_a = {12, 12, 12};  // the fuse leaves the car 12 A
    o.site_extra = "probing_time_s = 2";
    o.stations = {{"carport", 32, 60, false, {{1, 16, 6, "L1L2L3", "now"}}}};
    site_ = std::make_unique<gateway::SimulatedSite>(o);
    site_->start();
    dir_ = fs::temp_directory_path() / ("emsgw-schedules-api-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    toml_ = site_->config_toml("\n[web]\nlisten = \"127.0.0.1:0\"\npassword_file = \"" + (dir_ / "password").string() +
                               "\"\n\n[storage]\npath = \"" + (dir_ / "emsgw.sqlite").string() +
                               "\"\nflush_interval_s = 1\n");
  }
  void TearDown() override {
    runtime_.reset();
    site_->stop();
    fs::remove_all(dir_);
  }
  void start() {
    client_.reset();
    runtime_.reset();
    runtime_ = std::make_unique<gateway::Runtime>(gateway::load_config_text(toml_, "site.toml"), clock_);
    runtime_->start();
    ASSERT_GT(runtime_->web_port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", runtime_->web_port());
    client_->set_read_timeout(10, 0);
  }
  /// Sets the password on the first start, logs in on the next ones; keeps the session's cookie and token.
  void log_in() {
    const json body = {{"password", "correct horse battery"}};
    auto r =
        client_->Post(fs::exists(dir_ / "password") ? "/api/login" : "/api/setup", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto cookie = r->get_header_value("Set-Cookie");
    session_ = cookie.substr(0, cookie.find(';'));
    csrf_ = json::parse(r->body)["csrf_token"].get<std::string>();
  }
  httplib::Result put(const json& body, bool authenticated = true) {
    httplib::Headers h;
    if (authenticated) h = {{"Cookie", session_}, {"X-CSRF-Token", csrf_}};
    return client_->Put("/api/schedules", h, body.dump(), "application/json");
  }
  json get(const std::string& path) {
    auto r = client_->Get(path, {{"Cookie", session_}});
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  std::optional<ems::SocketStatus> socket() const {
    const auto st = runtime_->loop().status();
    if (!st || st->sockets.empty()) return std::nullopt;
    return st->sockets[0];
  }
  double setpoint() const { return socket() ? socket()->setpoint_a : -1; }
  /// Polls every 50 ms for up to `timeout_s`.
  static bool wait_for(const std::function<bool()>& condition, double timeout_s) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
  }
  std::string describe() const {
    const auto s = socket();
    if (!s) return "no status";
    return "set-point " + std::to_string(s->setpoint_a) + " A, reason " + s->reason + " (" + s->reason_detail +
           "), EV draws " + std::to_string(site_->ev_current()[0]) + " A";
  }

  drivers::SystemClock clock_;
  std::unique_ptr<gateway::SimulatedSite> site_;
  std::unique_ptr<gateway::Runtime> runtime_;
  std::unique_ptr<httplib::Client> client_;
  fs::path dir_;
  std::string toml_;
  std::string session_;
  std::string csrf_;
};

/// A window open at every moment of the week (00:00 to 00:00 on all seven days).
json always_open(double amps) {
  return {{"name", "grid-window"}, {"node", ""}, {"from", "00:00"}, {"until", "00:00"}, {"max_current_a", amps}};
}

TEST_F(SchedulesApi, AnOpenWindowLowersTheSetPointSurvivesARestartAndItsRemovalRestoresIt) {
  start();
  log_in();
  site_->station(0).station().plug(1, car());
  // Charging at the fuse's 12 A, and the car drawing them (while its station has not reported the
  // car's first ampere yet, the grid's rise counts as household load and may cut it for a moment).
  ASSERT_TRUE(wait_for([&] { return setpoint() == 12 && site_->ev_current()[0] > 11.5; }, 30))
      << "never charged at the fuse's 12 A: " << describe();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(wait_for([&] { return setpoint() == 12; }, 10)) << describe();
  EXPECT_EQ(socket()->reason.rfind("grid-l", 0), 0u) << describe();

  // Writes need the login.
  auto r = put({{"schedules", json::array({always_open(20)})}}, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // A bad list: 400 naming every issue, nothing changes.
  r = put(json::parse(R"({"schedules": [{"name": "", "node": "shed", "days": ["monday"], "from": "25:00",
                                           "until": "06:00", "max_current_a": -1}]})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  std::set<std::string> keys;
  const auto refused = json::parse(r->body);
  for (const auto& i : refused["issues"]) keys.insert(i["key"].get<std::string>());
  EXPECT_EQ(keys, (std::set<std::string>{"schedule[0].name", "schedule[0].node", "schedule[0].days", "schedule[0].from",
                                         "schedule[0].max_current_a"}))
      << r->body;
  EXPECT_TRUE(get("/api/schedules")["schedules"].empty());

  // A window above the fuse raises nothing: the EV stays at what the fuse leaves it.
  r = put({{"schedules", json::array({always_open(63)})}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(wait_for([&] { return !runtime_->loop().config().schedules.empty(); }, 5));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(setpoint(), 12) << describe();
  EXPECT_EQ(socket()->reason.rfind("grid-l", 0), 0u) << describe();

  // A 20 A window: 20 − 1 A margin − 12 A household = 7 A.
  r = put({{"schedules", json::array({always_open(20)})}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto answer = json::parse(r->body);
  ASSERT_EQ(answer["schedules"].size(), 1u);
  EXPECT_EQ(answer["schedules"][0]["active"], true);
  EXPECT_EQ(answer["schedules"][0]["limit"], "20 A");
  EXPECT_TRUE(answer["schedules"][0]["next_change_ms"].is_null()) << "open all week";
  ASSERT_TRUE(wait_for([&] { return setpoint() == 7; }, 10))
      << "the window did not lower the set-point: " << describe();
  EXPECT_EQ(socket()->reason, "schedule");
  EXPECT_EQ(socket()->reason_detail, "schedule grid-window 20 A");
  ASSERT_TRUE(wait_for([&] { return site_->ev_current()[0] <= 7.5; }, 15)) << describe();
  const auto status = get("/api/status");
  ASSERT_EQ(status["schedules"].size(), 1u);
  EXPECT_EQ(status["schedules"][0]["name"], "grid-window");
  // The dashboard translates the bound through its message (i18n.js MESSAGES.bound_schedule_current).
  EXPECT_EQ(status["sockets"][0]["reason_detail_message"], "bound_schedule_current") << status["sockets"][0].dump();
  EXPECT_EQ(status["sockets"][0]["reason_detail_params"]["name"], "grid-window");
  EXPECT_EQ(status["sockets"][0]["reason_detail_params"]["current"], "20");
  EXPECT_EQ(status["schedules"][0]["node"], "");
  EXPECT_EQ(status["schedules"][0]["active"], true);
  EXPECT_EQ(status["schedules"][0]["limit"], "20 A");

  // The change is an event with its old and new form.
  auto* rec = runtime_->recorder();
  ASSERT_NE(rec, nullptr);
  rec->wait_idle();
  ASSERT_TRUE(rec->with_store([](gateway::storage::SqliteStore& st) { return st.flush(); }));
  const auto events = rec->with_store([](gateway::storage::SqliteStore& st) { return st.events(ems::WallTime{}); });
  ASSERT_TRUE(events);
  std::vector<std::pair<std::int64_t, std::string>> found;  // oldest first
  for (const auto& e : *events)
    if (e.subject == "schedule.grid-window") found.emplace_back(e.id, e.text);
  std::sort(found.begin(), found.end());
  std::vector<std::string> texts;
  for (auto& [id, text] : found) texts.push_back(text);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0],
            "schedule grid-window: (none) → grid connection mon,tue,wed,thu,fri,sat,sun 00:00–00:00 63 A (set from the "
            "dashboard)");
  EXPECT_NE(texts[1].find("63 A → grid connection mon,tue,wed,thu,fri,sat,sun 00:00–00:00 20 A"), std::string::npos)
      << texts[1];

  // A restart on the same file: the window is back from SQLite and holds the EV down again.
  start();
  log_in();
  ASSERT_EQ(runtime_->loop().config().schedules.size(), 1u);
  EXPECT_DOUBLE_EQ(runtime_->loop().config().schedules[0].max_current_a, 20);
  ASSERT_TRUE(wait_for([&] { return socket() && socket()->reason == "schedule"; }, 30)) << describe();
  EXPECT_LE(setpoint(), 7) << describe();
  EXPECT_EQ(get("/api/schedules")["source"], "web");

  // Removing it: the fuse's 12 A again.
  r = put({{"schedules", json::array()}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(wait_for([&] { return setpoint() == 12; }, 30))
      << "removing the window did not restore the EV: " << describe();
  EXPECT_NE(socket()->reason, "schedule");
  EXPECT_TRUE(get("/api/status")["schedules"].empty());
  // The empty list is the dashboard's too (an override); clearing it gives the file's list (none) back.
  EXPECT_EQ(get("/api/schedules")["source"], "web");
  auto cleared =
      client_->Delete("/api/config/overrides?key=schedules", {{"Cookie", session_}, {"X-CSRF-Token", csrf_}});
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->status, 200) << cleared->body;
  EXPECT_EQ(get("/api/schedules")["source"], "file");
  EXPECT_TRUE(runtime_->loop().config().schedules.empty());
}

}  // namespace
}  // namespace emsgw::test
