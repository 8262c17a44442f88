#pragma once
// Topic and identifier rules shared by telemetry, commands and Home Assistant discovery
// (protocols.md §6.1: object and node ids may contain only [a-zA-Z0-9_-]).
//
// Topic tree under <prefix> (default "emsgw/<site>"):
//   <prefix>/status                          availability: "online" / "offline" (last will), retained
//   <prefix>/site/<leaf>                     control state, limits, degraded reasons
//   <prefix>/grid/<leaf>, <prefix>/grid/l1/<leaf>   grid meter
//   <prefix>/pv/<leaf>, <prefix>/heatpump/<leaf>
//   <prefix>/station/<name>/<leaf>           one station
//   <prefix>/socket/<id>/<leaf>              one socket (SCN socket id)
//   <prefix>/peak/<leaf>                     the quarter-hour peak ([peak])
//   <prefix>/grid_operator/<leaf>            the grid operator's dimming; its limit and heartbeat commands
//   <prefix>/circuit/<name>/<leaf>           one [[circuit]]
//   <state topic>/set                        a command; answered on <state topic>/reply

#include <string>
#include <string_view>

namespace emsgw::mqtt {

/// A name made safe as one MQTT topic level and as a Home Assistant object id: lower case,
/// [a-z0-9_-] kept, anything else folded into a single '_', never empty.
[[nodiscard]] std::string topic_segment(std::string_view name);

/// The default topic prefix for a site: "emsgw/<site name as a topic segment>".
[[nodiscard]] std::string default_topic_prefix(std::string_view site_name);

/// True when `topic` is usable for publishing: non-empty, no wildcards (+ #), no NUL, ≤ 65535 bytes.
[[nodiscard]] bool valid_publish_topic(std::string_view topic);

/// Builds the topics of one site under its prefix.
class Topics {
 public:
  explicit Topics(std::string prefix) : prefix_(std::move(prefix)) {}
  [[nodiscard]] const std::string& prefix() const { return prefix_; }
  [[nodiscard]] std::string status() const { return prefix_ + "/status"; }
  [[nodiscard]] std::string site(std::string_view leaf) const;
  [[nodiscard]] std::string grid(std::string_view leaf) const;
  [[nodiscard]] std::string grid_phase(int phase_index, std::string_view leaf) const;  ///< 0 → ".../grid/l1/leaf"
  [[nodiscard]] std::string pv(std::string_view leaf) const;
  [[nodiscard]] std::string heatpump(std::string_view leaf) const;
  [[nodiscard]] std::string station(std::string_view name, std::string_view leaf) const;
  [[nodiscard]] std::string socket(int id, std::string_view leaf) const;
  [[nodiscard]] std::string socket_phase(int id, int phase_index, std::string_view leaf) const;
  [[nodiscard]] std::string peak(std::string_view leaf) const;
  [[nodiscard]] std::string grid_operator(std::string_view leaf) const;
  [[nodiscard]] std::string circuit(std::string_view name, std::string_view leaf) const;
  /// Subscription filters for every command topic.
  [[nodiscard]] std::string socket_command_filter() const { return prefix_ + "/socket/+/+/set"; }
  [[nodiscard]] std::string site_command_filter() const { return prefix_ + "/site/+/set"; }
  [[nodiscard]] std::string grid_operator_command_filter() const { return prefix_ + "/grid_operator/+/set"; }

 private:
  std::string prefix_;
};

/// "<state topic>/set" → "<state topic>/reply"; any other topic gets "/reply" appended.
[[nodiscard]] std::string reply_topic(std::string_view command_topic);

}  // namespace emsgw::mqtt
