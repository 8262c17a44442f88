#include <fstream>
#include <sstream>

#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway {

namespace config_detail {
void parse_tariff_section(TableReader& root, Config& cfg);  // tariff_section.cpp
}  // namespace config_detail

using namespace config_detail;

std::string ConfigError::format() const {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  return where + ": " + key + " = " + value + ": " + rule;
}

namespace {
std::string summary(const std::vector<ConfigError>& errors) {
  std::string s = std::to_string(errors.size()) + (errors.size() == 1 ? " error" : " errors") + " in the configuration";
  for (const auto& e : errors) s += "\n  " + e.format();
  return s;
}
}  // namespace

ConfigLoadError::ConfigLoadError(std::vector<ConfigError> errors)
    : std::runtime_error(summary(errors)), errors_(std::move(errors)) {}

Config load_config_text(std::string_view text, const std::string& source) {
  Diagnostics diag(source);
  Config cfg;
  cfg.source = source;
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigLoadError({{source, static_cast<int>(e.source().begin.line), "(syntax)", "-",
                            "TOML syntax error: " + std::string(e.description())}});
  }
  {
    TableReader root(doc, "", diag);
    parse_site_sections(root, cfg);
    parse_limits_sections(root, cfg);
    parse_meter_section(root, cfg);
    parse_station_section(root, cfg);
    parse_log_section(root, cfg);
    parse_control_section(root, cfg);
    parse_storage_sections(root, cfg);
    parse_mqtt_section(root, cfg);
    parse_web_section(root, cfg);
    parse_tariff_section(root, cfg);
  }  // root's destructor reports unknown top-level sections
  // Semantic rules run only on a structurally sound file: a missing or mistyped key would
  // otherwise produce follow-up findings about defaults the user never wrote.
  // Values out of every range are reported above and keep their defaults; the rules still run
  // (every problem in one pass), without a second finding for a key already reported.
  if (diag.shape_ok()) {
    for (auto& issue : validate_config(cfg))
      if (!diag.reported(issue.key, issue.rule))
        diag.error(diag.line_of(issue.key), issue.key, issue.value, issue.rule);
  }
  if (!diag.errors().empty()) throw ConfigLoadError(std::move(diag.errors()));
  return cfg;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigLoadError({{path, 0, "(file)", "-", "cannot be read: check the path and its permissions"}});
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path);
}

}  // namespace emsgw::gateway
