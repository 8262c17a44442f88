#include "tests/webui/scripted_site.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "gateway/config/config_json.hpp"
#include "gateway/config/config_schema.hpp"
#include "gateway/config/installer_limits.hpp"

namespace emsgw::test {

using nlohmann::json;

namespace {
constexpr double kVoltageV = 230;

struct SocketPlan {
  double setpoint_a = 0;
  ems::SocketState state = ems::SocketState::Available;
  std::string reason;
  std::string reason_text;
};

struct Model {
  std::array<double, 3> house_a{};
  double pv_w = 0;
  std::array<double, 3> budget_a{};
  std::array<double, 3> ev_a{};
  std::array<double, 3> grid_a{};
  std::vector<SocketPlan> sockets;  ///< in config order
};

double wave(double t, double period_s, double phase = 0) {
  return std::sin(2 * std::numbers::pi * t / period_s + phase);
}

/// The site at time t: household load and PV move on a few periods (seconds for the live view,
/// a day for history); the EV set-points follow a simple per-phase headroom allocation.
Model compute(const ems::SiteConfig& site, double t, bool suspended, bool live = true) {
  Model m;
  const double fast = live ? 1.0 : 0.0;  // history shows the daily shape, not the second-scale ripple
  const double day = 0.5 + 0.5 * wave(t, 86400, -std::numbers::pi / 2);  // 0 at midnight, 1 at noon
  m.house_a = {6 + fast * 2.5 * wave(t, 7) + 2 * day + 0.8 * wave(t, 5400),
               4 + fast * 2 * wave(t, 11, 1) + 1.5 * day + 0.6 * wave(t, 3600, 1),
               3 + fast * 1.5 * wave(t, 13, 2) + 0.5 * wave(t, 7200)};
  m.pv_w = std::max(0.0, 4200 * std::pow(day, 2) * (0.85 + 0.15 * wave(t, live ? 29 : 4000)));
  const double pv_a = m.pv_w / kVoltageV / 3;
  for (std::size_t p = 0; p < 3; ++p) m.budget_a[p] = site.grid_max_current_a - site.safety_margin_a;
  std::array<double, 3> headroom{};
  for (std::size_t p = 0; p < 3; ++p) headroom[p] = m.budget_a[p] - m.house_a[p] + pv_a;
  const double surplus_a =
      std::max(0.0, (m.pv_w - (m.house_a[0] + m.house_a[1] + m.house_a[2]) * kVoltageV) / kVoltageV / 3);
  for (const auto& st : site.stations) {
    for (const auto& so : st.sockets) {
      SocketPlan plan;
      double avail = so.max_current_a;
      std::string bound = "max_current";
      std::string bound_text = "socket maximum " + std::to_string(static_cast<int>(so.max_current_a)) + " A";
      for (std::size_t i = 0; i < so.phase_mapping.count; ++i) {
        const auto g = ems::index(so.phase_mapping.grid[i]);
        if (headroom[g] < avail) {
          avail = std::max(0.0, headroom[g]);
          bound = "grid_l" + std::to_string(g + 1);
          bound_text = "grid phase L" + std::to_string(g + 1) + " at its limit";
        }
      }
      if (suspended) {
        plan = {0, ems::SocketState::Suspended, "suspended", "suspended by command"};
      } else if (so.mode == ems::ChargeMode::Off) {
        plan = {0, ems::SocketState::Off, "mode_off", "mode is off"};
      } else if (so.mode == ems::ChargeMode::Pv && surplus_a < site.min_current_a) {
        plan = {0, ems::SocketState::WaitingForPower, "pv_surplus", "waiting for solar surplus (needs 6 A per phase)"};
      } else {
        double want = avail;
        if (so.mode == ems::ChargeMode::Pv || so.mode == ems::ChargeMode::MinPv) {
          const double pv_target =
              so.mode == ems::ChargeMode::MinPv ? std::max(site.min_current_a, surplus_a) : surplus_a;
          if (pv_target < want) {
            want = pv_target;
            bound = "pv_surplus";
            bound_text = so.mode == ems::ChargeMode::MinPv && surplus_a < site.min_current_a
                             ? "minimum current, no solar surplus"
                             : "solar surplus";
          }
        }
        if (want < site.min_current_a) {
          plan = {0, ems::SocketState::WaitingForPower, bound, "waiting for power: " + bound_text};
        } else {
          want = std::floor(want * 10) / 10;
          const bool reduced = want < so.max_current_a - 0.05;
          plan = {want, reduced ? ems::SocketState::ChargingReduced : ems::SocketState::Charging, bound,
                  "limited by " + bound_text};
        }
      }
      for (std::size_t i = 0; i < so.phase_mapping.count; ++i) {
        const auto g = ems::index(so.phase_mapping.grid[i]);
        headroom[g] -= plan.setpoint_a;
        m.ev_a[g] += plan.setpoint_a;
      }
      m.sockets.push_back(plan);
    }
  }
  for (std::size_t p = 0; p < 3; ++p) m.grid_a[p] = m.house_a[p] - pv_a + m.ev_a[p] * 0.97;
  return m;
}

double seconds_between(ems::WallTime a, ems::WallTime b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

ScriptedSite::ScriptedSite(gateway::Config config, ems::WallTime start)
    : config_(std::move(config)), file_site_(config_.site), start_(start) {
  using namespace std::chrono;
  events_ = {
      {start - hours(30), webui::EventLevel::Info, "started", "emsgw started",
       "The control loop runs and writes set-points."},
      {start - hours(26), webui::EventLevel::Warning, "meter_stale", "The grid meter did not answer for 7 s",
       "Every socket went to its safe current until the meter answered again. Check the meter's network cable "
       "if this repeats."},
      {start - hours(25), webui::EventLevel::Info, "meter_ok", "The grid meter answers again",
       "Normal control resumed."},
      {start - minutes(40), webui::EventLevel::Warning, "alternating",
       "Socket 1 paused: not enough current for both sockets on L2",
       "The sockets take turns every alternating period so that both cars charge; the lowest id pauses first."},
  };
}

void ScriptedSite::step(ems::WallTime now, double t_s) {
  std::lock_guard lock(mutex_);
  const auto& site = config_.site;
  const auto m = compute(site, seconds_between(start_, now) + t_s * 0, suspended_);
  auto s = std::make_shared<ems::SiteStatus>();
  s->sequence = ++sequence_;
  s->time = now;
  s->site_name = site.name;
  s->control = site.control;
  s->suspended = suspended_;
  s->grid_max_current_a = site.grid_max_current_a;
  s->safety_margin_a = site.safety_margin_a;
  for (std::size_t p = 0; p < 3; ++p) {
    s->budget_a[p] = m.budget_a[p];
    s->ev_allocated_a[p] = m.ev_a[p];
    s->grid.current_a[p] = std::round(m.grid_a[p] * 100) / 100;
    s->grid.voltage_v[p] = 230 + 2 * wave(t_s, 17, static_cast<double>(p));
    s->grid.power_w[p] = m.grid_a[p] * *s->grid.voltage_v[p];
  }
  s->grid.power_w_total = *s->grid.power_w[0] + *s->grid.power_w[1] + *s->grid.power_w[2];
  s->grid.import_wh = 1'234'567 + t_s * 2;
  s->grid.export_wh = 456'789;
  s->grid.age_s = 0.3;
  s->grid.stale = false;
  s->pv = {true, m.pv_w, 8'300 + t_s, false};
  s->heatpump.configured = true;
  s->heatpump.power_w = 900 + 150 * wave(t_s, 23);
  s->heatpump.sg_ready_state = m.pv_w > 2500 ? 3 : 2;
  s->heatpump.reason = m.pv_w > 2500 ? "boost on surplus" : "normal";
  std::size_t k = 0;
  for (std::size_t i = 0; i < site.stations.size(); ++i) {
    const auto& st = site.stations[i];
    s->stations.push_back(
        {st.name, true, "NG910", "6.4.0-4186", "ACE00" + std::to_string(1234 + i), st.max_current_a, "", "", 0});
    for (const auto& so : st.sockets) {
      const auto& plan = m.sockets[k++];
      ems::SocketStatus out;
      out.id = so.id;
      out.station = st.name;
      out.unit = so.unit;
      out.mode = so.mode;
      out.state = plan.state;
      out.ev_connected = true;
      out.charging = plan.setpoint_a > 0;
      out.mode3 = out.charging ? "C2" : "B1";
      out.phase_mapping = so.phase_mapping;
      out.phases_in_use = so.phase_mapping.count;
      out.setpoint_a = plan.setpoint_a;
      out.applied_a = plan.setpoint_a;
      out.validity_s = 60 - std::fmod(t_s, 30);
      out.max_current_a = so.max_current_a;
      out.reason = plan.reason;
      out.reason_text = plan.reason_text;
      for (std::size_t p = 0; p < so.phase_mapping.count; ++p)
        out.current_a[p] =
            out.charging ? std::round((plan.setpoint_a * 0.97 + 0.2 * wave(t_s, 5, static_cast<double>(p))) * 100) / 100
                         : 0.0;
      double prev = 0;
      for (const auto& old : last_.sockets)
        if (old.id == so.id && old.session_energy_wh) prev = *old.session_energy_wh;
      double amps = 0;
      for (const auto& a : out.current_a) amps += a.value_or(0);
      out.session_energy_wh = prev + amps * kVoltageV * 0.5 / 3600 + (prev == 0 ? 4200.0 + 1000.0 * so.id : 0.0);
      out.total_energy_wh = 1'800'000 + *out.session_energy_wh;
      out.online = true;
      s->sockets.push_back(std::move(out));
    }
  }
  last_ = *s;
  board_.publish(std::move(s));
}

gateway::Config ScriptedSite::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

int ScriptedSite::commands_seen() const {
  std::lock_guard lock(mutex_);
  return commands_seen_;
}

void ScriptedSite::submit(ems::Command command, std::function<void(ems::CommandReply)> reply) {
  ems::CommandReply r;
  {
    std::lock_guard lock(mutex_);
    ++commands_seen_;
    r.issues = ems::apply_command(config_.site, command);
    r.accepted = r.issues.empty();
    if (r.accepted) {
      if (std::holds_alternative<ems::Suspend>(command)) suspended_ = true;
      if (std::holds_alternative<ems::Resume>(command)) suspended_ = false;
      r.message = "done: " + ems::describe(command);
      events_.push_back({last_.time, webui::EventLevel::Info, "command", r.message,
                         "Changed from the dashboard; the next control step uses it."});
    } else {
      r.message = "refused: " + ems::describe(command) + ": " + r.issues.front().key + " " + r.issues.front().rule;
    }
  }
  reply(std::move(r));
}

json ScriptedSite::get_schema() const {
  return gateway::config_schema_json();
}

json ScriptedSite::get_config() const {
  std::lock_guard lock(mutex_);
  json doc = gateway::config_to_json(config_);
  doc["overrides"] = json::array();
  doc["restart_required"] = json::array();
  return doc;
}

std::vector<ems::ConfigIssue> ScriptedSite::put_config(const json& patch, bool confirmed) {
  std::lock_guard lock(mutex_);
  auto c = gateway::apply_config_patch(config_, patch);
  if (!c) return std::move(c).error();
  // Safety rule 8, as the gateway's service: beyond the file's limits only when confirmed.
  if (auto raises = gateway::installer_raises(file_site_, c->site); !raises.empty() && !confirmed) {
    for (auto& r : raises) r.rule += std::string("; ") + std::string(webui::kConfirmationRule);
    return raises;
  }
  config_ = std::move(*c);
  events_.push_back({last_.time, webui::EventLevel::Info, "config_changed",
                     "The configuration was changed from the dashboard",
                     "Validated by the same rules as the configuration file; in effect from the next control step."});
  return {};
}

std::vector<ems::ConfigIssue> ScriptedSite::clear_overrides(const std::string& key) {
  return {{key, "", "is not an override (the scripted site keeps none)"}};
}

std::vector<webui::HistorySample> ScriptedSite::history(const webui::HistoryQuery& q) const {
  ems::SiteConfig site;
  {
    std::lock_guard lock(mutex_);
    site = config_.site;
  }
  std::vector<webui::HistorySample> out;
  const auto step = std::chrono::seconds(std::max(1, q.resolution_s));
  for (auto t = q.from; t < q.to && out.size() < 5000; t += step) {
    const auto m = compute(site, seconds_between(start_, t), false, false);
    webui::HistorySample s;
    s.time = t;
    for (std::size_t p = 0; p < 3; ++p) s.grid_current_a[p] = m.grid_a[p];
    s.grid_limit_a = site.grid_max_current_a;
    s.pv_power_w = m.pv_w;
    s.heatpump_power_w = 900;
    std::size_t k = 0;
    for (const auto& st : site.stations)
      for (const auto& so : st.sockets) s.socket_current_a[so.id] = m.sockets[k++].setpoint_a * 0.97;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<webui::Event> ScriptedSite::events(const webui::EventQuery& q) const {
  std::lock_guard lock(mutex_);
  std::vector<webui::Event> out;
  for (auto it = events_.rbegin(); it != events_.rend() && static_cast<int>(out.size()) < q.limit; ++it)
    if (it->time >= q.from && it->time < q.to) out.push_back(*it);
  return out;
}

webui::ProbeResult ScriptedSite::run(webui::ProbeKind kind, const std::string& target) {
  std::lock_guard lock(mutex_);
  if (kind == webui::ProbeKind::Meter) {
    if (!config_.meters.contains(target))
      return {false, "no meter with role \"" + target + "\" is configured", json::object()};
    const auto& m = config_.meters.at(target);
    const auto& g = last_.grid.current_a;
    char line[160];
    std::snprintf(line, sizeof line, "%s meter answered: L1 %.1f A, L2 %.1f A, L3 %.1f A", target.c_str(),
                  g[0].value_or(0), g[1].value_or(0), g[2].value_or(0));
    return {true,
            line,
            {{"preset", m.preset},
             {"host", m.host},
             {"port", m.port},
             {"current_a", {g[0].value_or(0), g[1].value_or(0), g[2].value_or(0)}}}};
  }
  for (std::size_t i = 0; i < config_.site.stations.size(); ++i)
    if (config_.site.stations[i].name == target)
      return {true,
              "station " + target + " answered: NG910, firmware 6.4.0-4186, 2 sockets, max 32 A",
              {{"host", config_.station_links[i].host},
               {"platform", "NG910"},
               {"firmware", "6.4.0-4186"},
               {"station_max_current_a", 32},
               {"sockets", config_.site.stations[i].sockets.size()}}};
  return {false, "no station named \"" + target + "\" is configured", json::object()};
}

}  // namespace emsgw::test
