#pragma once
// The messages emsgw writes for people (faults, events) as stable codes with named parameters, so
// that an interface can show them in its own language (webui/frontend/src/i18n.js has a template
// per code). Every code is a constant here and listed by message_codes(); an emitter builds its
// ems::Message through the constant, which takes exactly the parameters the code declares.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ems/site_status.hpp"

namespace emsgw::gateway {

template <std::size_t N>
struct MessageCode {
  std::string_view code;
  std::array<std::string_view, N> names;

  /// The message with these values, in the order of `names`.
  template <class... V>
  requires(sizeof...(V) == N) [[nodiscard]] ems::Message operator()(V&&... values) const {
    ems::Message m{std::string(code), {}};
    m.params.reserve(N);
    [[maybe_unused]] std::size_t i = 0;
    (m.params.emplace_back(std::string(names[i++]), std::string(std::forward<V>(values))), ...);
    return m;
  }
};

/// A code and the names of its parameters, for the table of every code.
struct MessageInfo {
  std::string_view code;
  std::vector<std::string_view> names;
};

namespace msg {
// Faults (gateway/control/control_loop.cpp).
inline constexpr MessageCode<2> meter_error{"meter_error", {"meter", "error"}};
inline constexpr MessageCode<4> meter_implausible{"meter_implausible", {"current", "phase", "limit", "seconds"}};
inline constexpr MessageCode<2> meter_rejected{"meter_rejected", {"detail", "seconds"}};
inline constexpr MessageCode<0> meter_never_read{"meter_never_read", {}};
inline constexpr MessageCode<1> meter_stale{"meter_stale", {"seconds"}};
inline constexpr MessageCode<2> meter_stale_interval{"meter_stale_interval", {"seconds", "every"}};
inline constexpr MessageCode<3> meter_stale_too_short{"meter_stale_too_short", {"seconds", "every", "need"}};
inline constexpr MessageCode<0> pv_stale{"pv_stale", {}};
inline constexpr MessageCode<2> station_offline{"station_offline", {"station", "error"}};
inline constexpr MessageCode<2> missed_refresh{"missed_refresh", {"station", "socket"}};
inline constexpr MessageCode<4> foreign_setpoint{"foreign_setpoint", {"station", "where", "seen", "ours"}};
inline constexpr MessageCode<4> foreign_setpoint_persists{"foreign_setpoint_persists",
                                                          {"station", "where", "seen", "ours"}};
inline constexpr MessageCode<2> phase_switch_refused{"phase_switch_refused", {"station", "error"}};
inline constexpr MessageCode<2> station_refuses{"station_refuses", {"station", "error"}};
inline constexpr MessageCode<1> station_not_accepting{"station_not_accepting", {"station"}};
inline constexpr MessageCode<1> grid_operator_input{"grid_operator_input", {"error"}};
inline constexpr MessageCode<0> reload_needs_restart{"reload_needs_restart", {}};
inline constexpr MessageCode<4> reload_refused{"reload_refused", {"source", "key", "value", "rule"}};
inline constexpr MessageCode<1> reload_file_refused{"reload_file_refused", {"source"}};
inline constexpr MessageCode<2> reload_file_refused_because{"reload_file_refused_because", {"source", "detail"}};
inline constexpr MessageCode<1> wiring{"wiring", {"detail"}};
inline constexpr MessageCode<2> station_settings{"station_settings", {"station", "detail"}};
inline constexpr MessageCode<3> socket_settings{"socket_settings", {"station", "socket", "detail"}};
inline constexpr MessageCode<3> station_settings_unsafe{"station_settings_unsafe", {"key", "value", "rule"}};
// Events (gateway/runtime/storage_recorder.cpp, runtime_config_service.cpp, control_loop.cpp).
inline constexpr MessageCode<2> plug_in{"plug_in", {"socket", "station"}};
inline constexpr MessageCode<2> unplug{"unplug", {"socket", "station"}};
inline constexpr MessageCode<3> unplug_energy{"unplug_energy", {"socket", "station", "kwh"}};
inline constexpr MessageCode<2> unplug_during_restart{"unplug_during_restart", {"socket", "station"}};
inline constexpr MessageCode<3> unplug_during_restart_energy{"unplug_during_restart_energy",
                                                             {"socket", "station", "kwh"}};
inline constexpr MessageCode<2> ev_full{"ev_full", {"socket", "station"}};
inline constexpr MessageCode<2> grid_limit_set{"grid_limit_set", {"new", "source"}};
inline constexpr MessageCode<3> grid_limit_changed{"grid_limit_changed", {"old", "new", "source"}};
inline constexpr MessageCode<4> socket_mode_set{"socket_mode_set", {"socket", "station", "new", "source"}};
inline constexpr MessageCode<5> socket_mode_changed{"socket_mode_changed",
                                                    {"socket", "station", "old", "new", "source"}};
inline constexpr MessageCode<4> socket_max_set{"socket_max_set", {"socket", "station", "new", "source"}};
inline constexpr MessageCode<5> socket_max_changed{"socket_max_changed", {"socket", "station", "old", "new", "source"}};
inline constexpr MessageCode<3> setting_set{"setting_set", {"key", "new", "source"}};
inline constexpr MessageCode<4> setting_changed{"setting_changed", {"key", "old", "new", "source"}};
inline constexpr MessageCode<3> dashboard_setting_set{"dashboard_setting_set", {"setting", "key", "new"}};
inline constexpr MessageCode<4> dashboard_setting_changed{"dashboard_setting_changed",
                                                          {"setting", "key", "old", "new"}};
inline constexpr MessageCode<2> dashboard_secret_changed{"dashboard_secret_changed", {"setting", "key"}};
inline constexpr MessageCode<3> schedule_changed{"schedule_changed", {"name", "old", "new"}};
inline constexpr MessageCode<1> config_reloaded{"config_reloaded", {"source"}};
inline constexpr MessageCode<2> command_socket_mode{"command_socket_mode", {"socket", "mode"}};
inline constexpr MessageCode<2> command_socket_max{"command_socket_max", {"socket", "current"}};
inline constexpr MessageCode<1> command_site_limit{"command_site_limit", {"current"}};
inline constexpr MessageCode<0> command_suspend{"command_suspend", {}};
inline constexpr MessageCode<0> command_resume{"command_resume", {}};
inline constexpr MessageCode<1> command_grid_limit{"command_grid_limit", {"limit"}};
inline constexpr MessageCode<2> command_grid_limit_for{"command_grid_limit_for", {"limit", "seconds"}};
inline constexpr MessageCode<0> command_grid_lift{"command_grid_lift", {}};
inline constexpr MessageCode<2> schedule_open_grid{"schedule_open_grid", {"name", "limit"}};
inline constexpr MessageCode<3> schedule_open_circuit{"schedule_open_circuit", {"name", "circuit", "limit"}};
inline constexpr MessageCode<1> schedule_closed_grid{"schedule_closed_grid", {"name"}};
inline constexpr MessageCode<2> schedule_closed_circuit{"schedule_closed_circuit", {"name", "circuit"}};
inline constexpr MessageCode<1> schedule_removed{"schedule_removed", {"name"}};
inline constexpr MessageCode<0> dimming_ended{"dimming_ended", {}};
inline constexpr MessageCode<2> dimming_limited{"dimming_limited", {"limit", "source"}};
inline constexpr MessageCode<2> dimming_failsafe{"dimming_failsafe", {"seconds", "limit"}};
// Which bound a set-point met, where its reason alone does not say (SocketStatus::reason_detail,
// from ems/bound_words.hpp through bound_message()).
inline constexpr MessageCode<2> bound_circuit_phase{"bound_circuit_phase", {"circuit", "phase"}};
inline constexpr MessageCode<2> bound_circuit_power{"bound_circuit_power", {"circuit", "watts"}};
inline constexpr MessageCode<2> bound_schedule_current{"bound_schedule_current", {"name", "current"}};
inline constexpr MessageCode<2> bound_schedule_power{"bound_schedule_power", {"name", "kw"}};
inline constexpr MessageCode<1> bound_quarter_peak{"bound_quarter_peak", {"kw"}};
inline constexpr MessageCode<1> bound_dimming{"bound_dimming", {"kw"}};
// Why the heat pump has its SG-Ready state (HeatPumpStatus::reason, gateway/control/status_builder.cpp).
inline constexpr MessageCode<0> heatpump_normal{"heatpump_normal", {}};
inline constexpr MessageCode<0> heatpump_boost{"heatpump_boost", {}};
inline constexpr MessageCode<0> heatpump_forced{"heatpump_forced", {}};
inline constexpr MessageCode<1> heatpump_held_peak{"heatpump_held_peak", {"kw"}};
inline constexpr MessageCode<1> heatpump_held_dimming{"heatpump_held_dimming", {"kw"}};
// The InfluxDB export (gateway/runtime/influx_worker.cpp).
inline constexpr MessageCode<3> influx_unreachable{"influx_unreachable", {"url", "error", "waiting"}};
inline constexpr MessageCode<2> influx_reachable{"influx_reachable", {"url", "waiting"}};
inline constexpr MessageCode<2> influx_dropped_outbox{"influx_dropped_outbox", {"count", "max"}};
inline constexpr MessageCode<1> influx_dropped_rejected{"influx_dropped_rejected", {"count"}};
inline constexpr MessageCode<1> influx_dropped_memory{"influx_dropped_memory", {"count"}};
inline constexpr MessageCode<1> influx_dropped_queue{"influx_dropped_queue", {"count"}};
// What a station does of its own accord (SocketStatus::station_text, gateway/control/status_builder.cpp).
inline constexpr MessageCode<0> station_fault_e{"station_fault_e", {}};
inline constexpr MessageCode<0> station_fault_f{"station_fault_f", {}};
inline constexpr MessageCode<0> station_ignores_setpoint{"station_ignores_setpoint", {}};
inline constexpr MessageCode<2> station_paused{"station_paused", {"applied", "allowed"}};
inline constexpr MessageCode<2> station_limited{"station_limited", {"applied", "allowed"}};
}  // namespace msg

/// The words of a bound (ems/bound_words.hpp) as a message; an empty code for other text.
[[nodiscard]] ems::Message bound_message(std::string_view words);

/// Every code above with its parameters' names.
[[nodiscard]] const std::vector<MessageInfo>& message_codes();

}  // namespace emsgw::gateway
