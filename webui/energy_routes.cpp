#include "webui/energy_routes.hpp"

#include <httplib.h>

#include <cmath>

#include "webui/json_codec.hpp"

namespace emsgw::webui {

using nlohmann::json;

namespace {
json kwh(double wh) {
  return std::round(wh) / 1000.0;
}
json kwh(const std::optional<double>& wh) {
  return wh ? kwh(*wh) : json(nullptr);
}

void send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}
}  // namespace

json to_json(const EnergyFigures& e, const EnergySource& names) {
  json sockets = json::array();
  for (const auto& [id, wh] : e.socket_wh)
    sockets.push_back({{"socket", id}, {"name", names.socket_name(id)}, {"kwh", kwh(wh)}});
  return {{"period", e.period},
          {"grid_import_kwh", kwh(e.grid_import_wh)},
          {"grid_export_kwh", kwh(e.grid_export_wh)},
          {"pv_kwh", kwh(e.pv_wh)},
          {"heatpump_kwh", kwh(e.heatpump_wh)},
          {"ev_kwh", kwh(e.ev_wh)},
          {"ev_solar_kwh", kwh(e.ev_pv_wh)},
          {"home_kwh", kwh(e.home_wh)},
          {"self_consumed_kwh", kwh(e.self_consumed_wh)},
          {"covered_h", std::round(static_cast<double>(e.covered_s) / 36.0) / 100.0},
          {"sockets", sockets}};
}

void install_energy_routes(httplib::Server& server, const EnergySource* source, ReadGate may_read,
                           std::function<ems::WallTime()> now) {
  server.Get("/api/energy", [source, may_read, now](const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res)) return;
    if (!source) return send(res, 503, {{"error", "energy needs [storage]: no store is configured"}});
    EnergyPeriodKind kind = EnergyPeriodKind::Day;
    if (req.has_param("period")) {
      const auto p = req.get_param_value("period");
      if (p == "month")
        kind = EnergyPeriodKind::Month;
      else if (p != "day")
        return send(res, 400, {{"error", "period = \"" + p + "\": must be day or month"}});
    }
    const auto to_now = now();
    ems::WallTime to = to_now + std::chrono::hours(24);
    ems::WallTime from =
        to_now - (kind == EnergyPeriodKind::Day ? std::chrono::hours(24 * 31) : std::chrono::hours(24 * 400));
    for (const char* key : {"from", "to"}) {
      if (!req.has_param(key)) continue;
      auto t = parse_time_param(req.get_param_value(key));
      if (!t)
        return send(res, 400, {{"error", std::string(key) + " = \"" + req.get_param_value(key) + "\": " + t.error()}});
      (std::string_view(key) == "from" ? from : to) = *t;
    }
    if (from >= to) return send(res, 400, {{"error", "from must be before to"}});
    if (to - from > std::chrono::hours(24 * 3700))
      return send(res, 400, {{"error", "the range may span at most ten years"}});
    json periods = json::array();
    EnergyFigures total;
    bool pv_known = false, home_known = true;
    for (const auto& e : source->energy(from, to, kind)) {
      periods.push_back(to_json(e, *source));
      total.grid_import_wh += e.grid_import_wh;
      total.grid_export_wh += e.grid_export_wh;
      if (e.pv_wh) {
        pv_known = true;
        total.pv_wh = total.pv_wh.value_or(0) + *e.pv_wh;
      }
      total.ev_wh += e.ev_wh;
      if (e.ev_pv_wh) total.ev_pv_wh = total.ev_pv_wh.value_or(0) + *e.ev_pv_wh;
      if (e.heatpump_wh) total.heatpump_wh = total.heatpump_wh.value_or(0) + *e.heatpump_wh;
      if (e.home_wh)
        total.home_wh = total.home_wh.value_or(0) + *e.home_wh;
      else
        home_known = false;
      if (e.self_consumed_wh) total.self_consumed_wh = total.self_consumed_wh.value_or(0) + *e.self_consumed_wh;
      for (const auto& [id, wh] : e.socket_wh) total.socket_wh[id] += wh;
      total.covered_s += e.covered_s;
    }
    if (!pv_known) total.pv_wh.reset();
    if (!home_known) total.home_wh.reset();
    total.period = "total";
    send(res, 200,
         {{"period", kind == EnergyPeriodKind::Day ? "day" : "month"},
          {"from", iso8601(from)},
          {"to", iso8601(to)},
          {"periods", periods},
          {"total", to_json(total, *source)}});
  });
}

}  // namespace emsgw::webui
