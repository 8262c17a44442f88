#include "gateway/influx/site_points.hpp"

#include <cmath>

namespace emsgw::gateway::influx {

namespace {
constexpr const char* kPhases[] = {"L1", "L2", "L3"};

void add(Point& p, const char* key, const std::optional<double>& v) {
  if (v && std::isfinite(*v)) p.fields.emplace_back(key, *v);
}
}  // namespace

std::vector<Point> to_points(const storage::HistorySample& s) {
  std::vector<Point> out;
  auto push = [&out](Point p) {
    if (!p.fields.empty()) out.push_back(std::move(p));
  };
  for (std::size_t i = 0; i < 3; ++i) {
    Point p{"grid", {{"phase", kPhases[i]}}, {}, s.time};
    add(p, "current_a", s.grid_current_a[i]);
    add(p, "power_w", s.grid_power_w[i]);
    add(p, "limit_a", s.grid_limit_a);
    push(std::move(p));
  }
  Point pv{"pv", {}, {}, s.time};
  add(pv, "power_w", s.pv_w);
  push(std::move(pv));
  Point hp{"heatpump", {}, {}, s.time};
  add(hp, "power_w", s.heatpump_w);
  push(std::move(hp));
  for (const auto& sock : s.sockets) {
    Point p{"socket", {{"socket", std::to_string(sock.socket)}}, {}, s.time};
    add(p, "current_l1_a", sock.current_a[0]);
    add(p, "current_l2_a", sock.current_a[1]);
    add(p, "current_l3_a", sock.current_a[2]);
    add(p, "setpoint_a", sock.setpoint_a);
    add(p, "applied_a", sock.applied_a);
    push(std::move(p));
  }
  return out;
}

Point to_point(const storage::Decision& d) {
  return {"decision",
          {{"socket", std::to_string(d.socket)}},
          {{"old_a", d.old_a}, {"new_a", d.new_a}, {"reason", one_line(d.reason)}},
          d.time};
}

Point to_point(const storage::Event& e) {
  // An event's text may quote a device or a server (an HTTP error body ends in a newline): refused
  // by the line protocol, the event was lost to InfluxDB.
  return {"event",
          {{"kind", std::string(storage::to_string(e.kind))}},
          {{"subject", one_line(e.subject)}, {"text", one_line(e.text)}},
          e.time};
}

std::optional<Point> to_point(const storage::Session& s) {
  if (!s.end) return std::nullopt;
  Point p{"session", {{"socket", std::to_string(s.socket)}}, {}, *s.end};
  add(p, "energy_wh", s.energy_wh);
  add(p, "max_current_a", s.max_current_a);
  add(p, "avg_current_a", s.avg_current_a);
  add(p, "pv_energy_wh", s.pv_energy_wh);
  p.fields.emplace_back("duration_s", std::chrono::duration<double>(*s.end - s.start).count());
  return p;
}

}  // namespace emsgw::gateway::influx
