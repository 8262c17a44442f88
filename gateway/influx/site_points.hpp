#pragma once
// The InfluxDB schema of emsgw: which measurement, tags and fields each stored record becomes.
// Numbers are always floats and identifiers always tags, so every field keeps one type
// (protocols.md §7.3); unknown readings are left out, never written as 0.
//
//   grid      phase=L1|L2|L3          current_a, power_w, limit_a (per-phase limit after margin)
//   pv                                power_w
//   heatpump                          power_w
//   socket    socket=<n>              current_l1_a, current_l2_a, current_l3_a, setpoint_a, applied_a
//   decision  socket=<n>              old_a, new_a, reason (string)
//   event     kind=<kind>             subject (string), text (string)
//   session   socket=<n>              energy_wh, max_current_a, avg_current_a, pv_energy_wh, duration_s

#include <optional>
#include <vector>

#include "gateway/influx/line_protocol.hpp"
#include "gateway/storage/records.hpp"

namespace emsgw::gateway::influx {

[[nodiscard]] std::vector<Point> to_points(const storage::HistorySample& s);
[[nodiscard]] Point to_point(const storage::Decision& d);
[[nodiscard]] Point to_point(const storage::Event& e);
/// A finished session (at its end time); nullopt while it is still running.
[[nodiscard]] std::optional<Point> to_point(const storage::Session& s);

}  // namespace emsgw::gateway::influx
