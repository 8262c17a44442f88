#pragma once
// MQTT commands: "<state topic>/set" with a plain-text payload, parsed into ems::Command. Parsing
// checks only form (topic known, payload a number / a mode / ON-OFF); ranges are the validator's
// job (ems::apply_command in the control loop), so the file, the web UI and MQTT share one rule set.
//
//   <prefix>/socket/<id>/mode/set          off | now | minpv | pv
//   <prefix>/socket/<id>/max_current/set   amps, e.g. 16 or 13.5
//   <prefix>/site/grid_max_current/set     amps per phase
//   <prefix>/site/suspended/set            ON (suspend) | OFF (resume); also true/false, 1/0
//   <prefix>/site/suspend/set, <prefix>/site/resume/set   any payload
// Each is answered on reply_topic(topic) with reply_payload().

#include <cstdint>
#include <string>
#include <string_view>

#include "ems/command.hpp"
#include "ems/result.hpp"
#include "mqtt/topics.hpp"

namespace emsgw::mqtt {

/// Longest payload a command accepts; anything longer is refused unread.
inline constexpr std::size_t kMaxCommandPayload = 64;

/// The name of a command in mqtt.commands (the enable list): "socket_mode", "socket_max_current",
/// "site_limit", "suspend" (Suspend and Resume), "grid_operator" (its limit and heartbeat).
[[nodiscard]] std::string_view command_name(const ems::Command& command);
[[nodiscard]] bool command_name_known(std::string_view name);

/// The command a message asks for, or why it cannot be one (in words, for the reply).
[[nodiscard]] Result<ems::Command, std::string> parse_command(const Topics& topics, std::string_view topic,
                                                              std::string_view payload);

/// JSON reply: {"command": "...", "accepted": bool, "message": "...", "issues": [{"key","value","rule"}…]}.
/// `command` echoes the payload that was received. `replaced` > 0 adds "replaced": the number of
/// older commands on the same topic that this one superseded before they were applied.
[[nodiscard]] std::string reply_payload(const ems::CommandReply& reply, std::string_view received_payload,
                                        std::uint64_t replaced = 0);

}  // namespace emsgw::mqtt
