#pragma once
// SunSpec over Modbus TCP (protocols.md §4): discovery of the "SunS" marker at 40000, 0, 50000,
// the model-chain walk, and decoding of inverter (101–103 int+SF, 111–113 float), meter
// (201–204 int+SF, 211–214 float) and storage (124, 802) models with scale factors and
// not-implemented sentinels. Registers are holding registers (FC3), 32-bit values high word first.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drivers/meters/meter_reading.hpp"
#include "drivers/modbus/modbus_transport.hpp"
#include "ems/result.hpp"

namespace emsgw::drivers {

inline constexpr std::uint16_t kSunsHigh = 0x5375;  // "Su"
inline constexpr std::uint16_t kSunsLow = 0x6E53;   // "nS"
inline constexpr std::uint16_t kSunspecEndModel = 0xFFFF;

struct SunspecModel {
  int id = 0;
  int address = 0;  ///< the model's ID register; points are at address + offset
  int length = 0;   ///< L as the device reports it (registers after the L register)
};

struct SunspecDevice {
  int base = 0;  ///< where "SunS" was found
  std::vector<SunspecModel> models;
  /// The first model with one of these ids, or nullptr.
  [[nodiscard]] const SunspecModel* find(std::initializer_list<int> ids) const;
};

/// Discovery (protocols.md §4.1, pysunspec2 `scan`): tries 40000, 0, 50000; walks ID/L pairs to 0xFFFF.
[[nodiscard]] Result<SunspecDevice, MeterError> sunspec_discover(ModbusTransport& bus, int unit);

/// Reads a whole model (ID register through the last point) in requests of ≤ 125 registers, so each
/// value arrives with its scale factor in the same request where the model fits (§4.3).
[[nodiscard]] Result<std::vector<std::uint16_t>, MeterError> sunspec_read_model(ModbusTransport& bus, int unit,
                                                                                const SunspecModel& m);

/// value = raw × 10^sf, or NotImplemented for the type's sentinel (§4.3 table) or an absent SF.
enum class SunspecType { Int16, Uint16, Acc32, Uint32, Float32 };
[[nodiscard]] Measurement sunspec_value(std::span<const std::uint16_t> model, int offset, SunspecType type,
                                        std::optional<int> sf_offset);

struct InverterReading {
  Measurement ac_power_w;  ///< + = producing
  Measurement ac_current_a;
  std::array<Measurement, 3> phase_current_a;
  std::array<Measurement, 3> phase_voltage_v;
  Measurement frequency_hz;
  Measurement energy_wh;     ///< lifetime yield
  std::optional<int> state;  ///< St: 1 OFF … 4 MPPT … 7 FAULT, 8 STANDBY
};
/// `model` holds the model's registers from its ID register on (101–103, 111–113).
[[nodiscard]] InverterReading decode_sunspec_inverter(std::span<const std::uint16_t> model);

/// Meter models 201–204 / 211–214 as a MeterReading (+ import, protocols.md §4.3 "Signs").
[[nodiscard]] MeterReading decode_sunspec_meter(std::span<const std::uint16_t> model);

struct StorageReading {
  Measurement soc_pct;
  Measurement power_w;              ///< 802 only (DC power; sign convention per vendor, §8 item 5)
  std::optional<int> charge_state;  ///< ChaSt: 1 OFF, 2 EMPTY, 3 DISCHARGING, 4 CHARGING, 5 FULL, 6 HOLDING, 7 TESTING
};
[[nodiscard]] StorageReading decode_sunspec_storage(std::span<const std::uint16_t> model);

/// Which model a SunspecMeter reads when the device has both (SolarEdge inverters expose their
/// export meter as model 203 on the inverter's unit).
enum class SunspecRole : std::uint8_t {
  Meter,     ///< grid and heat-pump meters: a meter model (201–204, 211–214), else the inverter
  Inverter,  ///< PV: an inverter model (101–103, 111–113), else a meter model
};

/// EnergyMeter over SunSpec: discovers on the first poll (again after a failure), then reads the
/// model its role prefers (inverter readings have sign ProductionPositive). Energy totals never
/// go back (EnergyNeverBack).
class SunspecMeter final : public EnergyMeter {
 public:
  SunspecMeter(ModbusTransport& bus, const ems::Clock& clock, int unit, SunspecRole role = SunspecRole::Meter)
      : bus_(bus), clock_(clock), unit_(unit), role_(role) {}
  Result<MeterReading, MeterError> poll() override;
  [[nodiscard]] std::string describe() const override;
  [[nodiscard]] const std::optional<SunspecDevice>& device() const { return device_; }
  [[nodiscard]] const std::optional<InverterReading>& last_inverter() const { return inverter_; }

 private:
  ModbusTransport& bus_;
  const ems::Clock& clock_;
  Result<MeterReading, MeterError> read_meter(const SunspecModel& m);
  Result<MeterReading, MeterError> read_inverter(const SunspecModel& m);
  int unit_;
  SunspecRole role_;
  std::optional<SunspecDevice> device_;
  std::optional<InverterReading> inverter_;
  EnergyNeverBack energy_;
};

}  // namespace emsgw::drivers
