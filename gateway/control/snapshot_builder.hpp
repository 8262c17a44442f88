#pragma once
// The site as the allocator sees it at one step (ems::SiteSnapshot), built from what the control
// loop knows of its devices. Pure: the caller passes the time of the step.

#include <array>
#include <map>
#include <optional>

#include "ems/site_snapshot.hpp"
#include "gateway/control/session_tracker.hpp"
#include "gateway/control/site_inputs.hpp"

namespace emsgw::gateway {

/// Σ EV current per grid phase from every station's newest good sample.
[[nodiscard]] std::array<double, 3> ev_per_phase(const ems::SiteConfig& site, const SiteInputs& in);

/// A grid or circuit meter's current on phase `p` as the allocator counts it: the reading, or one
/// step more where the meter reports whole amperes (it may cut them off towards zero, and a current
/// drawn must never be counted as less than it may be; design.md §2.2). nullopt: no valid current.
[[nodiscard]] std::optional<double> drawn_at_most(const drivers::MeterReading& r, std::size_t p);

/// The snapshot at `now`: grid, PV and heat pump from the newest readings, every socket from its
/// station's newest sample (with its session's energy), and the grid currents made conservative
/// for the non-EV estimate (align_grid_with_ev).
[[nodiscard]] ems::SiteSnapshot build_snapshot(const Config& config, const SiteInputs& in,
                                               const SessionTracker& sessions, ems::MonoTime now);

/// Grid currents per phase made conservative for the non-EV estimate (grid − EV currents): the EVs
/// of now plus the highest household since the EV currents in use were read, each grid reading set
/// against the EV total of its own time plus an EV rise the grid meter does not show yet.
void align_grid_with_ev(const ems::SiteConfig& site, const SiteInputs& in, ems::SiteSnapshot& s);

}  // namespace emsgw::gateway
