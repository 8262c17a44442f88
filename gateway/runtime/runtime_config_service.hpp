#pragma once
// The configuration pages of the dashboard on the running product (webui::ConfigService).
//
// The configuration file stays the base. A change from the web is a JSON merge patch judged by
// validate_config (gateway/config/config_json.hpp); once accepted, every setting it changed is
// kept in SQLite as an override (source "web") and applied on top of the file at each start and
// SIGHUP, like the overrides that MQTT and dashboard commands leave. Site rules take effect at the
// next control step; meters, station addresses, [mqtt] and [influx] at the next start — the
// document lists those under "restart_required" until then. Overrides are listed under
// "overrides" and can be cleared one by one or all at once, so the file's value applies again.

#include <mutex>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/config_schema.hpp"
#include "gateway/runtime/control_loop.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "webui/config_service.hpp"

namespace emsgw::gateway {

/// The overrides that a change from `before` to `after` leaves: one per changed setting, keyed
/// like the commands where one exists ("socket[3].mode", "socket[3].max_current_a",
/// "site.grid_max_current_a"; value as text), otherwise by key path ("surplus.start_delay_s",
/// "meter.grid.host", "station[0].socket[1].phase_mapping"; value as JSON). Secrets the patch sets
/// ("mqtt.password", "influx.password", "influx.token") are kept too.
[[nodiscard]] std::vector<storage::SettingOverride> overrides_between(const Config& before, const Config& after,
                                                                      const nlohmann::json& patch,
                                                                      const std::string& source, ems::WallTime at);

/// Applies stored overrides on top of `config` (the configuration file as read), oldest first, each
/// judged by the validator on its own; one that is refused or names no setting is skipped (and
/// logged). An override beyond the file's installer limits (safety rule 8) is skipped unless a
/// confirmed dashboard change left it (source kConfirmedWebSource).
std::vector<OverrideOutcome> apply_config_overrides(Config& config, const std::vector<storage::SettingOverride>& items);

class RuntimeConfigService final : public webui::ConfigService {
 public:
  /// `file`: the configuration file as read; `started`: what the runtime started with (the file
  /// plus the stored overrides). `recorder` may be null (storage off: changes apply but are not kept).
  RuntimeConfigService(Config file, Config started, ControlLoop& loop, StorageRecorder* recorder,
                       const ems::Clock& clock);

  [[nodiscard]] nlohmann::json get_config() const override;
  [[nodiscard]] nlohmann::json get_schema() const override { return config_schema_json(); }
  [[nodiscard]] std::vector<ems::ConfigIssue> put_config(const nlohmann::json& patch, bool confirmed = false) override;
  [[nodiscard]] std::vector<ems::ConfigIssue> clear_overrides(const std::string& key) override;
  /// The [[schedule]] windows in force, each with whether it is open now and when it next opens or
  /// closes (webui/API.md "Schedules").
  [[nodiscard]] nlohmann::json get_schedules() const override;
  /// Replaces every window (the same rules as the file); kept as the override "schedules", one
  /// event per window added, changed or removed; the control loop applies it at its next step.
  [[nodiscard]] std::vector<ems::ConfigIssue> put_schedules(const nlohmann::json& list) override;
  /// The local time the windows are judged in (default: the box's time zone).
  void set_local_time(storage::LocalTimeFn local) { local_ = std::move(local); }

  /// The configuration as saved: running site rules plus the device settings saved for the next
  /// start (what the device tests probe).
  [[nodiscard]] Config saved_config() const;
  /// SIGHUP: the file was read again; `with_overrides` is it with the stored overrides on top.
  void file_reloaded(Config file, const Config& with_overrides);

 private:
  /// The running configuration with the saved device settings (which apply at the next start).
  [[nodiscard]] Config shown_locked() const;
  /// What the control loop may take now: `c` with the devices it started with.
  [[nodiscard]] Config live_from(const Config& c) const;
  [[nodiscard]] std::vector<ems::ConfigIssue> hand_to_loop(const Config& c);
  [[nodiscard]] std::vector<storage::SettingOverride> stored_overrides() const;

  mutable std::mutex mutex_;
  Config file_;
  const Config started_;
  Config desired_;  ///< devices and services as saved (file, overrides, web changes)
  ControlLoop& loop_;
  StorageRecorder* recorder_;
  const ems::Clock& clock_;
  std::vector<storage::SettingOverride> memory_overrides_;  ///< when storage is off
  storage::LocalTimeFn local_ = storage::local_minute;
  /// Keeps an override (SQLite, or memory when storage is off).
  void keep_override(const storage::SettingOverride& o);
};

/// The key of the override that holds the [[schedule]] windows set from the dashboard (a JSON list).
inline constexpr std::string_view kSchedulesOverride = "schedules";

}  // namespace emsgw::gateway
