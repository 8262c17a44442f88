#pragma once
// Stage 4: what the sockets may share per grid phase. Non-EV load = meter − measured EV currents
// (when the meter includes the chargers), never below 0; silent or unknown sockets keep
// max(last set-point, safe current) reserved on their phases and station; available =
// min(grid limit − margin − non-EV load, external site limit, site schedule) − reserved, ≥ 0.

#include <array>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// The capacities the later stages share out.
struct Capacity {
  std::array<double, kPhaseCount> phase{};  ///< Available per grid phase (A, ≥ 0).
  std::vector<double> station_reserved;     ///< Held per station for its silent sockets (A).
};

/// Fills out.phases (limit, non-EV load, reserved, available, bound_by) and gives the silent or
/// unknown sockets their safe current (value, reason StationLost / StateUnknown).
[[nodiscard]] Capacity phase_budget(const StepInputs& in, const std::vector<Session>& sessions,
                                    std::vector<SocketWork>& work, Allocation& out);

/// Adds the final set-points of the admitted sockets to out.phases[].allocated.
void add_phase_use(const std::vector<SocketWork>& work, const std::vector<SocketAllocation>& allocs, Allocation& out);

}  // namespace emsgw::ems::allocator
