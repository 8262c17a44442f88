#include "ems/allocator/grid_meter.hpp"

#include <cmath>

namespace emsgw::ems::allocator {

bool check_grid_meter(const StepInputs& in, Allocation& out) {
  const auto& snap = in.snap;
  if (!in.site.grid_metered) {  // a static budget: no meter to lose
    if (snap.suspended) add_degraded(out, Degradation::Suspended);
    return true;
  }
  bool grid_ok = snap.grid.valid && seconds(in.now - snap.grid.measured_at) <= in.site.meter_stale_after_s;
  if (!grid_ok) add_degraded(out, Degradation::MeterStale);
  if (grid_ok) {
    const double bound = 4 * in.site.grid_max_current_a + 10;
    for (const auto& a : snap.grid.current)
      if (!std::isfinite(a.value()) || std::fabs(a.value()) > bound) grid_ok = false;
    if (!grid_ok) add_degraded(out, Degradation::MeterImplausible);
  }
  if (snap.suspended) add_degraded(out, Degradation::Suspended);
  return grid_ok;
}

}  // namespace emsgw::ems::allocator
