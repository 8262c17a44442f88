#include "mqtt/telemetry.hpp"

#include <cmath>
#include <cstdio>

namespace emsgw::mqtt {

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s == "-0" || s == "-0.0" || s == "-0.00" || s == "-0.000") s.erase(0, 1);
  return s;
}

std::vector<std::pair<std::string, std::string>> session_messages(const FinishedSession& f, const Topics& t) {
  std::vector<std::pair<std::string, std::string>> out;
  if (f.energy_wh) out.emplace_back(t.socket(f.socket, "last_session_energy"), fixed(*f.energy_wh / 1000.0, 3));
  if (f.cost) out.emplace_back(t.socket(f.socket, "last_session_cost"), fixed(*f.cost, 2));
  return out;
}

namespace {

std::string text_or_none(const std::string& s) {
  return s.empty() ? std::string("none") : s;
}

class Builder {
 public:
  explicit Builder(std::vector<TelemetryItem>& out) : out_(out) {}
  void state(std::string topic, std::string payload) {
    out_.push_back({std::move(topic), std::move(payload), ValueKind::State, 0, std::nullopt});
  }
  void flag(std::string topic, bool b) { state(std::move(topic), std::string(on_off(b))); }
  void measure(std::string topic, const std::optional<double>& v, int decimals) {
    if (!v || !std::isfinite(*v)) return;
    out_.push_back({std::move(topic), fixed(*v, decimals), ValueKind::Measurement, 0, std::nullopt});
  }
  /// `wh` is published in kWh with Wh resolution.
  void energy(std::string topic, const std::optional<double>& wh, std::optional<bool> session_active = std::nullopt) {
    if (!wh || !std::isfinite(*wh) || *wh < 0) return;
    out_.push_back({std::move(topic), fixed(*wh / 1000.0, 3), ValueKind::Energy, *wh, session_active});
  }

 private:
  std::vector<TelemetryItem>& out_;
};

std::string site_state(const ems::SiteStatus& s) {
  if (s.suspended) return "suspended";
  if (s.degraded) return "degraded";
  return "normal";
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& r : v) out += (out.empty() ? "" : "; ") + r;
  return text_or_none(out);
}
}  // namespace

std::vector<TelemetryItem> telemetry_items(const ems::SiteStatus& s, const Topics& t) {
  std::vector<TelemetryItem> out;
  out.reserve(32 + 24 * s.sockets.size());
  Builder b(out);
  constexpr int kPhases = static_cast<int>(ems::kPhaseCount);

  b.state(t.site("control"), std::string(ems::to_string(s.control)));
  b.state(t.site("state"), site_state(s));
  b.flag(t.site("degraded"), s.degraded);
  b.state(t.site("degraded_reasons"), joined(s.degraded_reasons));
  b.flag(t.site("suspended"), s.suspended);
  b.state(t.site("grid_max_current"), fixed(s.grid_max_current_a, 1));
  b.state(t.site("faults"), std::to_string(s.faults.size()));
  for (int p = 0; p < kPhases; ++p) {
    const auto i = static_cast<std::size_t>(p);
    b.measure(t.site("l" + std::to_string(p + 1) + "_budget"), s.budget_a[i], 1);
    b.measure(t.site("l" + std::to_string(p + 1) + "_ev_allocated"), s.ev_allocated_a[i], 1);
  }

  b.measure(t.grid("power"), s.grid.power_w_total, 0);
  for (int p = 0; p < kPhases; ++p) {
    const auto i = static_cast<std::size_t>(p);
    b.measure(t.grid_phase(p, "current"), s.grid.current_a[i], 2);
    b.measure(t.grid_phase(p, "power"), s.grid.power_w[i], 0);
    b.measure(t.grid_phase(p, "voltage"), s.grid.voltage_v[i], 1);
  }
  b.energy(t.grid("import_energy"), s.grid.import_wh);
  b.energy(t.grid("export_energy"), s.grid.export_wh);
  b.flag(t.grid("stale"), s.grid.stale);

  if (s.pv.configured) {
    b.measure(t.pv("power"), s.pv.power_w, 0);
    b.energy(t.pv("energy"), s.pv.energy_wh);
    b.flag(t.pv("stale"), s.pv.stale);
  }
  if (s.heatpump.configured) {
    b.measure(t.heatpump("power"), s.heatpump.power_w, 0);
    // The state in force (read back from the outputs when they are wired); nothing while unknown.
    if (s.heatpump.sg_ready_state != 0) b.state(t.heatpump("sg_ready"), std::to_string(s.heatpump.sg_ready_state));
    b.state(t.heatpump("reason"), text_or_none(s.heatpump.reason));
  }

  if (s.peak) {
    b.measure(t.peak("quarter_energy"), s.peak->quarter_energy_wh, 0);
    b.measure(t.peak("projected_average"), s.peak->projected_average_w, 0);
    b.measure(t.peak("month_peak"), s.peak->month_peak_w, 0);
    b.measure(t.peak("target"), s.peak->target_w, 0);
    b.measure(t.peak("allowed_import"), s.peak->allowed_import_w, 0);
  }
  b.state(t.grid_operator("state"), s.dimming.state);
  // "None": Home Assistant shows the limit as unknown while there is none.
  b.state(t.grid_operator("limit"), s.dimming.limit_w ? fixed(*s.dimming.limit_w, 0) : std::string("None"));
  b.state(t.grid_operator("source"), text_or_none(s.dimming.source));
  for (const auto& c : s.circuits) {
    b.measure(t.circuit(c.name, "load_power"), c.load_w, 0);
    for (int p = 0; p < kPhases; ++p)
      b.measure(t.circuit(c.name, "l" + std::to_string(p + 1) + "_load"), c.load_a[static_cast<std::size_t>(p)], 1);
  }

  for (const auto& st : s.stations) {
    b.flag(t.station(st.name, "online"), st.online);
    b.state(t.station(st.name, "fault"), text_or_none(st.fault));
  }

  for (const auto& so : s.sockets) {
    const int id = so.id;
    b.state(t.socket(id, "state"), std::string(ems::to_string(so.state)));
    b.state(t.socket(id, "state_text"), std::string(ems::describe(so.state)));
    b.state(t.socket(id, "mode"), std::string(ems::to_string(so.mode)));
    b.flag(t.socket(id, "ev_connected"), so.ev_connected);
    b.flag(t.socket(id, "charging"), so.charging);
    b.flag(t.socket(id, "online"), so.online);
    b.state(t.socket(id, "mode3"), text_or_none(so.mode3));
    b.state(t.socket(id, "phases"), std::to_string(so.phases_in_use));
    b.state(t.socket(id, "max_current"), fixed(so.max_current_a, 1));
    b.state(t.socket(id, "reason"), text_or_none(so.reason));
    b.state(t.socket(id, "reason_text"), text_or_none(so.reason_text));
    b.measure(t.socket(id, "setpoint"), so.setpoint_a, 1);
    b.measure(t.socket(id, "applied"), so.applied_a, 1);
    for (int p = 0; p < kPhases; ++p)
      b.measure(t.socket_phase(id, p, "current"), so.current_a[static_cast<std::size_t>(p)], 2);
    b.energy(t.socket(id, "session_energy"), so.session_energy_wh, so.ev_connected);
    b.energy(t.socket(id, "total_energy"), so.total_energy_wh);
  }
  return out;
}

std::vector<TelemetryItem> TelemetryFilter::select(const std::vector<TelemetryItem>& items, ems::MonoTime now) {
  std::vector<TelemetryItem> out;
  const bool all = resend_all_;
  resend_all_ = false;
  for (const auto& item : items) {
    auto it = sent_.find(item.topic);
    if (it == sent_.end()) {
      out.push_back(item);
      sent_.emplace(item.topic, Sent{item.payload, now, item.energy_wh, item.session_active.value_or(false)});
      continue;
    }
    Sent& last = it->second;
    if (item.kind == ValueKind::Energy && item.energy_wh < last.energy_wh) {
      const bool new_session = item.session_active && (!last.session_active || !*item.session_active);
      if (!new_session) {
        ++energy_regressions_;
        if (all) {  // re-send what was published, never the lower value
          TelemetryItem kept = item;
          kept.payload = last.payload;
          kept.energy_wh = last.energy_wh;
          out.push_back(std::move(kept));
          last.at = now;
        }
        continue;
      }
    }
    if (item.session_active) last.session_active = *item.session_active;
    const bool changed = item.payload != last.payload;
    bool send = all;
    if (!send && changed) send = item.kind == ValueKind::State || now - last.at >= interval_;
    if (!send) continue;
    last.payload = item.payload;
    last.at = now;
    last.energy_wh = item.energy_wh;
    out.push_back(item);
  }
  return out;
}

}  // namespace emsgw::mqtt
