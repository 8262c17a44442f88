// [mqtt] (mqtt/mqtt_settings.hpp; every key in deploy/emsgw.example.toml).
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

void parse_mqtt_section(TableReader& root, Config& cfg) {
  const auto* t = root.table("mqtt");
  if (!t) return;
  TableReader r(*t, "mqtt", root.diag());
  auto& s = cfg.mqtt;
  s.enabled = true;
  r.read("enabled", s.enabled);
  r.read("url", s.url, Need::Required);
  r.read("username", s.username);
  r.read("password", s.password);
  r.read("client_id", s.client_id);
  r.read("topic_prefix", s.topic_prefix);
  r.read("ha_discovery", s.ha_discovery);
  r.read("discovery_prefix", s.discovery_prefix);
  r.read("discovery_retain", s.discovery_retain);
  r.read("qos", s.qos);
  r.read("retain", s.retain_state);
  r.read("keepalive_s", s.keepalive_s);
  r.read("connect_timeout_s", s.connect_timeout_s);
  r.read("reconnect_min_s", s.reconnect_min_s);
  r.read("reconnect_max_s", s.reconnect_max_s);
  r.read("ca_file", s.ca_file);
  r.read("cert_file", s.cert_file);
  r.read("key_file", s.key_file);
  r.read("key_password", s.key_password);
  r.read("tls_verify", s.tls_verify);
  r.read("measurement_interval_ms", s.measurement_interval_ms);
  r.read("queue_max_messages", s.queue_max_messages);
  if (r.has("commands")) {
    r.claim("commands");
    const auto* list = t->get("commands");
    const auto* arr = list ? list->as_array() : nullptr;
    if (!arr) {
      r.diag().error(r.line("commands"), r.full("commands"), list ? render(*list) : "",
                     "must be a list of command names, e.g. [\"socket_mode\", \"socket_max_current\"]");
      return;
    }
    s.commands.clear();
    for (const auto& n : *arr) {
      if (const auto v = n.value<std::string>())
        s.commands.push_back(*v);
      else
        r.diag().error(r.line("commands"), r.full("commands"), render(n), "every entry must be a command name");
    }
  }
}

}  // namespace emsgw::gateway::config_detail
