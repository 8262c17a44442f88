// [web]: the dashboard and REST API (webui/web_server.hpp); its keys are rows of the configuration
// schema (config_schema.cpp).
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

void parse_web_section(TableReader& root, Config& cfg) {
  if (const auto* t = root.table("web")) {
    TableReader r(*t, "web", root.diag());
    read_fields(r, "web", cfg);
  }
}

}  // namespace emsgw::gateway::config_detail
