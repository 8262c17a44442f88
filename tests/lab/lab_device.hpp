#pragma once
// The Alfen station simulator in-process: a ModbusTransport that hands each request to
// AlfenStationSim::handle() (no socket, no thread), and a StationDevice over the real Alfen driver
// on top of it, mapped as the runtime's AlfenStationDevice maps it. A station can be taken off the
// network (every request fails as a lost connection) to model a station dropping off.

#include <memory>
#include <string>
#include <utility>

#include "drivers/alfen/alfen_station.hpp"
#include "drivers/alfen/alfen_station_device.hpp"
#include "drivers/alfen/sim/alfen_station_sim.hpp"
#include "drivers/charger/station_device.hpp"
#include "drivers/modbus/modbus_transport.hpp"

namespace emsgw::lab {

class InProcessTransport final : public drivers::ModbusTransport {
 public:
  explicit InProcessTransport(drivers::alfen::AlfenStationSim& sim) : sim_(sim) {}
  bool offline = false;
  std::uint64_t requests = 0;

  drivers::ModbusResult<std::vector<std::uint16_t>> read_holding(int unit, int address, int count) override {
    return read(unit, address, count);
  }
  drivers::ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) override {
    return read(unit, address, count);
  }
  drivers::ModbusResult<void> write_single(int unit, int address, std::uint16_t value) override {
    return write(unit, 6, address, {value});
  }
  drivers::ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) override {
    return write(unit, 16, address, {values.begin(), values.end()});
  }
  drivers::ModbusResult<std::vector<bool>> read_coils(int, int, int) override { return Unexpected(exception(1)); }
  drivers::ModbusResult<void> write_coil(int, int, bool) override { return Unexpected(exception(1)); }
  [[nodiscard]] std::string endpoint() const override { return "in-process"; }

 private:
  static drivers::ModbusError exception(int code) {
    return drivers::ModbusError{drivers::ModbusErrorKind::Exception, code, "exception"};
  }
  static drivers::ModbusError lost() {
    return drivers::ModbusError{drivers::ModbusErrorKind::NotConnected, 0, "station off the network"};
  }
  drivers::ModbusResult<std::vector<std::uint16_t>> read(int unit, int address, int count) {
    ++requests;
    if (offline) return Unexpected(lost());
    const auto r = sim_.handle({unit, 3, address, count, {}});
    if (r.exception_code != 0) return Unexpected(exception(r.exception_code));
    return r.registers;
  }
  drivers::ModbusResult<void> write(int unit, int function, int address, std::vector<std::uint16_t> values) {
    ++requests;
    if (offline) return Unexpected(lost());
    const int count = static_cast<int>(values.size());
    const auto r = sim_.handle({unit, function, address, count, std::move(values)});
    if (r.exception_code != 0) return Unexpected(exception(r.exception_code));
    return {};
  }
  drivers::alfen::AlfenStationSim& sim_;
};

/// StationDevice over the Alfen driver and an InProcessTransport (as AlfenStationDevice does over
/// libmodbus).
class LabStationDevice final : public drivers::StationDevice {
 public:
  LabStationDevice(InProcessTransport& transport, const ems::Clock& clock, int sockets)
      : clock_(clock), station_(transport, clock, options(sockets)) {}

  drivers::StationSample poll() override {
    drivers::StationSample s;
    s.at = clock_.mono_now();
    s.wall = clock_.wall_now();
    const auto r = station_.poll();
    s.ok = r.ok;
    if (r.error) s.error = drivers::alfen::station_hint(*r.error);
    s.station_max_a = r.station_max_a;
    for (const auto& so : r.socket) {
      drivers::SocketSample x;
      x.unit = so.socket;
      x.valid = so.ok;
      if (so.mode3) {
        x.mode3 = std::string(drivers::alfen::to_string(*so.mode3));
        x.state = drivers::alfen::connector_state(*so.mode3);
      }
      x.current_a = so.current_a;
      x.power_w = so.power_w;
      x.energy_wh = so.energy_wh;
      x.applied_a = so.applied_max_a;
      x.setpoint_a = so.setpoint_a;
      x.validity_s = so.remaining_validity_s;
      x.safe_current_a = so.safe_current_a;
      x.accounted = so.accounted_for;
      x.phases = so.phases.value_or(0);
      s.sockets.push_back(std::move(x));
    }
    return s;
  }
  drivers::WriteOutcome write_current(int unit, double amps) override {
    const auto c = station_.write_setpoint(unit, amps);
    drivers::WriteOutcome o;
    o.ok = c.written;
    o.accepted = c.accepted;
    o.validity_s = c.remaining_validity_s;
    o.applied_a = c.applied_a;
    if (c.error) {
      o.error = drivers::alfen::station_hint(*c.error);
      o.permanent = !c.error->transient();
    } else if (!c.accepted) {
      o.error = c.reason;
    }
    return o;
  }
  drivers::WriteOutcome write_scn(const std::array<double, 3>&) override {
    drivers::WriteOutcome o;
    o.error = "SCN mode is not part of the lab";
    o.permanent = true;
    return o;
  }
  drivers::WriteOutcome write_phases(int unit, int phases) override {
    drivers::WriteOutcome o;
    const auto r = station_.write_phases(unit, phases);
    o.ok = r.has_value();
    o.accepted = o.ok;
    if (!r) {
      o.error = drivers::alfen::station_hint(r.error());
      o.permanent = !r.error().transient();
    }
    return o;
  }
  [[nodiscard]] std::string describe() const override { return "lab station"; }

 private:
  static drivers::alfen::AlfenOptions options(int sockets) {
    drivers::alfen::AlfenOptions o;
    o.sockets = sockets;
    return o;
  }
  const ems::Clock& clock_;
  drivers::alfen::AlfenStation station_;
};

}  // namespace emsgw::lab
