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
#include "gateway/config/schedules.hpp"
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
  /// A cut may go on the wire while a read still awaits the station's reply, as a second Modbus
  /// TCP transaction. A station that leaves it unanswered has it switched off by itself.
  bool pipelined_cuts = true;
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

/// [peak]: the quarter-hour capacity peak (Flanders' capacity tariff, monthly kW maxima). On when
/// the section is present, unless it says enabled = false.
struct PeakConfig {
  bool enabled = false;
  double target_kw = 2.5;         ///< quarter-hour average import target (Flanders bills at least 2.5 kW)
  bool follow_month_peak = true;  ///< a peak already set this month becomes the target
  double margin_kw = 0.2;         ///< kept below the target
};

/// [grid_operator]: the grid operator's dimming of the controllable consumers (§14a EnWG): a relay
/// contact read from a Modbus discrete input or a GPIO line, and the failsafe of the API limit.
struct GridOperatorConfig {
  std::string input = "none";  ///< none, modbus-di, gpio
  std::string host;            ///< modbus-di: the I/O module
  int port = 502;
  int unit = 1;
  int discrete_input = 0;  ///< modbus-di: the input the relay contact is wired to
  std::string gpio_chip = "/dev/gpiochip0";
  int gpio_line = 0;
  bool active_low = false;  ///< the contact dims when the input reads 0
  int poll_ms = 1000;       ///< modbus-di: the contact is read this often
  int controllable_devices = 1;
  double relay_limit_w = 0;       ///< 0: the guaranteed floor
  double failsafe_limit_w = 0;    ///< 0: the guaranteed floor
  double failsafe_after_s = 120;  ///< heartbeat missing this long: failsafe
  double failsafe_duration_s = 7200;
};

struct LogSettings {
  std::string level = "info";  ///< trace, debug, info, warn, error
};

struct Config {
  std::string source;  ///< file it came from, for messages
  ems::SiteConfig site;
  /// By role: "grid" (required unless [meter.grid] kind = "none"), "pv", "heatpump", and the meters
  /// that [[circuit]] entries name.
  std::map<std::string, drivers::MeterSettings> meters;
  std::vector<StationLink> station_links;
  std::optional<drivers::SgReadySettings> sg_ready;
  ControlSettings control;
  LogSettings log;
  storage::StorageSettings storage;  ///< [storage]
  influx::InfluxSettings influx;     ///< [influx]; influx.enabled is false without the section
  mqtt::MqttSettings mqtt;           ///< [mqtt]; mqtt.enabled is false without the section
  webui::WebSettings web;            ///< [web]; listen defaults to 127.0.0.1:8080
  storage::Tariff tariff;            ///< [tariff]; tariff.configured is false without the section
  PeakConfig peak;                   ///< [peak]
  GridOperatorConfig grid_operator;  ///< [grid_operator]
  /// [[schedule]]: weekly windows that lower a node's limit
  std::vector<ScheduleWindow> schedules;
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
