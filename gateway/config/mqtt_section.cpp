// [mqtt] (mqtt/mqtt_settings.hpp): its keys are rows of the configuration schema (config_schema.cpp).
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

void parse_mqtt_section(TableReader& root, Config& cfg) {
  const auto* t = root.table("mqtt");
  if (!t) return;
  TableReader r(*t, "mqtt", root.diag());
  cfg.mqtt.enabled = true;  // the section is there: on unless it says enabled = false
  read_fields(r, "mqtt", cfg);
}

}  // namespace emsgw::gateway::config_detail
