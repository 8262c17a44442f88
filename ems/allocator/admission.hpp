#pragma once
// Stage 7: admission and the alternating rotation. Every candidate is admitted with its minimum
// when all minimums fit the phase and station capacities; otherwise the rotation picks the set:
// probing sockets first (earliest end of probing), then cars whose phases are still to be learned
// (their probing window passed without current), then — at the end of a period — the longest
// waiting, the longest charging paused first, lowest ids first among equals; mid-period those who
// charge keep charging and waiting sockets join only where there is room (a dip that leaves no room
// for all who charge pauses the one charging longest since its last pause, not one whose turn just
// began). A probing socket whose
// probing current does not fit is admitted with its ordinary minimum instead.

#include <array>
#include <optional>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/phase_budget.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// Mid-period a waiting socket paused while charging less than a period ago joins beside others
/// only when the probing current and its minimum with kResumeMarginA to spare fit; never are all
/// paused while a minimum fits. An active socket left out before its current went
/// out (a dip while cuts settle) keeps its turn and is admitted again before the waiting ones. A
/// socket at its minimum is not paused (nor left out, unless the rotation paused it) for a lack of
/// room of at most kEdgeToleranceA (and half the safety margin) on the grid phases while the grid
/// meter's own reading (SiteSnapshot::grid.measured) shows them within their limit with it. A
/// socket admitted at the last step whose minimum is not out yet is not dropped for a lack on its
/// grid phases while a cut on one of them is in flight (its raise waits for the cuts anyway). An
/// ordinary minimum (not a probing current) fits where it lacks at most kFitToleranceA (and a
/// tenth of the safety margin) on grid phases the grid meter's own reading shows within their limit.
/// Sets w.admitted for the candidates; the others get Alternating (until = end of the period)
/// when they would fit alone, else the binding phase's reason or StationMax. Updates the
/// sessions' rotation and the period's end.
void admit(const StepInputs& in, const Capacity& cap, const std::array<PhaseBudget, kPhaseCount>& phases,
           std::vector<Session>& sessions, std::optional<MonoTime>& rotation_until, std::vector<SocketWork>& work);

}  // namespace emsgw::ems::allocator
