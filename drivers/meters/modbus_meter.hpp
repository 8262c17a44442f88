#pragma once
// EnergyMeter over Modbus (TCP or RTU through any ModbusTransport): reads a register map (a preset
// or a custom map) with the fewest requests, decodes, validates and timestamps it.

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/meters/meter_reading.hpp"
#include "drivers/meters/register_map.hpp"
#include "drivers/modbus/modbus_transport.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

struct ModbusMeterOptions {
  int unit = 1;
  std::vector<MapEntry> map;
  ReadLimits limits;
  bool invert = false;  ///< CT fitted the other way round
  /// Currents are magnitudes: take each phase's sign from its power (protocols.md §3.1).
  bool currents_from_power_sign = true;
};

struct ModbusMeterStats {
  std::uint64_t polls = 0;
  std::uint64_t failures = 0;
  std::uint64_t rejected_values = 0;
};

class ModbusMeter final : public EnergyMeter {
 public:
  /// `transport` and `clock` must outlive the meter.
  ModbusMeter(ModbusTransport& transport, const ems::Clock& clock, ModbusMeterOptions options);

  Result<MeterReading, MeterError> poll() override;
  [[nodiscard]] std::string describe() const override;

  [[nodiscard]] const std::vector<ReadBlock>& plan() const { return plan_; }
  /// Registers of the last poll, block by block (for probe hints); empty blocks where a read failed.
  [[nodiscard]] const std::vector<std::vector<std::uint16_t>>& last_registers() const { return last_; }
  /// Errors of the last poll's reads (empty when all succeeded).
  [[nodiscard]] const std::vector<ModbusError>& last_errors() const { return errors_; }
  [[nodiscard]] const ModbusMeterStats& stats() const { return stats_; }
  [[nodiscard]] const ModbusMeterOptions& options() const { return options_; }

 private:
  ModbusTransport& transport_;
  const ems::Clock& clock_;
  ModbusMeterOptions options_;
  std::vector<ReadBlock> plan_;
  std::vector<std::vector<std::uint16_t>> last_;
  std::vector<ModbusError> errors_;
  std::optional<MeterReading> previous_;
  ModbusMeterStats stats_;
};

/// Hints for people when a read returns nothing sensible (the probe's "Test Smart Meter"):
/// exceptions that point at a wrong function code or an off-by-one address, values that make sense
/// with the other word order, voltages off by a power of ten (wrong unit/scale).
[[nodiscard]] std::vector<std::string> modbus_meter_hints(const ModbusMeter& meter, const MeterReading* reading);

}  // namespace emsgw::drivers
