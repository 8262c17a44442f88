#include "mqtt/mqtt_settings.hpp"

#include <string_view>

#include "mqtt/command_parser.hpp"
#include "mqtt/topics.hpp"

namespace emsgw::mqtt {

namespace {
using Issues = std::vector<ems::ConfigIssue>;

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

void range(Issues& out, std::string_view key, int v, int lo, int hi, std::string_view unit) {
  if (v >= lo && v <= hi) return;
  out.push_back({"mqtt." + std::string(key), std::to_string(v),
                 "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                     (unit.empty() ? "" : " " + std::string(unit))});
}

/// A prefix is used as the first levels of every topic: no wildcards, no leading or trailing '/'.
void prefix(Issues& out, std::string_view key, const std::string& p, bool may_be_empty) {
  if (p.empty() && may_be_empty) return;
  if (!valid_publish_topic(p) || p.front() == '/' || p.back() == '/' || p.find("//") != std::string::npos)
    out.push_back({"mqtt." + std::string(key), quoted(p),
                   "must be topic levels such as \"emsgw/home\": no + or #, no leading, trailing or double /"});
}

bool url_ok(const std::string& url, bool& tls) {
  std::string_view rest = url;
  if (rest.starts_with("tcp://") || rest.starts_with("mqtt://")) {
    tls = false;
  } else if (rest.starts_with("ssl://") || rest.starts_with("mqtts://")) {
    tls = true;
  } else {
    return false;
  }
  rest.remove_prefix(rest.find("://") + 3);
  const auto colon = rest.rfind(':');
  if (rest.empty() || rest.find_first_of(" /\t") != std::string_view::npos) return false;
  if (colon == std::string_view::npos) return true;  // Paho uses the default port
  const std::string_view port = rest.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5) return false;
  int n = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  return n >= 1 && n <= 65535;
}
}  // namespace

std::vector<ems::ConfigIssue> validate_settings(const MqttSettings& s) {
  Issues out;
  bool tls = false;
  if (!url_ok(s.url, tls))
    out.push_back(
        {"mqtt.url", quoted(s.url), "must be tcp://host:port or ssl://host:port (e.g. tcp://127.0.0.1:1883)"});
  if (!tls) {
    for (const auto& [key, value] : {std::pair{"ca_file", &s.ca_file},
                                     {"cert_file", &s.cert_file},
                                     {"key_file", &s.key_file},
                                     {"key_password", &s.key_password}})
      if (!value->empty())
        out.push_back({"mqtt." + std::string(key), quoted(*value), "is only used with an ssl:// url"});
  }
  if (!s.key_file.empty() && s.cert_file.empty())
    out.push_back({"mqtt.key_file", quoted(s.key_file), "needs mqtt.cert_file (the client certificate)"});
  if (!s.password.empty() && s.username.empty()) out.push_back({"mqtt.password", "\"…\"", "needs mqtt.username"});
  prefix(out, "topic_prefix", s.topic_prefix, true);
  prefix(out, "discovery_prefix", s.discovery_prefix, false);
  if (s.client_id.size() > 128) out.push_back({"mqtt.client_id", quoted(s.client_id), "must be at most 128 bytes"});
  for (const auto& c : s.commands)
    if (!command_name_known(c))
      out.push_back({"mqtt.commands", quoted(c),
                     "must be one of: socket_mode, socket_max_current, site_limit, suspend, grid_operator"});
  range(out, "qos", s.qos, 0, 1, "");
  range(out, "keepalive_s", s.keepalive_s, 5, 3600, "s");
  range(out, "connect_timeout_s", s.connect_timeout_s, 1, 120, "s");
  range(out, "reconnect_min_s", s.reconnect_min_s, 1, 3600, "s");
  range(out, "reconnect_max_s", s.reconnect_max_s, s.reconnect_min_s, 86400, "s");
  range(out, "measurement_interval_ms", s.measurement_interval_ms, 100, 3'600'000, "ms");
  range(out, "queue_max_messages", s.queue_max_messages, 10, 1'000'000, "messages");
  return out;
}

}  // namespace emsgw::mqtt
