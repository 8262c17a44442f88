#pragma once
// What the control loop knows of the site's devices between steps: the newest meter readings,
// each station's newest sample, and the short histories used to align them in time. The loop
// updates it as events arrive; the snapshot and status builders only read it.

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers/charger/station_device.hpp"
#include "drivers/meters/meter_reading.hpp"
#include "ems/time.hpp"
#include "gateway/config/config.hpp"

namespace emsgw::gateway {

using drivers::ForeignSetpoint;
using drivers::live_phases;
using drivers::ScnSample;
using drivers::SocketSample;
using drivers::StationSample;

/// A configured socket: its station, its place in the station's list, its Modbus unit and id.
struct SocketRef {
  std::size_t station = 0;
  std::size_t index = 0;
  int unit = 1;
  int id = 0;
};

struct StationState {
  std::optional<StationSample> last;  ///< newest sample (ok or not)
  std::optional<StationSample> last_ok;
  bool online = false;
  std::uint64_t not_accepted = 0;
  std::uint64_t foreign_setpoints = 0;   ///< set-points found changed by someone else (rewritten)
  std::map<int, double> safe_current_a;  ///< by unit: 1212 as the station reports it
  std::optional<double> max_current_a;   ///< 1100 as the station reports it
  /// This station's EV current per grid phase at each good sample (oldest first), stamped with the
  /// sample's own time: the EV total at a moment is the sum of every station's own samples around
  /// it, never one station's newest value under another's time stamp.
  std::deque<std::pair<ems::MonoTime, std::array<double, 3>>> ev_history;
};

struct SiteInputs {
  std::vector<SocketRef> sockets;                       ///< every configured socket, in configuration order
  std::vector<StationState> stations;                   ///< by station index
  std::map<std::string, drivers::MeterReading> meters;  ///< newest valid reading per role
  /// Recent valid grid readings (oldest first), to align them with the EV currents' sample times.
  std::deque<drivers::MeterReading> grid_history;
  /// The raises handed over at a step, summed per grid phase the allocator counts them on (oldest
  /// first, steps with a raise only): a car may be on its way up to a raise of the last EV
  /// response time, and the grid meter shows it before its station does.
  std::deque<std::pair<ems::MonoTime, std::array<double, 3>>> raise_history;
  bool suspended = false;

  /// The sockets of `site`, in configuration order.
  static std::vector<SocketRef> index_sockets(const ems::SiteConfig& site);
  /// The newest valid sample of a socket from its station's last good poll (nullptr: none).
  [[nodiscard]] const SocketSample* sample(const SocketRef& ref) const;
  /// Appends station `station`'s newest good sample to its EV history (kept for 10 s, at least the
  /// newest entry).
  void record_ev(const ems::SiteConfig& site, std::size_t station);
};

}  // namespace emsgw::gateway
