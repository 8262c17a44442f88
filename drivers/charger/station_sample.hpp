#pragma once
// What any charging station reports and confirms, in brand-neutral terms: a poll's sockets (Mode 3
// state, currents, voltages, the set-point in force and its validity), an SCN budget as read back,
// and the outcome of a write. A brand's driver maps its registers onto these (drivers/alfen).

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "ems/site_snapshot.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

struct SocketSample {
  int unit = 1;
  bool valid = false;  ///< false: this socket's block could not be read or was rejected
  std::string mode3;   ///< "A", "B1", "C2", … as reported
  ems::ConnectorState state = ems::ConnectorState::Unknown;
  std::array<std::optional<double>, 3> current_a;  ///< per station phase
  std::array<std::optional<double>, 3> voltage_v;  ///< per station phase (306/308/310): which phases are live
  std::optional<double> power_w;
  std::optional<double> energy_wh;       ///< lifetime energy delivered (374)
  std::optional<double> applied_a;       ///< 1206
  std::optional<double> setpoint_a;      ///< 1210
  std::optional<double> validity_s;      ///< 1208 remaining validity
  std::optional<double> safe_current_a;  ///< 1212
  std::optional<bool> accounted;         ///< 1214
  int phases = 0;                        ///< 1215 (1 or 3; 0 unknown)
};

/// Station phases with voltage (306/308/310 above 100 V), or nullopt when a voltage is missing or
/// none is live. Compared with the configured phase_mapping by the control loop and check-site.
[[nodiscard]] inline std::optional<int> live_phases(const SocketSample& s) {
  int live = 0;
  for (const auto& v : s.voltage_v) {
    if (!v) return std::nullopt;
    if (*v > 100) ++live;
  }
  return live > 0 ? std::optional<int>(live) : std::nullopt;
}

struct ScnSample {
  std::array<std::optional<double>, 3> consumption_a;  ///< 1405–1410
  std::array<std::optional<double>, 3> max_current_a;  ///< 1417–1422 as read back
  std::array<std::optional<double>, 3> validity_s;     ///< 1423–1428
  bool enabled = false;                                ///< 1431
};

/// A set-point in force that is not emsgw's (design.md §2.9): another Modbus master wrote 1210, or
/// the station applies (1206) more than emsgw wrote. The worker rewrites emsgw's value at once.
struct ForeignSetpoint {
  int unit = 1;
  double ours_a = 0;                ///< what emsgw last wrote and the station confirmed
  std::optional<double> seen_a;     ///< 1210 as read
  std::optional<double> applied_a;  ///< 1206 as read
  /// False for a station override that persists although emsgw rewrote its value a moment ago
  /// (rewriting again would not help; reported again to keep the fault up, not counted).
  bool rewritten = true;
};

struct StationSample {
  ems::MonoTime at{};
  /// When the poll began: the EV currents were read at or after this instant (for aligning them
  /// with grid-meter samples).
  ems::MonoTime started{};
  ems::WallTime wall{};
  bool ok = false;    ///< the station answered
  std::string error;  ///< why not, in words (with a hint where one helps)
  std::vector<SocketSample> sockets;
  std::optional<double> station_max_a;  ///< 1100
  std::string platform, firmware, serial;
  std::optional<ScnSample> scn;
  std::vector<ForeignSetpoint> foreign;  ///< filled by the station worker
};

struct WriteOutcome {
  bool ok = false;                   ///< the write request itself succeeded
  bool accepted = false;             ///< read-back shows the station took it (validity restarted, accounted for)
  std::optional<double> validity_s;  ///< remaining validity right after the write
  std::optional<double> applied_a;   ///< what the station applies now (1206); may be lower
  std::string error;
  bool permanent = false;  ///< retrying will not help (e.g. exception 1: EMS writes not enabled)
};

}  // namespace emsgw::drivers
