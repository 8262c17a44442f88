// The production configuration service and device tests of the dashboard, on the real runtime
// with SQLite storage and the project's simulators over loopback: a change from the web applies
// to the running control loop, is kept as an override across a restart, is cleared back to the
// file; device settings wait for the next start; the probes read the simulated meter and station.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "drivers/system_clock.hpp"
#include "gateway/config/config_json.hpp"
#include "gateway/config/installer_limits.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/devices/device_probes.hpp"
#include "gateway/runtime/runtime.hpp"
#include "gateway/runtime/runtime_config_service.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "tests/support/message_templates.hpp"
#include "tests/support/process.hpp"

namespace emsgw::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class RuntimeConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::SimulatedSiteOptions o;
    o.site_name = "home";
    o.stations = {{"garage", 32, 60, false, {{1, 16, 6, "L1L2L3", "now"}, {2, 16, 6, "L3L1L2", "now"}}}};
    site_ = std::make_unique<gateway::SimulatedSite>(o);
    site_->start();
    dir_ = fs::temp_directory_path() / ("emsgw-runtime-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    toml_ = site_->config_toml("\n[web]\nlisten = \"127.0.0.1:0\"\n\n[storage]\npath = \"" +
                               (dir_ / "emsgw.sqlite").string() + "\"\nflush_interval_s = 1\n");
  }
  void TearDown() override {
    runtime_.reset();
    site_->stop();
    fs::remove_all(dir_);
  }
  gateway::Runtime& start() {
    runtime_.reset();
    runtime_ = std::make_unique<gateway::Runtime>(gateway::load_config_text(toml_, "site.toml"), clock_);
    runtime_->start();
    return *runtime_;
  }

  drivers::SystemClock clock_;
  std::unique_ptr<gateway::SimulatedSite> site_;
  std::unique_ptr<gateway::Runtime> runtime_;
  fs::path dir_;
  std::string toml_;
};

TEST_F(RuntimeConfig, AWebChangeAppliesAtOnceIsKeptAcrossARestartAndClearsBackToTheFile) {
  auto& rt = start();
  auto* svc = rt.config_service();
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(svc->get_config()["site"]["grid_max_current_a"], 25);

  const auto issues = svc->put_config(json::parse(R"({"site": {"grid_max_current_a": 20},
      "surplus": {"start_delay_s": 120}, "meter": {"grid": {"poll_interval_ms": 400}}})"));
  ASSERT_TRUE(issues.empty()) << issues.front().key << ": " << issues.front().rule;
  // Site rules are in the running control loop when put_config returns.
  EXPECT_EQ(rt.loop().config().site.grid_max_current_a, 20);
  EXPECT_EQ(rt.loop().config().site.surplus.start_delay_s, 120);
  auto doc = svc->get_config();
  EXPECT_EQ(doc["meter"]["grid"]["poll_interval_ms"], 400);
  EXPECT_EQ(doc["restart_required"], json::array({"meter.grid.poll_interval_ms"}));
  std::set<std::string> keys;
  for (const auto& o : doc["overrides"]) {
    keys.insert(o["key"].get<std::string>());
    EXPECT_EQ(o["source"], "web");
  }
  EXPECT_EQ(keys,
            (std::set<std::string>{"site.grid_max_current_a", "surplus.start_delay_s", "meter.grid.poll_interval_ms"}));

  // Each changed setting is an event that says what it was and what it is now.
  const auto file = gateway::load_config_text(toml_, "f");
  ASSERT_NE(rt.recorder(), nullptr);
  rt.recorder()->wait_idle();
  ASSERT_TRUE(rt.recorder()->with_store([](gateway::storage::SqliteStore& st) { return st.flush(); }));
  const auto events =
      rt.recorder()->with_store([](gateway::storage::SqliteStore& st) { return st.events(ems::WallTime{}); });
  ASSERT_TRUE(events);
  std::map<std::string, std::string> texts;
  for (const auto& e : *events)
    if (e.kind == gateway::storage::EventKind::ConfigChange) texts[e.subject] = e.text;
  EXPECT_EQ(texts["surplus.start_delay_s"], "Start delay (surplus.start_delay_s): " +
                                                std::to_string(static_cast<int>(file.site.surplus.start_delay_s)) +
                                                " s → 120 s (set from the dashboard)");
  EXPECT_EQ(texts["site.grid_max_current_a"],
            "Grid limit per phase (site.grid_max_current_a): 25 A → 20 A (set from the dashboard)");
  EXPECT_NE(texts["meter.grid.poll_interval_ms"].find("→ 400"), std::string::npos)
      << texts["meter.grid.poll_interval_ms"];

  // A restart on the same file: the overrides are applied on top of it, devices included.
  auto& again = start();
  EXPECT_EQ(again.started_config().site.grid_max_current_a, 20);
  EXPECT_EQ(again.started_config().site.surplus.start_delay_s, 120);
  EXPECT_EQ(again.started_config().meters.at("grid").poll_interval_ms, 400);
  EXPECT_TRUE(again.config_service()->get_config()["restart_required"].empty());

  // Clearing one: the file's value again, at once; the others stay.
  ASSERT_TRUE(again.config_service()->clear_overrides("site.grid_max_current_a").empty());
  EXPECT_EQ(again.loop().config().site.grid_max_current_a, 25);
  EXPECT_EQ(again.loop().config().site.surplus.start_delay_s, 120);
  EXPECT_FALSE(again.config_service()->clear_overrides("site.no_such_setting").empty());
  ASSERT_TRUE(again.config_service()->clear_overrides("").empty());
  EXPECT_EQ(again.loop().config().site.surplus.start_delay_s,
            gateway::load_config_text(toml_, "f").site.surplus.start_delay_s);
  EXPECT_TRUE(again.config_service()->get_config()["overrides"].empty());
}

TEST_F(RuntimeConfig, EachChangeFromTheDashboardIsAnEventWithAMessageThatReadsAsItsText) {
  auto& rt = start();
  auto* svc = rt.config_service();
  ASSERT_NE(svc, nullptr);
  ASSERT_TRUE(svc->put_config(json::parse(R"({"site": {"grid_max_current_a": 20}, "surplus": {"start_delay_s": 120}})"))
                  .empty());
  ASSERT_TRUE(svc->put_schedules(json::parse(R"([{"name": "night", "node": "", "days": ["mon"], "from": "22:00",
      "until": "06:00", "max_current_a": 10}])"))
                  .empty());
  rt.recorder()->wait_idle();
  ASSERT_TRUE(rt.recorder()->with_store([](gateway::storage::SqliteStore& st) { return st.flush(); }));
  const auto events =
      rt.recorder()->with_store([](gateway::storage::SqliteStore& st) { return st.events(ems::WallTime{}); });
  ASSERT_TRUE(events);
  std::map<std::string, gateway::storage::Event> by_subject;
  for (const auto& e : *events)
    if (e.kind == gateway::storage::EventKind::ConfigChange) by_subject[e.subject] = e;
  ASSERT_TRUE(by_subject.contains("site.grid_max_current_a"));
  const auto& limit = by_subject["site.grid_max_current_a"].message;
  EXPECT_EQ(limit.code, "dashboard_setting_changed");
  EXPECT_EQ(
      limit.params,
      (std::vector<std::pair<std::string, std::string>>{
          {"setting", "Grid limit per phase"}, {"key", "site.grid_max_current_a"}, {"old", "25 A"}, {"new", "20 A"}}));
  ASSERT_TRUE(by_subject.contains("schedule.night"));
  EXPECT_EQ(by_subject["schedule.night"].message.code, "schedule_changed");
  for (const auto& [subject, e] : by_subject) {
    if (!e.message.code.empty()) {
      EXPECT_EQ(test::render_english(e.message), e.text) << subject;
    }
  }
  EXPECT_FALSE(by_subject["surplus.start_delay_s"].message.code.empty());
}

// Safety rule 8 on the dashboard: beyond the file's installer limits only with the confirmation
// step; a confirmed change is kept across a restart, an unconfirmed one is never applied.
TEST_F(RuntimeConfig, InstallerLimitsNeedTheConfirmationStep) {
  auto& rt = start();
  auto* svc = rt.config_service();
  const auto raise = json::parse(R"({"site": {"grid_max_current_a": 32, "safety_margin_a": 0.5},
      "stations": [{"sockets": [{"safe_current_a": 8}, {"phase_mapping": "L2L3L1"}]}]})");
  const auto issues = svc->put_config(raise);
  std::set<std::string> keys;
  for (const auto& i : issues) {
    keys.insert(i.key);
    EXPECT_TRUE(i.rule.ends_with(webui::kConfirmationRule)) << i.key << ": " << i.rule;
  }
  EXPECT_EQ(keys, (std::set<std::string>{"site.grid_max_current_a", "site.safety_margin_a",
                                         "station[0].socket[0].safe_current_a", "station[0].socket[1].phase_mapping"}));
  EXPECT_EQ(rt.loop().config().site.grid_max_current_a, 25);
  EXPECT_TRUE(svc->get_config()["overrides"].empty()) << "nothing stored";

  ASSERT_TRUE(svc->put_config(json::parse(R"({"site": {"grid_max_current_a": 32}})"), true).empty());
  EXPECT_EQ(rt.loop().config().site.grid_max_current_a, 32);
  const auto doc = svc->get_config();
  ASSERT_EQ(doc["overrides"].size(), 1u);
  EXPECT_EQ(doc["overrides"][0]["source"], gateway::kConfirmedWebSource);
  // A change elsewhere does not ask again about the confirmed limit.
  EXPECT_TRUE(svc->put_config(json::parse(R"({"surplus": {"start_delay_s": 90}})")).empty());

  auto& again = start();
  EXPECT_EQ(again.started_config().site.grid_max_current_a, 32) << "a confirmed change is kept";
  EXPECT_EQ(again.loop().config().site.grid_max_current_a, 32);
}

TEST_F(RuntimeConfig, ARefusedChangeChangesNothingAndNamesTheKey) {
  auto& rt = start();
  auto* svc = rt.config_service();
  const auto issues =
      svc->put_config(json::parse(R"({"site": {"grid_max_current_a": 0}, "surplus": {"start_delay_s": 5}})"));
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues.front().key, "site.grid_max_current_a");
  EXPECT_EQ(rt.loop().config().site.grid_max_current_a, 25);
  EXPECT_NE(rt.loop().config().site.surplus.start_delay_s, 5);
  EXPECT_TRUE(svc->get_config()["overrides"].empty());
  // Topology is the file's business.
  const auto topo = svc->put_config(json::parse(R"({"stations": []})"));
  ASSERT_FALSE(topo.empty());
  EXPECT_EQ(topo.front().key, "stations");
}

TEST_F(RuntimeConfig, ModeCommandsFromTheDashboardAreKeptWithTheirSource) {
  auto& rt = start();
  // Arrays are replaced whole; items keep what they do not name.
  ASSERT_TRUE(
      rt.config_service()->put_config(json::parse(R"({"stations": [{"sockets": [{}, {"mode": "off"}]}]})")).empty());
  const auto overrides = rt.config_service()->get_config()["overrides"];
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0]["key"], "socket[2].mode");  // the same key a mode command leaves
  EXPECT_EQ(overrides[0]["value"], "off");
  EXPECT_EQ(rt.loop().config().site.stations[0].sockets[1].mode, ems::ChargeMode::Off);
}

TEST_F(RuntimeConfig, ProbesReadTheSimulatedMeterAndStationAndSayWhatFailed) {
  auto& rt = start();
  auto* probes = rt.probes();
  ASSERT_NE(probes, nullptr);
  site_->set_household({7, 3, 2});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto meter = probes->run(webui::ProbeKind::Meter, "grid");
  EXPECT_TRUE(meter.ok) << meter.summary;
  EXPECT_NE(meter.summary.find("L1 7.0 A"), std::string::npos) << meter.summary;
  const auto station = probes->run(webui::ProbeKind::Station, "garage");
  EXPECT_TRUE(station.ok) << station.summary;
  EXPECT_EQ(station.details["sockets"].size(), 2u);
  EXPECT_FALSE(probes->run(webui::ProbeKind::Station, "shed").ok);
  EXPECT_FALSE(probes->run(webui::ProbeKind::Meter, "heatpump").ok);
  // A saved (not yet running) meter address is what the test probes: nothing listens there.
  const int closed = free_loopback_port();
  ASSERT_TRUE(rt.config_service()->put_config({{"meter", {{"grid", {{"port", closed}}}}}}).empty());
  const auto gone = probes->run(webui::ProbeKind::Meter, "grid");
  EXPECT_FALSE(gone.ok);
  EXPECT_NE(gone.summary.find("did not answer"), std::string::npos) << gone.summary;
}

// The device tests list what they found in words (the same findings as check-site): every
// setting against the file, with the fix for each mismatch.
TEST_F(RuntimeConfig, ProbesListTheirFindingsInWordsWithTheFixForEachMismatch) {
  auto& rt = start();
  auto* probes = rt.probes();
  ASSERT_NE(probes, nullptr);
  auto texts = [](const nlohmann::json& findings, bool ok) {
    std::string out;
    for (const auto& f : findings)
      if (f["ok"].get<bool>() == ok) out += f["text"].get<std::string>() + "\n";
    return out;
  };
  site_->set_household({7, 3, 2});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto meter = probes->run(webui::ProbeKind::Meter, "grid");
  ASSERT_TRUE(meter.details.contains("findings")) << meter.details.dump();
  EXPECT_NE(texts(meter.details["findings"], true).find("current per phase: L1 7 A L2 3 A L3 2 A (import +, export -)"),
            std::string::npos)
      << meter.details.dump();
  EXPECT_NE(texts(meter.details["findings"], true).find("current on 3 phases"), std::string::npos);
  auto station = probes->run(webui::ProbeKind::Station, "garage");
  ASSERT_TRUE(station.ok) << station.summary;
  const auto good = texts(station.details["findings"], true);
  EXPECT_NE(good.find("socket id 1 (unit 1): safe current 6 A as in the file"), std::string::npos) << good;
  EXPECT_NE(good.find("maximum 32 A as in the file"), std::string::npos) << good;
  EXPECT_EQ(texts(station.details["findings"], false), "");
  // The installer set 10 A on the station; the file says 6 A.
  ASSERT_EQ(site_->station(0).command("safe 1 10").rfind("ok", 0), 0u);
  // The station takes two masters (emsgw and one test); the previous test's connection may still be
  // closing on the station's side.
  for (int i = 0; i < 20; ++i) {
    station = probes->run(webui::ProbeKind::Station, "garage");
    if (station.summary.find("did not answer") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_FALSE(station.ok) << station.summary;
  bool named = false;
  for (const auto& f : station.details["findings"])
    if (!f["ok"].get<bool>() &&
        f["text"] ==
            "socket id 1 (unit 1): the station's safe current (1212) is 10 A, the file says safe_current_a = 6 A") {
      named = true;
      EXPECT_EQ(f["fix"].get<std::string>().rfind("set the same safe current on the station and in the file", 0), 0u);
    }
  EXPECT_TRUE(named) << station.details["findings"].dump();
}

TEST(ConfigJson, KeyPathsMapToTheDocument) {
  EXPECT_EQ(gateway::config_pointer("station[0].socket[1].mode"), "/stations/0/sockets/1/mode");
  EXPECT_EQ(gateway::config_pointer("meter.grid.map.current_l1.register"), "/meter/grid/map/current_l1/register");
  EXPECT_EQ(gateway::config_pointer("site..name"), "");
  EXPECT_EQ(gateway::config_pointer("site[0]"), "");
  EXPECT_EQ(gateway::config_pointer("station[x].name"), "");
  EXPECT_TRUE(gateway::needs_restart("meter.grid.host"));
  EXPECT_TRUE(gateway::needs_restart("station[1].port"));
  EXPECT_FALSE(gateway::needs_restart("station[1].max_current_a"));
  EXPECT_FALSE(gateway::needs_restart("station[0].socket[1].mode"));
  EXPECT_TRUE(gateway::needs_restart("station[0].socket[1].unit"));
}

TEST(ConfigJson, SecretsAreWriteOnlyAndTypeErrorsNameTheKey) {
  const auto c = gateway::load_config_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
  const auto doc = gateway::config_to_json(c);
  EXPECT_FALSE(doc["mqtt"].contains("password"));
  EXPECT_FALSE(doc["influx"].contains("token"));
  auto set = gateway::apply_config_patch(c, json::parse(R"({"mqtt": {"username": "ems", "password": "s3cret"}})"));
  if (!set)
    for (const auto& i : set.error()) ADD_FAILURE() << i.key << " " << i.value << ": " << i.rule;
  ASSERT_TRUE(set);
  EXPECT_EQ(set->mqtt.password, "s3cret");
  auto bad =
      gateway::apply_config_patch(c, json::parse(R"({"site": {"grid_max_current_a": "lots"}, "mqtt": {"qos": 1.5}})"));
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().size(), 2u);
  EXPECT_EQ(bad.error()[0].key, "site.grid_max_current_a");
  EXPECT_EQ(bad.error()[0].rule, "must be a number");
  EXPECT_EQ(bad.error()[1].key, "mqtt.qos");
  EXPECT_FALSE(gateway::apply_config_patch(c, json::array()));
  // The document round-trips: reading it back changes nothing.
  auto same = gateway::apply_config_patch(c, doc);
  ASSERT_TRUE(same);
  EXPECT_EQ(gateway::config_to_json(*same), doc);
}

}  // namespace
}  // namespace emsgw::test
