#pragma once
// Modbus meter presets: register tables as data, each with its source document
// (protocols.md §3; alfen-smart-charging.md §2 for the preset list and the CT scaling).

#include <string_view>
#include <vector>

#include "drivers/meters/register_map.hpp"

namespace emsgw::drivers {

struct MeterPreset {
  std::string_view name;    ///< the value of [meter.<role>].preset
  std::string_view model;   ///< for people
  std::string_view source;  ///< where the table comes from
  int phases = 3;
  ReadLimits limits;
  std::vector<MapEntry> map;
  /// Default RS-485 settings of the device as shipped (protocols.md §3.1), for hints.
  int default_baud = 9600;
};

/// Every preset, in the order of meter_preset_names() (which adds "custom").
[[nodiscard]] const std::vector<MeterPreset>& meter_presets();
/// The preset of that name, or nullptr ("custom" and unknown names).
[[nodiscard]] const MeterPreset* find_meter_preset(std::string_view name);

/// The map and read limits a MeterSettings stands for: its preset, or its custom map.
struct ResolvedMap {
  std::vector<MapEntry> map;
  ReadLimits limits;
};
[[nodiscard]] ResolvedMap resolve_meter_map(const MeterSettings& s);

}  // namespace emsgw::drivers
