#pragma once
// Automatic 1/3-phase switching (surplus modes only; `now` wants three phases). A station with
// phase_switching goes to one phase when the surplus cannot carry three minimums and back with
// hysteresis_w, after the surplus start/stop delay, never more often than min_interval_s, pausing
// pause_s before and settling settle_s after the switch.

#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// Advances the socket's switch state machine. Returns true while the socket pauses or settles
/// for a switch (w.reason = PhaseSwitching, w.until = end of the stage).
[[nodiscard]] bool switch_phases(const StepInputs& in, bool pv_ok, double ev_surplus_w, Session& ses, SocketWork& w);

}  // namespace emsgw::ems::allocator
