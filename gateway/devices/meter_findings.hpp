#pragma once
// What one meter reading says to an installer, line by line: the current per phase with its sign
// convention, the phases that carry current, the total power, and for meters that send on their
// own the interval between telegrams. `emsgw check-site` prints these lines and the dashboard's
// "Test meter" lists them. Pure.

#include <string>
#include <vector>

#include "drivers/meters/meter_reading.hpp"

namespace emsgw::gateway {

struct MeterFinding {
  bool ok = true;    ///< false: a problem to put right, with its `fix`
  std::string text;  ///< "current per phase: L1 3 A L2 4 A L3 5 A (import +, export -)"
  std::string fix;
};

[[nodiscard]] std::vector<MeterFinding> meter_findings(const drivers::MeterReading& r);

}  // namespace emsgw::gateway
