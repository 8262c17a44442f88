#pragma once
// Safety rule 8 (design.md §2): the installer's limits are a ceiling for everyone else. The grid
// limit, the safety margin, station and socket maxima, safe currents and phase mappings come from
// the configuration file; run-time command paths (MQTT, HTTP commands) may only lower the limits,
// and the logged-in dashboard may go beyond the file only with an explicit confirmation.

#include <string>
#include <string_view>
#include <vector>

#include "ems/site_config.hpp"

namespace emsgw::gateway {

/// Source of the overrides a confirmed dashboard change leaves; only these may stay beyond the
/// configuration file's installer limits at the next start.
inline constexpr std::string_view kConfirmedWebSource = "web (confirmed)";

/// Every installer-locked setting of `site` that is less conservative than in `file`: the site
/// limit, a station or socket maximum or a safe current above the file's value, the safety margin
/// below it, a phase mapping other than the file's. Keys as the validator's
/// ("site.grid_max_current_a", "station[0].socket[1].phase_mapping"); the rule names the file's
/// value. Stations and sockets are matched by position (they cannot be added at run time).
[[nodiscard]] std::vector<ems::ConfigIssue> installer_raises(const ems::SiteConfig& file, const ems::SiteConfig& site);

/// Whether `key` names an installer-locked setting (whatever its value).
[[nodiscard]] bool installer_locked(std::string_view key);

}  // namespace emsgw::gateway
