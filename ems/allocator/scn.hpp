#pragma once
// SCN mode: instead of per-socket set-points, one per-phase budget for the Alfen Smart Charging
// Network (grid headroom, minus what the SCN's sockets draw when the meter includes them). A
// power limit on the EVs together (the quarter-hour peak, the grid operator's dimming, a power
// window on the grid connection) caps the sum of the phases' budgets at power / voltage: each
// phase keeps what its EVs draw now (all scaled down together when that is more), and the rest
// goes to the phases in equal parts, none above its own headroom.

#include <array>

#include "ems/allocation.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// Fills out.scn and out.phases. Suspended → 0; meter not ok → Σ safe currents per phase (each
/// station at most its maximum).
void scn_budget(const StepInputs& in, bool grid_ok, Allocation& out);

/// Splits `total_a` (the sum a power limit allows) over the first `phases` phases: each keeps
/// min(load, headroom), scaled down together when their sum is more than total_a, and the rest is
/// shared in equal parts, none above its headroom. The sum is min(total_a, Σ headroom).
[[nodiscard]] std::array<double, kPhaseCount> split_power_budget(double total_a,
                                                                 const std::array<double, kPhaseCount>& headroom,
                                                                 const std::array<double, kPhaseCount>& load,
                                                                 std::size_t phases);

}  // namespace emsgw::ems::allocator
