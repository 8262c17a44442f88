// The configuration schema (gateway/config/config_schema.hpp) is the one description of the generic
// sections: the example file lists each of its keys, the TOML reader and the JSON document read
// each key into the same place, and each range it gives is a rule some validator enforces.
#include "gateway/config/config_schema.hpp"

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "gateway/config/config_json.hpp"
#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using gateway::FieldSpec;
using gateway::FieldType;
using nlohmann::json;

std::string example_file() {
  return read_file(std::string(EMSGW_SOURCE_DIR) + "/deploy/emsgw.example.toml");
}

/// Keys listed in the example file per section, commented out ("# key = …") or not.
std::map<std::string, std::set<std::string>> example_keys() {
  std::map<std::string, std::set<std::string>> out;
  const std::regex header(R"(^#?\s*\[\[?([a-z_.]+)\]\]?)");
  const std::regex key(R"(^#?\s*([a-z_0-9]+)\s*=)");
  std::istringstream in(example_file());
  std::string line, section;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, header))
      section = m[1];
    else if (std::regex_search(line, m, key))
      out[section].insert(m[1]);
  }
  return out;
}

/// Every generic section present and in use: the example file with [influx] enabled.
gateway::Config full_config() {
  auto c = gateway::load_config_text(example_file(), "emsgw.example.toml");
  c.influx.enabled = true;
  c.influx.url = "http://127.0.0.1:8086";
  c.influx.database = "emsgw";
  return c;
}

bool has_issue(const std::vector<ems::ConfigIssue>& issues, const std::string& key) {
  for (const auto& i : issues)
    if (i.key == key) return true;
  return false;
}

TEST(ConfigSchema, ExampleFileListsEveryKeyOfTheSchema) {
  const auto listed = example_keys();
  ASSERT_FALSE(listed.empty());
  std::vector<std::string> missing;
  for (const auto& f : gateway::config_schema()) {
    const auto it = listed.find(std::string(f.section));
    if (it == listed.end() || !it->second.contains(std::string(f.key))) missing.push_back(f.path());
  }
  EXPECT_TRUE(missing.empty()) << "deploy/emsgw.example.toml lacks " << testing::PrintToString(missing);
}

TEST(ConfigSchema, ExampleFileListsEveryKeyOfAScheduleWindow) {
  const auto listed = example_keys();
  ASSERT_TRUE(listed.contains("schedule"));
  for (const auto& f : gateway::schedule_schema()) {
    EXPECT_EQ(f.section, "schedule");
    EXPECT_FALSE(f.label.empty()) << f.path();
    EXPECT_TRUE(listed.at("schedule").contains(std::string(f.key))) << "deploy/emsgw.example.toml lacks " << f.path();
  }
  // The dashboard's schema carries them, with their units and defaults.
  const auto schema = gateway::config_schema_json();
  ASSERT_EQ(schema["schedule"].size(), gateway::schedule_schema().size());
  for (const auto& f : schema["schedule"])
    if (f["key"] == "max_current_a") {
      EXPECT_EQ(f["unit"], "A");
      EXPECT_EQ(f["default"], 0);
      EXPECT_EQ(f["max"], 1000);
    } else if (f["key"] == "days") {
      EXPECT_EQ(f["default"].size(), 7u);
    }
}

TEST(ConfigSchema, EveryFieldHasALabelATypeAndOnePlace) {
  std::set<std::string> paths;
  for (const auto& f : gateway::config_schema()) {
    EXPECT_FALSE(f.label.empty()) << f.path();
    EXPECT_TRUE(paths.insert(f.path()).second) << f.path() << " is in the table twice";
    EXPECT_TRUE(f.at != nullptr || f.codec != nullptr) << f.path() << " reads into nothing";
    if (f.type == FieldType::Choice && f.rule.empty()) {
      EXPECT_FALSE(f.choices.empty()) << f.path();
    }
    EXPECT_EQ(gateway::schema_field(f.path()), &f);
  }
  EXPECT_EQ(gateway::schema_field("mqtt.nothing"), nullptr);
}

/// Text of a value inside the field's range that differs from its default, for the round trips.
std::string other_value(const FieldSpec& f, const json& current, json& expected) {
  switch (f.type) {
    case FieldType::Boolean: expected = !current.get<bool>(); return expected.get<bool>() ? "true" : "false";
    case FieldType::Integer: {
      const int lo = std::isnan(f.min) ? 0 : static_cast<int>(f.min);
      const int hi = std::isnan(f.max) ? lo + 10 : static_cast<int>(f.max);
      int v = current.get<int>() == hi ? lo : hi;
      expected = v;
      return std::to_string(v);
    }
    case FieldType::Number: {
      const double hi = std::isnan(f.max) ? 7 : f.max;
      const double v = current.get<double>() == hi ? hi - 1 : hi;
      expected = v;
      return json(v).dump();
    }
    default: return "";
  }
}

// Each boolean and number of the table lands in the Config member the table names, from the file
// and from a JSON patch alike.
TEST(ConfigSchema, FileAndDocumentReadEachKeyIntoTheSamePlace) {
  const auto base = full_config();
  const auto doc = gateway::config_to_json(base);
  int checked = 0;
  for (const auto& f : gateway::config_schema()) {
    if (f.type != FieldType::Boolean && f.type != FieldType::Integer && f.type != FieldType::Number) continue;
    if (f.section == "tariff") continue;  // [tariff] is absent from the example's live part
    json expected;
    const auto text = other_value(f, gateway::field_value(f, base), expected);
    // The file: the example with this key's line changed, in its own section.
    gateway::Config from_file;
    std::string file = example_file();
    const std::regex line("(^|\n)#? ?" + std::string(f.key) + R"(\s*=[^\n]*)");
    const std::string section_header = "[" + std::string(f.section) + "]";
    const auto start = file.find("\n" + section_header);
    if (start == std::string::npos) continue;  // a commented-out section
    const auto end = file.find("\n[", start + 1);
    std::string part = file.substr(start, end - start);
    if (!std::regex_search(part, line)) continue;
    part = std::regex_replace(part, line, "$1" + std::string(f.key) + " = " + text,
                              std::regex_constants::format_first_only);
    file = file.substr(0, start) + part + (end == std::string::npos ? "" : file.substr(end));
    try {
      from_file = gateway::load_config_text(file, "emsgw.example.toml");
    } catch (const gateway::ConfigLoadError&) {
      // A value valid alone may break a rule with another key (e.g. stop above start surplus):
      // the reader still read it, which is what this test is about.
      continue;
    }
    EXPECT_EQ(gateway::field_value(f, from_file), expected) << f.path() << " from the file";
    ++checked;
    if (!f.editable) continue;
    EXPECT_TRUE(doc.at(std::string(f.section)).contains(std::string(f.key))) << f.path() << " is editable";
    auto patched = gateway::apply_config_patch(base, json{{std::string(f.section), {{std::string(f.key), expected}}}});
    if (!patched) continue;  // refused by a rule across keys
    EXPECT_EQ(gateway::field_value(f, *patched), expected) << f.path() << " from a JSON patch";
  }
  EXPECT_GE(checked, 30);
}

TEST(ConfigSchema, DocumentHasEveryEditableKeyOfTheFileAndNoSecret) {
  const auto doc = gateway::config_to_json(full_config());
  for (const auto& f : gateway::config_schema()) {
    const auto& section = doc.contains(std::string(f.section)) ? doc.at(std::string(f.section)) : json();
    const bool shown = section.is_object() && section.contains(std::string(f.key));
    EXPECT_EQ(shown, f.editable && f.type != FieldType::Secret) << f.path();
  }
  // The keys the JSON side used to lack, named as in the file.
  for (const char* key : {"timeout_ms", "retry_min_s", "retry_max_s"}) EXPECT_TRUE(doc["influx"].contains(key)) << key;
  EXPECT_TRUE(doc["mqtt"].contains("retain"));
  EXPECT_FALSE(doc["mqtt"].contains("retain_state"));
  EXPECT_FALSE(doc["mqtt"].contains("password"));
  EXPECT_FALSE(doc["mqtt"].contains("key_password"));
}

TEST(ConfigSchema, PatchOfAFormerlyMissingKeyIsReadAndJudged) {
  const auto base = full_config();
  auto ok = gateway::apply_config_patch(base, json::parse(R"({"influx": {"timeout_ms": 2500, "retry_max_s": 30}})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->influx.timeout_ms, 2500);
  EXPECT_EQ(ok->influx.retry_max_s, 30);
  auto bad = gateway::apply_config_patch(base, json::parse(R"({"influx": {"timeout_ms": 5}})"));
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().size(), 1u);
  EXPECT_EQ(bad.error()[0].key, "influx.timeout_ms");
  EXPECT_EQ(bad.error()[0].value, "5");
  EXPECT_EQ(bad.error()[0].rule, "must be between 100 and 60000 ms");
  // The key's password is set in the file only: the dashboard keeps only the editable secrets.
  auto secret = gateway::apply_config_patch(base, json::parse(R"({"mqtt": {"key_password": "k"}})"));
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error()[0].key, "mqtt.key_password");
  EXPECT_NE(secret.error()[0].rule.find("is not a setting"), std::string::npos) << secret.error()[0].rule;
}

// Every range the table gives (shown as min/max in the form) is enforced by a validator: a value
// past either end is refused with an issue naming the key.
TEST(ConfigSchema, EveryRangeOfTheTableIsARule) {
  const auto base = full_config();
  int checked = 0;
  for (const auto& f : gateway::config_schema()) {
    if (!f.has_range() || (f.type != FieldType::Integer && f.type != FieldType::Number)) continue;
    if (f.section == "tariff") continue;  // checked where the key's line is known (tariff_section)
    for (const double v : {f.min - 1, f.max + 1}) {
      auto c = base;
      if (f.type == FieldType::Integer)
        *static_cast<int*>(f.at(c)) = static_cast<int>(v);
      else
        *static_cast<double*>(f.at(c)) = v;
      EXPECT_TRUE(has_issue(gateway::validate_config(c), f.path())) << f.path() << " = " << v << " accepted";
    }
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

TEST(ConfigSchema, TableRangeRulesKeepTheirWording) {
  auto c = full_config();
  c.storage.history_1min_retention_d = 0;
  c.control.step_interval_ms = 20;
  c.sg_ready->port = 70000;
  const auto issues = gateway::validate_config(c);
  const auto rule_of = [&](const std::string& key) {
    for (const auto& i : issues)
      if (i.key == key) return i.value + ": " + i.rule;
    return std::string("(none)");
  };
  EXPECT_EQ(rule_of("storage.history_1min_retention_d"), "0: must be between 1 and 3650 days");
  EXPECT_EQ(rule_of("control.step_interval_ms"), "20: must be between 50 and 10000 ms");
  EXPECT_EQ(rule_of("heatpump.sg_ready.port"), "70000: must be between 1 and 65535");
}

TEST(ConfigSchema, ServedSchemaCarriesLabelsUnitsRangesAndDefaults) {
  const auto j = gateway::config_schema_json();
  std::map<std::string, json> by_path;
  for (const auto& f : j.at("fields")) by_path[f.at("path").get<std::string>()] = f;
  ASSERT_EQ(by_path.size(), gateway::config_schema().size());
  const auto& limit = by_path.at("site.grid_max_current_a");
  EXPECT_EQ(limit["label"], "Grid limit per phase");
  EXPECT_EQ(limit["unit"], "A");
  EXPECT_EQ(limit["min"], 1);
  EXPECT_EQ(limit["max"], 5000);
  EXPECT_TRUE(limit["required"].get<bool>());
  EXPECT_TRUE(limit["default"].is_null());
  EXPECT_EQ(by_path.at("mqtt.password")["type"], "secret");
  EXPECT_TRUE(by_path.at("mqtt.password")["default"].is_null());
  EXPECT_EQ(by_path.at("influx.timeout_ms")["default"], 5000);
  EXPECT_EQ(by_path.at("site.control")["choices"], json({"sockets", "scn"}));
  EXPECT_EQ(by_path.at("site.grid_phases")["choices"], json({1, 3}));
  EXPECT_EQ(by_path.at("control.on_exit")["default"], "safe-current");
  EXPECT_FALSE(by_path.at("web.listen")["editable"].get<bool>());
}

}  // namespace
}  // namespace emsgw::test
