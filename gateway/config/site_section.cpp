// [site], [surplus], [phase_switch], [heatpump] and [heatpump.sg_ready], [control] and [log]: their
// keys are rows of the configuration schema (config_schema.cpp).
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

namespace {
/// Reads the optional table `name` of `root` as the schema section of the same name.
const toml::table* read_section(TableReader& root, std::string_view name, Config& cfg, Need need = Need::Optional) {
  const auto* t = root.table(name, need);
  if (!t) return nullptr;
  TableReader r(*t, std::string(name), root.diag());
  read_fields(r, name, cfg);
  return t;
}
}  // namespace

void parse_site_sections(TableReader& root, Config& cfg) {
  read_section(root, "site", cfg, Need::Required);
  read_section(root, "surplus", cfg);
  read_section(root, "phase_switch", cfg);
  if (const auto* t = root.table("heatpump")) {
    TableReader r(*t, "heatpump", root.diag());
    cfg.site.heatpump.enabled = true;  // the section is there: on unless it says enabled = false
    read_fields(r, "heatpump", cfg);
    if (const auto* sg = r.table("sg_ready")) {
      cfg.sg_ready.emplace();
      TableReader sr(*sg, r.full("sg_ready"), r.diag());
      read_fields(sr, "heatpump.sg_ready", cfg);
    }
  }
}

void parse_control_section(TableReader& root, Config& cfg) {
  read_section(root, "control", cfg);
}

void parse_log_section(TableReader& root, Config& cfg) {
  read_section(root, "log", cfg);
}

}  // namespace emsgw::gateway::config_detail
