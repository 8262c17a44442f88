#pragma once
// DSMR P1 telegrams (protocols.md §1): a streaming parser that finds telegrams in any byte stream,
// checks CRC-16/ARC numerically (§1.3, unpadded hex accepted), tolerates reordered and unknown
// lines (§1.2), and turns a telegram into a MeterReading with signed per-phase currents (§1.9).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/meters/meter_reading.hpp"
#include "ems/result.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

/// CRC-16/ARC (poly 0x8005 reflected 0xA001, init 0, no xorout), protocols.md §1.3.
[[nodiscard]] std::uint16_t dsmr_crc16(std::string_view bytes);

/// One COSEM line: `1-0:21.7.0(00.070*kW)` → obis "1-0:21.7.0", values {"00.070*kW"}.
struct DsmrObject {
  std::string obis;
  std::vector<std::string> values;
};

struct DsmrTelegram {
  std::string header;  ///< identification after '/', e.g. "ISk5\2MT382-1000"
  std::vector<DsmrObject> objects;
  bool has_crc = false;  ///< DSMR 2.2/3.0 telegrams carry none
  std::uint16_t crc = 0;

  /// The object with this OBIS code (first match), or nullptr.
  [[nodiscard]] const DsmrObject* find(std::string_view obis) const;
  /// The last value group of an object, e.g. the reading of `0-1:24.2.1(TST)(value*m3)`.
  [[nodiscard]] std::optional<std::string_view> value(std::string_view obis) const;
};

struct DsmrValue {
  double number = 0.0;
  std::string unit;  ///< as printed ("kW", "A", …), empty when absent
};
/// "00.244*kW" → {0.244, "kW"}; nullopt when the number does not parse.
[[nodiscard]] std::optional<DsmrValue> parse_dsmr_value(std::string_view text);
/// TST "YYMMDDhhmmssX" (X = S summer/DST, W winter) as UTC, assuming CET/CEST (NL, BE; §1.2).
/// nullopt for placeholders such as "632525252525W" (§1.9 item 10).
[[nodiscard]] std::optional<ems::WallTime> parse_dsmr_timestamp(std::string_view tst);

enum class DsmrFault : std::uint8_t {
  CrcMismatch,    ///< CRC present and wrong
  MissingCrc,     ///< a DSMR ≥ 4 telegram without CRC
  Truncated,      ///< a new '/' arrived before the '!' of the previous telegram
  Oversize,       ///< longer than the parser's limit without a '!'
  Malformed,      ///< no header line or no COSEM objects
  LayoutChanged,  ///< a telegram without CRC whose OBIS codes differ from the meter's previous ones
};
[[nodiscard]] std::string_view to_string(DsmrFault f);

/// Parses one complete frame from '/' up to and including the CRC digits (trailing CR LF optional),
/// or, for meters without CRC (DSMR 2.2/3), up to "!" CR LF. A telegram without CRC is accepted
/// only when it ends in exactly "!" CR LF, its header is "/XXXn…" and every line is a well-formed
/// COSEM line: with nothing to check the bytes against, a changed byte that became '!' must not
/// end a shorter telegram. OBIS codes are stored reduced ("1-0:1.8.0*255" → "1-0:1.8.0").
[[nodiscard]] Result<DsmrTelegram, DsmrFault> parse_dsmr_frame(std::string_view frame);

struct DsmrStats {
  std::uint64_t telegrams = 0;
  std::uint64_t crc_errors = 0;
  std::uint64_t truncated = 0;
  std::uint64_t oversize = 0;
  std::uint64_t malformed = 0;
  std::uint64_t garbage_bytes = 0;  ///< bytes outside any telegram
};

/// Finds telegrams in a byte stream fed in arbitrary pieces. Resynchronises on '/'. Once a telegram
/// with a valid CRC has been seen, a telegram without CRC is refused (MissingCrc): a meter that
/// sends CRCs never stops, so a CRC-less one can only be a damaged telegram. Telegrams without CRC
/// keep their meter's layout: one whose OBIS codes differ from the previous telegram's (a changed
/// byte that turned 2.7.0 into 2.7.1, or 1.8.1 into 2.8.1) is refused (LayoutChanged) until the
/// next telegram repeats the new layout.
class DsmrStreamParser {
 public:
  /// max_telegram_bytes: Belgian telegrams with 13-month history run long (§1.9 item 5).
  explicit DsmrStreamParser(std::size_t max_telegram_bytes = 16 * 1024) : max_(max_telegram_bytes) {}

  /// Feeds bytes; returns every telegram (or fault) completed by them, in order.
  std::vector<Result<DsmrTelegram, DsmrFault>> feed(std::string_view bytes);
  /// The link closed: a telegram in progress is reported Truncated; the CRC memory is kept.
  std::vector<Result<DsmrTelegram, DsmrFault>> end_of_stream();
  [[nodiscard]] const DsmrStats& stats() const { return stats_; }
  /// True once this stream carried a telegram with a valid CRC.
  [[nodiscard]] bool crc_seen() const { return crc_seen_; }

 private:
  enum class State { Hunt, Body, Crc, Lf };
  void finish(std::vector<Result<DsmrTelegram, DsmrFault>>& out);
  void flush(std::vector<Result<DsmrTelegram, DsmrFault>>& out);
  bool crc_seen_ = false;
  std::string layout_;     ///< OBIS codes of the last accepted telegram without CRC
  std::string candidate_;  ///< a new layout seen once, accepted when repeated
  std::size_t max_;
  State state_ = State::Hunt;
  std::string buf_;
  std::size_t crc_digits_ = 0;
  DsmrStats stats_;
};

/// The electrical quantities of a telegram as a MeterReading (protocols.md §1.4): per-phase
/// power = x1.7.0 − x2.7.0; currents 31/51/71.7.0 signed by that power (§1.9 item 1); voltages
/// 32/52/72.7.0 (DSMR 5 only); total power = 1.7.0 − 2.7.0, or the sum of the phase powers when
/// the meter sends neither (EasyMeter, some Sagemcom); energy = 1.8.0/2.8.0 or the sum of tariffs
/// 1 and 2; demand 1.4.0 and month peak 1.6.0 (Fluvius, §1.7); units read from each line (kW/W,
/// kWh/Wh). `mono`/`wall` are the receive time; device_time = 0-0:1.0.0; protocol_version = 1-3:0.2.8.
[[nodiscard]] MeterReading dsmr_reading(const DsmrTelegram& t, ems::MonoTime mono, ems::WallTime wall);

}  // namespace emsgw::drivers
