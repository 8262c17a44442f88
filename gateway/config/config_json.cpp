#include "gateway/config/config_json.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>

#include "drivers/meters/meter_settings.hpp"
#include "drivers/modbus/register_codec.hpp"
#include "gateway/config/config_schema.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

using nlohmann::json;

namespace {

json meter_json(const drivers::MeterSettings& m) {
  json map = json::object();
  for (const auto& [q, spec] : m.custom)
    map[std::string(drivers::to_string(q))] = {{"register", spec.address},
                                               {"function", spec.function},
                                               {"type", drivers::to_string(spec.type)},
                                               {"word_order", drivers::to_string(spec.order)},
                                               {"scale", spec.scale}};
  return {{"kind", m.kind},
          {"host", m.host},
          {"port", m.port},
          {"unit", m.unit},
          {"preset", m.preset},
          {"poll_interval_ms", m.poll_interval_ms},
          {"timeout_ms", m.timeout_ms},
          {"invert", m.invert},
          {"map", map}};
}

/// Reads typed fields of one JSON object into a configuration, reporting type errors with the key
/// paths the validator uses.
class Fields {
 public:
  Fields(const json& j, std::string path, std::vector<ems::ConfigIssue>& issues)
      : j_(j), path_(std::move(path)), issues_(issues) {}

  template <class T>
  void num(const char* key, T& out) {
    if (!j_.contains(key)) return;
    const auto& v = j_[key];
    if (!v.is_number() || (std::is_integral_v<T> && !v.is_number_integer()))
      return bad(key, v, std::is_integral_v<T> ? "must be a whole number" : "must be a number");
    if constexpr (std::is_integral_v<T>) {
      // get<T>() would wrap a 64-bit value around (4294967297 → 1): out of range is refused.
      const bool fits = v.is_number_unsigned()
                            ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                            : v.get<std::int64_t>() >= std::numeric_limits<T>::min() &&
                                  v.get<std::int64_t>() <= std::numeric_limits<T>::max();
      if (!fits) return bad(key, v, "is out of range for this setting");
    } else {
      if (!std::isfinite(v.get<double>())) return bad(key, v, "must be a finite number");
    }
    out = v.get<T>();
  }
  void str(const char* key, std::string& out) {
    if (!j_.contains(key)) return;
    if (!j_[key].is_string()) return bad(key, j_[key], "must be a string");
    out = j_[key].get<std::string>();
  }
  /// A write-only secret: set when the patch carries a string, kept otherwise.
  void secret(const char* key, std::string& out) {
    if (!j_.contains(key) || j_[key].is_null()) return;
    str(key, out);
  }
  void boolean(const char* key, bool& out) {
    if (!j_.contains(key)) return;
    if (!j_[key].is_boolean()) return bad(key, j_[key], "must be true or false");
    out = j_[key].get<bool>();
  }
  template <class T, class Parse>
  void choice(const char* key, T& out, Parse parse, const char* names) {
    if (!j_.contains(key)) return;
    if (j_[key].is_string())
      if (auto v = parse(j_[key].get<std::string>())) {
        out = *v;
        return;
      }
    bad(key, j_[key], std::string("must be one of: ") + names);
  }
  /// A setting with a codec (a choice): its text must be one the codec accepts.
  void text(const char* key, Config& c, const FieldSpec& field) {
    if (!j_.contains(key)) return;
    if (j_[key].is_string() && field.codec->set(c, j_[key].get<std::string>())) return;
    bad(key, j_[key], field.choice_rule());
  }
  void bad(const char* key, const json& v, const std::string& rule) {
    issues_.push_back({path_.empty() ? key : path_ + "." + key, v.dump(), rule});
  }

 private:
  const json& j_;
  std::string path_;
  std::vector<ems::ConfigIssue>& issues_;
};

/// The sections of the document that come from the configuration schema.
constexpr std::string_view kSchemaSections[] = {"site", "surplus", "mqtt", "influx"};

/// Reads the editable fields of some of the schema's sections from the document.
void read_schema_sections(const json& doc, Config& c, std::span<const std::string_view> sections,
                          std::vector<ems::ConfigIssue>& issues) {
  for (const auto section : sections) {
    const std::string name(section);
    if (!doc.contains(name) || !doc[name].is_object()) continue;
    Fields f(doc[name], name, issues);
    for (const auto* field : schema_section(section)) {
      if (!field->editable) continue;
      const std::string key(field->key);
      if (field->codec) {
        f.text(key.c_str(), c, *field);
        continue;
      }
      void* at = field->at(c);
      switch (field->type) {
        case FieldType::Boolean: f.boolean(key.c_str(), *static_cast<bool*>(at)); break;
        case FieldType::Integer: f.num(key.c_str(), *static_cast<int*>(at)); break;
        case FieldType::Number: f.num(key.c_str(), *static_cast<double*>(at)); break;
        case FieldType::Secret: f.secret(key.c_str(), *static_cast<std::string*>(at)); break;
        case FieldType::Text:
        case FieldType::Choice: f.str(key.c_str(), *static_cast<std::string*>(at)); break;
        case FieldType::List: break;  // not in the document
      }
    }
  }
}

void read_meters(const json& doc, Config& c, std::vector<ems::ConfigIssue>& issues) {
  if (!doc.contains("meter") || !doc["meter"].is_object()) return;
  for (const auto& [role, mj] : doc["meter"].items()) {
    if (!mj.is_object()) continue;
    if (!c.meters.contains(role)) {
      issues.push_back({"meter." + role, "(new)", "adding a meter is done in the configuration file (then a restart)"});
      continue;
    }
    auto& m = c.meters[role];
    Fields f(mj, "meter." + role, issues);
    const auto kind_names = meter_kind_names();
    f.choice(
        "kind", m.kind,
        [](const std::string& k) { return find_meter_kind(k) ? std::optional<std::string>(k) : std::nullopt; },
        kind_names.c_str());
    f.str("host", m.host);
    f.num("port", m.port);
    f.num("unit", m.unit);
    f.str("preset", m.preset);
    f.num("poll_interval_ms", m.poll_interval_ms);
    f.num("timeout_ms", m.timeout_ms);
    f.boolean("invert", m.invert);
    if (!mj.contains("map")) continue;
    m.custom.clear();
    if (!mj["map"].is_object()) {
      f.bad("map", mj["map"], "must be a table of quantity = {register, function, type, word_order, scale}");
      continue;
    }
    for (const auto& [name, spec_j] : mj["map"].items()) {
      const auto q = drivers::parse_quantity(name);
      if (!q || !spec_j.is_object()) {
        f.bad("map", json(name), "is not a quantity a custom map can define");
        continue;
      }
      drivers::RegisterSpec spec;
      Fields sf(spec_j, "meter." + role + ".map." + name, issues);
      sf.num("register", spec.address);
      sf.num("function", spec.function);
      sf.choice("type", spec.type, drivers::parse_value_type, "u16, s16, u32, s32, u64, s64, float32, float64");
      sf.choice("word_order", spec.order, drivers::parse_word_order, "high-first, low-first");
      sf.num("scale", spec.scale);
      m.custom[*q] = spec;
    }
  }
}

void read_stations(const json& doc, Config& c, std::vector<ems::ConfigIssue>& issues) {
  if (!doc.contains("stations")) return;
  const auto& stations = doc["stations"];
  if (!stations.is_array() || stations.size() != c.site.stations.size()) {
    issues.push_back({"stations", std::to_string(stations.is_array() ? stations.size() : 0) + " station(s)",
                      "adding or removing stations is done in the configuration file (then a restart); " +
                          std::to_string(c.site.stations.size()) + " are configured"});
    return;
  }
  for (std::size_t i = 0; i < stations.size(); ++i) {
    const auto& sj = stations[i];
    if (!sj.is_object()) continue;
    auto& st = c.site.stations[i];
    auto& link = c.station_links.at(i);
    Fields f(sj, ems::station_key(i), issues);
    f.str("name", st.name);
    f.str("host", link.host);
    f.num("port", link.port);
    f.num("max_current_a", st.max_current_a);
    f.boolean("phase_switching", st.phase_switching);
    if (!sj.contains("sockets")) continue;
    const auto& sockets = sj["sockets"];
    if (!sockets.is_array() || sockets.size() != st.sockets.size()) {
      f.bad("sockets", json(sockets.is_array() ? sockets.size() : 0),
            "adding or removing sockets is done in the configuration file (then a restart)");
      continue;
    }
    for (std::size_t j = 0; j < sockets.size(); ++j) {
      auto& so = st.sockets[j];
      Fields sf(sockets[j], ems::socket_key(i, j), issues);
      sf.num("id", so.id);
      sf.num("unit", so.unit);
      sf.num("max_current_a", so.max_current_a);
      sf.num("safe_current_a", so.safe_current_a);
      sf.choice("phase_mapping", so.phase_mapping, ems::parse_phase_mapping, "L1, L2, L3, L1L2L3, …");
      sf.choice("mode", so.mode, ems::parse_charge_mode, "off, now, minpv, pv");
    }
  }
}

bool is_secret_key(const std::string& key) {
  const auto* f = schema_field(key);
  return f && f->editable && f->type == FieldType::Secret;
}

/// Every key of `patch` that the document `known` does not have, named by its key path (secrets,
/// write-only, and the quantities of a meter's custom map are known too). Meters that do not exist
/// are left to read_meters, which names them.
void unknown_keys(const json& patch, const json& known, const std::string& path,
                  std::vector<ems::ConfigIssue>& issues) {
  static const std::set<std::string> kRegisterFields = {"register", "function", "type", "word_order", "scale"};
  for (const auto& [k, v] : patch.items()) {
    const std::string name = k.empty() ? "\"\"" : k;  // an empty key still gets a printable path
    const std::string key = path.empty() ? name : path + "." + name;
    if (path == "meter" && !known.contains(k)) continue;  // read_meters: "adding a meter is done in the file"
    const bool custom_map = path.starts_with("meter.") && k == "map";
    if (!known.is_object() || !known.contains(k)) {
      if (is_secret_key(key)) continue;
      issues.push_back({key, v.dump(-1, ' ', false, json::error_handler_t::replace),
                        "is not a setting (unknown key; GET /api/config lists every key)"});
      continue;
    }
    const auto& kn = known[k];
    if (custom_map && v.is_object()) {
      for (const auto& [q, spec] : v.items())
        if (spec.is_object())
          for (const auto& [field, fv] : spec.items())
            if (!kRegisterFields.contains(field))
              issues.push_back({key + "." + q + "." + field, fv.dump(-1, ' ', false, json::error_handler_t::replace),
                                "is not a setting (a register is: register, function, type, word_order, scale)"});
      continue;
    }
    if (v.is_object() && kn.is_object()) {
      unknown_keys(v, kn, key, issues);
    } else if (v.is_array() && kn.is_array() && (key == "stations" || key.ends_with(".sockets"))) {
      const std::string item = key == "stations" ? "station" : key.substr(0, key.size() - 1);
      for (std::size_t i = 0; i < v.size() && i < kn.size(); ++i)
        if (v[i].is_object() && kn[i].is_object())
          unknown_keys(v[i], kn[i], item + "[" + std::to_string(i) + "]", issues);
    }
  }
}

void collect_leaves(const json& j, const std::string& path, std::map<std::string, json>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) collect_leaves(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_array() && (path == "stations" || path.ends_with(".sockets"))) {
    const std::string item = path == "stations" ? "station" : path.substr(0, path.size() - 1);
    for (std::size_t i = 0; i < j.size(); ++i) collect_leaves(j[i], item + "[" + std::to_string(i) + "]", out);
  } else {
    out[path] = j;
  }
}

}  // namespace

json config_to_json(const Config& c) {
  const auto& s = c.site;
  json stations = json::array();
  for (std::size_t i = 0; i < s.stations.size(); ++i) {
    const auto& st = s.stations[i];
    json sockets = json::array();
    for (const auto& so : st.sockets)
      sockets.push_back({{"id", so.id},
                         {"unit", so.unit},
                         {"max_current_a", so.max_current_a},
                         {"safe_current_a", so.safe_current_a},
                         {"phase_mapping", ems::to_string(so.phase_mapping)},
                         {"mode", ems::to_string(so.mode)}});
    const auto& link = c.station_links.at(i);
    stations.push_back({{"name", st.name},
                        {"host", link.host},
                        {"port", link.port},
                        {"max_current_a", st.max_current_a},
                        {"phase_switching", st.phase_switching},
                        {"sockets", sockets}});
  }
  json meters = json::object();
  for (const auto& [role, m] : c.meters) meters[role] = meter_json(m);
  json presets = json::array();
  for (auto p : drivers::meter_preset_names()) presets.push_back(p);
  json meter_kinds = json::array();
  for (const auto& k : gateway::meter_kinds()) meter_kinds.push_back(k.name);
  json station_kinds = json::array();
  for (const auto& k : charger_kinds()) station_kinds.push_back(k.name);
  json doc = {{"meter", meters},
              {"meter_presets", presets},
              {"meter_kinds", meter_kinds},
              {"station_kinds", station_kinds},
              {"stations", stations}};
  for (const auto section : kSchemaSections) {
    json& out = doc[std::string(section)] = json::object();
    for (const auto* field : schema_section(section))
      if (field->editable && field->type != FieldType::Secret) out[std::string(field->key)] = field_value(*field, c);
  }
  return doc;
}

Result<Config, std::vector<ems::ConfigIssue>> apply_config_patch(const Config& base, const json& patch) {
  if (!patch.is_object())
    return Unexpected(std::vector<ems::ConfigIssue>{{"(body)", patch.dump(), "must be a JSON object (a merge patch)"}});
  json doc = config_to_json(base);
  std::vector<ems::ConfigIssue> issues;
  unknown_keys(patch, doc, "", issues);
  doc.merge_patch(patch);
  Config c = base;
  read_schema_sections(doc, c, std::span(kSchemaSections).first(2), issues);  // site, surplus
  read_meters(doc, c, issues);
  read_stations(doc, c, issues);
  read_schema_sections(doc, c, std::span(kSchemaSections).subspan(2), issues);  // mqtt, influx
  if (issues.empty()) issues = validate_config(c);
  if (!issues.empty()) return Unexpected(std::move(issues));
  return c;
}

std::map<std::string, json> config_leaves(const json& doc) {
  std::map<std::string, json> out;
  collect_leaves(doc, "", out);
  return out;
}

std::string config_pointer(const std::string& key) {
  std::string out;
  std::size_t i = 0;
  while (i < key.size()) {
    const auto end = key.find_first_of(".[", i);
    const std::string name = key.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (name.empty()) return {};
    i = end == std::string::npos ? key.size() : end;
    if (i < key.size() && key[i] == '[') {
      const auto close = key.find(']', i);
      if (close == std::string::npos || (name != "station" && name != "socket")) return {};
      const std::string index = key.substr(i + 1, close - i - 1);
      if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) return {};
      out += "/" + name + "s/" + index;
      i = close + 1;
    } else {
      out += "/" + name;
    }
    if (i < key.size()) {
      if (key[i] != '.') return {};
      ++i;
      if (i == key.size()) return {};
    }
  }
  return out;
}

bool needs_restart(const std::string& key) {
  if (key.starts_with("meter.") || key.starts_with("mqtt.") || key.starts_with("influx.")) return true;
  if (key.starts_with("station[")) {
    const auto dot = key.find('.');
    const auto field = dot == std::string::npos ? std::string() : key.substr(dot + 1);
    return field == "host" || field == "port" || field.ends_with(".unit") || field.ends_with(".id");
  }
  return false;
}

}  // namespace emsgw::gateway
