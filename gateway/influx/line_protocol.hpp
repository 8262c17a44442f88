#pragma once
// InfluxDB line protocol encoder (protocols.md §7.1): escaping per element, tags sorted by key
// (byte order, §7.3), one type per field kept for the lifetime of the encoder, timestamps at a
// chosen precision.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ems/result.hpp"
#include "ems/time.hpp"
#include "gateway/influx/influx_settings.hpp"

namespace emsgw::gateway::influx {

/// float (default), integer (`i`), unsigned (`u`; InfluxDB 1.x only accepts it when built with
/// unsigned support), boolean, string.
using FieldValue = std::variant<double, std::int64_t, std::uint64_t, bool, std::string>;
enum class FieldType { Float, Integer, Unsigned, Boolean, String };
[[nodiscard]] FieldType field_type(const FieldValue& v);

struct Point {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;   ///< any order; empty values are left out
  std::vector<std::pair<std::string, FieldValue>> fields;  ///< at least one
  ems::WallTime time{};
};

struct EncodeError {
  std::string message;
};

/// Escaping of protocols.md §7.1: measurement (comma, space); tag key, tag value and field key
/// (comma, equals sign, space); string field value (double quote, backslash).
[[nodiscard]] std::string escape_measurement(std::string_view s);
[[nodiscard]] std::string escape_key(std::string_view s);
[[nodiscard]] std::string escape_string_value(std::string_view s);
/// A text made fit for a string field, which may not hold a line break (§7.1): line breaks and
/// other control characters become spaces, trailing ones are dropped. For texts that come from
/// elsewhere (an event's text quoting a server's answer, which ends in a newline).
[[nodiscard]] std::string one_line(std::string_view s);

/// Query-string value of the precision: v1 uses n/u/ms/s, v2 ns/us/ms/s.
[[nodiscard]] std::string_view precision_name(Precision p, int api_version);
/// The configuration's spelling (influx.precision): "s", "ms", "us", "ns" — the v2 names.
[[nodiscard]] std::optional<Precision> parse_precision(std::string_view s);
/// Timestamp of `t` counted in units of `p` since the Unix epoch (rounded down).
[[nodiscard]] std::int64_t timestamp(ems::WallTime t, Precision p);

/// Encodes one point as one line (no trailing newline), without type bookkeeping. Refused:
/// no field, an empty name, a name starting with '_', a newline in a name or value, a
/// name or tag value ending in a backslash (it would escape the separator that follows), a
/// non-finite float.
[[nodiscard]] Result<std::string, EncodeError> encode_line(const Point& p, Precision precision);

/// Keeps each field's type stable: the first type seen for measurement+field wins. An integer
/// later given for a float field is written as a float; any other change refuses the point
/// (InfluxDB would reject the whole batch with a field-type conflict).
class LineEncoder {
 public:
  explicit LineEncoder(Precision precision) : precision_(precision) {}
  [[nodiscard]] Result<std::string, EncodeError> encode(const Point& p);
  [[nodiscard]] Precision precision() const { return precision_; }

 private:
  Precision precision_;
  std::map<std::pair<std::string, std::string>, FieldType, std::less<>> types_;
};

}  // namespace emsgw::gateway::influx
