#pragma once
// AlfenStation: one Alfen NG9xx station in EMS mode (Modbus TCP slave), driven through a
// ModbusTransport (one connection shared by units 200, 1 and 2; alfen-modbus.md §1).
//
// How to use:
//   LibmodbusTcpTransport link({.host = "192.0.2.10"});
//   AlfenStation station(link, clock, {.sockets = 2});
//   auto id = station.identify();              // 100–178 + 1105, once at start-up
//   StationReading r = station.poll();          // 1100–1105, [1400–1431], per socket 300–377, 1200–1215
//   WriteConfirmation c = station.write_setpoint(1, 16.0);   // FC16 @1210, then read-back §4.4
//   // refresh before c.remaining_validity_s runs out (design.md §2.5)
//
// Everything returns values; nothing throws. Readings are validated (NaN = absent, never zero;
// negative or absurd values are rejected with a reason that is also counted, see rejections()).

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drivers/alfen/mode3.hpp"
#include "drivers/modbus/modbus_transport.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers::alfen {

/// Plausibility limits (issue: "absurd values (negative, or more than 1000 A) are rejected").
inline constexpr double kMaxPlausibleCurrentA = 1000.0;
inline constexpr double kMaxPlausibleVoltageV = 1000.0;
inline constexpr double kMaxPlausiblePowerW = 1.0e6;
inline constexpr double kMaxPlausibleEnergyWh = 1.0e12;

struct StationIdentity {
  std::string name, manufacturer, firmware, platform, serial;
  int table_version = 0;
  std::optional<std::uint64_t> uptime_ms;
  int sockets = 0;  ///< 1105
};

/// One per-socket reading (units 1/2). Optional fields are absent when the station sent NaN or
/// the value was rejected (the reason is in `rejected`).
struct SocketReading {
  int socket = 1;     ///< 1 or 2 (= Modbus unit)
  bool ok = false;    ///< both blocks were read
  std::string error;  ///< why not, when !ok
  std::optional<ModbusError> transport_error;
  std::optional<bool> available;                     ///< 1200
  std::optional<Mode3State> mode3;                   ///< 1201
  std::string mode3_raw;                             ///< the string as sent
  std::array<std::optional<double>, 3> voltage_v{};  ///< 306/308/310, station phases
  std::array<std::optional<double>, 3> current_a{};  ///< 320/322/324, station phases
  std::optional<double> power_w;                     ///< 344
  std::optional<double> energy_wh;                   ///< 374 (delivered)
  std::optional<double> applied_max_a;               ///< 1206
  std::optional<double> remaining_validity_s;        ///< 1208
  std::optional<double> setpoint_a;                  ///< 1210 (reads the safe current after expiry, §4.3)
  std::optional<double> safe_current_a;              ///< 1212
  std::optional<bool> accounted_for;                 ///< 1214
  std::optional<int> phases;                         ///< 1215 (not reliable on some firmware, §4.6)
  std::vector<std::string> rejected;
};

struct ScnReading {
  std::string name;                                      ///< 1400
  std::optional<int> sockets;                            ///< 1404
  std::array<std::optional<double>, 3> consumption_a{};  ///< 1405/1407/1409
  std::array<std::optional<double>, 3> actual_max_a{};   ///< 1411/1413/1415
  std::array<std::optional<double>, 3> max_current_a{};  ///< 1417/1419/1421 (EMS set-points)
  std::array<std::optional<double>, 3> remaining_s{};    ///< 1423/1425/1427
  std::optional<double> safe_current_a;                  ///< 1429
  std::optional<bool> enabled;                           ///< 1431
};

struct StationReading {
  ems::MonoTime at{};                   ///< when the poll started
  ems::WallTime wall{};                 ///< the same instant for people
  bool ok = false;                      ///< the station status block and every socket were read
  std::optional<ModbusError> error;     ///< the first transport error, if any
  std::optional<double> station_max_a;  ///< 1100
  std::optional<double> temperature_c;  ///< 1102
  std::optional<int> ocpp_state;        ///< 1104
  std::optional<int> sockets;           ///< 1105
  std::optional<ScnReading> scn;        ///< when AlfenOptions::read_scn
  std::vector<SocketReading> socket;    ///< one per socket read
  std::vector<std::string> rejected;    ///< station-level rejections
};

struct WriteConfirmation {
  bool written = false;   ///< the write request succeeded
  bool accepted = false;  ///< read-back shows the station took it (§4.4)
  std::optional<ModbusError> error;
  std::string reason;  ///< why not accepted, in words
  double requested_a = 0;
  std::optional<double> remaining_validity_s;  ///< 1208 / min of 1423–1427
  std::optional<double> applied_a;             ///< 1206 (may be lower: another limit wins)
  std::optional<double> readback_a;            ///< 1210 / 1417–1421
  std::optional<bool> accounted_for;           ///< 1214
};

struct PhaseSwitchTiming {
  ems::Millis pause{10000};  ///< after pausing at 0 A, before writing 1215 (§4.6: ~10 s)
  ems::Millis settle{5000};  ///< after writing 1215, before resuming (§4.6: ~5 s)
};

struct PhaseSwitchResult {
  bool ok = false;
  bool not_allowed = false;  ///< exception 3 on 1215: "phase switching not allowed on this station"
  std::string message;
  std::optional<ModbusError> error;
  WriteConfirmation resume;  ///< the confirmation of the resuming set-point
};

struct AlfenOptions {
  int sockets = 0;                ///< 0: use 1105 from the station
  bool read_scn = false;          ///< also read 1400–1431 on every poll
  bool read_measurements = true;  ///< read 300–377 per socket
};

/// Reasons counted since construction, e.g. "socket 1 current_l1_a: -3 A is negative" → count.
using RejectionCounts = std::map<std::string, std::uint64_t>;

class AlfenStation {
 public:
  /// `transport` and `clock` must outlive the station.
  AlfenStation(ModbusTransport& transport, const ems::Clock& clock, AlfenOptions options = {});

  /// Reads 100–178 and 1105 on unit 200.
  Result<StationIdentity, ModbusError> identify();
  /// `between`, when given, is called after each read request of the poll (never inside one), so
  /// that a caller sharing the connection can send urgent writes without waiting for the whole poll.
  StationReading poll(const std::function<void()>& between = {});
  /// A one-register read (1105 on unit 200) that keeps the connection alive: Alfen closes a
  /// connection after 60 s without traffic (alfen-modbus.md §1). Call it when nothing else was
  /// sent for a while (e.g. LibmodbusTransport::idle_for() > 30 s).
  Result<void, ModbusError> ping();

  /// FC16 of 1210–1211 (FLOAT32, high word first) on the socket's unit, then reads 1206–1215 back.
  /// Values that are NaN, negative or above 1000 A are refused without writing.
  WriteConfirmation write_setpoint(int socket, double amps);
  /// One FC16 of 1417–1422 on unit 200, then reads 1417–1428 back (§4.7).
  WriteConfirmation write_scn_limits(double l1_a, double l2_a, double l3_a);
  /// FC6 of 1215 (1 or 3). Exception 3 is reported as "phase switching not allowed on this station".
  Result<void, ModbusError> write_phases(int socket, int phases);
  /// Pause (0 A), wait, write 1215, wait, resume at `resume_a` (§4.6). `sleep` does the waiting
  /// (tests pass a recorder; the runtime a real sleep or its scheduler).
  PhaseSwitchResult switch_phases(int socket, int phases, double resume_a, PhaseSwitchTiming timing,
                                  const std::function<void(ems::Millis)>& sleep);

  [[nodiscard]] const RejectionCounts& rejections() const { return rejections_; }
  [[nodiscard]] std::uint64_t rejection_total() const;
  [[nodiscard]] ModbusTransport& transport() { return transport_; }

 private:
  SocketReading read_socket(int socket, const std::function<void()>& between);
  void reject(std::vector<std::string>& into, std::string reason);

  ModbusTransport& transport_;
  const ems::Clock& clock_;
  AlfenOptions options_;
  RejectionCounts rejections_;
  std::map<int, double> last_validity_s_;  ///< per socket, from the last read
};

/// Encodes amps as the two 1210 registers (FLOAT32, high word first; §4.2: 16 A → 4180 0000).
[[nodiscard]] std::array<std::uint16_t, 2> encode_current(double amps);

}  // namespace emsgw::drivers::alfen
