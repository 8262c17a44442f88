#include "webui/json_codec.hpp"

#include <cmath>
#include <ctime>

namespace emsgw::webui {

using nlohmann::json;

namespace {
json opt(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}
json triple(const ems::PhaseTriple& t) {
  return json::array({opt(t[0]), opt(t[1]), opt(t[2])});
}
json array3(const std::array<double, ems::kPhaseCount>& a) {
  return json::array({a[0], a[1], a[2]});
}
}  // namespace

/// A message's parameters as a JSON object of strings ({} without any).
json params_json(const ems::Message& m) {
  json out = json::object();
  for (const auto& [name, value] : m.params) out[name] = value;
  return out;
}
std::string iso8601(ems::WallTime t) {
  const auto ms = unix_ms(t);
  const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  const auto frac = static_cast<int>(((ms % 1000) + 1000) % 1000);
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::int64_t unix_ms(ems::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

json to_json(const ems::SocketStatus& s) {
  return {
      {"id", s.id},
      {"station", s.station},
      {"unit", s.unit},
      {"mode", ems::to_string(s.mode)},
      {"state", ems::to_string(s.state)},
      {"state_text", ems::describe(s.state)},
      {"mode3", s.mode3},
      {"ev_connected", s.ev_connected},
      {"charging", s.charging},
      {"current_a", triple(s.current_a)},
      {"phase_mapping", ems::to_string(s.phase_mapping)},
      {"phases_in_use", s.phases_in_use},
      {"setpoint_a", s.setpoint_a},
      {"applied_a", opt(s.applied_a)},
      {"validity_s", opt(s.validity_s)},
      {"max_current_a", s.max_current_a},
      {"reason", s.reason},
      {"reason_text", s.reason_text},
      {"reason_words", s.reason_words},
      {"reason_detail", s.reason_detail},
      {"reason_detail_message", s.reason_detail_message.code},
      {"reason_detail_params", params_json(s.reason_detail_message)},
      {"reason_until_s", opt(s.reason_until_s)},
      {"station_text", s.station_text},
      {"station_message", s.station_message.code},
      {"station_params", params_json(s.station_message)},
      {"reason_socket", s.reason_socket ? json(*s.reason_socket) : json(nullptr)},
      {"reason_minimum_a", opt(s.reason_minimum_a)},
      {"circuit", s.circuit},
      {"session_energy_wh", opt(s.session_energy_wh)},
      {"total_energy_wh", opt(s.total_energy_wh)},
      {"online", s.online},
  };
}

json to_json(const ems::SiteStatus& s) {
  json stations = json::array();
  for (const auto& st : s.stations)
    stations.push_back({{"name", st.name},
                        {"online", st.online},
                        {"platform", st.platform},
                        {"firmware", st.firmware},
                        {"serial", st.serial},
                        {"max_current_a", opt(st.max_current_a)},
                        {"fault", st.fault},
                        {"circuit", st.circuit},
                        {"foreign_setpoints", st.foreign_setpoints}});
  json sockets = json::array();
  for (const auto& so : s.sockets) sockets.push_back(to_json(so));
  json faults = json::array();
  for (const auto& f : s.faults)
    faults.push_back({{"code", f.code},
                      {"text", f.text},
                      {"since", iso8601(f.since)},
                      {"message", f.message.code},
                      {"params", params_json(f.message)}});
  json peak = nullptr;
  if (s.peak)
    peak = {{"quarter_start", iso8601(s.peak->quarter_start)},
            {"quarter_energy_wh", s.peak->quarter_energy_wh},
            {"energy_from_meter", s.peak->energy_from_meter},
            {"projected_average_w", s.peak->projected_average_w},
            {"target_w", s.peak->target_w},
            {"month_peak_w", s.peak->month_peak_w},
            {"allowed_import_w", s.peak->allowed_import_w}};
  const auto& d = s.dimming;
  json dimming = {{"state", d.state},     {"limit_w", opt(d.limit_w)},
                  {"source", d.source},   {"until", d.until ? json(iso8601(*d.until)) : json(nullptr)},
                  {"floor_w", d.floor_w}, {"relay_dim", d.relay_dim ? json(*d.relay_dim) : json(nullptr)}};
  json circuits = json::array();
  for (const auto& c : s.circuits)
    circuits.push_back({{"name", c.name},
                        {"parent", c.parent},
                        {"metered", c.metered},
                        {"meter_ok", c.meter_ok},
                        {"load_a", array3(c.load_a)},
                        {"max_current_a", c.max_current_a},
                        {"margin_a", c.margin_a},
                        {"load_w", c.load_w},
                        {"max_power_w", c.max_power_w},
                        {"binds", c.binds}});
  json schedules = json::array();
  for (const auto& w : s.schedules)
    schedules.push_back({{"name", w.name},
                         {"node", w.node},
                         {"active", w.active},
                         {"limit", w.limit},
                         {"max_current_a", w.max_current_a},
                         {"max_power_w", w.max_power_w}});
  return {
      {"sequence", s.sequence},
      {"time", iso8601(s.time)},
      {"time_ms", unix_ms(s.time)},
      {"site_name", s.site_name},
      {"control", ems::to_string(s.control)},
      {"degraded", s.degraded},
      {"suspended", s.suspended},
      {"degraded_reasons", s.degraded_reasons},
      {"grid_max_current_a", s.grid_max_current_a},
      {"safety_margin_a", s.safety_margin_a},
      {"budget_a", array3(s.budget_a)},
      {"ev_allocated_a", array3(s.ev_allocated_a)},
      {"grid",
       {{"current_a", triple(s.grid.current_a)},
        {"power_w", triple(s.grid.power_w)},
        {"voltage_v", triple(s.grid.voltage_v)},
        {"power_w_total", opt(s.grid.power_w_total)},
        {"import_wh", opt(s.grid.import_wh)},
        {"export_wh", opt(s.grid.export_wh)},
        {"age_s", opt(s.grid.age_s)},
        {"stale", s.grid.stale},
        {"current_step_a", s.grid.current_step_a}}},
      {"pv",
       {{"configured", s.pv.configured},
        {"power_w", opt(s.pv.power_w)},
        {"energy_wh", opt(s.pv.energy_wh)},
        {"stale", s.pv.stale}}},
      {"heatpump",
       {{"configured", s.heatpump.configured},
        {"power_w", opt(s.heatpump.power_w)},
        {"sg_ready_state", s.heatpump.sg_ready_state},
        {"sg_ready_requested", s.heatpump.sg_ready_requested},
        {"sg_ready_outputs", s.heatpump.sg_ready_outputs},
        {"sg_ready_error", s.heatpump.sg_ready_error},
        {"reason", s.heatpump.reason},
        {"reason_message", s.heatpump.reason_message.code},
        {"reason_params", params_json(s.heatpump.reason_message)}}},
      {"stations", std::move(stations)},
      {"sockets", std::move(sockets)},
      {"faults", std::move(faults)},
      {"scn_budget_a", s.scn_budget_a ? array3(*s.scn_budget_a) : json(nullptr)},
      {"scn_reason", s.scn_reason},
      {"peak", std::move(peak)},
      {"dimming", std::move(dimming)},
      {"circuits", std::move(circuits)},
      {"schedules", std::move(schedules)},
  };
}

json to_json(const std::vector<ems::ConfigIssue>& issues) {
  json out = json::array();
  for (const auto& i : issues) out.push_back({{"key", i.key}, {"value", i.value}, {"rule", i.rule}});
  return out;
}

json to_json(const std::vector<HistorySample>& samples) {
  // Column form, as charting libraries take it: one array per series, aligned on "time_ms".
  json time = json::array(), l1 = json::array(), l2 = json::array(), l3 = json::array();
  json limit = json::array(), pv = json::array(), hp = json::array();
  std::map<int, json> ev;
  for (const auto& s : samples)
    for (const auto& [id, a] : s.socket_current_a) ev.try_emplace(id, json::array());
  for (const auto& s : samples) {
    time.push_back(unix_ms(s.time));
    l1.push_back(opt(s.grid_current_a[0]));
    l2.push_back(opt(s.grid_current_a[1]));
    l3.push_back(opt(s.grid_current_a[2]));
    limit.push_back(opt(s.grid_limit_a));
    pv.push_back(opt(s.pv_power_w));
    hp.push_back(opt(s.heatpump_power_w));
    for (auto& [id, series] : ev) {
      auto it = s.socket_current_a.find(id);
      series.push_back(it == s.socket_current_a.end() ? json(nullptr) : json(it->second));
    }
  }
  json sockets = json::object();
  for (auto& [id, series] : ev) sockets[std::to_string(id)] = std::move(series);
  return {{"time_ms", std::move(time)},        {"grid_current_a", {std::move(l1), std::move(l2), std::move(l3)}},
          {"grid_limit_a", std::move(limit)},  {"pv_power_w", std::move(pv)},
          {"heatpump_power_w", std::move(hp)}, {"socket_current_a", std::move(sockets)}};
}

std::string_view to_string(EventLevel level) {
  switch (level) {
    case EventLevel::Info: return "info";
    case EventLevel::Warning: return "warning";
    case EventLevel::Error: return "error";
  }
  return "info";
}

json to_json(const std::vector<Event>& events) {
  json out = json::array();
  for (const auto& e : events)
    out.push_back({{"time", iso8601(e.time)},
                   {"time_ms", unix_ms(e.time)},
                   {"level", to_string(e.level)},
                   {"code", e.code},
                   {"text", e.text},
                   {"explanation", e.explanation},
                   {"message", e.message.code},
                   {"params", params_json(e.message)}});
  return out;
}

namespace {
using CommandResult = Result<ems::Command, std::string>;

Result<int, std::string> socket_id(const json& j) {
  if (!j.contains("socket_id") || !j["socket_id"].is_number_integer())
    return Unexpected(std::string("\"socket_id\" must be an integer"));
  // Read as 64 bits first: get<int>() would wrap 4294967297 around to socket 1.
  const auto& v = j["socket_id"];
  if (v.is_number_unsigned() ? v.get<std::uint64_t>() > static_cast<std::uint64_t>(ems::kMaxSocketId)
                             : (v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > ems::kMaxSocketId))
    return Unexpected("\"socket_id\" " + v.dump() + " is out of range: socket ids are 0 to " +
                      std::to_string(ems::kMaxSocketId));
  return static_cast<int>(v.get<std::int64_t>());
}

Result<double, std::string> number(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return Unexpected("\"" + std::string(key) + "\" must be a number");
  const double v = j[key].get<double>();
  if (!std::isfinite(v)) return Unexpected("\"" + std::string(key) + "\" must be finite");
  return v;
}
}  // namespace

CommandResult command_from_json(const json& j) {
  if (!j.is_object()) return Unexpected(std::string("the body must be a JSON object"));
  if (!j.contains("command") || !j["command"].is_string())
    return Unexpected(
        std::string("\"command\" must be one of: set_socket_mode, set_socket_max_current, "
                    "set_site_limit, suspend, resume, grid_operator_limit, grid_operator_heartbeat"));
  const auto name = j["command"].get<std::string>();
  if (name == "set_socket_mode") {
    auto id = socket_id(j);
    if (!id) return Unexpected(id.error());
    if (!j.contains("mode") || !j["mode"].is_string())
      return Unexpected(std::string("\"mode\" must be one of: off, now, minpv, pv"));
    auto mode = ems::parse_charge_mode(j["mode"].get<std::string>());
    if (!mode) return Unexpected(std::string("\"mode\" must be one of: off, now, minpv, pv"));
    return ems::Command{ems::SetSocketMode{*id, *mode}};
  }
  if (name == "set_socket_max_current") {
    auto id = socket_id(j);
    if (!id) return Unexpected(id.error());
    auto a = number(j, "max_current_a");
    if (!a) return Unexpected(a.error());
    return ems::Command{ems::SetSocketMaxCurrent{*id, *a}};
  }
  if (name == "set_site_limit") {
    auto a = number(j, "grid_max_current_a");
    if (!a) return Unexpected(a.error());
    return ems::Command{ems::SetSiteLimit{*a}};
  }
  if (name == "suspend") return ems::Command{ems::Suspend{}};
  if (name == "resume") return ems::Command{ems::Resume{}};
  if (name == "grid_operator_limit") {
    // "limit_w": null or absent lifts the limit; "duration_s" absent: until changed.
    ems::GridOperatorLimit l;
    if (j.contains("limit_w") && !j["limit_w"].is_null()) {
      auto w = number(j, "limit_w");
      if (!w) return Unexpected(w.error() + " of watts, or null to lift the limit");
      l.limit_w = *w;
    }
    if (j.contains("duration_s") && !j["duration_s"].is_null()) {
      auto d = number(j, "duration_s");
      if (!d) return Unexpected(d.error() + " of seconds (0: until changed)");
      l.duration_s = *d;
    }
    return ems::Command{l};
  }
  if (name == "grid_operator_heartbeat") return ems::Command{ems::GridOperatorHeartbeat{}};
  return Unexpected("unknown command \"" + name +
                    "\": must be one of set_socket_mode, set_socket_max_current, set_site_limit, suspend, resume, "
                    "grid_operator_limit, grid_operator_heartbeat");
}

}  // namespace emsgw::webui
