#pragma once
// SCN mode: instead of per-socket set-points, one per-phase budget for the Alfen Smart Charging
// Network (grid headroom, minus what the SCN's sockets draw when the meter includes them).

#include "ems/allocation.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// Fills out.scn and out.phases. Suspended → 0; meter not ok → Σ safe currents per phase (each
/// station at most its maximum).
void scn_budget(const StepInputs& in, bool grid_ok, Allocation& out);

}  // namespace emsgw::ems::allocator
