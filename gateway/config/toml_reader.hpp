#pragma once
// A thin layer over toml++ that remembers which keys a section read, so that every unknown key is
// reported (a typo must never be silently ignored), and the line of every key, so that validator
// findings can point at file:line.

#include <toml++/toml.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/config_schema.hpp"

namespace emsgw::gateway::config_detail {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  /// A problem with the shape of the file (syntax, type, missing or unknown key): the semantic
  /// rules do not run on such a file (they would report follow-ups about defaults).
  void error(int line, std::string key, std::string value, std::string rule);
  /// A value out of every range (an integer too large, a number that is not finite): reported, the
  /// key keeps its default, and the semantic rules still run on the rest, so that every problem is
  /// listed in one pass.
  void value_error(int line, std::string key, std::string value, std::string rule);
  [[nodiscard]] bool shape_ok() const { return shape_errors_ == 0; }
  /// Whether a finding of the semantic rules is about a value already reported (its key, or a
  /// rule that names that key, such as an overload measured against a limit that was refused).
  [[nodiscard]] bool reported(const std::string& key, const std::string& rule) const {
    for (const auto& k : value_keys_)
      if (key == k || rule.find(k) != std::string::npos) return true;
    return false;
  }
  void remember(const std::string& key, int line) { lines_[key] = line; }
  /// Line of `key`, or of the closest enclosing key that has one; 0 if none.
  [[nodiscard]] int line_of(const std::string& key) const;
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string file_;
  std::map<std::string, int> lines_;
  std::vector<ConfigError> errors_;
  std::size_t shape_errors_ = 0;
  std::set<std::string> value_keys_;
};

enum class Need { Optional, Required };

class TableReader {
 public:
  /// `path` is the key path of this table ("site", "station[0]", "meter.grid").
  TableReader(const toml::table& table, std::string path, Diagnostics& diag);
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;
  /// Reports every key of the table that no read asked for.
  ~TableReader();

  void read(std::string_view key, std::string& out, Need need = Need::Optional);
  void read(std::string_view key, double& out, Need need = Need::Optional);
  void read(std::string_view key, int& out, Need need = Need::Optional);
  void read(std::string_view key, bool& out, Need need = Need::Optional);
  /// A string; false when the key is absent or not a string (the latter reported).
  bool read_text(std::string_view key, std::string& out, Need need = Need::Optional) {
    return read_string(key, out, need);
  }

  /// A string that must be one of a fixed set; `parse` maps it, `names` lists the choices.
  template <class T, class Parse>
  void choice(std::string_view key, T& out, Parse parse, std::string_view names, Need need = Need::Optional) {
    std::string text;
    if (!read_string(key, text, need)) return;
    if (auto v = parse(text)) {
      out = *v;
    } else {
      diag_.error(line(key), full(key), quote(text), "must be one of: " + std::string(names));
    }
  }

  /// A sub-table; nullptr (and, if required, an error) when absent or of another type.
  const toml::table* table(std::string_view key, Need need = Need::Optional);
  /// An array of tables ([[station]]); empty when absent.
  std::vector<const toml::table*> tables(std::string_view key, Need need = Need::Optional);
  /// Marks a key as known without reading it (its section parses it elsewhere).
  void claim(std::string_view key) { seen_.insert(std::string(key)); }
  [[nodiscard]] bool has(std::string_view key) const { return table_.contains(key); }
  [[nodiscard]] const toml::node* node(std::string_view key) const { return table_.get(key); }
  [[nodiscard]] std::string full(std::string_view key) const;
  [[nodiscard]] int line(std::string_view key) const;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] Diagnostics& diag() { return diag_; }
  [[nodiscard]] static std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

 private:
  bool read_string(std::string_view key, std::string& out, Need need);
  const toml::node* find(std::string_view key, Need need);
  void type_error(std::string_view key, const toml::node& n, std::string_view wanted);

  const toml::table& table_;
  std::string path_;
  Diagnostics& diag_;
  std::set<std::string, std::less<>> seen_;
};

/// Renders a TOML value the way the user wrote it, for messages.
[[nodiscard]] std::string render(const toml::node& n);

/// Reads one setting of the configuration schema from this table (its section's table).
void read_field(TableReader& r, const FieldSpec& f, Config& cfg);
/// Reads every setting of `section` of the schema, in the table's order.
void read_fields(TableReader& r, std::string_view section, Config& cfg);

// Section parsers (one file each, gateway/config/*_section.cpp).
void parse_site_sections(TableReader& root, Config& cfg);
void parse_limits_sections(TableReader& root, Config& cfg);  // before the meters: circuits name meters
void parse_meter_section(TableReader& root, Config& cfg);
void parse_station_section(TableReader& root, Config& cfg);
void parse_log_section(TableReader& root, Config& cfg);
void parse_control_section(TableReader& root, Config& cfg);
void parse_storage_sections(TableReader& root, Config& cfg);
void parse_mqtt_section(TableReader& root, Config& cfg);
void parse_web_section(TableReader& root, Config& cfg);

}  // namespace emsgw::gateway::config_detail
