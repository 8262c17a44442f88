#pragma once
// The charger seam (drivers/charger/station_device.hpp) over the Alfen driver: one Modbus TCP
// connection per station (shared by units 200, 1 and 2), identification once per connection,
// confirmation by read-back after each write.

#include <memory>

#include "drivers/alfen/alfen_station.hpp"
#include "drivers/charger/station_device.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"

namespace emsgw::drivers::alfen {

class AlfenStationDevice final : public StationDevice {
 public:
  /// `sockets`: the highest Modbus unit configured (1 or 2); `read_scn`: also read the SCN block
  /// (unit 200) — for the station that speaks for the SCN.
  AlfenStationDevice(const TcpLink& link, int sockets, bool read_scn, const ems::Clock& clock);
  StationSample poll() override;
  StationSample poll_interleaved(const std::function<void()>& between) override;
  WriteOutcome write_current(int unit, double amps) override;
  WriteOutcome write_scn(const std::array<double, 3>& amps) override;
  WriteOutcome write_phases(int unit, int phases) override;
  [[nodiscard]] std::string describe() const override;

 private:
  const ems::Clock& clock_;
  std::string endpoint_;
  std::unique_ptr<LibmodbusTcpTransport> transport_;
  std::unique_ptr<AlfenStation> station_;
  std::optional<StationIdentity> identity_;
};

/// Maps an IEC 61851 state to what the allocator needs: A → available; B → connected;
/// C/D (with or without PWM: the vehicle asks for current) → charging; E/F → fault.
[[nodiscard]] ems::ConnectorState connector_state(Mode3State s);

/// The user-facing explanation of a station error (no answer, exception 1, …).
[[nodiscard]] std::string station_hint(const ModbusError& e);

}  // namespace emsgw::drivers::alfen
