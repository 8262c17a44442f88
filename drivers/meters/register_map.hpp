#pragma once
// A meter's register map as data, the planning of the reads that fetch it (neighbouring registers
// merged into one request, ESPHome-style), and the decoding of the replies into a MeterReading.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "drivers/meters/meter_reading.hpp"
#include "drivers/meters/meter_settings.hpp"

namespace emsgw::drivers {

/// One quantity of a map. Units after scaling: A, W, V, and kWh for energy (the unit meters print).
struct MapEntry {
  Quantity quantity = Quantity::CurrentL1;
  RegisterSpec reg;
};

struct ReadLimits {
  int max_registers = 125;  ///< Modbus: at most 125 registers per FC3/FC4 request
  /// Unmapped registers a single request may span to join two neighbours. 0: only adjacent ones.
  /// Presets use more where the meter answers every register in between.
  int max_gap = 0;
};

struct ReadBlock {
  int function = 4;
  int address = 0;
  int count = 0;
  [[nodiscard]] bool contains(int fc, int addr, int n) const {
    return fc == function && addr >= address && addr + n <= address + count;
  }
  bool operator==(const ReadBlock&) const = default;
};

/// The fewest requests (within `limits`) that read every entry, ordered by function and address.
[[nodiscard]] std::vector<ReadBlock> plan_reads(std::span<const MapEntry> entries, ReadLimits limits);

/// Decodes entries from the registers read for `blocks` (data[i] answers blocks[i]). Values are
/// checked for NaN and plausibility (meter_reading.hpp); energy is converted from kWh to Wh.
/// Entries whose registers are absent from `data` are Missing. Currents keep their decoded sign.
[[nodiscard]] MeterReading decode_map(std::span<const MapEntry> entries, std::span<const ReadBlock> blocks,
                                      std::span<const std::vector<std::uint16_t>> data);

/// The map of a MeterSettings "custom" section, in a stable order.
[[nodiscard]] std::vector<MapEntry> custom_map(const std::map<Quantity, RegisterSpec>& custom);

}  // namespace emsgw::drivers
