#pragma once
// The commissioning checks behind the "Test meter" and "Test station" buttons (the guide's *Test
// Smart Meter*, alfen-smart-charging.md §5): read the device once and say what was seen.

#include <nlohmann/json.hpp>

#include <string>

namespace emsgw::webui {

enum class ProbeKind { Meter, Station };

struct ProbeResult {
  bool ok = false;
  std::string summary;     ///< one line for people: "grid meter answered: L1 4.2 A, L2 1.0 A, L3 0.3 A"
  nlohmann::json details;  ///< readings as JSON (per-phase currents, station identity…)
};

class ProbeService {
 public:
  virtual ~ProbeService() = default;
  /// Runs one probe; may block for the device's timeout. `target` names the device: a meter role
  /// ("grid", "pv", "heatpump") or a station name. Never throws: failures are ok = false.
  [[nodiscard]] virtual ProbeResult run(ProbeKind kind, const std::string& target) = 0;
};

}  // namespace emsgw::webui
