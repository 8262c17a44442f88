#pragma once
// [[schedule]]: weekly windows that lower a node's limit while they are open (an interruptible
// grid contract, a grid operator's window). A window names a node of the tree of limits (the grid
// connection or a [[circuit]]), the days it starts on, its local start and end time, and a limit
// per phase and/or for all phases together. While open it lowers the node's limit to the lower of
// the configured one and its own; it never raises one. The same rules judge the file and
// PUT /api/schedules.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ems/result.hpp"
#include "ems/site_config.hpp"

namespace emsgw::gateway {

struct ScheduleWindow {
  std::string name;  ///< unique; names the limit in reasons and events
  std::string node;  ///< "" = the grid connection; else a [[circuit]] name
  std::vector<std::string> days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};  ///< the days it starts on
  std::string from;                                                                   ///< local time "HH:MM"
  std::string until;         ///< local time "HH:MM"; until ≤ from: it ends the next day
  double max_current_a = 0;  ///< per phase while open; 0: none
  double max_power_w = 0;    ///< all phases together while open; 0: none
  friend bool operator==(const ScheduleWindow&, const ScheduleWindow&) = default;
};

/// "schedule[i]", the key prefix of window i in issues.
[[nodiscard]] std::string schedule_key(std::size_t i);

/// The day names as a bit mask (bit 0 = Monday … bit 6 = Sunday); nullopt for an unknown word.
[[nodiscard]] std::optional<std::uint8_t> schedule_days(const std::vector<std::string>& days);

/// Every rule at once (key, value, rule): names non-empty and unique, node known, days known and
/// not empty, clock times "HH:MM", limits not negative and at least one above 0.
[[nodiscard]] std::vector<ems::ConfigIssue> validate_schedules(const std::vector<ScheduleWindow>& windows,
                                                               const ems::SiteConfig& site);

/// The windows as a JSON list, keys as in the file.
[[nodiscard]] nlohmann::json schedules_to_json(const std::vector<ScheduleWindow>& windows);
/// A JSON list of windows (keys as in the file; days, node and the limits may be left out); every
/// problem of shape at once (not a list, unknown key, wrong type, missing name/from/until). The
/// rules of validate_schedules are not applied here.
[[nodiscard]] Result<std::vector<ScheduleWindow>, std::vector<ems::ConfigIssue>> schedules_from_json(
    const nlohmann::json& list);

}  // namespace emsgw::gateway
