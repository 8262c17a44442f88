// [mqtt] in the config file: parsing, defaults and the validator's rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mqtt/mqtt_settings.hpp"
#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

gateway::Config load(const std::string& extra) {
  return gateway::load_config_text(issue_example() + "\n" + extra, "site.toml");
}

TEST(MqttConfig, DisabledWithoutTheSection) {
  const auto c = load("");
  EXPECT_FALSE(c.mqtt.enabled);
  EXPECT_TRUE(c.mqtt.ha_discovery);
}

TEST(MqttConfig, ReadsEveryKey) {
  const auto c = load(R"(
[mqtt]
url = "ssl://broker.lan:8883"
username = "ems"
password = "secret"
client_id = "box-1"
topic_prefix = "home/ems"
ha_discovery = false
discovery_prefix = "ha"
discovery_retain = false
qos = 0
retain = false
keepalive_s = 60
connect_timeout_s = 5
reconnect_min_s = 2
reconnect_max_s = 120
ca_file = "/etc/ssl/ca.pem"
cert_file = "/etc/emsgw/client.pem"
key_file = "/etc/emsgw/client.key"
key_password = "k"
tls_verify = false
measurement_interval_ms = 5000
queue_max_messages = 500
)");
  const auto& m = c.mqtt;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.url, "ssl://broker.lan:8883");
  EXPECT_EQ(m.username, "ems");
  EXPECT_EQ(m.password, "secret");
  EXPECT_EQ(m.client_id, "box-1");
  EXPECT_EQ(m.topic_prefix, "home/ems");
  EXPECT_FALSE(m.ha_discovery);
  EXPECT_EQ(m.discovery_prefix, "ha");
  EXPECT_FALSE(m.discovery_retain);
  EXPECT_EQ(m.qos, 0);
  EXPECT_FALSE(m.retain_state);
  EXPECT_EQ(m.keepalive_s, 60);
  EXPECT_EQ(m.connect_timeout_s, 5);
  EXPECT_EQ(m.reconnect_min_s, 2);
  EXPECT_EQ(m.reconnect_max_s, 120);
  EXPECT_EQ(m.ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(m.cert_file, "/etc/emsgw/client.pem");
  EXPECT_EQ(m.key_file, "/etc/emsgw/client.key");
  EXPECT_EQ(m.key_password, "k");
  EXPECT_FALSE(m.tls_verify);
  EXPECT_EQ(m.measurement_interval_ms, 5000);
  EXPECT_EQ(m.queue_max_messages, 500);
}

TEST(MqttConfig, UrlIsRequiredAndUnknownKeysAreReported) {
  const auto errors = errors_of(issue_example() + "\n[mqtt]\nusername = \"x\"\nqos_level = 1\n");
  EXPECT_THAT(error_for(errors, "mqtt.url").rule, ::testing::HasSubstr("is required"));
  EXPECT_THAT(error_for(errors, "mqtt.qos_level").rule, ::testing::HasSubstr("unknown key"));
}

TEST(MqttConfig, RangesAndRulesNameTheKey) {
  const auto errors = errors_of(issue_example() + R"(
[mqtt]
url = "http://broker:1883"
topic_prefix = "ems/#"
qos = 2
keepalive_s = 1
reconnect_min_s = 30
reconnect_max_s = 10
measurement_interval_ms = 10
)");
  EXPECT_THAT(error_for(errors, "mqtt.url").rule, ::testing::HasSubstr("tcp://host:port"));
  EXPECT_THAT(error_for(errors, "mqtt.topic_prefix").rule, ::testing::HasSubstr("no + or #"));
  EXPECT_EQ(error_for(errors, "mqtt.qos").value, "2");
  EXPECT_EQ(error_for(errors, "mqtt.keepalive_s").value, "1");
  EXPECT_EQ(error_for(errors, "mqtt.reconnect_max_s").rule, "must be between 30 and 86400 s");
  EXPECT_EQ(error_for(errors, "mqtt.measurement_interval_ms").value, "10");
  EXPECT_GT(error_for(errors, "mqtt.qos").line, 0);
}

TEST(MqttSettingsValidate, TlsFilesNeedAnSslUrl) {
  mqtt::MqttSettings s;
  EXPECT_TRUE(mqtt::validate_settings(s).empty()) << "the defaults are valid";
  s.ca_file = "/etc/ssl/ca.pem";
  const auto issues = mqtt::validate_settings(s);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_EQ(issues[0].key, "mqtt.ca_file");
  s.url = "ssl://broker:8883";
  EXPECT_TRUE(mqtt::validate_settings(s).empty());
  for (const char* bad : {"tcp://", "tcp://host:0", "tcp://host:99999", "tcp://host:1883/path", "broker:1883"}) {
    s.url = bad;
    EXPECT_FALSE(mqtt::validate_settings(s).empty()) << bad;
  }
}

TEST(MqttConfig, TheExampleFileLoads) {
  const auto c = gateway::load_config_file(std::string(EMSGW_SOURCE_DIR) + "/deploy/emsgw.example.toml");
  EXPECT_EQ(c.mqtt.url, "tcp://127.0.0.1:1883");
  EXPECT_TRUE(c.mqtt.ha_discovery);
}

}  // namespace
}  // namespace emsgw::test
