#include "drivers/alfen/alfen_registers.hpp"

#include <array>

namespace emsgw::drivers::alfen {

namespace {
constexpr std::array kStationRegs{kName,
                                  kManufacturer,
                                  kTableVersion,
                                  kFirmware,
                                  kPlatform,
                                  kSerial,
                                  kYear,
                                  kMonth,
                                  kDay,
                                  kHour,
                                  kMinute,
                                  kSecond,
                                  kUptime,
                                  kTimeZone,
                                  kStationMaxCurrent,
                                  kTemperature,
                                  kOcppState,
                                  kSocketCount,
                                  kScnName,
                                  kScnSockets,
                                  kScnConsumptionL1,
                                  kScnConsumptionL2,
                                  kScnConsumptionL3,
                                  kScnActualMaxL1,
                                  kScnActualMaxL2,
                                  kScnActualMaxL3,
                                  kScnMaxL1,
                                  kScnMaxL2,
                                  kScnMaxL3,
                                  kScnValidL1,
                                  kScnValidL2,
                                  kScnValidL3,
                                  kScnSafeCurrent,
                                  kScnEnabled};
constexpr std::array kSocketRegs{kMeterState, kMeterAge,        kMeterType,    kVoltageL1,    kVoltageL2,
                                 kVoltageL3,  kCurrentN,        kCurrentL1,    kCurrentL2,    kCurrentL3,
                                 kCurrentSum, kFrequency,       kPowerL1,      kPowerL2,      kPowerL3,
                                 kPowerSum,   kEnergyDelivered, kAvailability, kMode3State,   kAppliedMaxCurrent,
                                 kValidTime,  kSetpoint,        kSafeCurrent,  kAccountedFor, kPhases};
constexpr std::array kBlocks{kIdentificationBlock, kStationStatusBlock, kScnBlock, kMeasurementBlock,
                             kSocketStatusBlock};
}  // namespace

std::span<const RegisterDef> station_registers() {
  return kStationRegs;
}
std::span<const RegisterDef> socket_registers() {
  return kSocketRegs;
}
std::span<const RegisterBlock> blocks() {
  return kBlocks;
}

std::optional<RegisterDef> find_register(bool station_unit, int address) {
  for (const auto& r : station_unit ? station_registers() : socket_registers())
    if (r.address == address) return r;
  return std::nullopt;
}

}  // namespace emsgw::drivers::alfen
