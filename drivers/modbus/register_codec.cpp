#include "drivers/modbus/register_codec.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

namespace emsgw::drivers {

namespace {
constexpr std::array<std::pair<std::string_view, ValueType>, 8> kTypes{{{"u16", ValueType::U16},
                                                                        {"s16", ValueType::S16},
                                                                        {"u32", ValueType::U32},
                                                                        {"s32", ValueType::S32},
                                                                        {"u64", ValueType::U64},
                                                                        {"s64", ValueType::S64},
                                                                        {"float32", ValueType::Float32},
                                                                        {"float64", ValueType::Float64}}};

// Joins n registers into an integer, most significant register first after applying word order.
std::uint64_t join(std::span<const std::uint16_t> regs, WordOrder order) {
  std::uint64_t v = 0;
  const std::size_t n = regs.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint16_t r = order == WordOrder::HighFirst ? regs[i] : regs[n - 1 - i];
    v = (v << 16) | r;
  }
  return v;
}

std::vector<std::uint16_t> split(std::uint64_t v, int n, WordOrder order) {
  std::vector<std::uint16_t> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto word = static_cast<std::uint16_t>(v >> (16 * (n - 1 - i)));
    out[order == WordOrder::HighFirst ? static_cast<std::size_t>(i) : static_cast<std::size_t>(n - 1 - i)] = word;
  }
  return out;
}

template <class T>
T clamp_to(double v) {
  if (std::isnan(v)) return T{};
  const auto lo = static_cast<double>(std::numeric_limits<T>::lowest());
  const auto hi = static_cast<double>(std::numeric_limits<T>::max());
  if (v <= lo) return std::numeric_limits<T>::lowest();
  if (v >= hi) return std::numeric_limits<T>::max();
  return static_cast<T>(std::llround(v));
}
}  // namespace

std::optional<ValueType> parse_value_type(std::string_view s) {
  for (const auto& [n, t] : kTypes)
    if (n == s) return t;
  return std::nullopt;
}
std::string_view to_string(ValueType t) {
  for (const auto& [n, v] : kTypes)
    if (v == t) return n;
  return "?";
}
std::optional<WordOrder> parse_word_order(std::string_view s) {
  if (s == "high-first") return WordOrder::HighFirst;
  if (s == "low-first") return WordOrder::LowFirst;
  return std::nullopt;
}
std::string_view to_string(WordOrder o) {
  return o == WordOrder::HighFirst ? "high-first" : "low-first";
}

int register_count(ValueType t) {
  switch (t) {
    case ValueType::U16:
    case ValueType::S16: return 1;
    case ValueType::U32:
    case ValueType::S32:
    case ValueType::Float32: return 2;
    case ValueType::U64:
    case ValueType::S64:
    case ValueType::Float64: return 4;
  }
  return 1;
}

double decode(std::span<const std::uint16_t> regs, ValueType type, WordOrder order) {
  if (regs.size() != static_cast<std::size_t>(register_count(type))) return std::numeric_limits<double>::quiet_NaN();
  const std::uint64_t raw = join(regs, order);
  switch (type) {
    case ValueType::U16: return static_cast<double>(static_cast<std::uint16_t>(raw));
    case ValueType::S16: return static_cast<double>(static_cast<std::int16_t>(static_cast<std::uint16_t>(raw)));
    case ValueType::U32: return static_cast<double>(static_cast<std::uint32_t>(raw));
    case ValueType::S32: return static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)));
    case ValueType::U64: return static_cast<double>(raw);
    case ValueType::S64: return static_cast<double>(static_cast<std::int64_t>(raw));
    case ValueType::Float32: return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(raw)));
    case ValueType::Float64: return std::bit_cast<double>(raw);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<std::uint16_t> encode(double value, ValueType type, WordOrder order) {
  const int n = register_count(type);
  std::uint64_t raw = 0;
  switch (type) {
    case ValueType::U16: raw = clamp_to<std::uint16_t>(value); break;
    case ValueType::S16: raw = static_cast<std::uint16_t>(clamp_to<std::int16_t>(value)); break;
    case ValueType::U32: raw = clamp_to<std::uint32_t>(value); break;
    case ValueType::S32: raw = static_cast<std::uint32_t>(clamp_to<std::int32_t>(value)); break;
    case ValueType::U64:
      raw = value <= 0 || std::isnan(value) ? 0 : (value >= 1.8e19 ? ~0ULL : static_cast<std::uint64_t>(value));
      break;
    case ValueType::S64: raw = static_cast<std::uint64_t>(clamp_to<std::int64_t>(value)); break;
    case ValueType::Float32: raw = std::bit_cast<std::uint32_t>(static_cast<float>(value)); break;
    case ValueType::Float64: raw = std::bit_cast<std::uint64_t>(value); break;
  }
  return split(raw, n, order);
}

float decode_float32(std::span<const std::uint16_t, 2> regs, WordOrder order) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(join(regs, order)));
}

std::array<std::uint16_t, 2> encode_float32(float v, WordOrder order) {
  const auto w = split(std::bit_cast<std::uint32_t>(v), 2, order);
  return {w[0], w[1]};
}

std::string decode_string(std::span<const std::uint16_t> regs) {
  std::string s;
  for (const auto r : regs) {
    const auto hi = static_cast<char>(r >> 8);
    const auto lo = static_cast<char>(r & 0xFF);
    if (hi == '\0') break;
    s.push_back(hi);
    if (lo == '\0') break;
    s.push_back(lo);
  }
  return s;
}

std::vector<std::uint16_t> encode_string(std::string_view s, int registers) {
  std::vector<std::uint16_t> out(static_cast<std::size_t>(registers), 0);
  for (std::size_t i = 0; i < s.size() && i / 2 < out.size(); ++i) {
    const auto c = static_cast<std::uint16_t>(static_cast<unsigned char>(s[i]));
    out[i / 2] = static_cast<std::uint16_t>(out[i / 2] | (i % 2 == 0 ? c << 8 : c));
  }
  return out;
}

}  // namespace emsgw::drivers
