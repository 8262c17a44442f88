#pragma once
// Commands from people and systems (MQTT, HTTP) to the control loop. Each is checked by applying it
// to a copy of the running site configuration and running ems::validate on the copy: nothing out of
// range ever takes effect. The gateway queues commands to the control thread and replies on the
// caller's channel.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ems/site_config.hpp"

namespace emsgw::ems {

struct SetSocketMode {
  int socket_id = 0;
  ChargeMode mode = ChargeMode::Now;
};
struct SetSocketMaxCurrent {
  int socket_id = 0;
  double max_current_a = 0;
};
struct SetSiteLimit {
  double grid_max_current_a = 0;
};
struct Suspend {};
struct Resume {};
/// The grid operator's limit for the controllable consumers together (LPC-like, from an EEBus
/// gateway): a limit in W for `duration_s` (0: until changed), or no limit (lifts it). Counts as a
/// heartbeat. Changes no configuration; never below the guaranteed floor (ems/grid_operator).
struct GridOperatorLimit {
  std::optional<double> limit_w;
  double duration_s = 0;
};
/// The grid operator gateway's heartbeat: without one for failsafe_after_s the failsafe limit holds.
struct GridOperatorHeartbeat {};

using Command = std::variant<SetSocketMode, SetSocketMaxCurrent, SetSiteLimit, Suspend, Resume, GridOperatorLimit,
                             GridOperatorHeartbeat>;

[[nodiscard]] std::string describe(const Command& c);

struct CommandReply {
  bool accepted = false;
  std::string message;              ///< "socket 1 mode set to pv", or why it was refused
  std::vector<ConfigIssue> issues;  ///< the validator's findings when refused
};

/// Applies a configuration-changing command to `site` (a copy of the running config). Returns the
/// validator's findings; when there are none, `site` holds the new configuration. Suspend and Resume
/// change no configuration and always pass. This form knows no installer ceiling: run-time command
/// paths use the form below.
[[nodiscard]] std::vector<ConfigIssue> apply_command(SiteConfig& site, const Command& c);

/// The rule a run-time command breaks when it would raise an installer-locked limit (design.md §2
/// rule 8); refusals carry it, so a reply names the rule.
inline constexpr std::string_view kInstallerLimitRule =
    "installer-locked limit (safety rule 8): a run-time command may only lower it, at most to the "
    "configuration file's";

/// Design rule 8: the installer's limits (the configuration file's site limit and socket maxima)
/// are a ceiling for every run-time command path (MQTT, HTTP commands). Returns one issue when `c`
/// would set a value above the ceiling `installer` (or a value that is not a number); empty when it
/// stays at or below it (a lowered limit may be returned to the file's value).
[[nodiscard]] std::vector<ConfigIssue> check_installer_limits(const SiteConfig& installer, const Command& c);

/// check_installer_limits(installer, c), then apply_command(site, c).
[[nodiscard]] std::vector<ConfigIssue> apply_command(SiteConfig& site, const Command& c, const SiteConfig& installer);

/// Where MQTT and HTTP hand commands in. `reply` is called exactly once, possibly on another thread.
class CommandSink {
 public:
  virtual ~CommandSink() = default;
  virtual void submit(Command command, std::function<void(CommandReply)> reply) = 0;
};

}  // namespace emsgw::ems
