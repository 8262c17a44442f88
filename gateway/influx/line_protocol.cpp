#include "gateway/influx/line_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace emsgw::gateway::influx {

namespace {
std::string escape(std::string_view s, std::string_view special) {
  std::string out;
  out.reserve(s.size() + 4);
  for (char c : s) {
    if (special.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Unexpected<EncodeError> fail(std::string msg) {
  return Unexpected(EncodeError{std::move(msg)});
}

/// Checks a measurement, tag key, tag value or field key.
std::optional<std::string> name_problem(std::string_view what, std::string_view s, bool may_start_with_underscore) {
  if (s.empty()) return std::string(what) + " is empty";
  if (!may_start_with_underscore && s.front() == '_')
    return std::string(what) + " \"" + std::string(s) + "\" starts with '_'";
  if (s.find_first_of("\n\r") != std::string_view::npos) return std::string(what) + " contains a newline";
  if (s.back() == '\\') return std::string(what) + " \"" + std::string(s) + "\" ends with a backslash";
  return std::nullopt;
}

void append_number(std::string& out, auto v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
}  // namespace

FieldType field_type(const FieldValue& v) {
  return static_cast<FieldType>(v.index());
}

std::string escape_measurement(std::string_view s) {
  return escape(s, ", ");
}
std::string escape_key(std::string_view s) {
  return escape(s, ",= ");
}
std::string escape_string_value(std::string_view s) {
  return escape(s, "\"\\");
}
std::string one_line(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string_view precision_name(Precision p, int api_version) {
  const bool v2 = api_version == 2;
  switch (p) {
    case Precision::Seconds: return "s";
    case Precision::Milliseconds: return "ms";
    case Precision::Microseconds: return v2 ? "us" : "u";
    case Precision::Nanoseconds: return v2 ? "ns" : "n";
  }
  return "ms";
}

std::optional<Precision> parse_precision(std::string_view s) {
  for (auto p : {Precision::Seconds, Precision::Milliseconds, Precision::Microseconds, Precision::Nanoseconds})
    if (precision_name(p, 2) == s) return p;
  return std::nullopt;
}

std::int64_t timestamp(ems::WallTime t, Precision p) {
  using namespace std::chrono;
  const auto d = t.time_since_epoch();
  switch (p) {
    case Precision::Seconds: return floor<seconds>(d).count();
    case Precision::Milliseconds: return floor<milliseconds>(d).count();
    case Precision::Microseconds: return floor<microseconds>(d).count();
    case Precision::Nanoseconds: return floor<nanoseconds>(d).count();
  }
  return 0;
}

Result<std::string, EncodeError> encode_line(const Point& p, Precision precision) {
  if (auto e = name_problem("measurement", p.measurement, false)) return fail(*e);
  if (p.fields.empty()) return fail("point \"" + p.measurement + "\" has no field");
  std::string line = escape_measurement(p.measurement);

  std::vector<const std::pair<std::string, std::string>*> tags;
  for (const auto& t : p.tags) {
    if (auto e = name_problem("tag key", t.first, false)) return fail(*e);
    if (t.second.empty()) continue;  // an empty tag value is not allowed: the tag is left out
    if (auto e = name_problem("tag value", t.second, true)) return fail(*e + " (tag " + t.first + ")");
    tags.push_back(&t);
  }
  std::sort(tags.begin(), tags.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (std::size_t i = 1; i < tags.size(); ++i)
    if (tags[i]->first == tags[i - 1]->first) return fail("tag \"" + tags[i]->first + "\" given twice");
  for (const auto* t : tags) {
    line += ',';
    line += escape_key(t->first);
    line += '=';
    line += escape_key(t->second);
  }

  char sep = ' ';
  for (const auto& [key, value] : p.fields) {
    if (auto e = name_problem("field key", key, false)) return fail(*e);
    line += sep;
    sep = ',';
    line += escape_key(key);
    line += '=';
    switch (field_type(value)) {
      case FieldType::Float: {
        const double d = std::get<double>(value);
        if (!std::isfinite(d)) return fail("field \"" + key + "\" is not a finite number");
        append_number(line, d);
        break;
      }
      case FieldType::Integer:
        append_number(line, std::get<std::int64_t>(value));
        line += 'i';
        break;
      case FieldType::Unsigned:
        append_number(line, std::get<std::uint64_t>(value));
        line += 'u';
        break;
      case FieldType::Boolean: line += std::get<bool>(value) ? "true" : "false"; break;
      case FieldType::String: {
        const auto& s = std::get<std::string>(value);
        if (s.size() > 64 * 1024) return fail("string field \"" + key + "\" is longer than 64 KiB");
        // protocols.md §7.1: newlines are not allowed inside field values either.
        if (s.find_first_of("\n\r") != std::string::npos)
          return fail("string field \"" + key + "\" contains a newline");
        line += '"';
        line += escape_string_value(s);
        line += '"';
        break;
      }
    }
  }
  line += ' ';
  append_number(line, timestamp(p.time, precision));
  return line;
}

Result<std::string, EncodeError> LineEncoder::encode(const Point& p) {
  Point copy;
  const Point* use = &p;
  for (std::size_t i = 0; i < p.fields.size(); ++i) {
    const auto& [key, value] = p.fields[i];
    const auto it = types_.find(std::pair<std::string, std::string>(p.measurement, key));
    if (it == types_.end() || it->second == field_type(value)) continue;
    if (it->second == FieldType::Float && field_type(value) == FieldType::Integer) {
      if (use == &p) {
        copy = p;
        use = &copy;
      }
      copy.fields[i].second = static_cast<double>(std::get<std::int64_t>(value));
      continue;
    }
    return fail("field \"" + key + "\" of \"" + p.measurement + "\" changed type");
  }
  auto line = encode_line(*use, precision_);
  if (!line) return line;
  for (const auto& [key, value] : use->fields) types_.try_emplace({use->measurement, key}, field_type(value));
  return line;
}

}  // namespace emsgw::gateway::influx
