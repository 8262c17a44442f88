#include "gateway/control/status_builder.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>

#include "ems/bound_words.hpp"
#include "ems/circuits.hpp"
#include "gateway/control/messages.hpp"

namespace emsgw::gateway {

using ems::Reason;
using ems::SocketState;

std::string reason_words(Reason r) {
  return std::string(ems::to_words(r));
}

std::string mode3_words(std::string_view mode3) {
  struct Words {
    std::string_view code, words;
  };
  static constexpr Words kWords[] = {
      {"A", "no vehicle connected"},
      {"B1", "vehicle connected, no current offered"},
      {"B2", "vehicle connected, current offered, the vehicle does not take it (full or waiting)"},
      {"C1", "vehicle asks to charge, no current offered"},
      {"C2", "charging"},
      {"D1", "vehicle asks to charge (with ventilation), no current offered"},
      {"D2", "charging (with ventilation)"},
      {"E", "station fault (E): no control pilot, the cable or the station is faulty"},
      {"F", "station fault (F): the station reports itself not available (error state)"},
  };
  for (const auto& w : kWords)
    if (w.code == mode3) return std::string(w.words);
  return mode3.empty() ? "Mode 3 state not reported" : "unknown Mode 3 state \"" + std::string(mode3) + "\"";
}

namespace {
/// "16": whole amperes, without the unit.
std::string amps_number(double a) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", a);
  return b;
}
}  // namespace

namespace {
struct StationWords {
  std::string text;
  ems::Message message{};
};

StationWords station_state(const SocketSample& s) {
  if (!s.valid) return {};
  if (s.mode3 == "E") return {mode3_words(s.mode3), msg::station_fault_e()};
  if (s.mode3 == "F") return {mode3_words(s.mode3), msg::station_fault_f()};
  // The station holds a set-point of at least the IEC minimum within its validity…
  const bool holds = s.setpoint_a && *s.setpoint_a >= ems::kIecMinimumCurrentA && s.validity_s && *s.validity_s > 0;
  if (s.accounted && !*s.accounted && s.setpoint_a && s.validity_s && *s.validity_s > 0)
    return {
        "the station does not use emsgw's set-point (1214 = 0): check its Modbus mode (Socket, not SCN) and "
        "that its sockets are enabled for EMS control",
        msg::station_ignores_setpoint()};
  if (!holds || !s.applied_a) return {};
  // …but offers the vehicle that asks for current none (no PWM): a pause of its own.
  const bool asks = s.mode3 == "B1" || s.mode3 == "C1" || s.mode3 == "D1";
  const auto applied = amps_number(*s.applied_a);
  const auto allowed = amps_number(*s.setpoint_a);
  if (asks && *s.applied_a < ems::kIecMinimumCurrentA)
    return {"paused by the station: it applies " + applied + " A although emsgw allows " + allowed +
                " A (an over-current pause lasts 5 minutes, the station's log names it: error 302 \"Over current "
                "detected\")",
            msg::station_paused(applied, allowed)};
  if (*s.applied_a + 0.5 < *s.setpoint_a)
    return {"limited by the station to " + applied + " A (emsgw allows " + allowed + " A)",
            msg::station_limited(applied, allowed)};
  return {};
}
}  // namespace

std::string station_state_words(const SocketSample& s) {
  return station_state(s).text;
}

ems::Message station_state_message(const SocketSample& s) {
  return station_state(s).message;
}

SocketState state_for(Reason r, const SocketSample* s, int current_a) {
  switch (r) {
    case Reason::FailSafe:
    case Reason::StationLost:
    case Reason::StateUnknown: return s && s->valid ? SocketState::FallbackSafe : SocketState::Unknown;
    case Reason::Suspended: return SocketState::Suspended;
    case Reason::ModeOff: return SocketState::Off;
    case Reason::Fault: return SocketState::Fault;
    case Reason::NotConnected: return SocketState::Available;
    case Reason::EvNotAsking: return SocketState::Connected;
    case Reason::Alternating: return SocketState::Alternating;
    case Reason::Probing: return SocketState::Probing;
    case Reason::PvWaiting:
    case Reason::PvStale: return SocketState::WaitingForPower;
    case Reason::Schedule:
    case Reason::SiteLimit: return current_a > 0 ? SocketState::LimitedBySchedule : SocketState::WaitingForPower;
    default: break;
  }
  if (current_a == 0) return SocketState::WaitingForPower;
  const bool charging = s && (s->state == ems::ConnectorState::Charging);
  if (!charging) return SocketState::Connected;
  switch (r) {
    case Reason::GridL1:
    case Reason::GridL2:
    case Reason::GridL3:
    case Reason::StationMax:
    case Reason::SocketLimit:
    case Reason::PvSurplus: return SocketState::ChargingReduced;
    case Reason::SurplusMinimum:
    case Reason::OtherMinimum: return SocketState::ChargingReduced;
    default: return SocketState::Charging;
  }
}

namespace {

/// Why emsgw asks the heat pump for its SG-Ready state, in words and as a message.
void heat_pump_reason(const ems::Allocation& a, ems::HeatPumpStatus& hp) {
  if (const auto held = ems::parse_bound_words(a.heatpump_held_by)) {
    const bool peak = held->kind == ems::BoundKind::QuarterPeak;
    hp.reason = "no boost: " + a.heatpump_held_by;
    hp.reason_message = peak ? msg::heatpump_held_peak(held->value) : msg::heatpump_held_dimming(held->value);
    return;
  }
  switch (a.heatpump) {
    case ems::SgReadyState::Forced:
      hp.reason = "forced on by the solar surplus";
      hp.reason_message = msg::heatpump_forced();
      return;
    case ems::SgReadyState::Boost:
      hp.reason = "boost on the solar surplus";
      hp.reason_message = msg::heatpump_boost();
      return;
    default: break;
  }
  hp.reason = "normal operation";
  hp.reason_message = msg::heatpump_normal();
}

void add_meters(const StatusInputs& in, ems::SiteStatus& st) {
  const auto& site = in.config.site;
  const auto& meters = in.site.meters;
  if (const auto it = meters.find("grid"); it != meters.end()) {
    const auto& r = it->second;
    for (std::size_t p = 0; p < 3; ++p) {
      st.grid.current_a[p] = r.current_a[p].value();
      st.grid.power_w[p] = r.power_w[p].value();
      st.grid.voltage_v[p] = r.voltage_v[p].value();
    }
    st.grid.power_w_total = r.power_total_w.value();
    st.grid.import_wh = r.energy_import_wh.value();
    st.grid.export_wh = r.energy_export_wh.value();
    st.grid.age_s = std::chrono::duration<double>(in.now - r.mono).count();
    st.grid.current_step_a = r.current_step_a;
    st.grid.stale = *st.grid.age_s > site.meter_stale_after_s;
  }
  if (in.config.meters.contains("pv")) {
    st.pv.configured = true;
    if (const auto it = meters.find("pv"); it != meters.end()) {
      const auto& r = it->second;
      const bool import_positive = r.sign == drivers::PowerSign::ImportPositive;
      if (auto w = r.power_total_w.value()) st.pv.power_w = import_positive ? std::max(0.0, -*w) : std::max(0.0, *w);
      st.pv.energy_wh = import_positive ? r.energy_export_wh.value() : r.energy_import_wh.value();
      st.pv.stale = std::chrono::duration<double>(in.now - r.mono).count() > site.pv_stale_after_s;
    }
  }
  if (in.config.meters.contains("heatpump") || site.heatpump.enabled) {
    st.heatpump.configured = true;
    if (const auto it = meters.find("heatpump"); it != meters.end())
      st.heatpump.power_w = it->second.power_total_w.value();
    st.heatpump.sg_ready_requested = static_cast<int>(in.allocation.heatpump);
    if (site.heatpump.enabled) heat_pump_reason(in.allocation, st.heatpump);
    st.heatpump.sg_ready_state = st.heatpump.sg_ready_requested;
    if (in.sg_ready) {
      st.heatpump.sg_ready_outputs = true;
      st.heatpump.sg_ready_state = in.sg_ready->state.value_or(0);
      st.heatpump.sg_ready_error = in.sg_ready->error;
    }
  }
}

void add_stations(const StatusInputs& in, ems::SiteStatus& st) {
  const auto& site = in.config.site;
  for (std::size_t i = 0; i < site.stations.size(); ++i) {
    const auto& state = in.site.stations[i];
    ems::StationStatus ss;
    ss.name = site.stations[i].name;
    ss.circuit = site.stations[i].circuit;
    ss.online = state.online;
    if (const auto& last = state.last_ok) {
      ss.platform = last->platform;
      ss.firmware = last->firmware;
      ss.serial = last->serial;
      ss.max_current_a = last->station_max_a;
    }
    ss.foreign_setpoints = state.foreign_setpoints;
    if (!ss.online && state.last) ss.fault = state.last->error;
    st.stations.push_back(std::move(ss));
  }
}

ems::SocketStatus socket_status(const StatusInputs& in, const SocketRef& ref) {
  const auto& site = in.config.site;
  const auto& a = in.allocation;
  const auto& cfg = site.stations[ref.station].sockets[ref.index];
  ems::SocketStatus so;
  so.id = cfg.id;
  so.station = site.stations[ref.station].name;
  so.circuit = site.stations[ref.station].circuit;
  so.unit = cfg.unit;
  so.mode = cfg.mode;
  so.phase_mapping = cfg.phase_mapping;
  so.max_current_a = cfg.max_current_a;
  so.online = in.site.stations[ref.station].online;
  const SocketSample* sample = in.site.sample(ref);
  if (sample) {
    so.mode3 = sample->mode3;
    so.ev_connected = sample->state == ems::ConnectorState::Connected || sample->state == ems::ConnectorState::Charging;
    so.charging = sample->state == ems::ConnectorState::Charging;
    so.current_a = sample->current_a;
    so.applied_a = sample->applied_a;
    so.validity_s = sample->validity_s;
    so.total_energy_wh = sample->energy_wh;
    so.phases_in_use = 0;
    int drawing = 0;
    for (const auto& c : sample->current_a)
      if (c && *c > 0.5) ++drawing;
    if (drawing > 0) so.phases_in_use = drawing >= 2 ? 3 : 1;
    so.session_energy_wh = in.sessions.energy_wh(cfg.id, sample->energy_wh);
  }
  if (const auto* sa = a.find(cfg.id)) {
    const auto d = in.desired.find(cfg.id);
    so.setpoint_a = d != in.desired.end() ? d->second : sa->current_a;
    so.reason = std::string(ems::to_string(sa->reason));
    so.reason_words = reason_words(sa->reason);
    so.reason_detail = sa->detail;
    so.reason_detail_message = bound_message(sa->detail);
    if (sa->reason == Reason::OtherMinimum && sa->other_socket) {
      so.reason_socket = *sa->other_socket;
      so.reason_minimum_a = sa->other_minimum_a;
    }
    so.reason_text = so.reason_words;
    if (!sa->detail.empty()) so.reason_text += ": " + sa->detail;
    if (sa->until) {
      const auto left =
          std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(*sa->until - in.now).count());
      so.reason_until_s = static_cast<double>(left);
      so.reason_text += " (" + std::to_string(left) + " s left)";
    }
    so.state = state_for(sa->reason, sample, static_cast<int>(so.setpoint_a));
  } else if (a.scn) {
    so.reason = "scn";
    so.reason_words = so.reason_text = "shared by the Smart Charging Network";
    so.state = sample ? (sample->state == ems::ConnectorState::Charging
                             ? SocketState::Charging
                             : (so.ev_connected ? SocketState::Connected : SocketState::Available))
                      : SocketState::Unknown;
  }
  // What the station does of its own accord, in words: its faults and its own pauses and limits.
  if (sample) {
    if (auto [words, message] = station_state(*sample); !words.empty()) {
      const bool paused = words.rfind("paused by the station", 0) == 0;
      so.station_text = words;
      so.station_message = std::move(message);
      if (so.reason == std::string(ems::to_string(Reason::Fault)) || so.reason_text.empty())
        so.reason_text = std::move(words);
      else
        so.reason_text += "; " + words;
      if (paused) so.state = SocketState::Fault;
    }
  }
  return so;
}

}  // namespace

namespace {

/// The sockets whose reason is this circuit's limit: a circuit reason whose words name it
/// ("circuit garage-board L2", "circuit garage-board 11000 W").
std::vector<int> bound_by_circuit(const ems::CircuitConfig& cfg, const ems::Allocation& allocation) {
  std::vector<int> ids;
  const std::string prefix = "circuit " + cfg.name + " ";
  for (const auto& sa : allocation.sockets) {
    // A socket cut for another's minimum is bound by the limit the two share.
    const bool other = sa.reason == Reason::OtherMinimum;
    const Reason reason = other ? sa.shared_bound : sa.reason;
    const std::string& detail = other ? sa.shared_detail : sa.detail;
    const bool circuit_reason = reason == Reason::CircuitL1 || reason == Reason::CircuitL2 ||
                                reason == Reason::CircuitL3 || reason == Reason::CircuitPower;
    if (!circuit_reason || detail.rfind(prefix, 0) != 0) continue;
    // The rest is one word: a phase ("L2") or the power limit ("11000 W").
    const auto rest = std::string_view(detail).substr(prefix.size());
    const auto watts =
        rest.size() > 2 && rest.substr(rest.size() - 2) == " W" ? rest.substr(0, rest.size() - 2) : std::string_view{};
    const bool power =
        !watts.empty() && std::all_of(watts.begin(), watts.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (rest == "L1" || rest == "L2" || rest == "L3" || power) ids.push_back(sa.id);
  }
  return ids;
}

}  // namespace

ems::PeakStatus peak_status(const ems::QuarterBudget& b) {
  ems::PeakStatus p;
  p.quarter_start = b.quarter_start;
  p.quarter_energy_wh = b.energy_wh;
  p.energy_from_meter = b.energy_from_meter;
  p.projected_average_w = b.projected_average_w;
  p.target_w = b.target_w;
  p.month_peak_w = b.month_peak_w;
  p.allowed_import_w = b.allowed_import_w;
  return p;
}

std::vector<ems::CircuitStatus> circuit_status(const Config& config, const SiteInputs& in,
                                               const ems::Allocation& allocation) {
  const auto& site = config.site;
  std::vector<ems::CircuitStatus> out;
  if (site.circuits.empty()) return out;
  std::vector<std::string> station_circuit;
  for (const auto& st : site.stations) station_circuit.push_back(st.circuit);
  const auto tree = ems::resolve_circuits(site.circuits, station_circuit);
  for (std::size_t c = 0; c < site.circuits.size(); ++c) {
    const auto& cfg = site.circuits[c];
    ems::CircuitStatus cs;
    cs.name = cfg.name;
    cs.parent = cfg.parent;
    cs.metered = !cfg.meter.empty();
    cs.max_current_a = cfg.max_current_a;
    cs.margin_a = cfg.margin_a;
    cs.max_power_w = cfg.max_power_w;
    if (c < allocation.circuits.size()) cs.meter_ok = allocation.circuits[c].meter_ok;
    const auto meter = cs.metered ? in.meters.find(cfg.meter) : in.meters.end();
    if (meter != in.meters.end()) {
      for (std::size_t p = 0; p < ems::kPhaseCount; ++p) cs.load_a[p] = meter->second.current_a[p].value().value_or(0);
    } else if (tree) {
      // Unmetered (or its meter not read yet): the EVs below it, each on the grid phases it loads.
      const int node = static_cast<int>(c) + 1;
      for (const auto& ref : in.sockets) {
        if (!tree->below(tree->station_node[ref.station], node)) continue;
        const auto* so = in.sample(ref);
        if (!so) continue;
        const auto& mapping = site.stations[ref.station].sockets[ref.index].phase_mapping;
        for (std::size_t j = 0; j < mapping.count; ++j)
          cs.load_a[ems::index(mapping.grid[j])] += std::max(0.0, so->current_a[j].value_or(0));
      }
    }
    for (const double a : cs.load_a) cs.load_w += a * site.surplus.nominal_voltage_v;
    cs.binds = bound_by_circuit(cfg, allocation);
    out.push_back(std::move(cs));
  }
  return out;
}

std::shared_ptr<ems::SiteStatus> build_status(const StatusInputs& in) {
  auto st = std::make_shared<ems::SiteStatus>();
  const auto& site = in.config.site;
  const auto& a = in.allocation;
  st->sequence = in.sequence;
  st->time = in.wall;
  st->site_name = site.name;
  st->control = site.control;
  st->suspended = in.site.suspended;
  st->grid_max_current_a = site.grid_max_current_a;
  st->safety_margin_a = site.safety_margin_a;
  for (std::size_t p = 0; p < ems::kPhaseCount; ++p) {
    st->budget_a[p] = a.phases[p].limit.value();
    st->ev_allocated_a[p] = a.phases[p].allocated.value();
  }
  for (auto d : a.degraded) st->degraded_reasons.emplace_back(ems::to_string(d));
  add_meters(in, *st);
  add_stations(in, *st);
  for (const auto& ref : in.site.sockets) st->sockets.push_back(socket_status(in, ref));
  if (a.scn) {
    std::array<double, 3> b{};
    for (std::size_t p = 0; p < 3; ++p) b[p] = a.scn->current_a[p];
    st->scn_budget_a = b;
    st->scn_reason = std::string(ems::to_string(a.scn->reason));
  }
  st->circuits = circuit_status(in.config, in.site, a);
  st->faults = in.faults;
  // A station that does not answer degrades the site.
  for (const auto& f : st->faults)
    if (std::find(st->degraded_reasons.begin(), st->degraded_reasons.end(), f.code) == st->degraded_reasons.end() &&
        f.code.rfind("station_offline", 0) == 0)
      st->degraded_reasons.push_back(f.code);
  st->degraded = !st->degraded_reasons.empty();
  return st;
}

}  // namespace emsgw::gateway
