#pragma once
// Decoding and encoding of multi-register Modbus values. Alfen sends FLOAT32/FLOAT64/UINT32/UINT64
// high word first (alfen-modbus.md §1.2); meters vary (Carlo Gavazzi: low word first,
// protocols.md §3.4), so word order is a parameter. Bytes inside a register are always big-endian.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace emsgw::drivers {

enum class ValueType { U16, S16, U32, S32, U64, S64, Float32, Float64 };
enum class WordOrder { HighFirst, LowFirst };

[[nodiscard]] std::optional<ValueType> parse_value_type(std::string_view s);  ///< "u16", "float32", …
[[nodiscard]] std::string_view to_string(ValueType t);
[[nodiscard]] std::optional<WordOrder> parse_word_order(std::string_view s);  ///< "high-first", "low-first"
[[nodiscard]] std::string_view to_string(WordOrder o);
[[nodiscard]] int register_count(ValueType t);

/// Decodes `regs` (exactly register_count(type) registers) into a double. Float NaN stays NaN:
/// callers treat it as "absent", never as zero.
[[nodiscard]] double decode(std::span<const std::uint16_t> regs, ValueType type,
                            WordOrder order = WordOrder::HighFirst);
[[nodiscard]] std::vector<std::uint16_t> encode(double value, ValueType type, WordOrder order = WordOrder::HighFirst);

[[nodiscard]] float decode_float32(std::span<const std::uint16_t, 2> regs, WordOrder order = WordOrder::HighFirst);
[[nodiscard]] std::array<std::uint16_t, 2> encode_float32(float v, WordOrder order = WordOrder::HighFirst);

/// Two 8-bit characters per register, first character in the high byte, stops at the first NUL.
[[nodiscard]] std::string decode_string(std::span<const std::uint16_t> regs);
[[nodiscard]] std::vector<std::uint16_t> encode_string(std::string_view s, int registers);

}  // namespace emsgw::drivers
