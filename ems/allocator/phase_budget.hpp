#pragma once
// Stage 4: what the sockets may share per grid phase. Non-EV load = meter − measured EV currents
// (when the meter includes the chargers), never below 0; silent or unknown sockets keep
// max(last set-point, safe current) reserved on their phases and station; available =
// min(grid limit − margin − non-EV load, external site limit, site schedule) − reserved, ≥ 0.
// A window in force on a node (SiteSnapshot::node_limits) lowers that node's limit: the grid
// connection's per-phase limit (its margin stays) and, for its power, the flexible-power group
// (what everything at the connection may draw, less the non-EV load); a circuit's current or power.

#include <array>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

/// What the sockets below one circuit may share.
struct CircuitCapacity {
  std::array<double, kPhaseCount> phase{kInf, kInf, kInf};  ///< Per grid phase (A, ≥ 0; +inf: no limit).
  double power_w = kInf;                                    ///< All phases together (W, ≥ 0; +inf: no limit).
  /// What binds where a window in force lowers the circuit's limit (Schedule and its words);
  /// nullptr words: the circuit's own limit (CircuitLx / CircuitPower and the circuit's words).
  std::array<const std::string*, kPhaseCount> phase_words{};
  const std::string* power_words = nullptr;
};

/// The capacities the later stages share out.
struct Capacity {
  std::array<double, kPhaseCount> phase{};  ///< Available per grid phase (A, ≥ 0).
  std::vector<double> station_reserved;     ///< Held per station for its silent sockets (A).
  std::vector<CircuitCapacity> circuits;    ///< Parallel to SiteConfig::circuits.
  /// The flexible-power limit on all EVs (quarter-hour peak, dimming) less what the silent sockets
  /// hold (W, ≥ 0; +inf: none), its reason and its words.
  double flex_w = kInf;
  Reason flex_reason = Reason::PeakLimit;
  const std::string* flex_words = nullptr;
  /// Per grid phase, the words of a window in force that sets the phase's limit (else nullptr).
  std::array<const std::string*, kPhaseCount> phase_words{};
};

/// The tighter of the power limits on all EVs together: the flex limit (quarter-hour peak,
/// dimming) less `reserved_w`, and a power window on the grid connection less `grid_non_ev_w`
/// (the non-EV load and what silent sockets hold). power_w is +inf without either.
struct PowerCap {
  double power_w = kInf;
  Reason reason = Reason::PeakLimit;
  const std::string* words = nullptr;
};
[[nodiscard]] PowerCap power_cap(const SiteSnapshot& snap, const NodeLimitInForce& window, double grid_non_ev_w,
                                 double reserved_w);

/// Fills out.phases (limit, non-EV load, reserved, available, bound_by) and out.circuits, and gives the silent or
/// unknown sockets their safe current (value, reason StationLost / StateUnknown).
[[nodiscard]] Capacity phase_budget(const StepInputs& in, const std::vector<Session>& sessions,
                                    std::vector<SocketWork>& work, Allocation& out);

/// Adds the final set-points of the admitted sockets to out.phases[].allocated.
void add_phase_use(const std::vector<SocketWork>& work, const std::vector<SocketAllocation>& allocs, Allocation& out);

}  // namespace emsgw::ems::allocator
