#include "gateway/control/messages.hpp"

#include "ems/bound_words.hpp"

namespace emsgw::gateway {

namespace {
template <std::size_t N>
MessageInfo info(const MessageCode<N>& c) {
  return {c.code, std::vector<std::string_view>(c.names.begin(), c.names.end())};
}
}  // namespace

const std::vector<MessageInfo>& message_codes() {
  static const std::vector<MessageInfo> codes = {
      info(msg::meter_error),
      info(msg::meter_implausible),
      info(msg::meter_rejected),
      info(msg::meter_never_read),
      info(msg::meter_stale),
      info(msg::meter_stale_interval),
      info(msg::meter_stale_too_short),
      info(msg::pv_stale),
      info(msg::station_offline),
      info(msg::missed_refresh),
      info(msg::foreign_setpoint),
      info(msg::foreign_setpoint_persists),
      info(msg::phase_switch_refused),
      info(msg::station_refuses),
      info(msg::station_not_accepting),
      info(msg::grid_operator_input),
      info(msg::reload_needs_restart),
      info(msg::reload_refused),
      info(msg::reload_file_refused),
      info(msg::reload_file_refused_because),
      info(msg::wiring),
      info(msg::station_settings),
      info(msg::socket_settings),
      info(msg::station_settings_unsafe),
      info(msg::plug_in),
      info(msg::unplug),
      info(msg::unplug_energy),
      info(msg::unplug_during_restart),
      info(msg::unplug_during_restart_energy),
      info(msg::ev_full),
      info(msg::grid_limit_set),
      info(msg::grid_limit_changed),
      info(msg::socket_mode_set),
      info(msg::socket_mode_changed),
      info(msg::socket_max_set),
      info(msg::socket_max_changed),
      info(msg::setting_set),
      info(msg::setting_changed),
      info(msg::dashboard_setting_set),
      info(msg::dashboard_setting_changed),
      info(msg::dashboard_secret_changed),
      info(msg::schedule_changed),
      info(msg::config_reloaded),
      info(msg::command_socket_mode),
      info(msg::command_socket_max),
      info(msg::command_site_limit),
      info(msg::command_suspend),
      info(msg::command_resume),
      info(msg::command_grid_limit),
      info(msg::command_grid_limit_for),
      info(msg::command_grid_lift),
      info(msg::schedule_open_grid),
      info(msg::schedule_open_circuit),
      info(msg::schedule_closed_grid),
      info(msg::schedule_closed_circuit),
      info(msg::schedule_removed),
      info(msg::dimming_ended),
      info(msg::dimming_limited),
      info(msg::dimming_failsafe),
      info(msg::bound_circuit_phase),
      info(msg::bound_circuit_power),
      info(msg::bound_schedule_current),
      info(msg::bound_schedule_power),
      info(msg::bound_quarter_peak),
      info(msg::bound_dimming),
      info(msg::heatpump_normal),
      info(msg::heatpump_boost),
      info(msg::heatpump_forced),
      info(msg::heatpump_held_peak),
      info(msg::heatpump_held_dimming),
      info(msg::influx_unreachable),
      info(msg::influx_reachable),
      info(msg::influx_dropped_outbox),
      info(msg::influx_dropped_rejected),
      info(msg::influx_dropped_memory),
      info(msg::influx_dropped_queue),
      info(msg::station_fault_e),
      info(msg::station_fault_f),
      info(msg::station_ignores_setpoint),
      info(msg::station_paused),
      info(msg::station_limited),
  };
  return codes;
}

ems::Message bound_message(std::string_view words) {
  const auto b = ems::parse_bound_words(words);
  if (!b) return {};
  switch (b->kind) {
    case ems::BoundKind::CircuitPhase: return msg::bound_circuit_phase(b->name, b->value);
    case ems::BoundKind::CircuitPower: return msg::bound_circuit_power(b->name, b->value);
    case ems::BoundKind::ScheduleCurrent: return msg::bound_schedule_current(b->name, b->value);
    case ems::BoundKind::SchedulePower: return msg::bound_schedule_power(b->name, b->value);
    case ems::BoundKind::QuarterPeak: return msg::bound_quarter_peak(b->value);
    case ems::BoundKind::Dimming: return msg::bound_dimming(b->value);
  }
  return {};
}

}  // namespace emsgw::gateway
