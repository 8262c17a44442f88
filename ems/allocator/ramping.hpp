#pragma once
// Stage 9: cut fast, raise slow (design.md §2.3). Raises below raise_deadband_a are held; a cut
// stays unconfirmed until the socket's measured current shows it or ev_response_time_s has
// passed; while any cut is unconfirmed, every raise above a socket's settled set-point is flagged
// wait_for_confirmation on every step (not only the first).

#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// One SocketAllocation per configured socket from the decided values; updates each heard
/// socket's previous and settled set-point and its unconfirmed cut.
[[nodiscard]] std::vector<SocketAllocation> ramp(const StepInputs& in, const std::vector<SocketWork>& work,
                                                 std::vector<Session>& sessions);

}  // namespace emsgw::ems::allocator
