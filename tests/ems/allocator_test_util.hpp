#pragma once
// Small builders for allocator tests: a site, a snapshot, time in seconds.

#include <chrono>
#include <string>

#include "ems/allocator.hpp"

namespace emsgw::ems::test {

inline MonoTime at_s(double t) {
  return MonoTime{} + std::chrono::milliseconds(static_cast<std::int64_t>(t * 1000));
}

inline SocketConfig socket_cfg(int id, double max_a, const char* mapping, double safe_a = 0,
                               ChargeMode mode = ChargeMode::Now) {
  SocketConfig s;
  s.id = id;
  s.max_current_a = max_a;
  s.safe_current_a = safe_a;
  s.phase_mapping = parse_phase_mapping(mapping).value();
  s.mode = mode;
  return s;
}

inline StationConfig station_cfg(std::string name, double max_a, std::vector<SocketConfig> sockets) {
  StationConfig st;
  st.name = std::move(name);
  st.max_current_a = max_a;
  int unit = 1;
  for (auto& s : sockets) s.unit = unit++;
  st.sockets = std::move(sockets);
  return st;
}

inline SiteConfig site_cfg(double grid_max_a, int grid_phases, std::vector<StationConfig> stations) {
  SiteConfig s;
  s.name = "test";
  s.grid_max_current_a = grid_max_a;
  s.grid_phases = grid_phases;
  s.safety_margin_a = 1;
  s.stations = std::move(stations);
  return s;
}

/// A socket reading: fresh, reachable, the given state and station-phase currents.
inline SocketSnapshot socket_in(int id, ConnectorState state, std::array<double, 3> current_a = {0, 0, 0},
                                double t = 0) {
  SocketSnapshot s;
  s.id = id;
  s.reachable = true;
  s.state = state;
  s.measured_valid = true;
  s.measured_at = at_s(t);
  for (std::size_t j = 0; j < 3; ++j) s.current[j] = Amps(current_a[j]);
  return s;
}

inline SiteSnapshot snapshot_at(double t, std::array<double, 3> grid_a, std::vector<SocketSnapshot> sockets) {
  SiteSnapshot s;
  s.now = at_s(t);
  s.grid.valid = true;
  s.grid.measured_at = s.now;
  for (std::size_t p = 0; p < 3; ++p) s.grid.current[p] = Amps(grid_a[p]);
  s.pv = {Watts(0), s.now, true};
  for (auto& so : sockets) so.measured_at = s.now;
  s.sockets = std::move(sockets);
  return s;
}

}  // namespace emsgw::ems::test
