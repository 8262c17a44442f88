#include "ems/allocator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace emsgw::ems {

namespace {

constexpr double kEps = 1e-9;
constexpr double kInf = std::numeric_limits<double>::infinity();
/// Below this an EV "draws nothing" (probing, needs-probing detection, phase detection).
constexpr double kDrawThresholdA = 1.0;
/// A phase counts as used by the EV when it carries at least this share of the largest phase.
constexpr double kPhaseShare = 0.3;
/// A cut is confirmed when the socket draws at most its new set-point plus this.
constexpr double kConfirmToleranceA = 1.0;
/// Socket readings beyond this are implausible (no Alfen socket goes above 80 A).
constexpr double kPlausibleSocketA = 100;

double seconds(MonoTime::duration d) {
  return std::chrono::duration<double>(d).count();
}
MonoTime after(MonoTime t, double s) {
  return t + std::chrono::duration_cast<MonoTime::duration>(std::chrono::duration<double>(s));
}
int floor_a(double a) {
  return a > 0 ? static_cast<int>(std::floor(a + kEps)) : 0;
}
Reason grid_reason(std::size_t p) {
  return p == 0 ? Reason::GridL1 : (p == 1 ? Reason::GridL2 : Reason::GridL3);
}

/// One socket in the water-filling: current c between min and max, loading some groups.
struct Item {
  std::size_t socket = 0;  ///< Index into the allocator's sockets.
  double min = 0;
  double max = 0;
  double c = 0;
  Reason own = Reason::SocketMax;  ///< The socket-level bound that max comes from.
  Reason reason = Reason::SocketMax;
  bool frozen = false;
  std::array<std::size_t, 5> groups{};
  std::array<double, 5> weights{};
  std::size_t group_count = 0;
};

/// A linear constraint Σ weight × current ≤ capacity over some items.
struct Group {
  double capacity = 0;
  Reason reason = Reason::GridL1;
  std::vector<std::pair<std::size_t, double>> members;  ///< (item, weight)
  double level = kInf;
};

/// Highest common level L such that Σ w × clamp(L, min, max) over unfrozen members plus the frozen
/// load stays within the capacity; +inf if every member can reach its max, -inf if even the
/// minimums do not fit.
double solve_level(const Group& g, const std::vector<Item>& items, std::vector<std::pair<double, double>>& events) {
  double base = 0;
  double at_min = 0;
  double at_max = 0;
  events.clear();
  for (const auto& [k, w] : g.members) {
    const auto& it = items[k];
    if (it.frozen) {
      base += w * it.c;
      continue;
    }
    at_min += w * it.min;
    at_max += w * it.max;
    events.emplace_back(it.min, w);
    events.emplace_back(it.max, -w);
  }
  if (events.empty()) return kInf;
  if (base + at_max <= g.capacity + kEps) return kInf;
  if (base + at_min > g.capacity + kEps) return -kInf;
  std::sort(events.begin(), events.end());
  double level = events.front().first;
  double load = base + at_min;
  double slope = 0;
  for (const auto& [x, dw] : events) {
    const double next = load + slope * (x - level);
    if (next >= g.capacity && slope > 0) return level + (g.capacity - load) / slope;
    load = next;
    level = x;
    slope += dw;
  }
  return level;
}

/// Max-min fair water-filling: raises every unfrozen item together, freezing the members of a
/// group when it fills and an item when it reaches its own maximum.
void water_fill(std::vector<Item>& items, std::vector<Group>& groups) {
  std::vector<std::pair<double, double>> events;
  events.reserve(2 * items.size());
  for (auto& it : items) {
    it.c = it.min;
    it.frozen = it.max <= it.min + kEps;
    if (it.frozen) it.c = it.max;
  }
  for (;;) {
    bool any = false;
    for (const auto& it : items) any = any || !it.frozen;
    if (!any) return;
    double level = kInf;
    for (auto& g : groups) {
      g.level = solve_level(g, items, events);
      level = std::min(level, g.level);
    }
    if (level == kInf) {
      for (auto& it : items)
        if (!it.frozen) {
          it.c = it.max;
          it.reason = it.own;
          it.frozen = true;
        }
      return;
    }
    for (auto& it : items)
      if (!it.frozen) it.c = std::clamp(level, it.min, it.max);
    // An item at its own maximum is bound by it, even where a group fills at the same level.
    for (auto& it : items)
      if (!it.frozen && it.max <= level + kEps) {
        it.frozen = true;
        it.reason = it.own;
      }
    for (const auto& g : groups) {
      if (g.level > level + 1e-7) continue;
      for (const auto& [k, w] : g.members) {
        auto& it = items[k];
        if (it.frozen) continue;
        it.frozen = true;
        it.reason = g.reason;
      }
    }
  }
}

}  // namespace

Allocator::Allocator(const SiteConfig& site) : site_(site) {
  const auto issues = validate(site_);
  if (!issues.empty()) {
    std::string msg = "invalid site configuration:";
    for (const auto& i : issues) msg += " " + i.key + " = " + i.value + ": " + i.rule + ";";
    throw std::invalid_argument(msg);
  }
  index_config();
}

void Allocator::index_config() {
  sockets_.clear();
  index_of_id_.fill(-1);
  for (std::size_t st = 0; st < site_.stations.size(); ++st) {
    const auto& station = site_.stations[st];
    for (std::size_t so = 0; so < station.sockets.size(); ++so) {
      const auto& sc = station.sockets[so];
      SocketRef ref;
      ref.id = sc.id;
      ref.station = st;
      ref.socket = so;
      ref.phase_switching = station.phase_switching && site_.phase_switch.enabled && sc.phase_mapping.count == 3;
      index_of_id_[static_cast<std::size_t>(sc.id)] = static_cast<int>(sockets_.size());
      sockets_.push_back(ref);
    }
  }
  sessions_.assign(sockets_.size(), Session{});
}

std::vector<ConfigIssue> Allocator::update_config(const SiteConfig& site) {
  auto issues = validate(site);
  if (!issues.empty()) return issues;
  std::vector<std::pair<int, Session>> kept;
  for (std::size_t k = 0; k < sockets_.size(); ++k) kept.emplace_back(sockets_[k].id, sessions_[k]);
  site_ = site;
  index_config();
  for (auto& [id, session] : kept) {
    const int k = index_of_id_[static_cast<std::size_t>(id)];
    if (k < 0) continue;
    auto& s = sessions_[static_cast<std::size_t>(k)];
    s = session;
    s.rotation = Rotation::None;
    if (!sockets_[static_cast<std::size_t>(k)].phase_switching) {
      s.switch_stage = SwitchStage::None;
      s.phases_set = 3;
    }
  }
  rotation_until_.reset();
  return {};
}

void Allocator::step_scn(const SiteSnapshot& snap, Allocation& out, bool grid_ok) {
  ScnBudget scn;
  if (snap.suspended) {
    scn.reason = Reason::Suspended;
    out.scn = scn;
    return;
  }
  if (!grid_ok) {
    // What the SCN draws on its own with emsgw gone: Σ safe currents, each station at most its max.
    std::array<double, kPhaseCount> load{};
    for (const auto& st : site_.stations) {
      std::array<double, kPhaseCount> station_load{};
      for (const auto& so : st.sockets)
        for (std::size_t j = 0; j < so.phase_mapping.count; ++j)
          station_load[index(so.phase_mapping.grid[j])] += so.safe_current_a;
      for (std::size_t p = 0; p < kPhaseCount; ++p) load[p] += std::min(station_load[p], st.max_current_a);
    }
    for (std::size_t p = 0; p < kPhaseCount; ++p) scn.current_a[p] = floor_a(load[p]);
    scn.reason = Reason::FailSafe;
    out.scn = scn;
    return;
  }
  std::array<double, kPhaseCount> scn_load{};
  for (const auto& s : snap.sockets) {
    if (s.id < 0 || s.id > kMaxSocketId) continue;
    const int k = index_of_id_[static_cast<std::size_t>(s.id)];
    if (k < 0 || !s.measured_valid || seconds(snap.now - s.measured_at) > site_.station_stale_after_s) continue;
    const auto& ref = sockets_[static_cast<std::size_t>(k)];
    const auto& map = site_.stations[ref.station].sockets[ref.socket].phase_mapping;
    for (std::size_t j = 0; j < map.count; ++j)
      if (std::isfinite(s.current[j].value()) && s.current[j].value() > 0)
        scn_load[index(map.grid[j])] += s.current[j].value();
  }
  double lowest = kInf;
  const auto ext_schedule = snap.site_schedule.limit_at(snap.now);
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    auto& pb = out.phases[p];
    const bool on_grid = p < static_cast<std::size_t>(site_.grid_phases);
    const double grid_limit = on_grid ? site_.grid_max_current_a - site_.safety_margin_a : 0;
    const double non_ev =
        std::max(0.0, snap.grid.current[p].value() - (site_.meter_includes_chargers ? scn_load[p] : 0.0));
    double avail = grid_limit - non_ev;
    Reason why = grid_reason(p);
    if (snap.site_limit && (*snap.site_limit)[p].value() < avail) {
      avail = (*snap.site_limit)[p].value();
      why = Reason::SiteLimit;
    }
    if (ext_schedule && ext_schedule->value() < avail) {
      avail = ext_schedule->value();
      why = Reason::Schedule;
    }
    avail = on_grid ? std::max(0.0, avail) : 0.0;
    pb.limit = Amps(grid_limit);
    pb.non_ev_load = Amps(non_ev);
    pb.available = Amps(avail);
    pb.allocated = Amps(scn_load[p]);
    pb.bound_by = why;
    scn.current_a[p] = floor_a(avail);
    if (on_grid && avail < lowest) {
      lowest = avail;
      scn.reason = why;
    }
  }
  out.scn = scn;
}

Allocation Allocator::step(const SiteSnapshot& snap) {
  const MonoTime now = snap.now;
  Allocation out;
  out.at = now;
  out.control = site_.control;
  const std::size_t n = sockets_.size();
  const double volts = site_.surplus.nominal_voltage_v;
  const auto add_degraded = [&out](Degradation d) {
    if (!out.is_degraded(d)) out.degraded.push_back(d);
  };

  // --- Grid meter: fresh and plausible, or rejected (design.md §2.2, §2.4).
  bool grid_ok = snap.grid.valid && seconds(now - snap.grid.measured_at) <= site_.meter_stale_after_s;
  if (!grid_ok) add_degraded(Degradation::MeterStale);
  if (grid_ok) {
    const double bound = 4 * site_.grid_max_current_a + 10;
    for (const auto& a : snap.grid.current)
      if (!std::isfinite(a.value()) || std::fabs(a.value()) > bound) grid_ok = false;
    if (!grid_ok) add_degraded(Degradation::MeterImplausible);
  }
  if (snap.suspended) add_degraded(Degradation::Suspended);

  if (site_.control == ControlMode::Scn) {
    step_scn(snap, out, grid_ok);
    return out;
  }

  // --- Per-socket status and session bookkeeping.
  struct Work {
    const SocketSnapshot* snap = nullptr;
    bool fresh = false;
    bool known = false;
    bool occupied = false;
    double max_measured = 0;
    ChargeMode mode = ChargeMode::Now;
    int value = 0;  ///< Set-point decided this step.
    Reason reason = Reason::NotConnected;
    std::optional<MonoTime> until;
    bool candidate = false;
    bool admitted = false;
    double min = 0, max = 0;
    double probing_fallback_min = 0;  ///< Minimum if the probing current does not fit.
    double normal_max = 0;            ///< Upper bound when not probing.
    bool probing = false;
    Reason own = Reason::SocketMax;
    int load_count = 0;  ///< Grid phases loaded: 1 or the mapping count.
    std::array<std::size_t, kPhaseCount> loads{};
    bool surplus_member = false;
  };
  std::vector<Work> work(n);
  for (const auto& s : snap.sockets) {
    if (s.id < 0 || s.id > kMaxSocketId) continue;
    const int k = index_of_id_[static_cast<std::size_t>(s.id)];
    if (k >= 0) work[static_cast<std::size_t>(k)].snap = &s;
  }

  const double min_a = std::ceil(site_.min_current_a - kEps);
  const double probing_a = std::ceil(site_.probing_current_a - kEps);
  for (std::size_t k = 0; k < n; ++k) {
    auto& w = work[k];
    auto& ses = sessions_[k];
    const auto& ref = sockets_[k];
    const auto& cfg = site_.stations[ref.station].sockets[ref.socket];
    const SocketSnapshot* s = w.snap;
    w.mode = s && s->mode ? *s->mode : cfg.mode;
    w.fresh = s && s->reachable && s->measured_valid && seconds(now - s->measured_at) <= site_.station_stale_after_s;
    if (w.fresh) {
      for (std::size_t j = 0; j < kPhaseCount; ++j) {
        const double a = s->current[j].value();
        if (!std::isfinite(a) || a < -kConfirmToleranceA || a > kPlausibleSocketA) w.fresh = false;
        if (j < cfg.phase_mapping.count) w.max_measured = std::max(w.max_measured, a);
      }
    }
    if (!w.fresh) {
      add_degraded(Degradation::StationStale);
      continue;
    }
    w.known = s->state != ConnectorState::Unknown;
    if (!w.known) {
      add_degraded(Degradation::SocketStateUnknown);
      continue;
    }
    w.occupied = s->state == ConnectorState::Connected || s->state == ConnectorState::Charging;
    if (w.occupied && !ses.occupied) {
      // A new session: forget what the previous EV taught us; keep what the station is set to.
      Session fresh_session;
      fresh_session.setpoint_a = ses.setpoint_a;
      fresh_session.phases_set = ses.phases_set;
      fresh_session.last_switch_at = ses.last_switch_at;
      fresh_session.cut_at = ses.cut_at;
      fresh_session.settled_a = ses.settled_a;
      if (ses.seen_free && site_.probing_time_s > 0) fresh_session.probing_until = after(now, site_.probing_time_s);
      fresh_session.seen_free = ses.seen_free;
      ses = fresh_session;
    } else if (!w.occupied && ses.occupied) {
      Session ended;
      ended.setpoint_a = ses.setpoint_a;
      ended.phases_set = ses.phases_set;
      ended.last_switch_at = ses.last_switch_at;
      ended.cut_at = ses.cut_at;
      ended.settled_a = ses.settled_a;
      ses = ended;
    }
    if (s->state == ConnectorState::Available) ses.seen_free = true;
    ses.occupied = w.occupied;
    if (!w.occupied) continue;
    if (ses.probing_until && now >= *ses.probing_until) ses.probing_until.reset();
    // EV phase use: told, or detected from the measured currents and remembered for the session.
    if (cfg.phase_mapping.count == 1) {
      ses.ev_phases = 1;
    } else if (s->ev_phases && (*s->ev_phases == 1 || *s->ev_phases == 3)) {
      ses.ev_phases = *s->ev_phases;
    } else if (w.max_measured >= 2 * kDrawThresholdA) {
      int used = 0;
      for (std::size_t j = 0; j < kPhaseCount; ++j)
        if (s->current[j].value() >= std::max(kDrawThresholdA, kPhaseShare * w.max_measured)) ++used;
      ses.ev_phases = std::max(ses.ev_phases, used >= 2 ? 3 : 1);
    }
    if (ses.probing_until && w.max_measured >= kDrawThresholdA) ses.drew_while_probing = true;
    // An EV that draws nothing when offered less than the probing current needs the probing
    // current (guide §3.2): judged after twice the EV response time for an EV that drew while
    // probing, after a whole probing time for one that only asks for current (state C); a full
    // battery (state B, never drew) is not flagged.
    const bool low_offer = ses.setpoint_a >= min_a && ses.setpoint_a < probing_a;
    const bool asks = s->state == ConnectorState::Charging;
    if (!ses.probing_until && low_offer && w.max_measured < kDrawThresholdA && (asks || ses.drew_while_probing)) {
      if (!ses.low_offer_since) ses.low_offer_since = now;
      const double judge_s = ses.drew_while_probing ? 2 * site_.ev_response_time_s
                                                    : std::max(2 * site_.ev_response_time_s, site_.probing_time_s);
      if (seconds(now - *ses.low_offer_since) >= judge_s) ses.needs_probing_current = true;
    } else {
      ses.low_offer_since.reset();
    }
  }

  // --- Suspend and fail-safe override everything else.
  if (snap.suspended || !grid_ok) {
    rotation_until_.reset();
    for (std::size_t k = 0; k < n; ++k) {
      auto& ses = sessions_[k];
      const auto& ref = sockets_[k];
      const auto& cfg = site_.stations[ref.station].sockets[ref.socket];
      SocketAllocation a;
      a.id = ref.id;
      a.phases = ref.phase_switching ? ses.phases_set : cfg.phase_mapping.count;
      a.current_a = snap.suspended ? 0 : floor_a(cfg.safe_current_a);
      a.reason = snap.suspended ? Reason::Suspended : Reason::FailSafe;
      // Losing the meter never raises a socket (design.md §2.9): min(its set-point, its safe
      // current). A raise still waiting for a cut's confirmation never reached the station, so the
      // set-point in force is at most the settled one.
      if (!snap.suspended && ses.setpoint_a >= 0) {
        const int in_force = ses.settled_a >= 0 ? std::min(ses.setpoint_a, ses.settled_a) : ses.setpoint_a;
        a.current_a = std::min(a.current_a, in_force);
      }
      if (work[k].fresh && work[k].known) {  // a silent station keeps counting at what it was last told
        if (ses.setpoint_a >= 0 && a.current_a < ses.setpoint_a) ses.cut_at = now;
        ses.setpoint_a = a.current_a;
        ses.settled_a = a.current_a;
      }
      ses.rotation = Rotation::None;
      ses.switch_stage = SwitchStage::None;
      out.sockets.push_back(a);
    }
    if (site_.heatpump.enabled) heatpump_state_ = SgReadyState::Normal;
    out.heatpump = heatpump_state_;
    return out;
  }

  // --- Non-EV load and reservations per grid phase.
  std::array<double, kPhaseCount> non_ev{};
  std::array<double, kPhaseCount> reserved{};
  std::vector<double> station_reserved(site_.stations.size(), 0.0);
  for (std::size_t p = 0; p < kPhaseCount; ++p) non_ev[p] = snap.grid.current[p].value();
  for (std::size_t k = 0; k < n; ++k) {
    auto& w = work[k];
    const auto& ref = sockets_[k];
    const auto& cfg = site_.stations[ref.station].sockets[ref.socket];
    const auto& map = cfg.phase_mapping;
    if (w.fresh && site_.meter_includes_chargers)
      for (std::size_t j = 0; j < map.count; ++j)
        non_ev[index(map.grid[j])] -= std::max(0.0, w.snap->current[j].value());
    if (!w.fresh || !w.known) {
      // Counted at its limit: whatever it was last told, and at least its safe current.
      const double r = std::max(static_cast<double>(sessions_[k].setpoint_a), cfg.safe_current_a);
      for (std::size_t j = 0; j < map.count; ++j) reserved[index(map.grid[j])] += r;
      station_reserved[ref.station] += r;
      w.value = floor_a(cfg.safe_current_a);
      w.reason = w.fresh ? Reason::StateUnknown : Reason::StationLost;
    }
  }
  const auto ext_schedule = snap.site_schedule.limit_at(now);
  std::array<double, kPhaseCount> cap{};
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    auto& pb = out.phases[p];
    const bool on_grid = p < static_cast<std::size_t>(site_.grid_phases);
    non_ev[p] = std::max(0.0, non_ev[p]);
    double limit = on_grid ? site_.grid_max_current_a - site_.safety_margin_a : 0;
    double avail = limit - non_ev[p] - reserved[p];
    Reason why = grid_reason(p);
    if (snap.site_limit && (*snap.site_limit)[p].value() - reserved[p] < avail) {
      avail = (*snap.site_limit)[p].value() - reserved[p];
      limit = (*snap.site_limit)[p].value();
      why = Reason::SiteLimit;
    }
    if (ext_schedule && ext_schedule->value() - reserved[p] < avail) {
      avail = ext_schedule->value() - reserved[p];
      limit = ext_schedule->value();
      why = Reason::Schedule;
    }
    cap[p] = on_grid ? std::max(0.0, avail) : 0.0;
    pb.limit = Amps(limit);
    pb.non_ev_load = Amps(non_ev[p]);
    pb.reserved = Amps(reserved[p]);
    pb.available = Amps(cap[p]);
    pb.bound_by = why;
  }

  // --- Surplus (W) for the surplus modes and the heat pump.
  // With a PV meter its reading must be fresh and sane; without one the grid meter's export alone
  // is the surplus (the grid reading is fresh here: a stale one took the fail-safe path above).
  const bool pv_meter_ok = snap.pv_configured && snap.pv.valid &&
                           seconds(now - snap.pv.measured_at) <= site_.pv_stale_after_s &&
                           std::isfinite(snap.pv.power.value()) && snap.pv.power.value() >= -100;
  const bool pv_ok = pv_meter_ok || !snap.pv_configured;
  bool uses_surplus = site_.heatpump.enabled;
  double export_w = 0;
  for (std::size_t p = 0; p < static_cast<std::size_t>(site_.grid_phases); ++p)
    export_w -= snap.grid.current[p].value() * volts;
  double ev_surplus_draw_w = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const auto& w = work[k];
    if (!w.occupied || (w.mode != ChargeMode::Pv && w.mode != ChargeMode::MinPv)) continue;
    uses_surplus = true;
    if (!site_.meter_includes_chargers) continue;
    for (std::size_t j = 0; j < kPhaseCount; ++j)
      ev_surplus_draw_w += std::max(0.0, w.snap->current[j].value()) * volts;
  }
  const bool hp_running = site_.heatpump.enabled && heatpump_state_ >= SgReadyState::Boost && snap.heatpump.valid &&
                          seconds(now - snap.heatpump.measured_at) <= site_.pv_stale_after_s &&
                          std::isfinite(snap.heatpump.power.value());
  const double hp_draw_w = hp_running ? std::max(0.0, snap.heatpump.power.value()) : 0.0;
  const double raw_surplus_w = pv_ok ? export_w + ev_surplus_draw_w : 0.0;
  double ev_surplus_w = raw_surplus_w;
  if (site_.heatpump.enabled && site_.heatpump.priority == HeatPumpPriority::EvFirst) {
    ev_surplus_w += hp_draw_w;
  } else if (site_.heatpump.enabled && !hp_running && raw_surplus_w >= site_.heatpump.boost_surplus_w) {
    ev_surplus_w -= site_.heatpump.boost_surplus_w;  // heat pump first: leave it room to start
  }
  if (pv_meter_ok) ev_surplus_w = std::min(ev_surplus_w, std::max(0.0, snap.pv.power.value()) + hp_draw_w);
  if (!pv_ok && uses_surplus) add_degraded(Degradation::PvStale);
  out.surplus = Watts(std::max(0.0, ev_surplus_w));

  // Minimum power already committed to surplus sockets (previous states), for the pv start/stop rule.
  const auto loaded_phases = [&](std::size_t k) {
    const auto& ses = sessions_[k];
    const auto& cfg = site_.stations[sockets_[k].station].sockets[sockets_[k].socket];
    int count = ses.ev_phases > 0 ? ses.ev_phases : cfg.phase_mapping.count;
    if (sockets_[k].phase_switching) count = std::min(count, ses.phases_set);
    return cfg.phase_mapping.count == 1 ? 1 : count;
  };
  double committed_min_w = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const auto& w = work[k];
    if (!w.occupied) continue;
    if (w.mode == ChargeMode::MinPv || (w.mode == ChargeMode::Pv && sessions_[k].pv_on))
      committed_min_w += min_a * loaded_phases(k) * volts;
  }

  // --- Per occupied socket: mode, phase switching, bounds, minimum.
  for (std::size_t k = 0; k < n; ++k) {
    auto& w = work[k];
    auto& ses = sessions_[k];
    const auto& ref = sockets_[k];
    const auto& cfg = site_.stations[ref.station].sockets[ref.socket];
    if (!w.fresh || !w.known) continue;
    if (!w.occupied) {
      w.reason = w.snap->state == ConnectorState::Fault ? Reason::Fault : Reason::NotConnected;
      ses.rotation = Rotation::None;
      continue;
    }
    if (w.mode == ChargeMode::Off) {
      w.reason = Reason::ModeOff;
      ses.rotation = Rotation::None;
      ses.pv_on = false;
      continue;
    }
    // Automatic 1/3-phase switching (surplus modes only; `now` wants three phases).
    if (ref.phase_switching) {
      int want = ses.phases_set;
      const double three_min_w = 3 * min_a * volts;
      if (w.mode == ChargeMode::Now) {
        want = 3;
      } else if (pv_ok) {
        if (ses.phases_set == 3 && ev_surplus_w < three_min_w) want = 1;
        if (ses.phases_set == 1 && ev_surplus_w >= three_min_w + site_.phase_switch.hysteresis_w) want = 3;
      }
      if (ses.switch_stage == SwitchStage::None) {
        if (want != ses.phases_set) {
          if (!ses.switch_condition_since) ses.switch_condition_since = now;
          const double delay = w.mode == ChargeMode::Now ? 0.0
                               : want == 1               ? site_.surplus.stop_delay_s
                                                         : site_.surplus.start_delay_s;
          const bool interval_ok =
              !ses.last_switch_at || seconds(now - *ses.last_switch_at) >= site_.phase_switch.min_interval_s;
          if (interval_ok && seconds(now - *ses.switch_condition_since) >= delay) {
            ses.switch_stage = SwitchStage::Pausing;
            ses.switch_target = want;
            ses.switch_stage_until = after(now, site_.phase_switch.pause_s);
            ses.switch_condition_since.reset();
          }
        } else {
          ses.switch_condition_since.reset();
        }
      }
      if (ses.switch_stage == SwitchStage::Pausing && now >= ses.switch_stage_until) {
        ses.phases_set = ses.switch_target;
        ses.last_switch_at = now;
        if (ses.phases_set == 3) ses.ev_phases = 0;  // seen on one phase only: count all three until re-detected
        ses.switch_stage = SwitchStage::Settling;
        ses.switch_stage_until = after(now, site_.phase_switch.settle_s);
      }
      if (ses.switch_stage == SwitchStage::Settling && now >= ses.switch_stage_until)
        ses.switch_stage = SwitchStage::None;
      if (ses.switch_stage != SwitchStage::None) {
        w.reason = Reason::PhaseSwitching;
        w.until = ses.switch_stage_until;
        continue;
      }
    }
    const int phases = loaded_phases(k);
    const double own_min_w = min_a * phases * volts;
    if (w.mode == ChargeMode::Pv) {
      if (!pv_ok) {
        ses.pv_on = false;
        ses.pv_condition_since.reset();
        w.reason = Reason::PvStale;
        continue;
      }
      const double mine_w = ev_surplus_w - (committed_min_w - (ses.pv_on ? own_min_w : 0.0));
      const bool flip = ses.pv_on ? mine_w < site_.surplus.stop_surplus_w : mine_w >= site_.surplus.start_surplus_w;
      const double delay = ses.pv_on ? site_.surplus.stop_delay_s : site_.surplus.start_delay_s;
      if (flip) {
        if (!ses.pv_condition_since) ses.pv_condition_since = now;
        if (seconds(now - *ses.pv_condition_since) >= delay) {
          ses.pv_on = !ses.pv_on;
          ses.pv_condition_since.reset();
        }
      } else {
        ses.pv_condition_since.reset();
      }
      if (!ses.pv_on) {
        w.reason = Reason::PvWaiting;
        if (ses.pv_condition_since) w.until = after(*ses.pv_condition_since, delay);
        ses.rotation = Rotation::None;
        continue;
      }
    }
    // Socket-level upper bound and the constraint it comes from.
    double upper = cfg.max_current_a;
    Reason own = Reason::SocketMax;
    if (w.snap->limit && w.snap->limit->value() < upper) {
      upper = w.snap->limit->value();
      own = Reason::SocketLimit;
    }
    if (const auto sched = w.snap->schedule.limit_at(now); sched && sched->value() < upper) {
      upper = sched->value();
      own = Reason::Schedule;
    }
    if (w.snap->ev_max_current && w.snap->ev_max_current->value() < upper) {
      upper = w.snap->ev_max_current->value();
      own = Reason::EvMax;
    }
    upper = std::floor(upper + kEps);
    const double minimum = ses.needs_probing_current ? probing_a : min_a;
    if (upper < min_a) {
      w.reason = own;  // cannot offer less than the IEC minimum: paused
      continue;
    }
    w.candidate = true;
    w.own = own;
    w.max = upper;
    w.min = std::min(minimum, upper);
    w.probing_fallback_min = w.min;
    w.normal_max = w.max;
    if (ses.probing_until) {
      w.probing = true;
      w.min = w.max = std::min(probing_a, upper);
    }
    w.load_count = phases;
    if (phases == 1) {
      w.loads[0] = index(cfg.phase_mapping.first());
    } else {
      for (std::size_t j = 0; j < cfg.phase_mapping.count; ++j) w.loads[j] = index(cfg.phase_mapping.grid[j]);
    }
    w.surplus_member = w.mode == ChargeMode::Pv || w.mode == ChargeMode::MinPv;
  }

  // --- Admission: everyone with their minimum, or the alternating rotation.
  std::array<double, kPhaseCount> used{};
  std::vector<double> station_used = station_reserved;
  const auto fits = [&](const Work& w, std::size_t k, double m) {
    for (int i = 0; i < w.load_count; ++i)
      if (used[w.loads[static_cast<std::size_t>(i)]] + m > cap[w.loads[static_cast<std::size_t>(i)]] + kEps)
        return false;
    const auto st = sockets_[k].station;
    return station_used[st] + m <= site_.stations[st].max_current_a + kEps;
  };
  const auto admit = [&](Work& w, std::size_t k, double m) {
    for (int i = 0; i < w.load_count; ++i) used[w.loads[static_cast<std::size_t>(i)]] += m;
    station_used[sockets_[k].station] += m;
    w.admitted = true;
  };
  // Tries the probing current, then the ordinary minimum (the probing EV then charges normally).
  const auto try_admit = [&](std::size_t k) {
    auto& w = work[k];
    if (fits(w, k, w.min)) {
      admit(w, k, w.min);
      return true;
    }
    if (w.probing && fits(w, k, w.probing_fallback_min)) {
      w.probing = false;
      w.min = w.probing_fallback_min;
      w.max = w.normal_max;
      admit(w, k, w.min);
      return true;
    }
    return false;
  };
  std::vector<std::size_t> candidates;
  for (std::size_t k = 0; k < n; ++k)
    if (work[k].candidate) candidates.push_back(k);
  bool all_fit = true;
  for (auto k : candidates) {
    if (!fits(work[k], k, work[k].min)) {
      all_fit = false;
      break;
    }
    admit(work[k], k, work[k].min);
  }
  if (all_fit) {
    rotation_until_.reset();
    for (auto k : candidates) sessions_[k].rotation = Rotation::None;
  } else {
    used = {};
    station_used = station_reserved;
    for (auto k : candidates) work[k].admitted = false;
    const bool period_over = !rotation_until_ || now >= *rotation_until_;
    const auto id_of = [&](std::size_t k) { return sockets_[k].id; };
    std::vector<std::size_t> probing, active, fresh_ones, waiting;
    for (auto k : candidates) {
      if (work[k].probing)
        probing.push_back(k);
      else if (sessions_[k].rotation == Rotation::Active)
        active.push_back(k);
      else if (sessions_[k].rotation == Rotation::Waiting)
        waiting.push_back(k);
      else
        fresh_ones.push_back(k);
    }
    std::sort(probing.begin(), probing.end(), [&](auto a, auto b) {
      const auto ta = *sessions_[a].probing_until, tb = *sessions_[b].probing_until;
      return ta != tb ? ta < tb : id_of(a) > id_of(b);
    });
    std::sort(waiting.begin(), waiting.end(), [&](auto a, auto b) {
      const auto ta = sessions_[a].rotation_since, tb = sessions_[b].rotation_since;
      return ta != tb ? ta < tb : id_of(a) > id_of(b);
    });
    std::sort(fresh_ones.begin(), fresh_ones.end(), [&](auto a, auto b) { return id_of(a) > id_of(b); });
    if (period_over) {
      // Served longest pauses first (lowest ids first among equals).
      std::sort(active.begin(), active.end(), [&](auto a, auto b) {
        const auto ta = sessions_[a].rotation_since, tb = sessions_[b].rotation_since;
        return ta != tb ? ta > tb : id_of(a) > id_of(b);
      });
    } else {
      std::sort(active.begin(), active.end(), [&](auto a, auto b) { return id_of(a) > id_of(b); });
    }
    std::vector<std::size_t> order;
    order.insert(order.end(), probing.begin(), probing.end());
    if (period_over) {
      order.insert(order.end(), waiting.begin(), waiting.end());
      order.insert(order.end(), active.begin(), active.end());
      order.insert(order.end(), fresh_ones.begin(), fresh_ones.end());
    } else {
      // Mid-period: keep who charges; waiting sockets only join where there is room.
      order.insert(order.end(), active.begin(), active.end());
      order.insert(order.end(), fresh_ones.begin(), fresh_ones.end());
      order.insert(order.end(), waiting.begin(), waiting.end());
    }
    for (auto k : order) try_admit(k);
    if (period_over) rotation_until_ = after(now, site_.alternating_period_s);
    for (auto k : candidates) {
      auto& ses = sessions_[k];
      auto& w = work[k];
      if (w.admitted) {
        if (ses.rotation != Rotation::Active) {
          ses.rotation = Rotation::Active;
          ses.rotation_since = now;
        }
        continue;
      }
      if (ses.rotation != Rotation::Waiting) {
        ses.rotation = Rotation::Waiting;
        ses.rotation_since = now;
      }
      // Would it fit alone (next to the reserved sockets)? Then it waits its turn; otherwise the
      // binding limit is the reason.
      Reason why = Reason::Alternating;
      for (int i = 0; i < w.load_count; ++i) {
        const auto p = w.loads[static_cast<std::size_t>(i)];
        if (w.probing_fallback_min > cap[p] + kEps) why = out.phases[p].bound_by;
      }
      const auto st = sockets_[k].station;
      if (why == Reason::Alternating &&
          station_reserved[st] + w.probing_fallback_min > site_.stations[st].max_current_a + kEps)
        why = Reason::StationMax;
      w.reason = why;
      if (why == Reason::Alternating) w.until = rotation_until_;
    }
  }

  // --- Water-filling over the admitted sockets.
  std::vector<Item> items;
  std::vector<Group> groups(kPhaseCount + site_.stations.size() + 1);
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    groups[p].capacity = cap[p];
    groups[p].reason = out.phases[p].bound_by;
  }
  for (std::size_t st = 0; st < site_.stations.size(); ++st) {
    groups[kPhaseCount + st].capacity = site_.stations[st].max_current_a - station_reserved[st];
    groups[kPhaseCount + st].reason = Reason::StationMax;
  }
  const std::size_t surplus_group = groups.size() - 1;
  groups[surplus_group].capacity = std::max(0.0, ev_surplus_w);
  groups[surplus_group].reason = Reason::PvSurplus;
  for (std::size_t k = 0; k < n; ++k) {
    const auto& w = work[k];
    if (!w.admitted) continue;
    Item it;
    it.socket = k;
    it.min = w.min;
    it.max = w.max;
    it.own = w.probing ? Reason::Probing : w.own;
    it.reason = it.own;
    const std::size_t idx = items.size();
    const auto add_group = [&](std::size_t g, double weight) {
      it.groups[it.group_count] = g;
      it.weights[it.group_count] = weight;
      ++it.group_count;
      groups[g].members.emplace_back(idx, weight);
    };
    for (int i = 0; i < w.load_count; ++i) add_group(w.loads[static_cast<std::size_t>(i)], 1.0);
    add_group(kPhaseCount + sockets_[k].station, 1.0);
    if (w.surplus_member) add_group(surplus_group, w.load_count * volts);
    items.push_back(it);
  }
  water_fill(items, groups);

  // Whole amperes, rounded down; then spare whole amperes where every group still has room.
  std::vector<double> group_load(groups.size(), 0.0);
  std::vector<int> whole(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    whole[i] = floor_a(items[i].c);
    for (std::size_t g = 0; g < items[i].group_count; ++g)
      group_load[items[i].groups[g]] += items[i].weights[g] * whole[i];
  }
  std::vector<std::size_t> spare_order(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) spare_order[i] = i;
  std::sort(spare_order.begin(), spare_order.end(), [&](auto a, auto b) {
    const double fa = items[a].c - whole[a], fb = items[b].c - whole[b];
    if (std::fabs(fa - fb) > 1e-6) return fa > fb;
    return sockets_[items[a].socket].id < sockets_[items[b].socket].id;
  });
  // Round-robin passes (largest fraction first) until no socket can take one more ampere, so no
  // whole ampere of headroom is left that some socket could use.
  for (bool gave = true; gave;) {
    gave = false;
    for (auto i : spare_order) {
      const auto& it = items[i];
      if (whole[i] + 1 > it.max + kEps) continue;
      bool room = true;
      for (std::size_t g = 0; g < it.group_count && room; ++g)
        room = group_load[it.groups[g]] + it.weights[g] <= groups[it.groups[g]].capacity + kEps;
      if (!room) continue;
      ++whole[i];
      gave = true;
      for (std::size_t g = 0; g < it.group_count; ++g) group_load[it.groups[g]] += it.weights[g];
    }
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& w = work[items[i].socket];
    w.value = whole[i];
    w.reason = items[i].reason;
    if (w.reason == Reason::PvSurplus && !pv_ok) w.reason = Reason::PvStale;  // minpv held at its minimum
    if (w.probing) {
      w.reason = Reason::Probing;
      w.until = sessions_[items[i].socket].probing_until;
    }
  }

  // --- Cut fast, raise slow (design.md §2.3).
  std::vector<SocketAllocation> allocs(n);
  for (std::size_t k = 0; k < n; ++k) {
    auto& w = work[k];
    auto& ses = sessions_[k];
    auto& a = allocs[k];
    a.id = sockets_[k].id;
    a.phases = sockets_[k].phase_switching
                   ? ses.phases_set
                   : site_.stations[sockets_[k].station].sockets[sockets_[k].socket].phase_mapping.count;
    a.reason = w.reason;
    a.until = w.until;
    a.current_a = w.value;
    if (!w.fresh || !w.known) continue;  // keep reserving what it was last told
    const int prev = ses.setpoint_a;
    if (w.admitted && prev >= w.min && a.current_a > prev && a.current_a - prev < site_.raise_deadband_a - kEps) {
      a.current_a = prev;
      a.held_by_deadband = true;
    }
    if (prev >= 0 && a.current_a < prev) ses.cut_at = now;
    ses.setpoint_a = a.current_a;
  }
  bool cut_pending = false;
  for (std::size_t k = 0; k < n; ++k) {
    auto& ses = sessions_[k];
    if (!ses.cut_at) continue;
    const auto& w = work[k];
    const bool confirmed = seconds(now - *ses.cut_at) >= site_.ev_response_time_s ||
                           (w.fresh && w.max_measured <= ses.setpoint_a + kConfirmToleranceA);
    if (confirmed)
      ses.cut_at.reset();
    else
      cut_pending = true;
  }
  // A raise waits while any cut is unconfirmed, on every step until then (not only the first).
  for (std::size_t k = 0; k < n; ++k) {
    if (!work[k].fresh || !work[k].known) continue;
    auto& ses = sessions_[k];
    const int v = allocs[k].current_a;
    if (!cut_pending || ses.settled_a < 0) {
      ses.settled_a = v;
    } else if (v > ses.settled_a) {
      allocs[k].wait_for_confirmation = true;
    } else {
      ses.settled_a = v;
    }
  }

  // --- Per-phase use, for explanation.
  for (std::size_t k = 0; k < n; ++k) {
    const auto& w = work[k];
    if (!w.admitted) continue;
    for (int i = 0; i < w.load_count; ++i)
      out.phases[w.loads[static_cast<std::size_t>(i)]].allocated += Amps(allocs[k].current_a);
  }

  // --- Heat pump: SG-Ready boost on the surplus left to it.
  if (site_.heatpump.enabled) {
    double hp_avail_w = raw_surplus_w + hp_draw_w;
    if (site_.heatpump.priority == HeatPumpPriority::EvFirst)
      for (std::size_t k = 0; k < n; ++k)
        if (work[k].admitted && work[k].surplus_member) hp_avail_w -= allocs[k].current_a * work[k].load_count * volts;
    SgReadyState want = SgReadyState::Normal;
    if (pv_ok && site_.heatpump.force_surplus_w > 0 && hp_avail_w >= site_.heatpump.force_surplus_w)
      want = SgReadyState::Forced;
    else if (pv_ok && hp_avail_w >= site_.heatpump.boost_surplus_w)
      want = SgReadyState::Boost;
    const bool may_switch =
        !heatpump_changed_at_ || seconds(now - *heatpump_changed_at_) >= site_.heatpump.min_switch_interval_s || !pv_ok;
    if (want != heatpump_state_ && may_switch) {
      heatpump_state_ = want;
      heatpump_changed_at_ = now;
    }
  }
  out.heatpump = heatpump_state_;
  out.sockets = std::move(allocs);
  return out;
}

}  // namespace emsgw::ems
