#pragma once
// Fuzz entry points for what reaches emsgw over the network or from a file: MQTT command payloads
// (topic and payload), HTTP JSON bodies (commands and configuration patches) and TOML configuration
// files. Like fuzz_targets.hpp they run under libFuzzer (tests/fuzz/*_fuzz.cpp) and in the bounded
// random-input test. Contract checked, besides no crash and no sanitizer report: nothing that gets
// through raises an installer-locked limit above the file's value (safety rule 8), every reply is
// JSON, and whatever a parser accepts passes the validator.

#include <cstddef>
#include <cstdint>

namespace emsgw::test {

/// "<topic suffix>\n<payload>": the topic under the prefix "emsgw/fuzz".
void fuzz_mqtt_command(const std::uint8_t* data, std::size_t size);
/// A request body for POST /api/commands and PUT /api/config.
void fuzz_http_json_body(const std::uint8_t* data, std::size_t size);
/// A configuration file.
void fuzz_toml_config(const std::uint8_t* data, std::size_t size);

}  // namespace emsgw::test
