#pragma once
// The configuration schema: one table of the settings of the generic sections ([site], [surplus],
// [phase_switch], [heatpump], [heatpump.sg_ready], [control], [log], [storage], [influx], [mqtt],
// [web], [tariff]) with their type, unit, range, default, label and help. It drives the TOML
// reader of those sections, the JSON document of the dashboard (config_json), the range rules of
// validate_config, the settings form (GET /api/config/schema) and the check that
// deploy/emsgw.example.toml lists every key. A new key is one line of the table in
// config_schema.cpp. Meters and stations have their own readers (meter_section, station_section).

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.hpp"

namespace emsgw::gateway {

enum class FieldType {
  Boolean,
  Integer,
  Number,
  Text,
  Secret,  ///< text that is never shown (the JSON document leaves it out; a patch may set it)
  Choice,  ///< text from a fixed list (FieldSpec::choices), or one a codec parses (web.listen)
  List,    ///< an array of strings (mqtt.commands)
};

/// Reads and writes a setting that is text in the file but something else in Config (an enum, a
/// flag, an address). `set` returns false for text it does not accept.
struct FieldCodec {
  std::string (*get)(const Config&);
  bool (*set)(Config&, std::string_view);
};

/// Where a field's value lives in a Config: a bool*, int*, double*, std::string* or
/// std::vector<std::string>* according to FieldType; unused for fields with a codec.
using FieldAccess = void* (*)(Config&);

struct FieldSpec {
  std::string_view section;  ///< "mqtt", "heatpump.sg_ready"
  std::string_view key;      ///< "retain": as in the file and the JSON document
  FieldType type;
  std::string_view unit;  ///< "A", "s", "ms", "W", "days", …: shown in the form and the range rule
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  /// Choice: the values, ", "-separated ("sockets, scn"); Integer: the only values allowed (form).
  std::string_view choices;
  std::string_view label;
  std::string_view help;
  bool required = false;
  /// In the dashboard's JSON document (GET/PUT /api/config): may be changed at run time.
  bool editable = false;
  /// validate_config checks [min, max] with the rule "must be between min and max unit"; false when
  /// another layer owns the rule (ems::validate for [site], mqtt::validate_settings, …).
  bool range_rule = false;
  FieldAccess at = nullptr;
  const FieldCodec* codec = nullptr;
  /// For a Choice whose codec accepts more than a list (web.listen): the rule when it refuses.
  std::string_view rule = {};

  [[nodiscard]] std::string path() const { return std::string(section) + "." + std::string(key); }
  [[nodiscard]] bool has_range() const { return !std::isnan(min) && !std::isnan(max); }
  /// The rule a value of the wrong choice breaks: "must be one of: a, b" or `rule`.
  [[nodiscard]] std::string choice_rule() const;
};

/// Every field, in the order of deploy/emsgw.example.toml.
[[nodiscard]] std::span<const FieldSpec> config_schema();
/// The keys of one [[schedule]] window (an array of tables, read by gateway/config/schedules.cpp):
/// type, unit, range, label and help for the example file, the dashboard and the translations.
[[nodiscard]] std::span<const FieldSpec> schedule_schema();
/// The fields of one section, in order.
[[nodiscard]] std::vector<const FieldSpec*> schema_section(std::string_view section);
/// The field named by a key path ("mqtt.qos"), or nullptr.
[[nodiscard]] const FieldSpec* schema_field(std::string_view path);

/// A field's value in `config` as JSON (a choice as its text).
[[nodiscard]] nlohmann::json field_value(const FieldSpec& f, const Config& config);

/// The schema as the dashboard reads it (webui/API.md "Configuration schema"): the fields with
/// their type, unit, range, choices, default, label, help, and whether they are in the document;
/// under "schedule" the keys of one [[schedule]] window (GET/PUT /api/schedules).
[[nodiscard]] nlohmann::json config_schema_json();

/// The range rules the table owns for one section (validate_config calls it per section, in order).
void check_schema_ranges(const Config& config, std::string_view section, std::vector<ems::ConfigIssue>& out);

}  // namespace emsgw::gateway
