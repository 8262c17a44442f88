// Faults in /api/status and events in /api/events carry their text as a message code with named
// parameters beside the English text, on the real server (ephemeral loopback port) over the real
// SQLite store: a plug-in and an unplug recorded from the status stream, a fault raised through the
// fault book; and the dashboard's English template of each code (MESSAGES in i18n.js) filled with
// the parameters gives the server's text word for word.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <utility>

#include "gateway/control/fault_book.hpp"
#include "gateway/control/messages.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/runtime/store_history_source.hpp"
#include "tests/support/message_templates.hpp"
#include "webui/web_server.hpp"

namespace emsgw::webui {
namespace {

using nlohmann::json;

const ems::WallTime kStart = gateway::storage::from_unix_ms(1'700'001'900'000);

/// The template of the item's `message` filled with its `params`, as the dashboard's t() does.
std::string render(const json& item) {
  std::map<std::string, std::string> params;
  for (const auto& [name, value] : item.at("params").items()) params[name] = value.get<std::string>();
  return test::render_english(item.at("message").get<std::string>(), params);
}

class MessagesApi : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("emsgw-messages-api-" + std::to_string(::getpid()))).string();
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
    gateway::storage::StorageSettings s;
    s.path = path_;
    auto store = gateway::storage::SqliteStore::open(s);
    ASSERT_TRUE(store) << store.error().message;
    recorder_ = std::make_unique<gateway::StorageRecorder>(std::move(*store));
    recorder_->set_decision_source([this] { return std::exchange(decisions_, {}); });
    recorder_->start();
    history_ = std::make_unique<gateway::StoreHistorySource>(*recorder_);
    WebSettings settings;
    settings.listen = {"127.0.0.1", 0};
    settings.password_file = "";
    server_ =
        std::make_unique<WebServer>(settings, WebServices{&board_, nullptr, nullptr, history_.get(), nullptr, &clock_});
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (recorder_) recorder_->stop();
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }
  /// One step: socket 1 of station "carport" with its EV present or not, and the faults in force.
  void step(bool ev, double counter_wh) {
    auto st = std::make_shared<ems::SiteStatus>();
    st->time = clock_.wall_now();
    ems::SocketStatus so;
    so.id = 1;
    so.station = "carport";
    so.unit = 1;
    so.online = true;
    so.ev_connected = ev;
    so.total_energy_wh = counter_wh;
    so.station_text = "limited by the station to 10 A (emsgw allows 16 A)";
    so.station_message = gateway::msg::station_limited("10", "16");
    st->sockets.push_back(so);
    st->faults = faults_.list();
    board_.publish(st);
    recorder_->on_status(st);
    clock_.advance(ems::Millis(60'000));
  }
  json get_json(const std::string& path) {
    recorder_->wait_idle();
    (void)recorder_->with_store([](gateway::storage::SqliteStore& s) { return s.flush(); });
    auto r = client_->Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  ems::ManualClock clock_{ems::MonoTime{}, kStart};
  std::vector<gateway::Decision> decisions_;
  gateway::FaultBook faults_{[this](gateway::Decision d) { decisions_.push_back(std::move(d)); }};
  StatusBoard board_;
  std::string path_;
  std::unique_ptr<gateway::StorageRecorder> recorder_;
  std::unique_ptr<gateway::StoreHistorySource> history_;
  std::unique_ptr<WebServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(MessagesApi, EventsCarryTheirMessageCodeAndParametersBesideTheirText) {
  step(false, 10'000);
  step(true, 10'000);
  step(true, 12'500);
  step(false, 12'500);
  const auto events = get_json("/api/events?range=week");
  ASSERT_TRUE(events.is_array());
  std::map<std::string, json> by_message;
  for (const auto& e : events) by_message[e.at("message").get<std::string>()] = e;
  ASSERT_TRUE(by_message.contains("plug_in")) << events.dump(2);
  ASSERT_TRUE(by_message.contains("unplug_energy")) << events.dump(2);
  const auto& in = by_message["plug_in"];
  EXPECT_EQ(in["params"], (json{{"socket", "1"}, {"station", "carport"}}));
  EXPECT_EQ(in["text"], "socket 1 (carport): EV plugged in") << "the English text stays as it was";
  const auto& out = by_message["unplug_energy"];
  EXPECT_EQ(out["params"], (json{{"socket", "1"}, {"station", "carport"}, {"kwh", "2.50"}}));
  EXPECT_EQ(out["text"], "socket 1 (carport): EV unplugged after 2.50 kWh");
  for (const auto& e : events) EXPECT_EQ(render(e), e["text"]) << e.dump();
}

TEST_F(MessagesApi, AFaultCarriesItsMessageInTheStatusAndInItsEvents) {
  const std::string text = "station carport does not answer: connection refused";
  faults_.raise("station_offline:carport", text, clock_.wall_now(),
                gateway::msg::station_offline("carport", "connection refused"));
  step(false, 10'000);
  const auto status = get_json("/api/status");
  ASSERT_EQ(status["faults"].size(), 1u) << status["faults"].dump();
  const auto& f = status["faults"][0];
  EXPECT_EQ(f["code"], "station_offline:carport");
  EXPECT_EQ(f["text"], text);
  EXPECT_EQ(f["message"], "station_offline");
  EXPECT_EQ(f["params"], (json{{"station", "carport"}, {"error", "connection refused"}}));
  EXPECT_EQ(render(f), text);
  // A socket's words of what its station does of its own accord, the same way.
  const auto& so = status["sockets"][0];
  EXPECT_EQ(so["station_message"], "station_limited");
  EXPECT_EQ(so["station_params"], (json{{"applied", "10"}, {"allowed", "16"}}));
  EXPECT_EQ(render({{"message", so["station_message"]}, {"params", so["station_params"]}}), so["station_text"]);

  faults_.clear("station_offline:carport", clock_.wall_now());
  step(false, 10'000);
  EXPECT_TRUE(get_json("/api/status")["faults"].empty());
  const auto events = get_json("/api/events?range=week");
  ASSERT_EQ(events.size(), 2u) << events.dump(2);
  for (const auto& e : events) {
    EXPECT_EQ(e["message"], "station_offline") << e.dump();
    EXPECT_EQ(e["params"], f["params"]) << e.dump();
    EXPECT_EQ(e["text"], text);
  }
  EXPECT_EQ(events[0]["level"], "info") << "newest first: the clearing";
  EXPECT_EQ(events[1]["level"], "warning");
}

TEST_F(MessagesApi, SettingsChangedByCommandsCarryTheirMessage) {
  step(false, 10'000);
  recorder_->record_command(ems::SetSocketMode{1, ems::ChargeMode::Off}, "web", clock_.wall_now());
  recorder_->record_command(ems::SetSiteLimit{20}, "mqtt", clock_.wall_now());
  recorder_->record_command(ems::Suspend{}, "web", clock_.wall_now());
  step(false, 10'000);
  const auto events = get_json("/api/events?range=week");
  std::map<std::string, json> by_message;
  for (const auto& e : events) by_message[e.at("message").get<std::string>()] = e;
  ASSERT_TRUE(by_message.contains("socket_mode_changed")) << events.dump(2);
  EXPECT_EQ(by_message["socket_mode_changed"]["params"],
            (json{{"socket", "1"}, {"station", "carport"}, {"old", "now"}, {"new", "off"}, {"source", "web"}}));
  ASSERT_TRUE(by_message.contains("grid_limit_changed")) << events.dump(2);
  EXPECT_EQ(by_message["grid_limit_changed"]["params"]["new"], "20");
  EXPECT_EQ(by_message["grid_limit_changed"]["params"]["source"], "mqtt");
  ASSERT_TRUE(by_message.contains("setting_set")) << events.dump(2);
  EXPECT_EQ(by_message["setting_set"]["params"]["key"], "site.suspended");
  for (const auto& e : events) {
    EXPECT_FALSE(e["message"].get<std::string>().empty()) << e.dump();
    EXPECT_EQ(render(e), e["text"]) << e.dump();
  }
}

TEST_F(MessagesApi, AnEventWithoutACodeHasAnEmptyMessageAndItsText) {
  recorder_->record_event({0, clock_.wall_now(), gateway::storage::EventKind::ConfigChange, "influx", "export paused"});
  clock_.advance(ems::Millis(1000));
  const auto events = get_json("/api/events?range=week");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["message"], "");
  EXPECT_EQ(events[0]["params"], json::object());
  EXPECT_EQ(events[0]["text"], "export paused");
}

}  // namespace
}  // namespace emsgw::webui
