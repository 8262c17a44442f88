#pragma once
// The [[schedule]] windows at a moment of local time: which are open, what limit each puts on its
// node for the allocator (ems::NodeLimit), and when each next opens or closes. The local time comes
// through a storage::LocalTimeFn, so tests choose the time zone; clock changes (DST) follow from
// it: a window is judged by the wall-clock minute and the day it started on.

#include <optional>
#include <string>
#include <vector>

#include "ems/site_config.hpp"
#include "ems/site_snapshot.hpp"
#include "gateway/config/schedules.hpp"
#include "gateway/storage/tariff.hpp"

namespace emsgw::gateway {

/// Open at this local minute: on one of its days from `from`, until `until` the same day, or the
/// next day when until ≤ from. A window that cannot be read (invalid) is never open.
[[nodiscard]] bool window_open(const ScheduleWindow& w, storage::LocalMinute at);

/// The window's limit in words: "10 A", "3.0 kW", or both ("10 A, 3.0 kW").
[[nodiscard]] std::string window_limit_text(const ScheduleWindow& w);

/// The node a window names as the allocator counts them: 0 the grid connection, i + 1
/// site.circuits[i]; nullopt for a circuit that does not exist.
[[nodiscard]] std::optional<int> window_node(const ScheduleWindow& w, const ems::SiteConfig& site);

/// The limits of the windows open at `at`, named for the reasons: "schedule night-contract 10 A",
/// "schedule night-contract 3.0 kW".
[[nodiscard]] std::vector<ems::NodeLimit> node_limits_at(const std::vector<ScheduleWindow>& windows,
                                                         const ems::SiteConfig& site, storage::LocalMinute at);

/// The next time (whole minute after `now`) the window opens or closes, within eight days; nullopt
/// when it never changes (open all week).
[[nodiscard]] std::optional<ems::WallTime> window_next_change(const ScheduleWindow& w, ems::WallTime now,
                                                              const storage::LocalTimeFn& local);

}  // namespace emsgw::gateway
