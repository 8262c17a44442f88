#pragma once
// The Alfen NG9xx Modbus slave register map as data. Source: /work/shared/reference/alfen-modbus.md
// (transcribing Alfen "Modbus Slave TCP/IP for Alfen NG9xx platform" v2.3). Addresses are PDU
// addresses: the document address is used as-is (§1.1); multi-register values are high word first
// (§1.2). The driver and the simulator both read these tables, so they cannot disagree.

#include <optional>
#include <span>
#include <string_view>

#include "drivers/modbus/register_codec.hpp"

namespace emsgw::drivers::alfen {

inline constexpr int kStationUnit = 200;  ///< §1: unit 200 = station, SCN
inline constexpr int kDefaultPort = 502;  ///< §1
inline constexpr int kMaxMasters = 2;     ///< §1: at most two Modbus TCP masters at once
inline constexpr int kIdleTimeoutS = 60;  ///< §1: connection closed after 60 s without traffic

enum class Access { Read, ReadWrite };
/// Register value types beyond the numeric codec types.
enum class Kind { Number, String };

struct RegisterDef {
  std::string_view key;  ///< stable snake_case name used by the driver and the simulator
  int address;           ///< PDU address (= document address, §1.1)
  int count;             ///< registers
  Kind kind;
  ValueType type;  ///< for Kind::Number
  Access access;
  std::string_view unit;  ///< "A", "V", "W", "Wh", "s", …
};

/// A contiguous block the station answers (§4.8 "Poll with FC3 in contiguous blocks").
struct RegisterBlock {
  std::string_view name;
  int start;
  int count;
  bool station_unit;  ///< true: unit 200; false: socket units 1/2
};

// ---- Unit 200 — product identification, §2.1 ([DOC] §3.1)
inline constexpr RegisterDef kName{"name", 100, 17, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kManufacturer{"manufacturer", 117, 5, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kTableVersion{"table_version", 122, 1, Kind::Number, ValueType::S16, Access::Read, ""};
inline constexpr RegisterDef kFirmware{"firmware", 123, 17, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kPlatform{"platform", 140, 17, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kSerial{"serial", 157, 11, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kYear{"year", 168, 1, Kind::Number, ValueType::S16, Access::Read, "yr"};
inline constexpr RegisterDef kMonth{"month", 169, 1, Kind::Number, ValueType::S16, Access::Read, "mon"};
inline constexpr RegisterDef kDay{"day", 170, 1, Kind::Number, ValueType::S16, Access::Read, "d"};
inline constexpr RegisterDef kHour{"hour", 171, 1, Kind::Number, ValueType::S16, Access::Read, "h"};
inline constexpr RegisterDef kMinute{"minute", 172, 1, Kind::Number, ValueType::S16, Access::Read, "min"};
inline constexpr RegisterDef kSecond{"second", 173, 1, Kind::Number, ValueType::S16, Access::Read, "s"};
inline constexpr RegisterDef kUptime{"uptime_ms", 174, 4, Kind::Number, ValueType::U64, Access::Read, "ms"};
inline constexpr RegisterDef kTimeZone{"time_zone_min", 178, 1, Kind::Number, ValueType::S16, Access::Read, "min"};

// ---- Unit 200 — station status, §2.2 ([DOC] §3.2)
inline constexpr RegisterDef kStationMaxCurrent{"station_max_current_a", 1100,         2,  Kind::Number,
                                                ValueType::Float32,      Access::Read, "A"};
inline constexpr RegisterDef kTemperature{"temperature_c",    1102,         2,  Kind::Number,
                                          ValueType::Float32, Access::Read, "C"};
inline constexpr RegisterDef kOcppState{"ocpp_state", 1104, 1, Kind::Number, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kSocketCount{"sockets", 1105, 1, Kind::Number, ValueType::U16, Access::Read, ""};

// ---- Unit 200 — SCN, §2.3 ([DOC] §3.3); 1417/1419/1421 are the SCN set-points (§4.7)
inline constexpr RegisterDef kScnName{"scn_name", 1400, 4, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kScnSockets{"scn_sockets", 1404, 1, Kind::Number, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kScnConsumptionL1{"scn_consumption_l1_a", 1405,         2,  Kind::Number,
                                               ValueType::Float32,     Access::Read, "A"};
inline constexpr RegisterDef kScnConsumptionL2{"scn_consumption_l2_a", 1407,         2,  Kind::Number,
                                               ValueType::Float32,     Access::Read, "A"};
inline constexpr RegisterDef kScnConsumptionL3{"scn_consumption_l3_a", 1409,         2,  Kind::Number,
                                               ValueType::Float32,     Access::Read, "A"};
inline constexpr RegisterDef kScnActualMaxL1{"scn_actual_max_l1_a", 1411,         2,  Kind::Number,
                                             ValueType::Float32,    Access::Read, "A"};
inline constexpr RegisterDef kScnActualMaxL2{"scn_actual_max_l2_a", 1413,         2,  Kind::Number,
                                             ValueType::Float32,    Access::Read, "A"};
inline constexpr RegisterDef kScnActualMaxL3{"scn_actual_max_l3_a", 1415,         2,  Kind::Number,
                                             ValueType::Float32,    Access::Read, "A"};
inline constexpr RegisterDef kScnMaxL1{"scn_max_l1_a",    1417, 2, Kind::Number, ValueType::Float32,
                                       Access::ReadWrite, "A"};
inline constexpr RegisterDef kScnMaxL2{"scn_max_l2_a",    1419, 2, Kind::Number, ValueType::Float32,
                                       Access::ReadWrite, "A"};
inline constexpr RegisterDef kScnMaxL3{"scn_max_l3_a",    1421, 2, Kind::Number, ValueType::Float32,
                                       Access::ReadWrite, "A"};
inline constexpr RegisterDef kScnValidL1{"scn_valid_l1_s", 1423, 2, Kind::Number, ValueType::U32, Access::Read, "s"};
inline constexpr RegisterDef kScnValidL2{"scn_valid_l2_s", 1425, 2, Kind::Number, ValueType::U32, Access::Read, "s"};
inline constexpr RegisterDef kScnValidL3{"scn_valid_l3_s", 1427, 2, Kind::Number, ValueType::U32, Access::Read, "s"};
inline constexpr RegisterDef kScnSafeCurrent{"scn_safe_current_a", 1429,         2,  Kind::Number,
                                             ValueType::Float32,   Access::Read, "A"};
inline constexpr RegisterDef kScnEnabled{"scn_enabled", 1431, 1, Kind::Number, ValueType::U16, Access::Read, ""};

// ---- Units 1/2 — socket energy measurements, §3.1 ([DOC] §3.4) — the subset emsgw uses
inline constexpr RegisterDef kMeterState{"meter_state", 300, 1, Kind::Number, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kMeterAge{"meter_age_ms", 301, 4, Kind::Number, ValueType::U64, Access::Read, "ms"};
inline constexpr RegisterDef kMeterType{"meter_type", 305, 1, Kind::Number, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kVoltageL1{"voltage_l1_v", 306, 2, Kind::Number, ValueType::Float32, Access::Read, "V"};
inline constexpr RegisterDef kVoltageL2{"voltage_l2_v", 308, 2, Kind::Number, ValueType::Float32, Access::Read, "V"};
inline constexpr RegisterDef kVoltageL3{"voltage_l3_v", 310, 2, Kind::Number, ValueType::Float32, Access::Read, "V"};
inline constexpr RegisterDef kCurrentN{"current_n_a", 318, 2, Kind::Number, ValueType::Float32, Access::Read, "A"};
inline constexpr RegisterDef kCurrentL1{"current_l1_a", 320, 2, Kind::Number, ValueType::Float32, Access::Read, "A"};
inline constexpr RegisterDef kCurrentL2{"current_l2_a", 322, 2, Kind::Number, ValueType::Float32, Access::Read, "A"};
inline constexpr RegisterDef kCurrentL3{"current_l3_a", 324, 2, Kind::Number, ValueType::Float32, Access::Read, "A"};
inline constexpr RegisterDef kCurrentSum{"current_sum_a", 326, 2, Kind::Number, ValueType::Float32, Access::Read, "A"};
inline constexpr RegisterDef kFrequency{"frequency_hz", 336, 2, Kind::Number, ValueType::Float32, Access::Read, "Hz"};
inline constexpr RegisterDef kPowerL1{"power_l1_w", 338, 2, Kind::Number, ValueType::Float32, Access::Read, "W"};
inline constexpr RegisterDef kPowerL2{"power_l2_w", 340, 2, Kind::Number, ValueType::Float32, Access::Read, "W"};
inline constexpr RegisterDef kPowerL3{"power_l3_w", 342, 2, Kind::Number, ValueType::Float32, Access::Read, "W"};
inline constexpr RegisterDef kPowerSum{"power_w", 344, 2, Kind::Number, ValueType::Float32, Access::Read, "W"};
inline constexpr RegisterDef kEnergyDelivered{"energy_delivered_wh", 374,          4,   Kind::Number,
                                              ValueType::Float64,    Access::Read, "Wh"};

// ---- Units 1/2 — status and transaction, §3.2 ([DOC] §3.4)
inline constexpr RegisterDef kAvailability{"availability", 1200, 1, Kind::Number, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kMode3State{"mode3_state", 1201, 5, Kind::String, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kAppliedMaxCurrent{"applied_max_current_a", 1206,         2,  Kind::Number,
                                                ValueType::Float32,      Access::Read, "A"};
inline constexpr RegisterDef kValidTime{"valid_time_s", 1208, 2, Kind::Number, ValueType::U32, Access::Read, "s"};
inline constexpr RegisterDef kSetpoint{"setpoint_a", 1210, 2, Kind::Number, ValueType::Float32, Access::ReadWrite, "A"};
inline constexpr RegisterDef kSafeCurrent{"safe_current_a",   1212,         2,  Kind::Number,
                                          ValueType::Float32, Access::Read, "A"};
inline constexpr RegisterDef kAccountedFor{"accounted_for", 1214, 1, Kind::Number, ValueType::U16, Access::Read, ""};
inline constexpr RegisterDef kPhases{"phases", 1215, 1, Kind::Number, ValueType::U16, Access::ReadWrite, ""};

// ---- Blocks, §4.8. The socket measurement block is 300–425 (126 registers) on the station; the
// driver reads 300–377 (everything up to the energy-delivered sum) in one request.
inline constexpr RegisterBlock kIdentificationBlock{"identification", 100, 79, true};
inline constexpr RegisterBlock kStationStatusBlock{"station status", 1100, 6, true};
inline constexpr RegisterBlock kScnBlock{"SCN", 1400, 32, true};
inline constexpr RegisterBlock kMeasurementBlock{"measurements", 300, 126, false};
inline constexpr RegisterBlock kSocketStatusBlock{"socket status", 1200, 16, false};
inline constexpr int kMeasurementReadCount = 78;  ///< 300–377

/// Every defined register, per unit type (the simulator's map).
[[nodiscard]] std::span<const RegisterDef> station_registers();
[[nodiscard]] std::span<const RegisterDef> socket_registers();
[[nodiscard]] std::span<const RegisterBlock> blocks();
/// The register definition starting at `address`, if any.
[[nodiscard]] std::optional<RegisterDef> find_register(bool station_unit, int address);

}  // namespace emsgw::drivers::alfen
