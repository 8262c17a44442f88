#include "ems/allocator/scn.hpp"

#include <algorithm>
#include <cmath>

namespace emsgw::ems::allocator {

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

}  // namespace emsgw::ems::allocator
