#pragma once
// Topic and identifier rules shared by telemetry and Home Assistant discovery
// (protocols.md §6.1: object and node ids may contain only [a-zA-Z0-9_-]).

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

}  // namespace emsgw::mqtt
