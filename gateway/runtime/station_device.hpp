#pragma once
// The runtime's view of one Alfen station: what a poll returns and what a write confirms. A thin
// adapter (alfen_station_device.cpp) maps the Alfen driver onto it; tests use fakes. Every call
// blocks on the network and runs only on the station's own worker thread.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "ems/site_snapshot.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway {

struct SocketSample {
  int unit = 1;
  bool valid = false;  ///< false: this socket's block could not be read or was rejected
  std::string mode3;   ///< "A", "B1", "C2", … as reported
  ems::ConnectorState state = ems::ConnectorState::Unknown;
  std::array<std::optional<double>, 3> current_a;  ///< per station phase
  std::optional<double> power_w;
  std::optional<double> energy_wh;       ///< lifetime energy delivered (374)
  std::optional<double> applied_a;       ///< 1206
  std::optional<double> setpoint_a;      ///< 1210
  std::optional<double> validity_s;      ///< 1208 remaining validity
  std::optional<double> safe_current_a;  ///< 1212
  std::optional<bool> accounted;         ///< 1214
  int phases = 0;                        ///< 1215 (1 or 3; 0 unknown)
};

struct ScnSample {
  std::array<std::optional<double>, 3> consumption_a;  ///< 1405–1410
  std::array<std::optional<double>, 3> max_current_a;  ///< 1417–1422 as read back
  std::array<std::optional<double>, 3> validity_s;     ///< 1423–1428
  bool enabled = false;                                ///< 1431
};

struct StationSample {
  ems::MonoTime at{};
  ems::WallTime wall{};
  bool ok = false;    ///< the station answered
  std::string error;  ///< why not, in words (with a hint where one helps)
  std::vector<SocketSample> sockets;
  std::optional<double> station_max_a;  ///< 1100
  std::string platform, firmware, serial;
  std::optional<ScnSample> scn;
};

struct WriteOutcome {
  bool ok = false;                   ///< the write request itself succeeded
  bool accepted = false;             ///< read-back shows the station took it (validity restarted, accounted for)
  std::optional<double> validity_s;  ///< remaining validity right after the write
  std::optional<double> applied_a;   ///< what the station applies now (1206); may be lower
  std::string error;
  bool permanent = false;  ///< retrying will not help (e.g. exception 1: EMS writes not enabled)
};

class StationDevice {
 public:
  virtual ~StationDevice() = default;
  /// Reads identification (first time), status and every socket; never throws.
  virtual StationSample poll() = 0;
  /// Writes a socket set-point (1210, FC16 FLOAT32) and confirms it by read-back.
  virtual WriteOutcome write_current(int unit, double amps) = 0;
  /// Writes the SCN per-phase limits (unit 200, 1417/1419/1421) and confirms them.
  virtual WriteOutcome write_scn(const std::array<double, 3>& amps) = 0;
  /// Writes 1 or 3 phases (1215).
  virtual WriteOutcome write_phases(int unit, int phases) = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace emsgw::gateway
