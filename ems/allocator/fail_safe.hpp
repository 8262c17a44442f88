#pragma once
// Stage 3: suspend and fail-safe override everything else. Suspended → every socket 0 A; grid
// meter lost → every socket min(its set-point in force, its safe current) (design.md §2.9).

#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// Fills out.sockets and out.heatpump for a suspended step or one without a usable grid meter;
/// resets the rotation and any phase switch, and records the new set-points in the sessions of
/// sockets that are heard.
void override_all(const StepInputs& in, const std::vector<SocketWork>& work, AllocatorState& state, Allocation& out);

}  // namespace emsgw::ems::allocator
