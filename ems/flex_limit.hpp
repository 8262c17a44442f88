#pragma once
// The limits on the flexible loads that come from outside the fuse tree, turned into the one power
// limit the allocator shares over all sockets (SiteSnapshot::flex_limit): the quarter-hour peak's
// budget and the grid operator's dimming. Pure: the caller passes the readings in.

#include <optional>
#include <string>

#include "ems/grid_operator.hpp"
#include "ems/quarter_peak.hpp"
#include "ems/site_snapshot.hpp"

namespace emsgw::ems {

/// The quarter's budget for the EVs: the average import still allowed this quarter less what the
/// other loads import now (the net grid power less the EVs' power, so PV export adds to it); never
/// negative. Named after the target in force: "quarter-hour peak 4.0 kW".
[[nodiscard]] FlexLimit peak_flex_limit(const QuarterBudget& budget, double net_power_w, double ev_power_w);

/// The grid operator's dimming for the EVs: the limit in force plus the PV production (which may be
/// added on top); nullopt when not limited. Named after the limit: "grid operator dimming 4.2 kW".
[[nodiscard]] std::optional<FlexLimit> dimming_flex_limit(const DimmingLimit& limit, double pv_w);

/// The lower of two limits (either may be absent).
[[nodiscard]] std::optional<FlexLimit> tighter(std::optional<FlexLimit> a, std::optional<FlexLimit> b);

}  // namespace emsgw::ems
