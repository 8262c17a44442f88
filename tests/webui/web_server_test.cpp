// The real server on an ephemeral loopback port, driven over HTTP: every route, the login and
// its rate limit, CSRF, and refusals of unauthenticated or malformed writes.
#include "webui/web_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <random>

#include "tests/support/process.hpp"
#include "tests/webui/simulated_site.hpp"

namespace emsgw::webui {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPassword = "correct horse";
const ems::WallTime kStart = ems::WallTime(std::chrono::seconds(1'795'000'000));

gateway::Config example_config() {
  return gateway::load_config_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
}

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server({}); }
  void TearDown() override {
    if (server_) server_->stop();
  }

  void start_server(WebSettings settings, bool with_password = true) {
    if (server_) server_->stop();
    settings.listen = {"127.0.0.1", 0};
    settings.password_file = "";  // in memory
    site_.step(clock_.wall_now(), 0);
    server_ =
        std::make_unique<WebServer>(settings, WebServices{&site_.board(), &site_, &site_, &site_, &site_, &clock_});
    if (with_password) {
      ASSERT_TRUE(server_->passwords().set(kPassword));
    }
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
    cookie_.clear();
    csrf_.clear();
  }

  httplib::Headers headers(bool with_csrf = true) const {
    httplib::Headers h;
    if (!cookie_.empty()) h.emplace("Cookie", cookie_);
    if (with_csrf && !csrf_.empty()) h.emplace("X-CSRF-Token", csrf_);
    return h;
  }
  httplib::Result get(const std::string& path) { return client_->Get(path, headers()); }
  httplib::Result post(const std::string& path, const json& body, bool with_csrf = true) {
    return client_->Post(path, headers(with_csrf), body.dump(), "application/json");
  }
  httplib::Result put(const std::string& path, const json& body) {
    return client_->Put(path, headers(), body.dump(), "application/json");
  }
  static json body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

  void login() {
    auto r = post("/api/login", {{"password", kPassword}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const auto set_cookie = r->get_header_value("Set-Cookie");
    cookie_ = set_cookie.substr(0, set_cookie.find(';'));
    csrf_ = body(r)["csrf_token"].get<std::string>();
  }

  ems::ManualClock clock_{ems::MonoTime{}, kStart};
  test::SimulatedSite site_{example_config(), kStart};
  std::unique_ptr<WebServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string cookie_;
  std::string csrf_;
};

TEST_F(WebServerTest, StatusIsTheWholeLiveStateAsJson) {
  auto r = get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  const json j = body(r);
  EXPECT_EQ(j["site_name"], "home");
  EXPECT_EQ(j["grid_max_current_a"], 25.0);
  EXPECT_TRUE(j["grid"]["current_a"][0].is_number());
  ASSERT_EQ(j["sockets"].size(), 2u);
  EXPECT_EQ(j["sockets"][1]["phase_mapping"], "L2L3L1");
  EXPECT_FALSE(j["sockets"][0]["state_text"].get<std::string>().empty());
  EXPECT_FALSE(j["sockets"][0]["reason"].get<std::string>().empty());
  EXPECT_EQ(j["stations"][0]["name"], "carport");
  EXPECT_TRUE(j["faults"].is_array());
}

TEST_F(WebServerTest, SocketsListAndOne) {
  auto r = get("/api/sockets");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(body(r).size(), 2u);
  r = get("/api/sockets/1");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(body(r)["id"], 1);
  r = get("/api/sockets/99");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(body(r)["error"].get<std::string>().find("99"), std::string::npos);
}

TEST_F(WebServerTest, UnauthenticatedWritesAreRefusedAndNeverReachTheLoop) {
  for (const auto& path : {"/api/commands", "/api/sockets/1/mode", "/api/sockets/1/max_current", "/api/probe/meter",
                           "/api/probe/station", "/api/logout", "/api/password"}) {
    auto r = post(path, {{"command", "suspend"}, {"mode", "off"}, {"target", "grid"}});
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_TRUE(body(r)["error"].is_string()) << path;
  }
  auto r = put("/api/config", {{"site", {{"grid_max_current_a", 30}}}});
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(site_.commands_seen(), 0);
  EXPECT_EQ(site_.config().site.grid_max_current_a, 25.0);
}

TEST_F(WebServerTest, LoginSetsAnHttpOnlySameSiteCookie) {
  auto r = post("/api/login", {{"password", "wrong password"}});
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(r->get_header_value("Set-Cookie").empty());
  login();
  r = post("/api/login", {{"password", kPassword}});
  const auto cookie = r->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "no TLS in this test";
  r = get("/api/session");
  EXPECT_EQ(body(r)["logged_in"], true);
  EXPECT_EQ(body(r)["csrf_token"], csrf_);
}

TEST_F(WebServerTest, ChangesNeedTheCsrfToken) {
  login();
  auto r = post("/api/sockets/1/mode", {{"mode", "pv"}}, /*with_csrf=*/false);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(body(r)["error"].get<std::string>().find("CSRF"), std::string::npos);
  const auto good = csrf_;
  csrf_ = std::string(good.size(), 'a');
  r = post("/api/sockets/1/mode", {{"mode", "pv"}});
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(site_.commands_seen(), 0);
  csrf_ = good;
  r = post("/api/sockets/1/mode", {{"mode", "pv"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body(r)["accepted"], true);
  EXPECT_EQ(site_.config().site.stations[0].sockets[1].mode, ems::ChargeMode::Pv);
  site_.step(clock_.wall_now(), 1);
  EXPECT_EQ(body(get("/api/sockets/1"))["mode"], "pv");
}

TEST_F(WebServerTest, BadJsonIsRefusedWithAMessage) {
  login();
  auto r = client_->Post("/api/commands", headers(), "{\"command\": ", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(body(r)["error"].get<std::string>().find("not valid JSON"), std::string::npos);
  r = client_->Post("/api/commands", headers(), "[1,2]", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(body(r)["error"].get<std::string>().find("JSON object"), std::string::npos);
  r = client_->Post("/api/commands", headers(), "command=suspend", "application/x-www-form-urlencoded");
  EXPECT_EQ(r->status, 415);
  r = post("/api/commands", {{"command", "set_socket_mode"}, {"socket_id", 1}, {"mode", "turbo"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(body(r)["error"].get<std::string>().find("mode"), std::string::npos);
  r = client_->Put("/api/config", headers(), "{oops}", "application/json");
  EXPECT_EQ(r->status, 400);
  r = client_->Post("/api/login", httplib::Headers{}, "not json", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(site_.commands_seen(), 0);
}

TEST_F(WebServerTest, CommandsRefusedByTheValidatorAnswer422WithIssues) {
  login();
  auto r = post("/api/commands", {{"command", "set_socket_max_current"}, {"socket_id", 0}, {"max_current_a", 3}});
  ASSERT_EQ(r->status, 422) << r->body;
  const json j = body(r);
  EXPECT_EQ(j["accepted"], false);
  ASSERT_FALSE(j["issues"].empty());
  EXPECT_NE(j["issues"][0]["key"].get<std::string>().find("socket"), std::string::npos);
  EXPECT_EQ(site_.config().site.stations[0].sockets[0].max_current_a, 16.0);
  r = post("/api/commands", {{"command", "suspend"}});
  ASSERT_EQ(r->status, 200);
  site_.step(clock_.wall_now(), 1);
  EXPECT_EQ(body(get("/api/status"))["suspended"], true);
  r = post("/api/commands", {{"command", "set_site_limit"}, {"grid_max_current_a", 32}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(site_.config().site.grid_max_current_a, 32.0);
  r = post("/api/sockets/0/max_current", {{"max_current_a", 10}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(site_.config().site.stations[0].sockets[0].max_current_a, 10.0);
}

TEST_F(WebServerTest, LoginIsRateLimitedPerClient) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(post("/api/login", {{"password", "guess" + std::to_string(i)}})->status, 401);
  auto r = post("/api/login", {{"password", kPassword}});
  EXPECT_EQ(r->status, 429) << "even the right password waits";
  EXPECT_EQ(r->get_header_value("Retry-After"), "60");
  clock_.advance(61s);
  login();
}

TEST_F(WebServerTest, ConfigGetAndPutGoThroughTheValidator) {
  auto r = get("/api/config");
  ASSERT_EQ(r->status, 200);
  json j = body(r);
  EXPECT_EQ(j["site"]["grid_max_current_a"], 25.0);
  EXPECT_EQ(j["stations"][0]["sockets"][1]["phase_mapping"], "L2L3L1");
  EXPECT_EQ(j["meter"]["grid"]["preset"], "eastron-sdm630");
  login();
  r = put("/api/config", {{"site", {{"grid_max_current_a", 32}}}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body(r)["config"]["site"]["grid_max_current_a"], 32.0);
  EXPECT_EQ(site_.config().site.grid_max_current_a, 32.0);
  // Safe currents alone (2 × 6 A on one phase) would overload a 5 A connection: refused.
  r = put("/api/config", {{"site", {{"grid_max_current_a", 5}}}});
  ASSERT_EQ(r->status, 422) << r->body;
  j = body(r);
  EXPECT_EQ(j["ok"], false);
  ASSERT_FALSE(j["issues"].empty());
  EXPECT_EQ(site_.config().site.grid_max_current_a, 32.0);
  r = put("/api/config", {{"site", {{"grid_max_current_a", "a lot"}}}});
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(body(r)["issues"][0]["key"], "site.grid_max_current_a");
  r = put("/api/config", {{"meter", {{"grid", {{"port", 70000}}}}}});
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(body(r)["issues"][0]["key"], "meter.grid.port");
}

TEST_F(WebServerTest, ClearingOverridesNeedsLoginAndAKey) {
  auto r = client_->Delete("/api/config/overrides?all=true", headers());
  EXPECT_EQ(r->status, 401);
  login();
  r = client_->Delete("/api/config/overrides", headers());
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(body(r)["error"].get<std::string>().find("key"), std::string::npos);
  r = client_->Delete("/api/config/overrides?key=site.name", headers());
  ASSERT_EQ(r->status, 422) << r->body;
  EXPECT_EQ(body(r)["issues"][0]["key"], "site.name");
}

TEST_F(WebServerTest, HistoryAndEventsByRange) {
  auto r = get("/api/history?range=hour");
  ASSERT_EQ(r->status, 200) << r->body;
  json j = body(r);
  EXPECT_EQ(j["resolution_s"], 10);
  EXPECT_EQ(j["time_ms"].size(), 360u);
  EXPECT_EQ(j["grid_current_a"][1].size(), 360u);
  EXPECT_EQ(j["socket_current_a"]["0"].size(), 360u);
  r = get("/api/history?range=week");
  EXPECT_EQ(body(r)["resolution_s"], 900);
  EXPECT_EQ(body(r)["time_ms"].size(), 672u);
  EXPECT_EQ(get("/api/history?range=year")->status, 400);
  EXPECT_EQ(get("/api/history?from_ms=abc")->status, 400);
  EXPECT_EQ(get("/api/history?resolution_s=7")->status, 400);
  r = get("/api/events?range=week");
  ASSERT_EQ(r->status, 200);
  j = body(r);
  ASSERT_GE(j.size(), 3u);
  EXPECT_GE(j[0]["time_ms"].get<std::int64_t>(), j[1]["time_ms"].get<std::int64_t>()) << "newest first";
  EXPECT_FALSE(j[0]["explanation"].get<std::string>().empty());
  EXPECT_EQ(body(get("/api/events?range=week&limit=1")).size(), 1u);
  EXPECT_EQ(get("/api/events?limit=0")->status, 400);
}

TEST_F(WebServerTest, ProbesRunForLoggedInUsers) {
  login();
  auto r = post("/api/probe/meter", {{"target", "grid"}});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(body(r)["ok"], true);
  EXPECT_NE(body(r)["summary"].get<std::string>().find("L1"), std::string::npos);
  r = post("/api/probe/station", {{"target", "carport"}});
  EXPECT_EQ(body(r)["ok"], true);
  r = post("/api/probe/station", {{"target", "garage"}});
  EXPECT_EQ(body(r)["ok"], false);
  EXPECT_EQ(post("/api/probe/station", json::object())->status, 400);
}

TEST_F(WebServerTest, LiveStreamSendsEveryNewStep) {
  std::vector<std::uint64_t> sequences;
  std::string buffer;
  std::thread stepper([&] {
    for (int i = 1; i <= 20 && sequences.size() < 3; ++i) {
      std::this_thread::sleep_for(50ms);
      site_.step(clock_.wall_now(), i);
    }
  });
  auto r = client_->Get("/api/stream", headers(), [&](const char* data, std::size_t n) {
    buffer.append(data, n);
    for (auto pos = buffer.find("\n\n"); pos != std::string::npos; pos = buffer.find("\n\n")) {
      const std::string event = buffer.substr(0, pos);
      buffer.erase(0, pos + 2);
      const auto data_at = event.find("data: ");
      if (event.rfind("event: status", 0) == 0 && data_at != std::string::npos)
        sequences.push_back(json::parse(event.substr(data_at + 6))["sequence"].get<std::uint64_t>());
    }
    return sequences.size() < 3;
  });
  stepper.join();
  ASSERT_GE(sequences.size(), 3u);
  EXPECT_LT(sequences[0], sequences[1]);
  EXPECT_LT(sequences[1], sequences[2]);
}

TEST_F(WebServerTest, ReadingCanRequireALogin) {
  WebSettings s;
  s.read_requires_login = true;
  start_server(s);
  EXPECT_EQ(get("/api/status")->status, 401);
  EXPECT_EQ(get("/api/stream")->status, 401);
  EXPECT_EQ(get("/api/config")->status, 401);
  EXPECT_EQ(get("/api/history")->status, 401);
  auto r = get("/api/session");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(body(r)["read_requires_login"], true);
  EXPECT_EQ(get("/")->status, 200) << "the page itself loads and asks for the login";
  login();
  EXPECT_EQ(get("/api/status")->status, 200);
}

TEST_F(WebServerTest, FirstRunSetsThePasswordOnce) {
  start_server({}, /*with_password=*/false);
  EXPECT_EQ(body(get("/api/session"))["password_set"], false);
  EXPECT_EQ(post("/api/login", {{"password", kPassword}})->status, 409);
  auto r = post("/api/setup", {{"password", "short"}});
  EXPECT_EQ(r->status, 400);
  r = post("/api/setup", {{"password", kPassword}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->get_header_value("Set-Cookie").find("HttpOnly"), std::string::npos);
  r = post("/api/setup", {{"password", "another password"}});
  EXPECT_EQ(r->status, 409);
  login();
}

TEST_F(WebServerTest, PasswordChangeAndLogout) {
  login();
  auto r = post("/api/password", {{"current_password", "wrong one"}, {"new_password", "new password 1"}});
  EXPECT_EQ(r->status, 403);
  r = post("/api/password", {{"current_password", kPassword}, {"new_password", "new password 1"}});
  ASSERT_EQ(r->status, 200) << r->body;
  const auto set_cookie = r->get_header_value("Set-Cookie");
  cookie_ = set_cookie.substr(0, set_cookie.find(';'));
  csrf_ = body(r)["csrf_token"].get<std::string>();
  EXPECT_EQ(post("/api/logout", json::object())->status, 200);
  EXPECT_EQ(post("/api/commands", {{"command", "suspend"}})->status, 401);
  EXPECT_EQ(post("/api/login", {{"password", kPassword}})->status, 401);
  EXPECT_EQ(post("/api/login", {{"password", "new password 1"}})->status, 200);
}

TEST_F(WebServerTest, DashboardAssetsAndUnknownRoutes) {
  auto r = get("/");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->body.find("app.js"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  r = get("/uPlot.iife.min.js");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("uPlot"), std::string::npos) << "the charting library is bundled, not fetched";
  EXPECT_EQ(get("/app.js")->status, 200);
  EXPECT_EQ(get("/nothing-here.js")->status, 404);
  r = get("/api/nothing");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(body(r)["error"].get<std::string>().find("/api/nothing"), std::string::npos);
}

TEST_F(WebServerTest, PhaseMappingsProposeTheGuidesRotation) {
  auto r = get("/api/phase_mappings?sockets=4");
  ASSERT_EQ(r->status, 200);
  const json j = body(r);
  EXPECT_EQ(j["recommended_three_phase"], json({"L1L2L3", "L3L1L2", "L2L3L1", "L1L2L3"}));
  EXPECT_EQ(j["recommended_single_phase"], json({"L1", "L2", "L3", "L1"}));
  EXPECT_EQ(j["names"].size(), 9u);
  EXPECT_EQ(get("/api/phase_mappings?sockets=500")->status, 400);
}

TEST(WebServerStart, ABusyPortIsReportedNotThrown) {
  ems::ManualClock clock;
  test::SimulatedSite site(example_config(), kStart);
  WebSettings s;
  s.listen = {"127.0.0.1", 0};
  WebServer a(s, {&site.board(), nullptr, nullptr, nullptr, nullptr, &clock});
  ASSERT_TRUE(a.start());
  s.listen.port = a.port();
  WebServer b(s, {&site.board(), nullptr, nullptr, nullptr, nullptr, &clock});
  auto r = b.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("web.listen"), std::string::npos);
}

TEST(WebServerStart, MissingServicesAnswer503) {
  ems::ManualClock clock;
  StatusBoard board;
  WebSettings s;
  s.listen = {"127.0.0.1", 0};
  WebServer server(s, {&board, nullptr, nullptr, nullptr, nullptr, &clock});
  ASSERT_TRUE(server.start());
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_EQ(c.Get("/api/status")->status, 503) << "no control step yet";
  EXPECT_EQ(c.Get("/api/history")->status, 503);
  EXPECT_EQ(c.Get("/api/config")->status, 503);
}

}  // namespace
}  // namespace emsgw::webui

namespace emsgw::webui {
namespace {

TEST(WebServerTls, ServesHttpsWithASecureCookie) {
  const auto dir = test::write_temp_file("tls-marker", "");
  const auto cert = dir + ".cert.pem";
  const auto key = dir + ".key.pem";
  const auto made = test::run_command("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " +
                                      key + " -out " + cert + " 2>&1");
  if (made.exit_code != 0) GTEST_SKIP() << "openssl cannot make a test certificate: " << made.output;
  ems::ManualClock clock;
  test::SimulatedSite site(example_config(), kStart);
  site.step(clock.wall_now(), 0);
  WebSettings s;
  s.listen = {"127.0.0.1", 0};
  s.password_file = "";
  s.tls_cert_file = cert;
  s.tls_key_file = key;
  WebServer server(s, {&site.board(), &site, &site, &site, &site, &clock});
  ASSERT_TRUE(server.passwords().set(kPassword));
  auto started = server.start();
  ASSERT_TRUE(started) << started.error();
  EXPECT_TRUE(server.tls());
  httplib::SSLClient c("127.0.0.1", server.port());
  c.enable_server_certificate_verification(false);  // self-signed test certificate
  auto r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Post("/api/login", json{{"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(2, 0);
  auto p = plain.Get("/api/status");
  EXPECT_TRUE(!p || p->status != 200) << "plain HTTP is not served on the TLS port";
}

TEST(WebServerTls, UnreadableFilesAreReported) {
  ems::ManualClock clock;
  StatusBoard board;
  WebSettings s;
  s.listen = {"127.0.0.1", 0};
  s.tls_cert_file = "/nonexistent/cert.pem";
  s.tls_key_file = "/nonexistent/key.pem";
  WebServer server(s, {&board, nullptr, nullptr, nullptr, nullptr, &clock});
  auto r = server.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("tls_cert"), std::string::npos);
}

}  // namespace
}  // namespace emsgw::webui

namespace emsgw::webui {
namespace {

// Bounded random bodies (mutations of valid ones and plain noise) on every route that reads a
// body: the server answers every one with a JSON 2xx/4xx, never a 5xx, and keeps serving.
TEST_F(WebServerTest, RandomBodiesNeverBreakTheServer) {
  login();
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"/api/commands", R"({"command":"set_socket_mode","socket_id":1,"mode":"pv"})"},
      {"/api/commands", R"({"command":"set_site_limit","grid_max_current_a":20})"},
      {"/api/sockets/0/mode", R"({"mode":"now"})"},
      {"/api/sockets/1/max_current", R"({"max_current_a":10})"},
      {"/api/probe/meter", R"({"target":"grid"})"},
      {"/api/config", R"({"site":{"grid_max_current_a":30},"stations":[{"name":"x","sockets":[{"id":1}]}]})"},
      {"/api/login", R"({"password":"x"})"},
  };
  std::mt19937 rng(12345);
  int answered = 0;
  for (int i = 0; i < 300; ++i) {
    const auto& [path, seed] = seeds[static_cast<std::size_t>(i) % seeds.size()];
    std::string body = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const auto at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = static_cast<char>(rng() % 256); break;
        case 1: body.erase(at, 1 + rng() % 3); break;
        default: body.insert(at, 1, "{}[]\",:0-e.\\"[rng() % 12]); break;
      }
    }
    if (i % 50 == 0) body = std::string(1 + rng() % 2000, static_cast<char>(rng() % 256));
    auto r = path == "/api/config" ? client_->Put(path, headers(), body, "application/json")
                                   : client_->Post(path, headers(), body, "application/json");
    ASSERT_TRUE(r) << path << " " << body;
    EXPECT_LT(r->status, 500) << path << " " << body;
    EXPECT_FALSE(json::parse(r->body, nullptr, false).is_discarded()) << path << " " << body;
    ++answered;
    if (path == "/api/login" && r->status == 200) login();  // keep the session for the next rounds
  }
  EXPECT_EQ(answered, 300);
  clock_.advance(std::chrono::minutes(2));  // let the login rate limit pass
  EXPECT_EQ(get("/api/status")->status, 200);
}

}  // namespace
}  // namespace emsgw::webui

namespace emsgw::webui {
namespace {

// Each live stream holds a worker thread; beyond max_streams the server says so instead of
// letting streams starve the API of threads.
TEST_F(WebServerTest, LiveStreamsAreCapped) {
  WebSettings s;
  s.max_streams = 2;
  start_server(s);
  std::atomic<int> open{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> streams;
  for (int i = 0; i < 2; ++i)
    streams.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      bool counted = false;
      (void)c.Get("/api/stream", [&](const char*, std::size_t) {
        if (!counted) open += 1;
        counted = true;
        return !done.load();
      });
    });
  for (int i = 0; i < 200 && open < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(open.load(), 2);
  auto r = get("/api/stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(get("/api/status")->status, 200) << "the API still answers";
  done = true;
  for (int i = 1; i <= 3; ++i) site_.step(clock_.wall_now(), i);  // wakes the streams so they see `done`
  for (auto& t : streams) t.join();
}

}  // namespace
}  // namespace emsgw::webui
