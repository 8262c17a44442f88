#pragma once
// The charger seam (drivers/charger/station_device.hpp) over the Alfen driver: one Modbus TCP
// connection per station (shared by units 200, 1 and 2), identification once per connection,
// confirmation by read-back after each write. While a poll waits for a slow station's reply, a cut
// asked for by interrupt_poll() goes on the wire at once as a second transaction (unless
// `pipelined_cuts` is off, or the station let such a request go unanswered once; then it waits
// for the reply, as between any two reads).

#include <memory>

#include "drivers/alfen/alfen_station.hpp"
#include "drivers/charger/station_device.hpp"
#include "drivers/modbus/socket_transport.hpp"

namespace emsgw::drivers::alfen {

class AlfenStationDevice final : public StationDevice {
 public:
  /// `sockets`: the highest Modbus unit configured (1 or 2); `read_scn`: also read the SCN block
  /// (unit 200) — for the station that speaks for the SCN.
  /// `pipelined_cuts`: cuts may be sent while a read awaits its reply.
  AlfenStationDevice(const TcpLink& link, int sockets, bool read_scn, const ems::Clock& clock,
                     bool pipelined_cuts = true);
  StationSample poll() override;
  StationSample poll_interleaved(const std::function<void()>& between) override;
  void interrupt_poll() override;
  /// The Modbus link's counters (requests, reconnects, cuts sent while a read was outstanding).
  [[nodiscard]] TransportStats link_stats() const;
  WriteOutcome write_current(int unit, double amps) override;
  WriteOutcome write_scn(const std::array<double, 3>& amps) override;
  WriteOutcome write_phases(int unit, int phases) override;
  [[nodiscard]] std::string describe() const override;

 private:
  const ems::Clock& clock_;
  std::string endpoint_;
  std::unique_ptr<SocketModbusTransport> transport_;
  std::unique_ptr<AlfenStation> station_;
  std::optional<StationIdentity> identity_;
};

/// Maps an IEC 61851 state to what the allocator needs: A → available; B → connected;
/// C/D (with or without PWM: the vehicle asks for current) → charging; E/F → fault.
[[nodiscard]] ems::ConnectorState connector_state(Mode3State s);

/// The user-facing explanation of a station error (no answer, exception 1, …).
[[nodiscard]] std::string station_hint(const ModbusError& e);

}  // namespace emsgw::drivers::alfen
