// MQTT commands against the running product: the real runtime (control loop, SQLite storage, the
// MQTT bridge) on the project's simulators over loopback, and a real mosquitto broker.
//
// Safety rule 8: nothing on the broker can raise the installer's limits (the grid limit, a socket
// maximum above the configuration file's value is refused, nothing is stored, the allocator keeps
// planning against the file's limit, and an override left by an older release is skipped at start).
// A flood of commands ends with the newest value applied and stored.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "drivers/system_clock.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/runtime/runtime.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/storage/sqlite_store.hpp"
#include "mqtt/mqtt_bridge.hpp"
#include "tests/mqtt/mqtt_test_support.hpp"
#include "tests/support/process.hpp"

namespace emsgw::mqtt {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPrefix = "emsgw/rule8";

class MqttRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::SimulatedSiteOptions o;
    o.site_name = "rule8";
    o.grid_max_current_a = 25;
    o.stations = {{"garage", 32, 60, false, {{1, 16, 6, "L1L2L3", "now"}, {2, 16, 6, "L3L1L2", "now"}}}};
    site_ = std::make_unique<gateway::SimulatedSite>(o);
    site_->start();
    dir_ = fs::temp_directory_path() / ("emsgw-mqtt-runtime-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    toml_ = site_->config_toml("\n[mqtt]\nurl = \"" + broker_.url() + "\"\ntopic_prefix = \"" + kPrefix +
                               "\"\nha_discovery = false\n\n[storage]\npath = \"" + db().string() +
                               "\"\nflush_interval_s = 1\n");
  }
  void TearDown() override {
    runtime_.reset();
    site_->stop();
    fs::remove_all(dir_);
  }
  fs::path db() const { return dir_ / "emsgw.sqlite"; }

  gateway::Runtime& start() {
    runtime_.reset();
    runtime_ = std::make_unique<gateway::Runtime>(gateway::load_config_text(toml_, "site.toml"), clock_);
    runtime_->start();
    // The bridge is up once its retained "online" is on the broker.
    EXPECT_TRUE(obs_.wait_for(topic("status"), 10s, [](const auto& r) { return r.payload == "online"; }));
    return *runtime_;
  }
  static std::string topic(const std::string& leaf) { return std::string(kPrefix) + "/" + leaf; }

  json command(const std::string& leaf, const std::string& payload) {
    obs_.clear();
    obs_.publish(topic(leaf + "/set"), payload);
    const auto r = obs_.wait_for(topic(leaf + "/reply"), 10s,
                                 [&](const auto& m) { return json::parse(m.payload)["command"] == payload; });
    if (!r) {
      ADD_FAILURE() << "no reply to " << leaf << " = " << payload;
      return json::object();
    }
    return json::parse(r->payload);
  }

  std::vector<gateway::storage::SettingOverride> stored() {
    auto* rec = runtime_->recorder();
    if (!rec) {
      ADD_FAILURE() << "storage is off";
      return {};
    }
    rec->wait_idle();
    auto items = rec->with_store([](gateway::storage::SqliteStore& s) { return s.overrides(); });
    EXPECT_TRUE(items);
    return items ? *items : std::vector<gateway::storage::SettingOverride>{};
  }

  /// The newest status shows the allocator's limit and per-phase budget.
  void expect_plans_against(double limit_a) {
    std::shared_ptr<const ems::SiteStatus> st;
    const auto seq = runtime_->loop().status() ? runtime_->loop().status()->sequence : 0;
    for (int i = 0; i < 100; ++i) {  // a step after the commands
      st = runtime_->loop().status();
      if (st && st->sequence > seq) break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(st);
    EXPECT_EQ(st->grid_max_current_a, limit_a);
    for (const double b : st->budget_a) EXPECT_LE(b, limit_a);
    EXPECT_EQ(runtime_->loop().config().site.grid_max_current_a, limit_a);
  }

  test::MosquittoBroker broker_{"max_queued_messages 20000\n"};
  test::Observer obs_{broker_.url(), {std::string(kPrefix) + "/#"}};
  drivers::SystemClock clock_;
  std::unique_ptr<gateway::SimulatedSite> site_;
  std::unique_ptr<gateway::Runtime> runtime_;
  fs::path dir_;
  std::string toml_;
};

TEST_F(MqttRuntime, TheBrokerCannotRaiseTheGridLimitOrASocketMaximum) {
  start();
  for (const std::string raise : {"40", "5000", "25.5"}) {
    const auto r = command("site/grid_max_current", raise);
    EXPECT_EQ(r.value("accepted", true), false) << raise;
    EXPECT_NE(r.value("message", std::string()).find("safety rule 8"), std::string::npos) << r.dump();
    ASSERT_FALSE(r["issues"].empty());
    EXPECT_EQ(r["issues"][0]["key"], "site.grid_max_current_a");
  }
  const auto socket = command("socket/1/max_current", "20");  // the station would allow 32 A; the file says 16
  EXPECT_EQ(socket.value("accepted", true), false);
  EXPECT_NE(socket.value("message", std::string()).find("safety rule 8"), std::string::npos) << socket.dump();
  EXPECT_TRUE(stored().empty()) << "a refused command leaves no override";
  expect_plans_against(25);
  EXPECT_EQ(runtime_->loop().config().site.stations[0].sockets[0].max_current_a, 16);

  // Lowering is allowed, and going back to the file's value too.
  EXPECT_EQ(command("site/grid_max_current", "20").value("accepted", false), true);
  expect_plans_against(20);
  EXPECT_EQ(command("site/grid_max_current", "25").value("accepted", false), true);
  expect_plans_against(25);
  EXPECT_EQ(command("socket/1/max_current", "10").value("accepted", false), true);
  const auto kept = stored();
  ASSERT_EQ(kept.size(), 2u);
}

TEST_F(MqttRuntime, ARaiseStoredByAnOlderReleaseIsSkippedAtStart) {
  {
    gateway::storage::StorageSettings s;
    s.path = db().string();
    auto store = gateway::storage::SqliteStore::open(s);
    ASSERT_TRUE(store);
    const auto now = std::chrono::system_clock::now();
    ASSERT_TRUE(store->set_override({"site.grid_max_current_a", "40", "mqtt", now}));
    ASSERT_TRUE(store->set_override({"socket[1].max_current_a", "32", "mqtt", now}));
    ASSERT_TRUE(store->set_override({"socket[2].mode", "pv", "mqtt", now}));
  }
  auto& rt = start();
  EXPECT_EQ(rt.started_config().site.grid_max_current_a, 25);
  EXPECT_EQ(rt.started_config().site.stations[0].sockets[0].max_current_a, 16);
  EXPECT_EQ(rt.started_config().site.stations[0].sockets[1].mode, ems::ChargeMode::Pv) << "other overrides stay";
  expect_plans_against(25);
}

// 5,000 commands in one burst on one topic: the newest is the one applied and stored, with a
// bounded number of replies and applied commands.
TEST_F(MqttRuntime, AFloodOfCommandsEndsWithTheNewestValue) {
  auto& rt = start();
  ::mqtt::async_client flood(broker_.url(), "flood-" + std::to_string(::getpid()), 10000);
  flood.connect(::mqtt::connect_options_builder().clean_session(true).max_inflight(65535).finalize())->wait();
  const std::string set = topic("socket/1/max_current/set");
  constexpr int kCommands = 5000;
  const auto before = rt.loop().stats().commands_accepted;
  const auto t0 = std::chrono::steady_clock::now();
  ::mqtt::delivery_token_ptr last;
  for (int i = 0; i < kCommands - 1; ++i) {
    const std::string v = std::to_string(6 + i % 11);  // 6 … 16 A
    last = flood.publish(set, v.data(), v.size(), 1, false);
  }
  const std::string newest = "11.5";  // sent once, last
  last = flood.publish(set, newest.data(), newest.size(), 1, false);
  last->wait();
  const auto sent_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const auto reply = obs_.wait_for(topic("socket/1/max_current/reply"), 20s,
                                   [&](const auto& m) { return json::parse(m.payload)["command"] == newest; });
  ASSERT_TRUE(reply) << "the newest command was answered";
  EXPECT_EQ(json::parse(reply->payload)["accepted"], true) << reply->payload;
  std::this_thread::sleep_for(500ms);  // anything still in flight would show now
  EXPECT_EQ(rt.loop().config().site.stations[0].sockets[0].max_current_a, 11.5);
  const auto kept = stored();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].key, "socket[1].max_current_a");
  EXPECT_EQ(kept[0].value, "11.5");

  std::size_t replies = 0;
  for (const auto& m : obs_.all())
    if (m.topic == topic("socket/1/max_current/reply")) ++replies;
  const auto applied = rt.loop().stats().commands_accepted - before;
  std::cout << "flood: " << kCommands << " commands sent in " << sent_s << " s; " << replies << " replies, " << applied
            << " commands applied by the control loop\n";
  EXPECT_LT(replies, static_cast<std::size_t>(kCommands) / 10) << "replies are bounded";
  EXPECT_LT(applied, static_cast<std::uint64_t>(kCommands) / 10) << "applied commands (and their writes) are bounded";
  flood.disconnect()->wait();
}

// Home Assistant's Energy dashboard takes total_increasing sensors; a value lower than the last one
// reads as a meter reset. Across a restart of emsgw in the middle of a charging session, the
// socket's register and the session's energy go on from where they were, never lower.
TEST_F(MqttRuntime, EnergySensorsNeverGoBackwardsAcrossARestart) {
  drivers::alfen::SimEv car;
  car.phases = 3;
  car.max_current_a = 16;
  car.min_current_a = 6;
  site_->station(0).station().plug(1, car);
  start();
  const auto value = [](const std::string& payload) { return std::strtod(payload.c_str(), nullptr); };
  const std::string session = topic("socket/1/session_energy");
  const std::string total = topic("socket/1/total_energy");
  ASSERT_TRUE(obs_.wait_for(session, 40s, [&](const auto& m) { return value(m.payload) >= 0.01; }))
      << "the car charged (session energy above 10 Wh)";
  std::this_thread::sleep_for(1500ms);
  const auto session_before = obs_.last(session);
  const auto total_before = obs_.last(total);
  ASSERT_TRUE(session_before && total_before);

  runtime_.reset();  // emsgw stops; the car stays plugged in and the station goes on
  obs_.clear();
  start();
  const auto session_after = obs_.wait_for(session, 20s, [](const auto&) { return true; });
  const auto total_after = obs_.wait_for(total, 20s, [](const auto&) { return true; });
  ASSERT_TRUE(session_after && total_after);
  std::cout << "session energy " << session_before->payload << " kWh before the restart, " << session_after->payload
            << " kWh after; register " << total_before->payload << " → " << total_after->payload << " kWh\n";
  EXPECT_GE(value(session_after->payload), value(session_before->payload))
      << "the running session's energy restarted instead of going on";
  EXPECT_GE(value(total_after->payload), value(total_before->payload));

  // The car leaves: the session is stored and its energy becomes the "last session" sensor.
  site_->station(0).station().unplug(1);
  const auto last = obs_.wait_for(topic("socket/1/last_session_energy"), 20s, [](const auto&) { return true; });
  ASSERT_TRUE(last) << "no last_session_energy after the unplug";
  EXPECT_GE(value(last->payload), value(session_after->payload));
}

}  // namespace
}  // namespace emsgw::mqtt

namespace emsgw::mqtt {
namespace {

// The broker setup of deploy/mosquitto/ (users, ACL) on a real mosquitto: anonymous clients are
// refused, a read-only user's command never reaches emsgw, Home Assistant's does.
TEST(MosquittoExample, UsersAndTheAclKeepCommandsToHomeAssistant) {
  const std::string dir = std::string(EMSGW_SOURCE_DIR) + "/deploy/mosquitto/";
  const auto passwd = emsgw::test::write_temp_file("emsgw-example.passwd", "");
  for (const auto& [user, pass] : {std::pair{"emsgw", "pw-emsgw"}, {"homeassistant", "pw-ha"}, {"viewer", "pw-view"}})
    ASSERT_EQ(std::system(("mosquitto_passwd -b " + passwd + " " + user + " " + pass).c_str()), 0);
  std::string conf = emsgw::test::read_file(dir + "emsgw.conf");
  conf.replace(conf.find("listener 1883 127.0.0.1\n"), 24, "");  // the test broker listens on its own port
  conf.replace(conf.find("/etc/mosquitto/emsgw.passwd"), 27, passwd);
  conf.replace(conf.find("/etc/mosquitto/emsgw.acl"), 24, dir + "emsgw.acl");
  test::MosquittoBroker broker(conf);

  const auto connect = [&](const std::string& user, const std::string& pass) {
    auto c = std::make_unique<::mqtt::async_client>(broker.url(), "acl-" + user + std::to_string(::getpid()));
    auto b = ::mqtt::connect_options_builder().clean_session(true);
    if (!user.empty()) b.user_name(user).password(pass);
    try {
      c->connect(b.finalize())->wait_for(5s);
    } catch (const ::mqtt::exception&) {
      // refused: is_connected() says so
    }
    return c;
  };
  EXPECT_FALSE(connect("", "")->is_connected()) << "anonymous clients are refused";
  EXPECT_FALSE(connect("viewer", "wrong")->is_connected());

  auto emsgw = connect("emsgw", "pw-emsgw");
  ASSERT_TRUE(emsgw->is_connected());
  std::mutex m;
  std::vector<std::string> got;
  emsgw->set_message_callback([&](::mqtt::const_message_ptr msg) {
    std::lock_guard lock(m);
    got.push_back(msg->to_string());
  });
  emsgw->subscribe("emsgw/+/socket/+/mode/set", 1)->wait();
  auto viewer = connect("viewer", "pw-view");
  auto ha = connect("homeassistant", "pw-ha");
  ASSERT_TRUE(viewer->is_connected());
  ASSERT_TRUE(ha->is_connected());
  viewer->publish("emsgw/home/socket/1/mode/set", "from-viewer", 1, false)->wait_for(5s);
  ha->publish("emsgw/home/socket/1/mode/set", "from-ha", 1, false)->wait();
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(m);
      if (!got.empty()) break;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(200ms);
  std::lock_guard lock(m);
  EXPECT_EQ(got, std::vector<std::string>{"from-ha"});
}

}  // namespace
}  // namespace emsgw::mqtt
