#pragma once
// JSON forms of the live state, history, events and commands (webui/API.md). Absent values are
// null, never 0; times are ISO 8601 UTC strings plus Unix milliseconds where charts need numbers.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ems/command.hpp"
#include "ems/result.hpp"
#include "ems/site_status.hpp"
#include "webui/history_source.hpp"

namespace emsgw::webui {

[[nodiscard]] std::string iso8601(ems::WallTime t);
[[nodiscard]] std::int64_t unix_ms(ems::WallTime t);

[[nodiscard]] nlohmann::json to_json(const ems::SiteStatus& s);
[[nodiscard]] nlohmann::json to_json(const ems::SocketStatus& s);
[[nodiscard]] nlohmann::json to_json(const std::vector<ems::ConfigIssue>& issues);
[[nodiscard]] nlohmann::json to_json(const std::vector<HistorySample>& samples);
[[nodiscard]] nlohmann::json to_json(const std::vector<Event>& events);
[[nodiscard]] std::string_view to_string(EventLevel level);

/// {"command":"set_socket_mode","socket_id":1,"mode":"pv"}, "set_socket_max_current"
/// (max_current_a), "set_site_limit" (grid_max_current_a), "suspend", "resume". Error: why not.
[[nodiscard]] Result<ems::Command, std::string> command_from_json(const nlohmann::json& j);

}  // namespace emsgw::webui
