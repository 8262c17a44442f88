#pragma once
// The [mqtt] section (deploy/emsgw.example.toml documents every key). Plain data; ranges are
// checked by gateway/config/validate_config.cpp.

#include <string>
#include <vector>

#include "ems/site_config.hpp"

namespace emsgw::mqtt {

struct MqttSettings {
  bool enabled = false;                      ///< true when the file has an [mqtt] section (and enabled is not false)
  std::string url = "tcp://127.0.0.1:1883";  ///< tcp://host:port or ssl://host:port
  std::string username;                      ///< empty: connect without credentials
  std::string password;
  std::string client_id;     ///< empty: "emsgw-<site name as a topic segment>"
  std::string topic_prefix;  ///< empty: "emsgw/<site name as a topic segment>"
  bool ha_discovery = true;  ///< publish Home Assistant device discovery (protocols.md §6)
  std::string discovery_prefix = "homeassistant";
  bool discovery_retain = true;  ///< retained discovery; it is re-sent on homeassistant/status = online either way
  int qos = 1;                   ///< 0 or 1 for telemetry, discovery and replies
  bool retain_state = true;      ///< state topics retained, so a newcomer sees the last value at once
  int keepalive_s = 30;
  int connect_timeout_s = 10;
  int reconnect_min_s = 1;   ///< reconnect backoff: first wait …
  int reconnect_max_s = 60;  ///< … doubled after each failure up to this
  // TLS (ssl:// URLs only).
  std::string ca_file;    ///< CA bundle (PEM) that signed the broker's certificate; empty: system store
  std::string cert_file;  ///< client certificate (PEM), for brokers that require one
  std::string key_file;   ///< its private key (PEM); empty: the key is in cert_file
  std::string key_password;
  bool tls_verify = true;  ///< verify the broker's certificate and host name
  /// Commands accepted on …/set (mqtt/README.md "Commands"): "socket_mode", "socket_max_current",
  /// "site_limit", "suspend" (suspend and resume). Current limits can only be lowered below the
  /// configuration file's values whatever this says (safety rule 8). Empty: no command is taken.
  std::vector<std::string> commands = {"socket_mode", "socket_max_current", "site_limit", "suspend"};
  // Rates.
  int measurement_interval_ms = 1000;  ///< power, current, voltage, energy: at most this often, and only when changed
  int queue_max_messages = 2000;       ///< outgoing queue bound; the oldest is dropped when full (broker away)
};

/// The [mqtt] rules: URL scheme, topic prefixes, QoS and the ranges of the numbers. Keys are
/// "mqtt.<key>"; an empty vector means the settings may be used. gateway/config/validate_config
/// runs this with the rest of the file.
[[nodiscard]] std::vector<ems::ConfigIssue> validate_settings(const MqttSettings& settings);

}  // namespace emsgw::mqtt
