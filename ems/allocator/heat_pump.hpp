#pragma once
// Stage 11: the heat pump's SG-Ready state from the surplus left to it: Forced at
// force_surplus_w, Boost at boost_surplus_w, else Normal; with EVs first, what the surplus-mode
// EVs were given is taken off first. A flex limit (quarter-hour peak, grid operator dimming) must
// have room for the boost's extra draw beside the EVs' set-points, else the state is Normal. It
// changes at most every min_switch_interval_s, except that losing the PV reading or the flex
// limit's room returns it to Normal at once.

#include <string>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"
#include "ems/allocator/surplus.hpp"

namespace emsgw::ems::allocator {

/// The state to report, and the words of the flex limit (in.snap.flex_limit->text) when it held
/// back a boost the surplus asked for at this step (else nullptr).
struct HeatPumpStep {
  SgReadyState state = SgReadyState::Normal;
  const std::string* held_by = nullptr;
};

/// Updates hp when the heat pump is enabled.
HeatPumpStep heat_pump(const StepInputs& in, const Surplus& surplus, const std::vector<SocketWork>& work,
                       const std::vector<SocketAllocation>& allocs, HeatPumpState& hp);

}  // namespace emsgw::ems::allocator
