#include "tests/fuzz/net_fuzz_targets.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ems/command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/config_json.hpp"
#include "mqtt/command_parser.hpp"
#include "webui/json_codec.hpp"

namespace emsgw::test {

namespace {

// The example site of the README: grid 25 A, one Eve Double (sockets 0 and 1, 16 A, safe 6 A).
constexpr std::string_view kSite = R"(
[site]
name = "home"
grid_max_current_a = 25      # per phase, at the point of interconnection
grid_phases = 3
meter_includes_chargers = true
safety_margin_a = 1.0
control = "sockets"          # "sockets" (per-socket set-points) or "scn" (one budget for an Alfen SCN)
alternating_period_s = 900   # 60..36000
meter_stale_after_s = 5

[meter.grid]
kind = "modbus-tcp"          # also "modbus-rtu", "dsmr-serial", "dsmr-tcp", "tic-serial"
host = "127.0.0.1"
port = 1502
unit = 1
preset = "eastron-sdm630"
poll_interval_ms = 250

[[station]]
name = "carport"
host = "127.0.0.1"
port = 1503
max_current_a = 32

[[station.socket]]
id = 0
unit = 1
max_current_a = 16
safe_current_a = 6
phase_mapping = "L1L2L3"     # L1, L2, L3, L1L2L3, L1L3L2, L2L1L3, L2L3L1, L3L1L2, L3L2L1
mode = "now"                 # off | now | minpv | pv

[[station.socket]]
id = 1
unit = 2
max_current_a = 16
safe_current_a = 6
phase_mapping = "L2L3L1"
mode = "now"
)";

const gateway::Config& base() {
  static const gateway::Config c = gateway::load_config_text(kSite, "fuzz.toml");
  return c;
}

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz contract broken: %s\n", what);
  std::abort();
}

/// Safety rule 8 after a run-time command: nothing above the file's limits.
void check_ceiling(const ems::SiteConfig& site, const ems::SiteConfig& file) {
  if (!(site.grid_max_current_a <= file.grid_max_current_a)) broken("a command raised the grid limit");
  for (std::size_t i = 0; i < site.stations.size(); ++i)
    for (std::size_t j = 0; j < site.stations[i].sockets.size(); ++j)
      if (!(site.stations[i].sockets[j].max_current_a <= file.stations[i].sockets[j].max_current_a))
        broken("a command raised a socket maximum");
}

void run_command(const ems::Command& command) {
  const auto& file = base().site;
  auto site = file;
  const auto issues = ems::apply_command(site, command, file);
  check_ceiling(site, file);
  if (issues.empty() && !ems::validate(site).empty()) broken("an accepted command left an invalid site");
  ems::CommandReply reply{issues.empty(), issues.empty() ? "accepted" : issues.front().rule, issues};
  const auto text = mqtt::reply_payload(reply, "payload");
  if (nlohmann::json::parse(text, nullptr, false).is_discarded()) broken("a reply is not JSON");
}

}  // namespace

void fuzz_mqtt_command(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string topic = "emsgw/fuzz/" + std::string(in.substr(0, nl));
  const std::string_view payload = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  const mqtt::Topics topics("emsgw/fuzz");
  const auto command = mqtt::parse_command(topics, topic, payload);
  if (!command) {
    const auto text = mqtt::reply_payload({false, command.error(), {}}, payload);
    if (nlohmann::json::parse(text, nullptr, false).is_discarded()) broken("a refusal is not JSON");
    return;
  }
  run_command(*command);
}

void fuzz_http_json_body(const std::uint8_t* data, std::size_t size) {
  const auto body = nlohmann::json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return;
  if (const auto command = webui::command_from_json(body)) run_command(*command);
  const auto patched = gateway::apply_config_patch(base(), body);
  if (!patched) {
    if (patched.error().empty()) broken("a refused patch names no problem");
    for (const auto& i : patched.error())
      if (i.key.empty()) broken("a refused patch names no key");
    return;
  }
  if (!gateway::validate_config(*patched).empty()) broken("an accepted patch does not validate");
  if (!std::isfinite(patched->site.grid_max_current_a)) broken("a non-finite limit was accepted");
}

void fuzz_toml_config(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto c = gateway::load_config_text(text, "fuzz.toml");
    if (!gateway::validate_config(c).empty()) broken("a loaded configuration does not validate");
  } catch (const gateway::ConfigLoadError& e) {
    if (e.errors().empty()) broken("a refused configuration names no problem");
  }
}

}  // namespace emsgw::test
