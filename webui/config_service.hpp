#pragma once
// The running configuration as the web UI edits it. The gateway implements this with its one
// validator (gateway::validate_config), so a change from the web is judged exactly like the file.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "ems/site_config.hpp"

namespace emsgw::webui {

/// Ends the rule of every issue that asks for the confirmation step: a change beyond the
/// configuration file's installer limits (safety rule 8) applies only when put_config is called
/// with `confirmed` (PUT /api/config with "confirm": true; otherwise 409).
inline constexpr std::string_view kConfirmationRule =
    "the dashboard applies it only when confirmed (\"confirm\": true)";

class ConfigService {
 public:
  virtual ~ConfigService() = default;
  /// The current configuration as JSON, keys as in the TOML file (webui/API.md "Configuration").
  [[nodiscard]] virtual nlohmann::json get_config() const = 0;
  /// The configuration schema: every field with its type, unit, range, default, label and help
  /// (webui/API.md "Configuration schema"); null when this build has none (GET answers 503).
  [[nodiscard]] virtual nlohmann::json get_schema() const { return nullptr; }
  /// Applies `patch` (a JSON merge patch, RFC 7386, on the document get_config() returns) to a copy
  /// of the running configuration and validates the copy. Returns the validator's findings; when
  /// empty the change is in effect (and persisted by the gateway). A change beyond the installer's
  /// limits is refused with issues whose rule ends with kConfirmationRule unless `confirmed`.
  [[nodiscard]] virtual std::vector<ems::ConfigIssue> put_config(const nlohmann::json& patch,
                                                                 bool confirmed = false) = 0;
  /// Clears the runtime override `key` (all of them when empty), so the configuration file's value
  /// applies again. Returns why not (e.g. no such override); empty when done.
  [[nodiscard]] virtual std::vector<ems::ConfigIssue> clear_overrides(const std::string& key) = 0;
  /// The weekly windows that lower a node's limit (webui/API.md "Schedules"): {"schedules": [...]}
  /// with each window's settings, "active" now and "next_change_ms"; null when this build has none
  /// (GET answers 503).
  [[nodiscard]] virtual nlohmann::json get_schedules() const { return nullptr; }
  /// Replaces every window with `list` (a JSON array), judged by the same rules as the file.
  /// Returns every issue found; when empty the change is in effect and kept.
  [[nodiscard]] virtual std::vector<ems::ConfigIssue> put_schedules(const nlohmann::json& list) {
    (void)list;
    return {{"schedules", "", "cannot be changed in this build"}};
  }
};

}  // namespace emsgw::webui
