#include "ems/allocator/scn.hpp"

#include <algorithm>
#include <cmath>

#include "ems/allocator/phase_budget.hpp"

namespace emsgw::ems::allocator {

std::array<double, kPhaseCount> split_power_budget(double total_a, const std::array<double, kPhaseCount>& headroom,
                                                   const std::array<double, kPhaseCount>& load, std::size_t phases) {
  std::array<double, kPhaseCount> out{};
  phases = std::min(phases, kPhaseCount);
  total_a = std::max(0.0, total_a);
  double drawn = 0;
  for (std::size_t p = 0; p < phases; ++p) {
    out[p] = std::clamp(load[p], 0.0, std::max(0.0, headroom[p]));
    drawn += out[p];
  }
  if (drawn > total_a) {
    for (std::size_t p = 0; p < phases; ++p) out[p] *= total_a / drawn;
    return out;
  }
  double rest = total_a - drawn;
  // Equal parts; a phase that reaches its headroom leaves its part to the others (at most one
  // round per phase).
  for (std::size_t round = 0; round < phases && rest > kEps; ++round) {
    std::size_t open = 0;
    for (std::size_t p = 0; p < phases; ++p)
      if (out[p] < headroom[p] - kEps) ++open;
    if (open == 0) break;
    const double part = rest / static_cast<double>(open);
    for (std::size_t p = 0; p < phases; ++p) {
      if (out[p] >= headroom[p] - kEps) continue;
      const double add = std::min(part, headroom[p] - out[p]);
      out[p] += add;
      rest -= add;
    }
  }
  return out;
}

void scn_budget(const StepInputs& in, bool grid_ok, Allocation& out) {
  const auto& site = in.site;
  const auto& snap = in.snap;
  ScnBudget scn;
  if (snap.suspended) {
    scn.reason = Reason::Suspended;
    out.scn = scn;
    return;
  }
  if (!grid_ok) {
    // What the SCN draws on its own with emsgw gone: Σ safe currents, each station at most its max.
    std::array<double, kPhaseCount> load{};
    for (const auto& st : site.stations) {
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
    const int k = in.index.find(s.id);
    if (k < 0 || !s.measured_valid || seconds(snap.now - s.measured_at) > site.station_stale_after_s) continue;
    const auto& map = in.config(static_cast<std::size_t>(k)).phase_mapping;
    for (std::size_t j = 0; j < map.count; ++j)
      if (std::isfinite(s.current[j].value()) && s.current[j].value() > 0)
        scn_load[index(map.grid[j])] += s.current[j].value();
  }
  double lowest = kInf;
  const auto ext_schedule = snap.site_schedule.limit_at(snap.now);
  const auto window = node_limit_in_force(snap.node_limits, 0);
  std::array<double, kPhaseCount> headroom{};
  double grid_non_ev_w = 0;
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    auto& pb = out.phases[p];
    const bool on_grid = p < static_cast<std::size_t>(site.grid_phases);
    const bool windowed = on_grid && window.current_a && *window.current_a < site.grid_max_current_a;
    const double fuse = windowed ? *window.current_a : site.grid_max_current_a;  // a window only lowers it
    const double grid_limit = on_grid ? fuse - site.safety_margin_a : 0;
    const double non_ev =
        site.grid_metered
            ? std::max(0.0, snap.grid.current[p].value() - (site.meter_includes_chargers ? scn_load[p] : 0.0))
            : 0.0;
    double avail = grid_limit - non_ev;
    Reason why = windowed ? Reason::Schedule : grid_reason(p);
    if (snap.site_limit && (*snap.site_limit)[p].value() < avail) {
      avail = (*snap.site_limit)[p].value();
      why = Reason::SiteLimit;
    }
    if (ext_schedule && ext_schedule->value() < avail) {
      avail = ext_schedule->value();
      why = Reason::Schedule;
    }
    avail = on_grid ? std::max(0.0, avail) : 0.0;
    headroom[p] = avail;
    if (on_grid) grid_non_ev_w += non_ev * in.volts;
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
  // Power limits on the EVs together, as in socket mode (the SCN holds no silent sockets apart).
  const auto power = power_cap(snap, window, grid_non_ev_w, 0.0);
  const auto phases = static_cast<std::size_t>(std::clamp(site.grid_phases, 1, 3));
  double headroom_sum = 0;
  for (std::size_t p = 0; p < phases; ++p) headroom_sum += headroom[p];
  if (in.volts > 0 && power.power_w / in.volts < headroom_sum - kEps) {
    const auto split = split_power_budget(power.power_w / in.volts, headroom, scn_load, phases);
    for (std::size_t p = 0; p < phases; ++p) {
      scn.current_a[p] = floor_a(split[p]);
      out.phases[p].available = Amps(split[p]);
      out.phases[p].bound_by = power.reason;
    }
    scn.reason = power.reason;
  }
  out.scn = scn;
}

}  // namespace emsgw::ems::allocator
