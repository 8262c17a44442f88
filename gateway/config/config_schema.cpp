#include "gateway/config/config_schema.hpp"

#include <algorithm>
#include <array>

#include "gateway/influx/line_protocol.hpp"
#include "webui/listen_address.hpp"

namespace emsgw::gateway {

using nlohmann::json;

namespace {

using T = FieldType;
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

// Settings that are text in the file and something else in Config.
constexpr FieldCodec kControlMode{[](const Config& c) { return std::string(ems::to_string(c.site.control)); },
                                  [](Config& c, std::string_view s) {
                                    const auto v = ems::parse_control_mode(s);
                                    if (v) c.site.control = *v;
                                    return v.has_value();
                                  }};
constexpr FieldCodec kHeatpumpPriority{
    [](const Config& c) { return std::string(ems::to_string(c.site.heatpump.priority)); },
    [](Config& c, std::string_view s) {
      const auto v = ems::parse_heatpump_priority(s);
      if (v) c.site.heatpump.priority = *v;
      return v.has_value();
    }};
constexpr FieldCodec kSgReadyOutput{
    [](const Config& c) { return std::string(c.sg_ready && !c.sg_ready->use_coils ? "registers" : "coils"); },
    [](Config& c, std::string_view s) {
      if (s != "coils" && s != "registers") return false;
      c.sg_ready.value().use_coils = s == "coils";
      return true;
    }};
constexpr FieldCodec kOnExit{
    [](const Config& c) {
      return std::string(c.control.on_exit == ControlSettings::OnExit::Leave ? "leave" : "safe-current");
    },
    [](Config& c, std::string_view s) {
      if (s != "safe-current" && s != "leave") return false;
      c.control.on_exit = s == "leave" ? ControlSettings::OnExit::Leave : ControlSettings::OnExit::SafeCurrent;
      return true;
    }};
constexpr FieldCodec kSynchronous{[](const Config& c) { return std::string(c.storage.sync_full ? "full" : "normal"); },
                                  [](Config& c, std::string_view s) {
                                    if (s != "full" && s != "normal") return false;
                                    c.storage.sync_full = s == "full";
                                    return true;
                                  }};
constexpr FieldCodec kPrecision{
    [](const Config& c) { return std::string(influx::precision_name(c.influx.precision, 2)); },
    [](Config& c, std::string_view s) {
      const auto v = influx::parse_precision(s);
      if (v) c.influx.precision = *v;
      return v.has_value();
    }};
constexpr FieldCodec kListen{
    [](const Config& c) { return c.web.listen.host + ":" + std::to_string(c.web.listen.port); },
    [](Config& c, std::string_view s) {
      const auto a = webui::parse_listen_address(s);
      if (a) c.web.listen = *a;
      return a.has_value();
    }};

// clang-format off
// section, key, type, unit, min, max, choices, label, help, required, editable, range_rule, at, codec, rule
const std::array kFields = std::to_array<FieldSpec>({
  {"site", "name", T::Text, "", kNone, kNone, "", "Site name", "Shown in the dashboard, in MQTT topics (emsgw/<name>) and in Home Assistant.", true, true, false, [](Config& c) -> void* { return &c.site.name; }},
  {"site", "grid_max_current_a", T::Number, "A", 1, 5000, "", "Grid limit per phase", "The main fuse or contracted current per phase at the point of interconnection. Raising it above the configuration file needs a confirmation.", true, true, false, [](Config& c) -> void* { return &c.site.grid_max_current_a; }},
  {"site", "grid_phases", T::Integer, "", 1, 3, "1, 3", "Grid phases", "1 for a single-phase connection, 3 for three-phase.", false, true, false, [](Config& c) -> void* { return &c.site.grid_phases; }},
  {"site", "meter_includes_chargers", T::Boolean, "", kNone, kNone, "", "Meter includes chargers", "On when the grid meter also measures the charging stations (the usual wiring).", true, true, false, [](Config& c) -> void* { return &c.site.meter_includes_chargers; }},
  {"site", "safety_margin_a", T::Number, "A", 0, kNone, "", "Safety margin", "Kept free on every phase; must stay below the grid limit.", false, true, false, [](Config& c) -> void* { return &c.site.safety_margin_a; }},
  {"site", "control", T::Choice, "", kNone, kNone, "sockets, scn", "Control", "sockets: a set-point per socket; scn: one per-phase budget written to an Alfen Smart Charging Network.", false, true, false, nullptr, &kControlMode},
  {"site", "alternating_period_s", T::Integer, "s", 60, 36000, "", "Alternating period", "How long each car's turn lasts when the minimums do not all fit.", false, true, false, [](Config& c) -> void* { return &c.site.alternating_period_s; }},
  {"site", "meter_stale_after_s", T::Number, "s", 0.5, 300, "", "Meter stale after", "A grid reading older than this sends every socket to its safe current.", false, true, false, [](Config& c) -> void* { return &c.site.meter_stale_after_s; }},
  {"site", "station_stale_after_s", T::Number, "s", 1, 600, "", "Station stale after", "A silent station counts at its safe current.", false, false, false, [](Config& c) -> void* { return &c.site.station_stale_after_s; }},
  {"site", "pv_stale_after_s", T::Number, "s", 1, 3600, "", "PV stale after", "Stale PV readings stop surplus-only charging.", false, false, false, [](Config& c) -> void* { return &c.site.pv_stale_after_s; }},
  {"site", "min_current_a", T::Number, "A", 6, 32, "", "Minimum current", "The lowest current offered to an EV (IEC 61851: 6 A).", false, false, false, [](Config& c) -> void* { return &c.site.min_current_a; }},
  {"site", "probing_current_a", T::Number, "A", kNone, 32, "", "Probing current", "Offered to a newly connected EV to learn what it takes; above the minimum current.", false, false, false, [](Config& c) -> void* { return &c.site.probing_current_a; }},
  {"site", "probing_time_s", T::Number, "s", 0, 600, "", "Probing time", "How long probing lasts.", false, false, false, [](Config& c) -> void* { return &c.site.probing_time_s; }},
  {"site", "ev_response_time_s", T::Number, "s", 1, 60, "", "EV response time", "Time an EV has to follow a lower limit (IEC 61851: 5 s).", false, false, false, [](Config& c) -> void* { return &c.site.ev_response_time_s; }},
  {"site", "raise_deadband_a", T::Number, "A", 0, 10, "", "Raise deadband", "Raises smaller than this are held back; cuts never are.", false, false, false, [](Config& c) -> void* { return &c.site.raise_deadband_a; }},
  {"site", "scn_name", T::Text, "", kNone, kNone, "", "SCN name", "control = scn: the SCN-NetworkName, A-Z 0-9, at most 7 characters.", false, false, false, [](Config& c) -> void* { return &c.site.scn_name; }},
  {"site", "scn_station", T::Text, "", kNone, kNone, "", "SCN station", "control = scn: the station that speaks for the SCN.", false, false, false, [](Config& c) -> void* { return &c.site.scn_station; }},

  {"surplus", "start_surplus_w", T::Number, "W", 0, 1e6, "", "Start a PV session above", "Export needed before a PV-only socket starts (about 6 A × 230 V).", false, true, false, [](Config& c) -> void* { return &c.site.surplus.start_surplus_w; }},
  {"surplus", "stop_surplus_w", T::Number, "W", -1e6, 1e6, "", "Stop a PV session below", "A PV-only socket stops when the surplus stays below this; at most the start surplus.", false, true, false, [](Config& c) -> void* { return &c.site.surplus.stop_surplus_w; }},
  {"surplus", "start_delay_s", T::Number, "s", 0, 3600, "", "Start delay", "How long the surplus must last before starting.", false, true, false, [](Config& c) -> void* { return &c.site.surplus.start_delay_s; }},
  {"surplus", "stop_delay_s", T::Number, "s", 0, 3600, "", "Stop delay", "How long the surplus must be missing before stopping.", false, true, false, [](Config& c) -> void* { return &c.site.surplus.stop_delay_s; }},
  {"surplus", "nominal_voltage_v", T::Number, "V", 100, 260, "", "Nominal voltage", "Converts watts of surplus to amperes per phase.", false, false, false, [](Config& c) -> void* { return &c.site.surplus.nominal_voltage_v; }},

  {"phase_switch", "enabled", T::Boolean, "", kNone, kNone, "", "Automatic 1/3-phase switching", "On stations with phase switching allowed.", false, false, false, [](Config& c) -> void* { return &c.site.phase_switch.enabled; }},
  {"phase_switch", "min_interval_s", T::Number, "s", 60, 86400, "", "Minimum time between switches", "At least this long between two switches of one socket.", false, false, false, [](Config& c) -> void* { return &c.site.phase_switch.min_interval_s; }},
  {"phase_switch", "hysteresis_w", T::Number, "W", 0, 1e5, "", "Hysteresis", "Extra surplus needed to go back up to three phases.", false, false, false, [](Config& c) -> void* { return &c.site.phase_switch.hysteresis_w; }},
  {"phase_switch", "pause_s", T::Number, "s", 0, 120, "", "Pause", "Pause at 0 A before the phases are switched.", false, false, false, [](Config& c) -> void* { return &c.site.phase_switch.pause_s; }},
  {"phase_switch", "settle_s", T::Number, "s", 0, 120, "", "Settle time", "Wait after the switch before resuming.", false, false, false, [](Config& c) -> void* { return &c.site.phase_switch.settle_s; }},

  {"heatpump", "enabled", T::Boolean, "", kNone, kNone, "", "Heat pump control", "The heat pump as a flexible consumer (SG-Ready).", false, false, false, [](Config& c) -> void* { return &c.site.heatpump.enabled; }},
  {"heatpump", "boost_surplus_w", T::Number, "W", 0, 1e6, "", "Boost above", "Surplus that switches to SG-Ready state 3 (recommended on).", false, false, false, [](Config& c) -> void* { return &c.site.heatpump.boost_surplus_w; }},
  {"heatpump", "force_surplus_w", T::Number, "W", 0, 1e6, "", "Force on above", "Surplus for SG-Ready state 4 (forced on); 0 never forces.", false, false, false, [](Config& c) -> void* { return &c.site.heatpump.force_surplus_w; }},
  {"heatpump", "min_switch_interval_s", T::Number, "s", 0, 86400, "", "Minimum time between switches", "", false, false, false, [](Config& c) -> void* { return &c.site.heatpump.min_switch_interval_s; }},
  {"heatpump", "priority", T::Choice, "", kNone, kNone, "ev-first, heatpump-first", "Priority", "Who gets the surplus first.", false, false, false, nullptr, &kHeatpumpPriority},

  {"heatpump.sg_ready", "host", T::Text, "", kNone, kNone, "", "SG-Ready host", "The Modbus relay module or heat pump with the two SG-Ready outputs.", true, false, false, [](Config& c) -> void* { return &c.sg_ready.value().host; }},
  {"heatpump.sg_ready", "port", T::Integer, "", 1, 65535, "", "SG-Ready port", "", false, false, true, [](Config& c) -> void* { return &c.sg_ready.value().port; }},
  {"heatpump.sg_ready", "unit", T::Integer, "", 0, 255, "", "SG-Ready Modbus unit", "", false, false, true, [](Config& c) -> void* { return &c.sg_ready.value().unit; }},
  {"heatpump.sg_ready", "output", T::Choice, "", kNone, kNone, "coils, registers", "SG-Ready outputs", "coils (FC5) or holding registers (FC6, 0/1).", false, false, false, nullptr, &kSgReadyOutput},
  {"heatpump.sg_ready", "output1_address", T::Integer, "", 0, 65535, "", "Output 1 address", "", true, false, true, [](Config& c) -> void* { return &c.sg_ready.value().output1_address; }},
  {"heatpump.sg_ready", "output2_address", T::Integer, "", 0, 65535, "", "Output 2 address", "", true, false, true, [](Config& c) -> void* { return &c.sg_ready.value().output2_address; }},

  {"control", "on_exit", T::Choice, "", kNone, kNone, "safe-current, leave", "On exit", "What emsgw writes when it stops: every socket's safe current, or nothing (the stations fall back when their validity ends).", false, false, false, nullptr, &kOnExit},
  {"control", "step_interval_ms", T::Integer, "ms", 50, 10000, "", "Control step", "Timer step when no event arrives.", false, false, true, [](Config& c) -> void* { return &c.control.step_interval_ms; }},
  {"control", "lease_ms", T::Integer, "ms", 1000, 600000, "", "Lease", "Set-points stop being refreshed this long after the control loop stops.", false, false, true, [](Config& c) -> void* { return &c.control.lease_ms; }},

  {"peak", "enabled", T::Boolean, "", kNone, kNone, "", "Quarter-hour peak control", "Keep the quarter-hour average import under the target (capacity tariff).", false, false, false, [](Config& c) -> void* { return &c.peak.enabled; }},
  {"peak", "target_kw", T::Number, "kW", 0, 100000, "", "Quarter-hour target", "Average import per quarter hour to stay under (Flanders bills at least 2.5 kW).", false, false, true, [](Config& c) -> void* { return &c.peak.target_kw; }},
  {"peak", "follow_month_peak", T::Boolean, "", kNone, kNone, "", "Follow the month's peak", "A peak already set this month is billed anyway: use up to it.", false, false, false, [](Config& c) -> void* { return &c.peak.follow_month_peak; }},
  {"peak", "margin_kw", T::Number, "kW", 0, 1000, "", "Peak margin", "Kept below the target.", false, false, true, [](Config& c) -> void* { return &c.peak.margin_kw; }},
  {"grid_operator", "input", T::Text, "", kNone, kNone, "none, modbus-di, gpio", "Dimming input", "The operator's relay contact: a Modbus discrete input of an I/O module, a GPIO line, or none.", false, false, false, [](Config& c) -> void* { return &c.grid_operator.input; }},
  {"grid_operator", "host", T::Text, "", kNone, kNone, "", "I/O module", "input = \"modbus-di\": host of the Modbus TCP I/O module.", false, false, false, [](Config& c) -> void* { return &c.grid_operator.host; }},
  {"grid_operator", "port", T::Integer, "", 1, 65535, "", "I/O module port", "", false, false, true, [](Config& c) -> void* { return &c.grid_operator.port; }},
  {"grid_operator", "unit", T::Integer, "", 0, 255, "", "I/O module unit", "", false, false, true, [](Config& c) -> void* { return &c.grid_operator.unit; }},
  {"grid_operator", "discrete_input", T::Integer, "", 0, 65535, "", "Discrete input", "input = \"modbus-di\": the input the relay contact is wired to.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.discrete_input; }},
  {"grid_operator", "gpio_chip", T::Text, "", kNone, kNone, "", "GPIO chip", "input = \"gpio\": the character device of the GPIO chip.", false, false, false, [](Config& c) -> void* { return &c.grid_operator.gpio_chip; }},
  {"grid_operator", "gpio_line", T::Integer, "", 0, 1023, "", "GPIO line", "input = \"gpio\": the line offset on that chip.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.gpio_line; }},
  {"grid_operator", "active_low", T::Boolean, "", kNone, kNone, "", "Dims on an open contact", "On: the contact dims when the input reads 0.", false, false, false, [](Config& c) -> void* { return &c.grid_operator.active_low; }},
  {"grid_operator", "poll_ms", T::Integer, "ms", 100, 60000, "", "Contact poll period", "input = \"modbus-di\": the contact is read this often; a change dims or ends dimming at the next step.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.poll_ms; }},
  {"grid_operator", "controllable_devices", T::Integer, "", 1, 100, "", "Controllable devices", "Charge points above 4.2 kW, and the heat pumps as one: sets the guaranteed floor.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.controllable_devices; }},
  {"grid_operator", "relay_limit_w", T::Number, "W", 0, 1000000, "", "Relay limit", "While the relay contact dims; 0: the guaranteed floor (4.2 kW per device).", false, false, true, [](Config& c) -> void* { return &c.grid_operator.relay_limit_w; }},
  {"grid_operator", "failsafe_limit_w", T::Number, "W", 0, 1000000, "", "Failsafe limit", "When the API limit's heartbeat is lost; 0: the guaranteed floor.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.failsafe_limit_w; }},
  {"grid_operator", "failsafe_after_s", T::Number, "s", 10, 3600, "", "Heartbeat timeout", "The API limit's heartbeat missing this long starts the failsafe.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.failsafe_after_s; }},
  {"grid_operator", "failsafe_duration_s", T::Number, "s", 60, 86400, "", "Failsafe duration", "The failsafe limit holds at least this long unless a command ends it.", false, false, true, [](Config& c) -> void* { return &c.grid_operator.failsafe_duration_s; }},

  {"log", "level", T::Text, "", kNone, kNone, "trace, debug, info, warn, error", "Log level", "", false, false, false, [](Config& c) -> void* { return &c.log.level; }},

  {"storage", "path", T::Text, "", kNone, kNone, "", "Database file", "SQLite file for overrides, sessions, history and decisions (\":memory:\" keeps them in RAM).", false, false, false, [](Config& c) -> void* { return &c.storage.path; }},
  {"storage", "flush_interval_s", T::Integer, "s", 1, 3600, "", "Write interval", "Buffered writes go to the file this often (spares the flash).", false, false, true, [](Config& c) -> void* { return &c.storage.flush_interval_s; }},
  {"storage", "synchronous", T::Choice, "", kNone, kNone, "full, normal", "Synchronous", "full: a commit survives a power cut; normal: it survives a crash of emsgw.", false, false, false, nullptr, &kSynchronous},
  {"storage", "history_10s_retention_h", T::Integer, "h", 1, 8760, "", "10-second history kept", "", false, false, true, [](Config& c) -> void* { return &c.storage.history_10s_retention_h; }},
  {"storage", "history_1min_retention_d", T::Integer, "days", 1, 3650, "", "1-minute history kept", "", false, false, true, [](Config& c) -> void* { return &c.storage.history_1min_retention_d; }},
  {"storage", "history_15min_retention_d", T::Integer, "days", 1, 36500, "", "15-minute history kept", "", false, false, true, [](Config& c) -> void* { return &c.storage.history_15min_retention_d; }},
  {"storage", "log_retention_d", T::Integer, "days", 1, 36500, "", "Decisions and events kept", "", false, false, true, [](Config& c) -> void* { return &c.storage.log_retention_d; }},

  {"influx", "enabled", T::Boolean, "", kNone, kNone, "", "Enabled", "Export to InfluxDB.", false, true, false, [](Config& c) -> void* { return &c.influx.enabled; }},
  {"influx", "url", T::Text, "", kNone, kNone, "", "URL", "http://host:8086", true, true, false, [](Config& c) -> void* { return &c.influx.url; }},
  {"influx", "version", T::Integer, "", 1, 2, "1, 2", "Version", "1: database and retention policy; 2: organisation, bucket and token.", false, true, false, [](Config& c) -> void* { return &c.influx.version; }},
  {"influx", "database", T::Text, "", kNone, kNone, "", "Database (v1)", "", false, true, false, [](Config& c) -> void* { return &c.influx.database; }},
  {"influx", "retention_policy", T::Text, "", kNone, kNone, "", "Retention policy (v1)", "Empty: the database's default.", false, true, false, [](Config& c) -> void* { return &c.influx.retention_policy; }},
  {"influx", "username", T::Text, "", kNone, kNone, "", "User name (v1)", "Optional basic authentication.", false, true, false, [](Config& c) -> void* { return &c.influx.username; }},
  {"influx", "password", T::Secret, "", kNone, kNone, "", "Password (v1)", "Never shown; leave empty to keep the current one.", false, true, false, [](Config& c) -> void* { return &c.influx.password; }},
  {"influx", "org", T::Text, "", kNone, kNone, "", "Organisation (v2)", "", false, true, false, [](Config& c) -> void* { return &c.influx.org; }},
  {"influx", "bucket", T::Text, "", kNone, kNone, "", "Bucket (v2)", "", false, true, false, [](Config& c) -> void* { return &c.influx.bucket; }},
  {"influx", "token", T::Secret, "", kNone, kNone, "", "Token (v2)", "Never shown; leave empty to keep the current one.", false, true, false, [](Config& c) -> void* { return &c.influx.token; }},
  {"influx", "precision", T::Choice, "", kNone, kNone, "s, ms, us, ns", "Time precision", "", false, true, false, nullptr, &kPrecision},
  {"influx", "gzip", T::Boolean, "", kNone, kNone, "", "Compress (gzip)", "", false, true, false, [](Config& c) -> void* { return &c.influx.gzip; }},
  {"influx", "batch_lines", T::Integer, "lines", 1, 10000, "", "Batch size", "Points are sent when this many wait.", false, true, true, [](Config& c) -> void* { return &c.influx.batch_lines; }},
  {"influx", "flush_interval_s", T::Integer, "s", 1, 3600, "", "Send interval", "…or when the oldest waiting point is this old.", false, true, true, [](Config& c) -> void* { return &c.influx.flush_interval_s; }},
  {"influx", "timeout_ms", T::Integer, "ms", 100, 60000, "", "Timeout", "Connect and read timeout of one request.", false, true, true, [](Config& c) -> void* { return &c.influx.timeout_ms; }},
  {"influx", "outbox_max_points", T::Integer, "points", 100, 10000000, "", "Outbox size", "Points kept while InfluxDB is unreachable; the oldest are dropped beyond.", false, true, true, [](Config& c) -> void* { return &c.influx.outbox_max_points; }},
  {"influx", "retry_min_s", T::Integer, "s", 1, 3600, "", "First retry after", "Back-off after a failed attempt, doubled up to the longest retry.", false, true, true, [](Config& c) -> void* { return &c.influx.retry_min_s; }},
  {"influx", "retry_max_s", T::Integer, "s", 1, 86400, "", "Longest retry", "At least the first retry.", false, true, false, [](Config& c) -> void* { return &c.influx.retry_max_s; }},

  {"mqtt", "enabled", T::Boolean, "", kNone, kNone, "", "Enabled", "Publish to the MQTT broker.", false, true, false, [](Config& c) -> void* { return &c.mqtt.enabled; }},
  {"mqtt", "url", T::Text, "", kNone, kNone, "", "Broker URL", "tcp://host:port, or ssl://host:port for TLS.", true, true, false, [](Config& c) -> void* { return &c.mqtt.url; }},
  {"mqtt", "username", T::Text, "", kNone, kNone, "", "User name", "Empty: connect without credentials.", false, true, false, [](Config& c) -> void* { return &c.mqtt.username; }},
  {"mqtt", "password", T::Secret, "", kNone, kNone, "", "Password", "Never shown; leave empty to keep the current one.", false, true, false, [](Config& c) -> void* { return &c.mqtt.password; }},
  {"mqtt", "client_id", T::Text, "", kNone, kNone, "", "Client id", "Empty: emsgw-<site name>.", false, true, false, [](Config& c) -> void* { return &c.mqtt.client_id; }},
  {"mqtt", "topic_prefix", T::Text, "", kNone, kNone, "", "Topic prefix", "Empty: emsgw/<site name>.", false, true, false, [](Config& c) -> void* { return &c.mqtt.topic_prefix; }},
  {"mqtt", "ha_discovery", T::Boolean, "", kNone, kNone, "", "Home Assistant discovery", "Announce the devices to Home Assistant.", false, true, false, [](Config& c) -> void* { return &c.mqtt.ha_discovery; }},
  {"mqtt", "discovery_prefix", T::Text, "", kNone, kNone, "", "Discovery prefix", "Home Assistant's discovery topic.", false, true, false, [](Config& c) -> void* { return &c.mqtt.discovery_prefix; }},
  {"mqtt", "discovery_retain", T::Boolean, "", kNone, kNone, "", "Retain discovery", "Also re-sent whenever Home Assistant comes online.", false, true, false, [](Config& c) -> void* { return &c.mqtt.discovery_retain; }},
  {"mqtt", "qos", T::Integer, "", 0, 1, "0, 1", "QoS", "For telemetry, discovery and replies.", false, true, false, [](Config& c) -> void* { return &c.mqtt.qos; }},
  {"mqtt", "retain", T::Boolean, "", kNone, kNone, "", "Retain state", "A newcomer sees the last value at once.", false, true, false, [](Config& c) -> void* { return &c.mqtt.retain_state; }},
  {"mqtt", "keepalive_s", T::Integer, "s", 5, 3600, "", "Keep-alive", "", false, true, false, [](Config& c) -> void* { return &c.mqtt.keepalive_s; }},
  {"mqtt", "connect_timeout_s", T::Integer, "s", 1, 120, "", "Connect timeout", "", false, true, false, [](Config& c) -> void* { return &c.mqtt.connect_timeout_s; }},
  {"mqtt", "reconnect_min_s", T::Integer, "s", 1, 3600, "", "First reconnect after", "Doubled after each failure up to the longest wait.", false, true, false, [](Config& c) -> void* { return &c.mqtt.reconnect_min_s; }},
  {"mqtt", "reconnect_max_s", T::Integer, "s", 1, 86400, "", "Longest reconnect wait", "At least the first reconnect wait.", false, true, false, [](Config& c) -> void* { return &c.mqtt.reconnect_max_s; }},
  {"mqtt", "ca_file", T::Text, "", kNone, kNone, "", "CA file", "ssl:// only: the CA (PEM) that signed the broker's certificate; empty: the system store.", false, true, false, [](Config& c) -> void* { return &c.mqtt.ca_file; }},
  {"mqtt", "cert_file", T::Text, "", kNone, kNone, "", "Client certificate", "ssl:// only: a client certificate (PEM), if the broker asks for one.", false, true, false, [](Config& c) -> void* { return &c.mqtt.cert_file; }},
  {"mqtt", "key_file", T::Text, "", kNone, kNone, "", "Client key", "ssl:// only: its private key (PEM); empty: the key is in the certificate file.", false, true, false, [](Config& c) -> void* { return &c.mqtt.key_file; }},
  {"mqtt", "key_password", T::Secret, "", kNone, kNone, "", "Client key password", "Set in the configuration file.", false, false, false, [](Config& c) -> void* { return &c.mqtt.key_password; }},
  {"mqtt", "tls_verify", T::Boolean, "", kNone, kNone, "", "Verify the broker", "Check the broker's certificate and host name.", false, true, false, [](Config& c) -> void* { return &c.mqtt.tls_verify; }},
  {"mqtt", "measurement_interval_ms", T::Integer, "ms", 100, 3600000, "", "Measurement interval", "Power, current, voltage and energy at most this often, and only when changed.", false, true, false, [](Config& c) -> void* { return &c.mqtt.measurement_interval_ms; }},
  {"mqtt", "queue_max_messages", T::Integer, "messages", 10, 1000000, "", "Queue size", "Messages kept while the broker is away; the oldest is dropped when full.", false, true, false, [](Config& c) -> void* { return &c.mqtt.queue_max_messages; }},
  {"mqtt", "commands", T::List, "", kNone, kNone, "socket_mode, socket_max_current, site_limit, suspend, grid_operator", "Commands taken", "Commands accepted on …/set; current limits can only be lowered below the file's values. grid_operator (the operator's limit and heartbeat) is off unless listed.", false, false, false, [](Config& c) -> void* { return &c.mqtt.commands; }},

  {"web", "listen", T::Choice, "", kNone, kNone, "", "Listen address", "HOST:PORT, [IPv6]:PORT, or :PORT for every interface.", false, false, false, nullptr, &kListen, "must be HOST:PORT, [IPv6]:PORT or :PORT (all interfaces), port 1..65535"},
  {"web", "tls_cert", T::Text, "", kNone, kNone, "", "TLS certificate", "PEM; HTTPS when the certificate and key are both set.", false, false, false, [](Config& c) -> void* { return &c.web.tls_cert_file; }},
  {"web", "tls_key", T::Text, "", kNone, kNone, "", "TLS key", "PEM private key of the certificate.", false, false, false, [](Config& c) -> void* { return &c.web.tls_key_file; }},
  {"web", "read_requires_login", T::Boolean, "", kNone, kNone, "", "Reading needs the login", "", false, false, false, [](Config& c) -> void* { return &c.web.read_requires_login; }},
  {"web", "password_file", T::Text, "", kNone, kNone, "", "Password file", "Argon2id hash of the dashboard password.", false, false, false, [](Config& c) -> void* { return &c.web.password_file; }},
  {"web", "session_ttl_s", T::Integer, "s", 60, 2592000, "", "Login lasts", "Idle time after which a login ends.", false, false, false, [](Config& c) -> void* { return &c.web.session_ttl_s; }},
  {"web", "login_attempts", T::Integer, "", 1, 100, "", "Failed logins allowed", "Per client address, within the login window.", false, false, false, [](Config& c) -> void* { return &c.web.login_attempts; }},
  {"web", "login_window_s", T::Integer, "s", 1, 86400, "", "Login window", "", false, false, false, [](Config& c) -> void* { return &c.web.login_window_s; }},
  {"web", "threads", T::Integer, "threads", 2, 64, "", "Worker threads", "Requests being served and open live streams.", false, false, false, [](Config& c) -> void* { return &c.web.threads; }},
  {"web", "max_connections", T::Integer, "connections", 16, 10000, "", "Connections in all", "", false, false, false, [](Config& c) -> void* { return &c.web.max_connections; }},
  {"web", "max_connections_per_client", T::Integer, "connections", 4, 10000, "", "Connections per client", "", false, false, false, [](Config& c) -> void* { return &c.web.max_connections_per_client; }},
  {"web", "request_timeout_ms", T::Integer, "ms", 500, 120000, "", "Request timeout", "A request's head and body must arrive within this.", false, false, false, [](Config& c) -> void* { return &c.web.request_timeout_ms; }},
  {"web", "idle_timeout_s", T::Integer, "s", 1, 3600, "", "Idle timeout", "A keep-alive connection without a request is closed after this.", false, false, false, [](Config& c) -> void* { return &c.web.idle_timeout_s; }},
  {"web", "max_body_bytes", T::Integer, "bytes", 1024, 16777216, "", "Largest request body", "", false, false, false, [](Config& c) -> void* { return &c.web.max_body_bytes; }},

  {"tariff", "currency", T::Text, "", kNone, kNone, "", "Currency", "ISO 4217 code such as EUR.", false, false, false, [](Config& c) -> void* { return &c.tariff.currency; }},
  {"tariff", "import_price_per_kwh", T::Number, "per kWh", -10, 10, "", "Import price", "Grid energy, outside every time window.", false, false, false, [](Config& c) -> void* { return &c.tariff.import_price_per_kwh; }},
  {"tariff", "export_price_per_kwh", T::Number, "per kWh", -10, 10, "", "Export price", "Solar energy an EV took is valued at what exporting it would earn.", false, false, false, [](Config& c) -> void* { return &c.tariff.export_price_per_kwh; }},
});
// clang-format on

std::string number_text(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  json j = v;
  return j.dump();
}

std::string_view type_name(FieldType t) {
  switch (t) {
    case T::Boolean: return "boolean";
    case T::Integer: return "integer";
    case T::Number: return "number";
    case T::Text: return "string";
    case T::Secret: return "secret";
    case T::Choice: return "choice";
    case T::List: return "list";
  }
  return "string";
}

json split_choices(std::string_view list, FieldType type) {
  json out = json::array();
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto part = list.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (type == T::Integer)
      out.push_back(std::stoi(std::string(part)));
    else
      out.push_back(std::string(part));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

// The keys of one [[schedule]] window (an array of tables: read and judged by
// gateway/config/schedules.cpp, which takes its ranges from here).
const std::array kScheduleFields = std::to_array<FieldSpec>({
    // clang-format off
  {"schedule", "name", T::Text, "", kNone, kNone, "", "Window name", "Unique; names the limit in reasons and events.", true, false, false},
  {"schedule", "node", T::Text, "", kNone, kNone, "", "Limited node", "A circuit's name; empty: the grid connection.", false, false, false},
  {"schedule", "days", T::List, "", kNone, kNone, "mon, tue, wed, thu, fri, sat, sun", "Start days", "The days the window starts on (mon … sun).", false, false, false},
  {"schedule", "from", T::Text, "", kNone, kNone, "", "Opens at", "Local time HH:MM.", true, false, false},
  {"schedule", "until", T::Text, "", kNone, kNone, "", "Closes at", "Local time HH:MM; at or before the opening time: the next day.", true, false, false},
  {"schedule", "max_current_a", T::Number, "A", 0, 1000, "", "Current limit while open", "Per phase; 0: none. Only ever lowers the node's limit.", false, false, true},
  {"schedule", "max_power_w", T::Number, "W", 0, 1000000, "", "Power limit while open", "All phases together; 0: none.", false, false, true},
    // clang-format on
});

}  // namespace

std::string FieldSpec::choice_rule() const {
  if (!rule.empty()) return std::string(rule);
  return "must be one of: " + std::string(choices);
}

std::span<const FieldSpec> config_schema() {
  return kFields;
}

std::span<const FieldSpec> schedule_schema() {
  return kScheduleFields;
}

std::vector<const FieldSpec*> schema_section(std::string_view section) {
  std::vector<const FieldSpec*> out;
  for (const auto& f : kFields)
    if (f.section == section) out.push_back(&f);
  return out;
}

const FieldSpec* schema_field(std::string_view path) {
  for (const auto& f : kFields)
    if (path.size() == f.section.size() + 1 + f.key.size() && path.starts_with(f.section) &&
        path[f.section.size()] == '.' && path.ends_with(f.key))
      return &f;
  return nullptr;
}

json field_value(const FieldSpec& f, const Config& config) {
  if (f.codec) return f.codec->get(config);
  void* p = f.at(const_cast<Config&>(config));  // read only
  switch (f.type) {
    case T::Boolean: return *static_cast<const bool*>(p);
    case T::Integer: return *static_cast<const int*>(p);
    case T::Number: return *static_cast<const double*>(p);
    case T::List: return *static_cast<const std::vector<std::string>*>(p);
    case T::Text:
    case T::Secret:
    case T::Choice: return *static_cast<const std::string*>(p);
  }
  return nullptr;
}

namespace {

/// A field as the schema lists it: where it lives, its type, label, help, unit, range and choices.
json field_json(const FieldSpec& f) {
  json j = {{"section", f.section}, {"key", f.key},   {"path", f.path()},       {"type", type_name(f.type)},
            {"label", f.label},     {"help", f.help}, {"required", f.required}, {"editable", f.editable}};
  if (!f.unit.empty()) j["unit"] = f.unit;
  if (!std::isnan(f.min)) j["min"] = f.min;
  if (!std::isnan(f.max)) j["max"] = f.max;
  if (!f.choices.empty()) j["choices"] = split_choices(f.choices, f.type);
  return j;
}

}  // namespace

json config_schema_json() {
  // Defaults: a configuration with every optional section present.
  Config defaults;
  defaults.site.heatpump.enabled = true;
  defaults.sg_ready.emplace();
  defaults.mqtt.enabled = true;
  defaults.influx.enabled = true;
  json fields = json::array();
  for (const auto& f : kFields) {
    json j = field_json(f);
    j["default"] = f.required || f.type == T::Secret ? json(nullptr) : field_value(f, defaults);
    fields.push_back(std::move(j));
  }
  json schedule = json::array();
  const json window = schedules_to_json({ScheduleWindow{}})[0];
  for (const auto& f : kScheduleFields) {
    json j = field_json(f);
    j["default"] = f.required ? json(nullptr) : window.value(std::string(f.key), json(nullptr));
    schedule.push_back(std::move(j));
  }
  return {{"fields", fields}, {"schedule", schedule}};
}

void check_schema_ranges(const Config& c, std::string_view section, std::vector<ems::ConfigIssue>& out) {
  for (const auto& f : kFields) {
    if (f.section != section) continue;
    if (f.type == T::Text && !f.choices.empty()) {
      const auto v = field_value(f, c).get<std::string>();
      const auto list = split_choices(f.choices, f.type);
      if (std::find(list.begin(), list.end(), json(v)) == list.end())
        out.push_back({f.path(), "\"" + v + "\"", f.choice_rule()});
      continue;
    }
    if (!f.range_rule || !f.has_range()) continue;
    const double v = field_value(f, c).get<double>();
    if (v >= f.min && v <= f.max) continue;
    out.push_back({f.path(), number_text(v),
                   "must be between " + number_text(f.min) + " and " + number_text(f.max) +
                       (f.unit.empty() ? "" : " " + std::string(f.unit))});
  }
}

}  // namespace emsgw::gateway
