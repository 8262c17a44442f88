#pragma once
// How to reach and decode one meter (grid, PV or heat pump), as written in [meter.<role>].
// Sources: protocols.md §1 (DSMR), §2 (TIC), §3 (Modbus meters), §4 (SunSpec);
// alfen-smart-charging.md §2 (the meter settings the Alfen guide exposes).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/modbus/register_codec.hpp"

namespace emsgw::drivers {

/// The quantities a custom register map may define (issue text and guide §2 "custom register maps").
enum class Quantity {
  CurrentL1,
  CurrentL2,
  CurrentL3,
  CurrentN,
  PowerL1,
  PowerL2,
  PowerL3,
  PowerTotal,
  VoltageL1,
  VoltageL2,
  VoltageL3,
  EnergyImport,
  EnergyExport,
};
[[nodiscard]] std::optional<Quantity> parse_quantity(std::string_view s);  ///< "current_l1", …
[[nodiscard]] std::string_view to_string(Quantity q);
[[nodiscard]] const std::vector<Quantity>& all_quantities();

/// One register of a custom map. value = decoded raw × scale, in A, W, V — and kWh for energy.
struct RegisterSpec {
  int address = 0;   ///< 0-based PDU address (protocols.md §3.1: manuals print 30001-style numbers).
  int function = 4;  ///< 3 (holding) or 4 (input).
  ValueType type = ValueType::Float32;
  WordOrder order = WordOrder::HighFirst;
  double scale = 1.0;  ///< value = raw × scale (e.g. 0.01 for a CT meter's ×100, 0.001 for mA).
};

struct SerialSettings {
  std::string device;
  int baud = 9600;
  char parity = 'N';  ///< 'N', 'E' or 'O'
  int data_bits = 8;
  int stop_bits = 1;
};

/// SG-Ready outputs of a heat pump: two coils or holding registers on a Modbus TCP device
/// (protocols.md §5.1: state 1 = 1:0 blocked, 2 = 0:0 normal, 3 = 0:1 recommended, 4 = 1:1 forced).
struct SgReadySettings {
  std::string host;
  int port = 502;
  int unit = 1;
  bool use_coils = true;  ///< coils (FC5) or holding registers (FC6, value 0/1)
  int output1_address = 0;
  int output2_address = 1;
};

struct MeterSettings {
  std::string role;  ///< "grid", "pv", "heatpump"
  /// "modbus-tcp", "dsmr-serial", …: a kind of the gateway's device registry (gateway/devices/device_kinds.hpp).
  std::string kind = "modbus-tcp";
  std::string host;  ///< modbus-tcp, dsmr-tcp, sunspec-tcp
  int port = 502;
  int unit = 1;
  /// modbus-tcp: `framing = "rtu"` sends RTU frames (with CRC) over the TCP connection, as
  /// transparent RS-485-to-Ethernet converters expect ("RTU over TCP"); default Modbus TCP (MBAP).
  bool rtu_over_tcp = false;
  std::string preset;                       ///< modbus meters: a preset name, or "custom"
  std::map<Quantity, RegisterSpec> custom;  ///< preset = "custom"
  int poll_interval_ms = 1000;
  int timeout_ms = 1000;
  SerialSettings serial;                ///< modbus-rtu, dsmr-serial, tic-serial
  std::string tic_mode = "historique";  ///< "historique" (1200 baud) or "standard" (9600 baud)
  bool invert = false;                  ///< flip power/current sign (CT fitted the other way)
  /// The site's connection (from [site]), bounding what a reading may plausibly show.
  double connection_max_current_a = 0.0;  ///< 0: unknown
  int connection_phases = 3;
  /// Grid meter only: site.meter_stale_after_s is not in the file, so the age limit follows the
  /// meter's telegram interval (DSMR 4: 10 s → 25 s; see stale_limit_for_interval_s).
  bool stale_limit_from_interval = false;
  /// [meter.heatpump.sg_ready]: the heat pump's SG-Ready outputs (drivers/heatpump/sg_ready.hpp).
  std::optional<SgReadySettings> sg_ready;
};

/// The names of the Modbus meter presets (drivers/meters/meter_presets.cpp), for the validator.
[[nodiscard]] const std::vector<std::string_view>& meter_preset_names();

}  // namespace emsgw::drivers
