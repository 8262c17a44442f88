#pragma once
// Stage 1: is the grid meter fresh and plausible (design.md §2.2, §2.4)?

#include "ems/allocation.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// True when the grid reading may be used. Records MeterStale / MeterImplausible (and Suspended
/// when the snapshot is suspended) in out.degraded.
[[nodiscard]] bool check_grid_meter(const StepInputs& in, Allocation& out);

}  // namespace emsgw::ems::allocator
