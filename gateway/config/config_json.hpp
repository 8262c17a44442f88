#pragma once
// The configuration as the web UI reads and edits it: one JSON document with the keys of the TOML
// file (webui/API.md "Configuration"). A change is a JSON merge patch (RFC 7386) on that document;
// it is read back into a copy of the running configuration and judged by validate_config, the same
// rules as the file. The sections [site], [surplus], [mqtt] and [influx] hold the editable fields of
// the configuration schema (config_schema.hpp); meters and stations are written here. Secrets
// (mqtt.password, influx.password, influx.token) are write-only: the document never shows them, a
// patch may set them.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "ems/result.hpp"
#include "gateway/config/config.hpp"

namespace emsgw::gateway {

[[nodiscard]] nlohmann::json config_to_json(const Config& config);

/// `patch` applied on config_to_json(base), read back into a copy of `base` and validated. Stations
/// and sockets can be edited, not added or removed (that is done in the file, then a restart). All
/// problems at once, keyed like the validator ("site.grid_max_current_a", "station[0].socket[1].mode").
[[nodiscard]] Result<Config, std::vector<ems::ConfigIssue>> apply_config_patch(const Config& base,
                                                                               const nlohmann::json& patch);

/// Every leaf of a config document by key path ("site.name", "station[0].socket[1].mode",
/// "meter.grid.map.current_l1.register"); arrays of scalars are one leaf.
[[nodiscard]] std::map<std::string, nlohmann::json> config_leaves(const nlohmann::json& doc);

/// The JSON pointer of a key path: "station[0].socket[1].mode" → "/stations/0/sockets/1/mode".
/// Empty when the key is not a path of the document.
[[nodiscard]] std::string config_pointer(const std::string& key);

/// Whether a key path names a setting that only takes effect at the next start (devices and
/// services: meters, station links, [mqtt], [influx]) rather than at the next control step.
[[nodiscard]] bool needs_restart(const std::string& key);

}  // namespace emsgw::gateway
