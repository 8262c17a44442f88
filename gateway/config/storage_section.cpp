// [storage] and [influx] (gateway/storage/storage_settings.hpp, gateway/influx/influx_settings.hpp):
// their keys are rows of the configuration schema (config_schema.cpp).
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

void parse_storage_sections(TableReader& root, Config& cfg) {
  if (const auto* t = root.table("storage")) {
    TableReader r(*t, "storage", root.diag());
    read_fields(r, "storage", cfg);
  }
  if (const auto* t = root.table("influx")) {
    TableReader r(*t, "influx", root.diag());
    cfg.influx.enabled = true;  // the section is there: on unless it says enabled = false
    read_fields(r, "influx", cfg);
  }
}

}  // namespace emsgw::gateway::config_detail
