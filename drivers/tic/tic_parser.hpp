#pragma once
// TIC (Linky télé-information client), historique and standard modes (protocols.md §2; Enedis-NOI-CPT_54E):
// frames STX 0x02 … ETX 0x03 made of groups LF label SEP [horodate SEP] data SEP checksum CR, where
// SEP is SP (historique) or HT (standard). Checksum = (Σ bytes & 0x3F) + 0x20, over label…data in
// historique mode and over label…data including the separator before the checksum in standard mode.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/meters/meter_reading.hpp"
#include "ems/result.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

enum class TicMode : std::uint8_t { Historique, Standard };
[[nodiscard]] std::optional<TicMode> parse_tic_mode(std::string_view s);  ///< "historique", "standard"

struct TicGroup {
  std::string label;
  std::string horodate;  ///< standard mode only, may be empty
  std::string data;
};

struct TicFrame {
  TicMode mode = TicMode::Historique;
  std::vector<TicGroup> groups;
  [[nodiscard]] const TicGroup* find(std::string_view label) const;
};

/// Checksum character of a group: `covered` is what the mode's rule sums (see file comment).
[[nodiscard]] char tic_checksum(std::string_view covered);

enum class TicFault : std::uint8_t { Checksum, Malformed, Oversize, Truncated };
[[nodiscard]] std::string_view to_string(TicFault f);

/// Parses one group (the bytes between LF and CR). The mode follows from the separator.
[[nodiscard]] Result<TicGroup, TicFault> parse_tic_group(std::string_view group, TicMode& mode);

struct TicStats {
  std::uint64_t frames = 0;
  std::uint64_t bad_groups = 0;  ///< checksum or format errors (the group is dropped)
  std::uint64_t truncated = 0;
  std::uint64_t garbage_bytes = 0;
};

/// Finds frames in a byte stream; a frame starts at STX and is returned when its ETX arrives.
/// Groups that fail their checksum are dropped and counted; the rest of the frame is kept. An STX
/// inside a frame starts a new one (the old one is Truncated) only when a group follows it (LF);
/// otherwise it is a damaged byte inside one group.
class TicStreamParser {
 public:
  explicit TicStreamParser(std::size_t max_frame_bytes = 4096) : max_(max_frame_bytes) {}
  std::vector<Result<TicFrame, TicFault>> feed(std::string_view bytes);
  [[nodiscard]] const TicStats& stats() const { return stats_; }

 private:
  void finish_frame(std::vector<Result<TicFrame, TicFault>>& out);
  std::size_t max_;
  bool in_frame_ = false;
  bool pending_stx_ = false;
  std::string buf_;
  TicStats stats_;
};

/// The electrical quantities of a frame (protocols.md §2 key labels). Historique: IINST/IINST1..3 (A),
/// PAPP (VA), index BASE/HCHC+HCHP/EJP/BBR (Wh). Standard: IRMS1..3, URMS1..3, SINSTS(1..3), SINSTI
/// (VA), EAST/EAIT (Wh), DATE → device_time. Linky gives apparent power and unsigned currents:
/// per-phase active power stays Missing; with SINSTI the total power is SINSTS − SINSTI (VA for W,
/// + import) and each phase current takes its sign from SINSTI/SINSTSn where that can be told;
/// current_signed is false otherwise. Historique index totals need every index of the tariff
/// (OPTARIF, or the indexes present): a partial sum is never a total.
[[nodiscard]] MeterReading tic_reading(const TicFrame& f, ems::MonoTime mono, ems::WallTime wall);

/// Builds a group's wire bytes (LF … CR) with a correct checksum (simulators, tests).
[[nodiscard]] std::string tic_group(TicMode mode, std::string_view label, std::string_view data,
                                    std::string_view horodate = {});

}  // namespace emsgw::drivers
