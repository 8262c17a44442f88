#pragma once
// The whole configuration of one emsgw box, read from TOML (README "Configuration").
// Parse → typed structs → one validator (validate_config) shared by the file, the web UI and MQTT.

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/meters/meter_settings.hpp"
#include "ems/site_config.hpp"
#include "gateway/influx/influx_settings.hpp"
#include "gateway/storage/storage_settings.hpp"
#include "gateway/storage/tariff.hpp"
#include "mqtt/mqtt_settings.hpp"
#include "webui/web_server.hpp"

namespace emsgw::gateway {

/// How emsgw reaches one charging station (Alfen: Modbus TCP, alfen-modbus.md §1). Parallel to
/// Config::site.stations: station_links[i] belongs to site.stations[i].
struct StationLink {
  /// The station's brand: a charger kind of the device registry (gateway/devices/device_kinds.hpp).
  std::string kind = "alfen";
  std::string host;
  int port = 502;
  int connect_timeout_ms = 2000;
  int response_timeout_ms = 1000;
  int poll_interval_ms = 1000;
  /// Refresh a set-point when the station's remaining validity (1208 / 1423–1428) drops below
  /// this, whatever else happens (design.md §2.5).
  double refresh_margin_s = 20;
};

/// [control]: how the control loop runs and stops.
struct ControlSettings {
  enum class OnExit { SafeCurrent, Leave };
  /// What emsgw writes when it stops (SIGTERM): every socket's safe current, or nothing (the
  /// stations fall back to their safe current by themselves when the validity runs out).
  OnExit on_exit = OnExit::SafeCurrent;
  int step_interval_ms = 1000;  ///< timer step when no event arrives
  int lease_ms = 10000;         ///< set-points stop being refreshed this long after the loop stops
};

struct LogSettings {
  std::string level = "info";  ///< trace, debug, info, warn, error
};

struct Config {
  std::string source;  ///< file it came from, for messages
  ems::SiteConfig site;
  std::map<std::string, drivers::MeterSettings> meters;  ///< by role: "grid" (required), "pv", "heatpump"
  std::vector<StationLink> station_links;
  std::optional<drivers::SgReadySettings> sg_ready;
  ControlSettings control;
  LogSettings log;
  storage::StorageSettings storage;  ///< [storage]
  influx::InfluxSettings influx;     ///< [influx]; influx.enabled is false without the section
  mqtt::MqttSettings mqtt;           ///< [mqtt]; mqtt.enabled is false without the section
  webui::WebSettings web;            ///< [web]; listen defaults to 127.0.0.1:8080
  storage::Tariff tariff;            ///< [tariff]; tariff.configured is false without the section
};

/// One reported problem: where (file:line), which key, what value, which rule.
struct ConfigError {
  std::string file;
  int line = 0;  ///< 0 when the problem has no single line (e.g. a missing section)
  std::string key;
  std::string value;
  std::string rule;
  [[nodiscard]] std::string format() const;
  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

class ConfigLoadError : public std::runtime_error {
 public:
  explicit ConfigLoadError(std::vector<ConfigError> errors);
  [[nodiscard]] const std::vector<ConfigError>& errors() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

/// Reads, parses and validates a config file. Throws ConfigLoadError listing every problem found.
[[nodiscard]] Config load_config_file(const std::string& path);
/// Same for text in memory; `source` names it in messages.
[[nodiscard]] Config load_config_text(std::string_view text, const std::string& source);

/// The one validator: the site rules of ems::validate plus meters, links and the other sections.
/// Keys are paths ("meter.grid.port", "station[1].socket[0].unit").
[[nodiscard]] std::vector<ems::ConfigIssue> validate_config(const Config& config);

}  // namespace emsgw::gateway
