#include "ems/allocator/phase_budget.hpp"

#include <algorithm>

namespace emsgw::ems::allocator {

Capacity phase_budget(const StepInputs& in, const std::vector<Session>& sessions, std::vector<SocketWork>& work,
                      Allocation& out) {
  const auto& site = in.site;
  const auto& snap = in.snap;
  Capacity cap;
  cap.station_reserved.assign(site.stations.size(), 0.0);
  std::array<double, kPhaseCount> non_ev{};
  std::array<double, kPhaseCount> reserved{};
  for (std::size_t p = 0; p < kPhaseCount; ++p) non_ev[p] = snap.grid.current[p].value();
  for (std::size_t k = 0; k < in.size(); ++k) {
    auto& w = work[k];
    const auto& cfg = in.config(k);
    const auto& map = cfg.phase_mapping;
    if (w.fresh && site.meter_includes_chargers)
      for (std::size_t j = 0; j < map.count; ++j)
        non_ev[index(map.grid[j])] -= std::max(0.0, w.snap->current[j].value());
    if (!w.fresh || !w.known) {
      // Counted at its limit: whatever it was last told, and at least its safe current.
      const double r = std::max(static_cast<double>(sessions[k].setpoint_a), cfg.safe_current_a);
      for (std::size_t j = 0; j < map.count; ++j) reserved[index(map.grid[j])] += r;
      cap.station_reserved[in.index.sockets[k].station] += r;
      w.value = floor_a(cfg.safe_current_a);
      w.reason = w.fresh ? Reason::StateUnknown : Reason::StationLost;
    }
  }
  const auto ext_schedule = snap.site_schedule.limit_at(in.now);
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    auto& pb = out.phases[p];
    const bool on_grid = p < static_cast<std::size_t>(site.grid_phases);
    non_ev[p] = std::max(0.0, non_ev[p]);
    double limit = on_grid ? site.grid_max_current_a - site.safety_margin_a : 0;
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
    cap.phase[p] = on_grid ? std::max(0.0, avail) : 0.0;
    pb.limit = Amps(limit);
    pb.non_ev_load = Amps(non_ev[p]);
    pb.reserved = Amps(reserved[p]);
    pb.available = Amps(cap.phase[p]);
    pb.bound_by = why;
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
