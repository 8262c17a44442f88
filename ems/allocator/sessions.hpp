#pragma once
// Stage 2: per-socket status and session bookkeeping, including probing. Reads each socket's
// snapshot (fresh, plausible, Mode 3 state known?), starts and ends sessions, detects the EV's
// phase use and whether it needs the probing current (guide §3.2).

#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// One SocketWork per configured socket (snap, fresh, known, occupied, max_measured, mode).
/// Updates the sessions of sockets whose state is known; records StationStale /
/// SocketStateUnknown in out.degraded.
[[nodiscard]] std::vector<SocketWork> track_sessions(const StepInputs& in, std::vector<Session>& sessions,
                                                     Allocation& out);

}  // namespace emsgw::ems::allocator
