#include "drivers/meters/meter_settings.hpp"

#include <array>
#include <utility>

namespace emsgw::drivers {

namespace {
constexpr std::array<std::pair<std::string_view, Quantity>, 13> kQuantities{{
    {"current_l1", Quantity::CurrentL1},
    {"current_l2", Quantity::CurrentL2},
    {"current_l3", Quantity::CurrentL3},
    {"current_n", Quantity::CurrentN},
    {"power_l1", Quantity::PowerL1},
    {"power_l2", Quantity::PowerL2},
    {"power_l3", Quantity::PowerL3},
    {"power_total", Quantity::PowerTotal},
    {"voltage_l1", Quantity::VoltageL1},
    {"voltage_l2", Quantity::VoltageL2},
    {"voltage_l3", Quantity::VoltageL3},
    {"energy_import", Quantity::EnergyImport},
    {"energy_export", Quantity::EnergyExport},
}};
}  // namespace

std::optional<Quantity> parse_quantity(std::string_view s) {
  for (const auto& [n, q] : kQuantities)
    if (n == s) return q;
  return std::nullopt;
}
std::string_view to_string(Quantity q) {
  for (const auto& [n, v] : kQuantities)
    if (v == q) return n;
  return "?";
}
const std::vector<Quantity>& all_quantities() {
  static const std::vector<Quantity> all = [] {
    std::vector<Quantity> v;
    for (const auto& [n, q] : kQuantities) v.push_back(q);
    return v;
  }();
  return all;
}

}  // namespace emsgw::drivers
