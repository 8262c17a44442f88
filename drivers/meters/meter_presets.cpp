#include "drivers/meters/meter_settings.hpp"

namespace emsgw::drivers {

// Preset names accepted in [meter.<role>].preset. The register tables behind them live next to
// this file, each with its source document (protocols.md §3).
const std::vector<std::string_view>& meter_preset_names() {
  static const std::vector<std::string_view> names{
      "eastron-sdm630",    "eastron-sdm72d-m-v2", "eastron-sdm230",     "eastron-sdm120ct",    "eastron-sdm72ct",
      "socomec-countis-e", "socomec-diris",       "carlo-gavazzi-em24", "carlo-gavazzi-em340", "custom"};
  return names;
}

}  // namespace emsgw::drivers
