#include "gateway/config/toml_reader.hpp"

#include <cmath>
#include <limits>
#include <sstream>

namespace emsgw::gateway::config_detail {

namespace {
int line_of_node(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date/time";
    default: return "nothing";
  }
}
}  // namespace

std::string render(const toml::node& n) {
  if (const auto* s = n.as_string()) return "\"" + s->get() + "\"";
  if (n.is_table()) return "{…}";
  if (n.is_array()) return "[…]";
  std::ostringstream os;
  n.visit([&os](const auto& v) { os << v; });
  return os.str();
}

void Diagnostics::error(int line, std::string key, std::string value, std::string rule) {
  ++shape_errors_;
  errors_.push_back({file_, line, std::move(key), std::move(value), std::move(rule)});
}

void Diagnostics::value_error(int line, std::string key, std::string value, std::string rule) {
  value_keys_.insert(key);
  errors_.push_back({file_, line, std::move(key), std::move(value), std::move(rule)});
}

int Diagnostics::line_of(const std::string& key) const {
  std::string k = key;
  while (!k.empty()) {
    if (auto it = lines_.find(k); it != lines_.end()) return it->second;
    const auto cut = k.find_last_of(".[");
    if (cut == std::string::npos) break;
    k.resize(cut);
  }
  return 0;
}

TableReader::TableReader(const toml::table& table, std::string path, Diagnostics& diag)
    : table_(table), path_(std::move(path)), diag_(diag) {
  for (auto&& [k, v] : table_) diag_.remember(full(k.str()), line_of_node(v));
}

TableReader::~TableReader() {
  for (auto&& [k, v] : table_) {
    if (seen_.contains(k.str())) continue;
    diag_.error(line_of_node(v), full(k.str()), render(v),
                "unknown key" + (path_.empty() ? std::string() : " in [" + path_ + "]") +
                    " (check the spelling; see deploy/emsgw.example.toml for every key)");
  }
}

std::string TableReader::full(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

int TableReader::line(std::string_view key) const {
  if (const auto* n = table_.get(key)) return line_of_node(*n);
  return static_cast<int>(table_.source().begin.line);
}

const toml::node* TableReader::find(std::string_view key, Need need) {
  seen_.insert(std::string(key));
  const auto* n = table_.get(key);
  if (!n && need == Need::Required)
    diag_.error(static_cast<int>(table_.source().begin.line), full(key), "(missing)",
                "is required" + (path_.empty() ? std::string() : " in [" + path_ + "]"));
  return n;
}

void TableReader::type_error(std::string_view key, const toml::node& n, std::string_view wanted) {
  diag_.error(line_of_node(n), full(key), render(n),
              "must be " + std::string(wanted) + ", not " + std::string(type_name(n)));
}

bool TableReader::read_string(std::string_view key, std::string& out, Need need) {
  const auto* n = find(key, need);
  if (!n) return false;
  if (const auto* s = n->as_string()) {
    out = s->get();
    return true;
  }
  type_error(key, *n, "a string");
  return false;
}

void TableReader::read(std::string_view key, std::string& out, Need need) {
  read_string(key, out, need);
}

void TableReader::read(std::string_view key, double& out, Need need) {
  const auto* n = find(key, need);
  if (!n) return;
  if (const auto* i = n->as_integer()) {
    out = static_cast<double>(i->get());
  } else if (const auto* f = n->as_floating_point()) {
    if (!std::isfinite(f->get())) {
      diag_.value_error(line_of_node(*n), full(key), render(*n), "must be a finite number");
      return;
    }
    out = f->get();
  } else {
    type_error(key, *n, "a number");
  }
}

void TableReader::read(std::string_view key, int& out, Need need) {
  const auto* n = find(key, need);
  if (!n) return;
  if (const auto* i = n->as_integer()) {
    const auto v = i->get();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      diag_.value_error(line_of_node(*n), full(key), render(*n), "is out of range for an integer setting");
      return;
    }
    out = static_cast<int>(v);
  } else {
    type_error(key, *n, "a whole number");
  }
}

void TableReader::read(std::string_view key, bool& out, Need need) {
  const auto* n = find(key, need);
  if (!n) return;
  if (const auto* b = n->as_boolean()) {
    out = b->get();
  } else {
    type_error(key, *n, "true or false");
  }
}

const toml::table* TableReader::table(std::string_view key, Need need) {
  const auto* n = find(key, need);
  if (!n) return nullptr;
  if (const auto* t = n->as_table()) return t;
  type_error(key, *n, "a table ([" + full(key) + "])");
  return nullptr;
}

std::vector<const toml::table*> TableReader::tables(std::string_view key, Need need) {
  std::vector<const toml::table*> out;
  const auto* n = find(key, need);
  if (!n) return out;
  const auto* arr = n->as_array();
  if (!arr) {
    type_error(key, *n, "an array of tables ([[" + full(key) + "]])");
    return out;
  }
  for (const auto& el : *arr) {
    if (const auto* t = el.as_table())
      out.push_back(t);
    else
      type_error(key, el, "a table ([[" + full(key) + "]])");
  }
  return out;
}

void read_field(TableReader& r, const FieldSpec& f, Config& cfg) {
  const auto need = f.required ? Need::Required : Need::Optional;
  if (f.codec) {
    std::string text;
    if (r.read_text(f.key, text, need) && !f.codec->set(cfg, text))
      r.diag().error(r.line(f.key), r.full(f.key), TableReader::quote(text), f.choice_rule());
    return;
  }
  void* at = f.at(cfg);
  switch (f.type) {
    case FieldType::Boolean: return r.read(f.key, *static_cast<bool*>(at), need);
    case FieldType::Integer: return r.read(f.key, *static_cast<int*>(at), need);
    case FieldType::Number: return r.read(f.key, *static_cast<double*>(at), need);
    case FieldType::Text:
    case FieldType::Secret:
    case FieldType::Choice: return r.read(f.key, *static_cast<std::string*>(at), need);
    case FieldType::List: break;
  }
  // A list of names, e.g. mqtt.commands = ["socket_mode", "suspend"].
  if (!r.has(f.key)) return;
  r.claim(f.key);
  auto& out = *static_cast<std::vector<std::string>*>(at);
  const auto* list = r.node(f.key);
  const auto* arr = list ? list->as_array() : nullptr;
  if (!arr) {
    r.diag().error(r.line(f.key), r.full(f.key), list ? render(*list) : "",
                   "must be a list of command names, e.g. [\"socket_mode\", \"socket_max_current\"]");
    return;
  }
  out.clear();
  for (const auto& n : *arr) {
    if (const auto v = n.value<std::string>())
      out.push_back(*v);
    else
      r.diag().error(r.line(f.key), r.full(f.key), render(n), "every entry must be a command name");
  }
}

void read_fields(TableReader& r, std::string_view section, Config& cfg) {
  for (const auto* f : schema_section(section)) read_field(r, *f, cfg);
}

}  // namespace emsgw::gateway::config_detail
