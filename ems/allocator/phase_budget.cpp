#include "ems/allocator/phase_budget.hpp"

#include <algorithm>
#include <cmath>

namespace emsgw::ems::allocator {

namespace {

/// A circuit meter's reading counts when it is valid, fresh and plausible.
bool circuit_meter_ok(const StepInputs& in, std::size_t c) {
  const auto& snap = in.snap;
  if (c >= snap.circuits.size()) return false;
  const auto& r = snap.circuits[c];
  if (!r.valid || seconds(in.now - r.measured_at) > in.site.meter_stale_after_s) return false;
  const double bound = 4 * std::max(in.site.circuits[c].max_current_a, in.site.grid_max_current_a) + 10;
  for (const auto& a : r.current)
    if (!std::isfinite(a.value()) || std::fabs(a.value()) > bound) return false;
  return true;
}

/// Per circuit: non-EV load (metered: its meter − the fresh EVs below it; unmetered: 0), what its
/// silent sockets hold, and what the sockets below it may share. A metered circuit whose meter is
/// stale lets them share no more than their safe currents (what they draw with emsgw gone, which
/// validation proved fits the circuit).
void circuit_budget(const StepInputs& in, const std::vector<Session>& sessions, const std::vector<SocketWork>& work,
                    Capacity& cap, Allocation& out) {
  const auto& site = in.site;
  const auto n = site.circuits.size();
  if (n == 0 || in.index.circuits.size() != n) return;
  cap.circuits.assign(n, CircuitCapacity{});
  out.circuits.resize(n);
  for (std::size_t c = 0; c < n; ++c) {
    const auto& cfg = site.circuits[c];
    const auto& ref = in.index.circuits[c];
    auto& budget = out.circuits[c];
    budget.name = cfg.name;
    budget.metered = !cfg.meter.empty();
    budget.meter_ok = budget.metered && circuit_meter_ok(in, c);
    std::array<double, kPhaseCount> non_ev{};
    std::array<double, kPhaseCount> reserved{};
    if (budget.meter_ok)
      for (std::size_t p = 0; p < kPhaseCount; ++p) non_ev[p] = in.snap.circuits[c].current[p].value();
    for (auto k : ref.sockets) {
      const auto& w = work[k];
      const auto& map = in.config(k).phase_mapping;
      if (budget.meter_ok && w.fresh)
        for (std::size_t j = 0; j < map.count; ++j)
          non_ev[index(map.grid[j])] -= std::max(0.0, w.snap->current[j].value());
      if (!w.fresh || !w.known) {
        const double r = std::max(static_cast<double>(sessions[k].setpoint_a), in.config(k).safe_current_a);
        for (std::size_t j = 0; j < map.count; ++j) reserved[index(map.grid[j])] += r;
      }
    }
    if (budget.metered && !budget.meter_ok) add_degraded(out, Degradation::CircuitMeterStale);
    auto& cc = cap.circuits[c];
    const auto window = node_limit_in_force(in.snap.node_limits, static_cast<int>(c) + 1);
    double non_ev_w = 0;
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
      non_ev[p] = std::max(0.0, non_ev[p]);
      non_ev_w += (non_ev[p] + reserved[p]) * in.volts;
      double max_a = cfg.max_current_a > 0 ? cfg.max_current_a : kInf;
      if (window.current_a && *window.current_a < max_a) {
        max_a = *window.current_a;
        cc.phase_words[p] = window.current_text;
      }
      const bool limited = max_a < kInf;
      const double limit = limited ? max_a - cfg.margin_a : 0;
      double avail = limited ? limit - non_ev[p] - reserved[p] : kInf;
      if (budget.metered && !budget.meter_ok) avail = std::min(avail, ref.safe_current[p] - reserved[p]);
      cc.phase[p] = std::max(0.0, avail);
      budget.limit[p] = Amps(limit);
      budget.non_ev_load[p] = Amps(non_ev[p]);
      budget.reserved[p] = Amps(reserved[p]);
      budget.available[p] = Amps(cc.phase[p]);
    }
    double max_w = cfg.max_power_w > 0 ? cfg.max_power_w : kInf;
    if (window.power_w && *window.power_w < max_w) {
      max_w = *window.power_w;
      cc.power_words = window.power_text;
    }
    if (max_w < kInf) cc.power_w = std::max(0.0, max_w - non_ev_w);
    budget.power_available = Watts(cc.power_w);
  }
}

}  // namespace

Capacity phase_budget(const StepInputs& in, const std::vector<Session>& sessions, std::vector<SocketWork>& work,
                      Allocation& out) {
  const auto& site = in.site;
  const auto& snap = in.snap;
  Capacity cap;
  cap.station_reserved.assign(site.stations.size(), 0.0);
  std::array<double, kPhaseCount> non_ev{};
  std::array<double, kPhaseCount> reserved{};
  // Without a grid meter (a static budget) only the EVs count against the grid limit.
  if (site.grid_metered)
    for (std::size_t p = 0; p < kPhaseCount; ++p) non_ev[p] = snap.grid.current[p].value();
  double reserved_w = 0;
  for (std::size_t k = 0; k < in.size(); ++k) {
    auto& w = work[k];
    const auto& cfg = in.config(k);
    const auto& map = cfg.phase_mapping;
    if (w.fresh && site.grid_metered && site.meter_includes_chargers)
      for (std::size_t j = 0; j < map.count; ++j)
        non_ev[index(map.grid[j])] -= std::max(0.0, w.snap->current[j].value());
    if (!w.fresh || !w.known) {
      // Counted at its limit: whatever it was last told, and at least its safe current.
      const double r = std::max(static_cast<double>(sessions[k].setpoint_a), cfg.safe_current_a);
      for (std::size_t j = 0; j < map.count; ++j) reserved[index(map.grid[j])] += r;
      reserved_w += r * static_cast<double>(map.count) * in.volts;
      cap.station_reserved[in.index.sockets[k].station] += r;
      w.value = floor_a(cfg.safe_current_a);
      w.reason = w.fresh ? Reason::StateUnknown : Reason::StationLost;
    }
  }
  const auto ext_schedule = snap.site_schedule.limit_at(in.now);
  const auto window = node_limit_in_force(snap.node_limits, 0);
  double grid_non_ev_w = 0;
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    auto& pb = out.phases[p];
    const bool on_grid = p < static_cast<std::size_t>(site.grid_phases);
    non_ev[p] = std::max(0.0, non_ev[p]);
    if (on_grid) grid_non_ev_w += (non_ev[p] + reserved[p]) * in.volts;
    Reason why = grid_reason(p);
    double fuse = site.grid_max_current_a;
    if (on_grid && window.current_a && *window.current_a < fuse) {
      fuse = *window.current_a;  // lowers the fuse; the margin stays
      why = Reason::Schedule;
      cap.phase_words[p] = window.current_text;
    }
    double limit = on_grid ? fuse - site.safety_margin_a : 0;
    double avail = limit - non_ev[p] - reserved[p];
    if (snap.site_limit && (*snap.site_limit)[p].value() - reserved[p] < avail) {
      avail = (*snap.site_limit)[p].value() - reserved[p];
      limit = (*snap.site_limit)[p].value();
      why = Reason::SiteLimit;
      cap.phase_words[p] = nullptr;
    }
    if (ext_schedule && ext_schedule->value() - reserved[p] < avail) {
      avail = ext_schedule->value() - reserved[p];
      limit = ext_schedule->value();
      why = Reason::Schedule;
      cap.phase_words[p] = nullptr;
    }
    cap.phase[p] = on_grid ? std::max(0.0, avail) : 0.0;
    pb.limit = Amps(limit);
    pb.non_ev_load = Amps(non_ev[p]);
    pb.reserved = Amps(reserved[p]);
    pb.available = Amps(cap.phase[p]);
    pb.bound_by = why;
  }
  circuit_budget(in, sessions, work, cap, out);
  const auto power = power_cap(snap, window, grid_non_ev_w, reserved_w);
  cap.flex_w = power.power_w;
  cap.flex_reason = power.reason;
  cap.flex_words = power.words;
  return cap;
}

PowerCap power_cap(const SiteSnapshot& snap, const NodeLimitInForce& window, double grid_non_ev_w, double reserved_w) {
  PowerCap cap;
  if (snap.flex_limit) {
    cap.power_w = std::max(0.0, snap.flex_limit->power.value() - reserved_w);
    cap.reason = snap.flex_limit->reason;
    cap.words = &snap.flex_limit->text;
  }
  // A power window on the grid connection: everything at the connection together, so the EVs
  // share it less the non-EV load and what the silent sockets hold (the flexible-power group's
  // members and weights: the tighter of the two is the group).
  if (window.power_w) {
    const double grid_w = std::max(0.0, *window.power_w - grid_non_ev_w);
    if (grid_w < cap.power_w) {
      cap.power_w = grid_w;
      cap.reason = Reason::Schedule;
      cap.words = window.power_text;
    }
  }
  return cap;
}

void add_phase_use(const std::vector<SocketWork>& work, const std::vector<SocketAllocation>& allocs, Allocation& out) {
  for (std::size_t k = 0; k < work.size(); ++k) {
    const auto& w = work[k];
    if (!w.admitted) continue;
    for (int i = 0; i < w.load_count; ++i)
      out.phases[w.loads[static_cast<std::size_t>(i)]].allocated += Amps(allocs[k].current_a);
  }
}

}  // namespace emsgw::ems::allocator
