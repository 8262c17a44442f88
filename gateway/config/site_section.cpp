// [site], [surplus], [phase_switch] and the policy keys of [heatpump].
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

namespace {
void parse_site(TableReader& r, ems::SiteConfig& s) {
  r.read("name", s.name, Need::Required);
  r.read("grid_max_current_a", s.grid_max_current_a, Need::Required);
  r.read("grid_phases", s.grid_phases);
  r.read("meter_includes_chargers", s.meter_includes_chargers, Need::Required);
  r.read("safety_margin_a", s.safety_margin_a);
  r.choice("control", s.control, ems::parse_control_mode, "sockets, scn");
  r.read("alternating_period_s", s.alternating_period_s);
  r.read("meter_stale_after_s", s.meter_stale_after_s);
  r.read("station_stale_after_s", s.station_stale_after_s);
  r.read("pv_stale_after_s", s.pv_stale_after_s);
  r.read("min_current_a", s.min_current_a);
  r.read("probing_current_a", s.probing_current_a);
  r.read("probing_time_s", s.probing_time_s);
  r.read("ev_response_time_s", s.ev_response_time_s);
  r.read("raise_deadband_a", s.raise_deadband_a);
  r.read("scn_name", s.scn_name);
  r.read("scn_station", s.scn_station);
}

void parse_surplus(TableReader& r, ems::SurplusConfig& s) {
  r.read("start_surplus_w", s.start_surplus_w);
  r.read("stop_surplus_w", s.stop_surplus_w);
  r.read("start_delay_s", s.start_delay_s);
  r.read("stop_delay_s", s.stop_delay_s);
  r.read("nominal_voltage_v", s.nominal_voltage_v);
}

void parse_phase_switch(TableReader& r, ems::PhaseSwitchConfig& p) {
  r.read("enabled", p.enabled);
  r.read("min_interval_s", p.min_interval_s);
  r.read("hysteresis_w", p.hysteresis_w);
  r.read("pause_s", p.pause_s);
  r.read("settle_s", p.settle_s);
}

void parse_sg_ready(TableReader& r, drivers::SgReadySettings& s) {
  r.read("host", s.host, Need::Required);
  r.read("port", s.port);
  r.read("unit", s.unit);
  std::string output = "coils";
  r.read("output", output);
  if (output == "coils" || output == "registers")
    s.use_coils = output == "coils";
  else
    r.diag().error(r.line("output"), r.full("output"), TableReader::quote(output), "must be one of: coils, registers");
  r.read("output1_address", s.output1_address, Need::Required);
  r.read("output2_address", s.output2_address, Need::Required);
}

void parse_heatpump(TableReader& r, Config& cfg) {
  auto& h = cfg.site.heatpump;
  h.enabled = true;
  r.read("enabled", h.enabled);
  r.read("boost_surplus_w", h.boost_surplus_w);
  r.read("force_surplus_w", h.force_surplus_w);
  r.read("min_switch_interval_s", h.min_switch_interval_s);
  r.choice("priority", h.priority, ems::parse_heatpump_priority, "ev-first, heatpump-first");
  if (const auto* t = r.table("sg_ready")) {
    TableReader sr(*t, r.full("sg_ready"), r.diag());
    parse_sg_ready(sr, cfg.sg_ready.emplace());
  }
}
}  // namespace

void parse_site_sections(TableReader& root, Config& cfg) {
  if (const auto* t = root.table("site", Need::Required)) {
    TableReader r(*t, "site", root.diag());
    parse_site(r, cfg.site);
  }
  if (const auto* t = root.table("surplus")) {
    TableReader r(*t, "surplus", root.diag());
    parse_surplus(r, cfg.site.surplus);
  }
  if (const auto* t = root.table("phase_switch")) {
    TableReader r(*t, "phase_switch", root.diag());
    parse_phase_switch(r, cfg.site.phase_switch);
  }
  if (const auto* t = root.table("heatpump")) {
    TableReader r(*t, "heatpump", root.diag());
    parse_heatpump(r, cfg);
  }
}

void parse_control_section(TableReader& root, Config& cfg) {
  const auto* t = root.table("control");
  if (!t) return;
  TableReader r(*t, "control", root.diag());
  std::string on_exit = "safe-current";
  r.read("on_exit", on_exit);
  if (on_exit == "safe-current" || on_exit == "leave")
    cfg.control.on_exit = on_exit == "leave" ? ControlSettings::OnExit::Leave : ControlSettings::OnExit::SafeCurrent;
  else
    r.diag().error(r.line("on_exit"), r.full("on_exit"), TableReader::quote(on_exit),
                   "must be one of: safe-current, leave");
  r.read("step_interval_ms", cfg.control.step_interval_ms);
  r.read("lease_ms", cfg.control.lease_ms);
}

void parse_log_section(TableReader& root, Config& cfg) {
  if (const auto* t = root.table("log")) {
    TableReader r(*t, "log", root.diag());
    r.read("level", cfg.log.level);
  }
}

}  // namespace emsgw::gateway::config_detail
