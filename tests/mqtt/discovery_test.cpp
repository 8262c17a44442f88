#include "mqtt/discovery.hpp"

#include <gtest/gtest.h>

#include <set>

#include "mqtt/command_parser.hpp"
#include "mqtt/telemetry.hpp"
#include "tests/mqtt/mqtt_test_support.hpp"

namespace emsgw::mqtt {
namespace {
using nlohmann::json;

std::vector<DiscoveryMessage> sample_messages() {
  return discovery_messages(test::sample_site(), Topics("emsgw/home_lab"), "homeassistant");
}

TEST(Discovery, OneDeviceMessagePerGatewayAndStation) {
  const auto msgs = sample_messages();
  ASSERT_EQ(msgs.size(), 3U);
  EXPECT_EQ(msgs[0].topic, "homeassistant/device/emsgw_home_lab/config");
  EXPECT_EQ(msgs[1].topic, "homeassistant/device/emsgw_home_lab_carport/config");
  EXPECT_EQ(msgs[2].topic, "homeassistant/device/emsgw_home_lab_garage/config");
  EXPECT_EQ(msgs[1].payload["dev"]["via_device"], "emsgw_home_lab");
}

TEST(Discovery, PeakDimmingAndCircuitSensors) {
  auto d = test::sample_site();
  auto msgs = discovery_messages(d, Topics("emsgw/home_lab"), "homeassistant");
  auto cmps = msgs[0].payload["cmps"];
  EXPECT_FALSE(cmps.contains("peak_month_peak")) << "no [peak]";
  ASSERT_TRUE(cmps.contains("grid_operator_state"));
  EXPECT_EQ(cmps["grid_operator_state"]["state_topic"], "emsgw/home_lab/grid_operator/state");
  EXPECT_EQ(cmps["grid_operator_limit"]["unit_of_measurement"], "W");
  d.has_peak = true;
  ems::CircuitConfig c;
  c.name = "garage-board";
  d.site.circuits.push_back(c);
  msgs = discovery_messages(d, Topics("emsgw/home_lab"), "homeassistant");
  cmps = msgs[0].payload["cmps"];
  ASSERT_TRUE(cmps.contains("peak_month_peak"));
  EXPECT_EQ(cmps["peak_month_peak"]["state_topic"], "emsgw/home_lab/peak/month_peak");
  EXPECT_EQ(cmps["peak_month_peak"]["device_class"], "power");
  ASSERT_TRUE(cmps.contains("peak_quarter_energy"));
  EXPECT_EQ(cmps["peak_quarter_energy"]["unit_of_measurement"], "Wh");
  ASSERT_TRUE(cmps.contains("peak_projected_average"));
  ASSERT_TRUE(cmps.contains("circuit_garage-board_load_power"));
  EXPECT_EQ(cmps["circuit_garage-board_load_power"]["state_topic"], "emsgw/home_lab/circuit/garage-board/load_power");
}

TEST(Discovery, RootCarriesDeviceOriginAndAvailability) {
  for (const auto& m : sample_messages()) {
    const auto& p = m.payload;
    ASSERT_TRUE(p.contains("dev")) << m.topic;
    ASSERT_TRUE(p["dev"]["ids"].is_array());
    EXPECT_FALSE(p["dev"]["ids"].empty());
    EXPECT_TRUE(p["dev"]["name"].is_string());
    ASSERT_TRUE(p.contains("o"));
    EXPECT_EQ(p["o"]["name"], "emsgw");
    EXPECT_EQ(p["availability_topic"], "emsgw/home_lab/status");
    ASSERT_TRUE(p["cmps"].is_object());
    EXPECT_FALSE(p["cmps"].empty());
  }
}

TEST(Discovery, EveryComponentHasPlatformUniqueIdAndNoObjectId) {
  std::set<std::string> unique_ids;
  for (const auto& m : sample_messages()) {
    for (const auto& [key, c] : m.payload["cmps"].items()) {
      ASSERT_TRUE(c.contains("p")) << key;
      ASSERT_TRUE(c["unique_id"].is_string()) << key;
      EXPECT_TRUE(unique_ids.insert(c["unique_id"].get<std::string>()).second) << "duplicate " << c["unique_id"];
      EXPECT_FALSE(c.contains("object_id")) << key << ": object_id is deprecated";
      const std::string platform = c["p"];
      EXPECT_EQ(c["default_entity_id"], platform + "." + c["unique_id"].get<std::string>());
      for (const char ch : key) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-');
    }
  }
  EXPECT_GT(unique_ids.size(), 50U);
}

TEST(Discovery, SensorsFollowTheDeviceClassTable) {
  // protocols.md §6.3: device_class → (unit, state_class).
  const std::map<std::string, std::pair<std::string, std::string>> table{
      {"power", {"W", "measurement"}},
      {"current", {"A", "measurement"}},
      {"voltage", {"V", "measurement"}},
      {"energy", {"kWh", "total_increasing"}},
  };
  int checked = 0;
  for (const auto& m : sample_messages()) {
    for (const auto& [key, c] : m.payload["cmps"].items()) {
      if (c["p"] != "sensor") continue;
      ASSERT_TRUE(c["state_topic"].is_string()) << key << ": sensors require state_topic";
      if (!c.contains("device_class")) continue;
      if (key.find("last_session_") != std::string::npos) continue;  // figures, not counters: see below
      const std::string dc = c["device_class"];
      if (dc == "enum") {
        EXPECT_TRUE(c["options"].is_array()) << key;
        continue;
      }
      const auto it = table.find(dc);
      ASSERT_NE(it, table.end()) << key << " has device_class " << dc;
      EXPECT_EQ(c["unit_of_measurement"], it->second.first) << key;
      EXPECT_EQ(c["state_class"], it->second.second) << key;
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

// The session that ended last is a figure, not a counter: energy in kWh and its cost in the
// tariff's currency, without a state class (out of the Energy dashboard's statistics, which use the
// total_increasing counters); no cost sensor without a [tariff].
TEST(Discovery, LastSessionSensorsAreFiguresWithUnitsAndACostOnlyWithATariff) {
  auto d = test::sample_site();
  d.currency = "EUR";
  const auto with_tariff = discovery_messages(d, Topics("emsgw/home_lab"), "homeassistant");
  const auto& carport = with_tariff[1].payload["cmps"];
  ASSERT_TRUE(carport.contains("socket1_last_session_energy"));
  const auto& e = carport["socket1_last_session_energy"];
  EXPECT_EQ(e["state_topic"], "emsgw/home_lab/socket/1/last_session_energy");
  EXPECT_EQ(e["device_class"], "energy");
  EXPECT_EQ(e["unit_of_measurement"], "kWh");
  EXPECT_FALSE(e.contains("state_class"));
  ASSERT_TRUE(carport.contains("socket2_last_session_cost"));
  const auto& c = carport["socket2_last_session_cost"];
  EXPECT_EQ(c["state_topic"], "emsgw/home_lab/socket/2/last_session_cost");
  EXPECT_EQ(c["device_class"], "monetary");
  EXPECT_EQ(c["unit_of_measurement"], "EUR");
  EXPECT_FALSE(c.contains("state_class"));
  const auto without = sample_messages();
  EXPECT_TRUE(without[1].payload["cmps"].contains("socket1_last_session_energy"));
  EXPECT_FALSE(without[1].payload["cmps"].contains("socket1_last_session_cost"));
}

TEST(Discovery, NumbersHaveCommandTopicAndRange) {
  const auto msgs = sample_messages();
  const auto& socket1 = msgs[1].payload["cmps"]["socket1_max_current"];
  EXPECT_EQ(socket1["p"], "number");
  EXPECT_EQ(socket1["command_topic"], "emsgw/home_lab/socket/1/max_current/set");
  EXPECT_EQ(socket1["state_topic"], "emsgw/home_lab/socket/1/max_current");
  EXPECT_EQ(socket1["min"], 6.0);
  EXPECT_EQ(socket1["max"], 32.0);  // the station's maximum
  EXPECT_EQ(msgs[2].payload["cmps"]["socket3_max_current"]["max"], 16.0);
  int numbers = 0;
  for (const auto& m : msgs)
    for (const auto& [key, c] : m.payload["cmps"].items()) {
      if (c["p"] != "number") continue;
      ++numbers;
      EXPECT_TRUE(c["command_topic"].is_string()) << key;
      EXPECT_TRUE(c["min"].is_number() && c["max"].is_number() && c["step"].is_number()) << key;
      EXPECT_LT(c["min"].get<double>(), c["max"].get<double>()) << key;
    }
  EXPECT_EQ(numbers, 4);  // three sockets and the site limit
}

TEST(Discovery, SelectsOfferTheChargeModes) {
  const auto msgs = sample_messages();
  const auto& mode = msgs[1].payload["cmps"]["socket2_mode"];
  EXPECT_EQ(mode["p"], "select");
  EXPECT_EQ(mode["command_topic"], "emsgw/home_lab/socket/2/mode/set");
  EXPECT_EQ(mode["options"], json::array({"off", "now", "minpv", "pv"}));
}

TEST(Discovery, GridPhasesFollowTheSite) {
  auto d = test::sample_site();
  d.site.grid_phases = 1;
  d.has_pv = false;
  const auto msgs = discovery_messages(d, Topics("p"));
  const auto& cmps = msgs[0].payload["cmps"];
  EXPECT_TRUE(cmps.contains("grid_l1_current"));
  EXPECT_FALSE(cmps.contains("grid_l2_current"));
  EXPECT_FALSE(cmps.contains("pv_power"));
}

// Every topic discovery points at must be one telemetry publishes or the command parser accepts.
TEST(Discovery, TopicsMatchTelemetryAndCommands) {
  const Topics t("emsgw/home_lab");
  std::set<std::string> published;
  for (const auto& i : telemetry_items(test::sample_status(1), t)) published.insert(i.topic);
  for (int socket : {1, 2, 3})  // the "last session" sensors: published when a session ends
    for (const auto& [topic, payload] : session_messages({socket, 5000.0, 1.25}, t)) published.insert(topic);
  for (const auto& m : sample_messages()) {
    for (const auto& [key, c] : m.payload["cmps"].items()) {
      if (c.contains("state_topic")) {
        EXPECT_TRUE(published.contains(c["state_topic"])) << key << " " << c["state_topic"];
      }
      if (c.contains("command_topic")) {
        const std::string topic = c["command_topic"];
        std::string sample = "1";
        if (c["p"] == "select") sample = c["options"][0];
        if (c["p"] == "switch") sample = c["payload_on"];
        EXPECT_TRUE(parse_command(t, topic, sample).has_value()) << key << " " << topic;
      }
    }
  }
}

}  // namespace
}  // namespace emsgw::mqtt
