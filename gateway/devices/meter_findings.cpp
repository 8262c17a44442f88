#include "gateway/devices/meter_findings.hpp"

#include <cstdio>
#include <sstream>

#include "gateway/devices/station_findings.hpp"

namespace emsgw::gateway {

std::vector<MeterFinding> meter_findings(const drivers::MeterReading& r) {
  std::vector<MeterFinding> out;
  std::ostringstream cur;
  int phases = 0;
  for (std::size_t p = 0; p < 3; ++p) {
    const auto v = r.current_a[p].value();
    cur << " L" << p + 1 << " " << (v ? finding_amps(*v) : std::string("-"));
    if (v) ++phases;
  }
  const bool production = r.sign == drivers::PowerSign::ProductionPositive;
  out.push_back(
      {true, "current per phase:" + cur.str() + (production ? " (production +)" : " (import +, export -)"), ""});
  if (phases == 0)
    out.push_back(
        {false, "the meter gives no current on any phase", "check the preset or register map (emsgw probe-meter)"});
  else
    out.push_back({true, "current on " + std::to_string(phases) + (phases == 1 ? " phase" : " phases"), ""});
  if (!r.current_signed)
    out.push_back({true,
                   "the meter gives current magnitudes only: their direction (import or export) comes from its power "
                   "readings",
                   ""});
  if (const auto w = r.power_total_w.value())
    out.push_back({true,
                   "total power " + std::to_string(static_cast<long>(*w)) + " W" +
                       (production ? " (production positive)" : " (+ import, - export)"),
                   ""});
  if (r.send_interval) {
    char every[32];
    std::snprintf(every, sizeof every, "%g", static_cast<double>(r.send_interval->count()) / 1000.0);
    out.push_back({true,
                   std::string("sends every ") + every + " s" +
                       (r.protocol_version.empty() ? "" : " (P1 version " + r.protocol_version + ")"),
                   ""});
  }
  return out;
}

}  // namespace emsgw::gateway
