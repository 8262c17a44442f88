// The production meter factory: [meter.<role>] → a driver that owns its link.
#include <memory>

#include "drivers/dsmr/byte_stream.hpp"
#include "drivers/dsmr/p1_meter.hpp"
#include "drivers/meters/meter_presets.hpp"
#include "drivers/meters/modbus_meter.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/modbus/socket_transport.hpp"
#include "drivers/sunspec/sunspec.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::gateway {

namespace {
/// A meter driver together with the link it reads through (the driver holds a reference to it).
template <class Link>
class OwningMeter final : public drivers::EnergyMeter {
 public:
  OwningMeter(std::unique_ptr<Link> link, std::unique_ptr<drivers::EnergyMeter> meter)
      : link_(std::move(link)), meter_(std::move(meter)) {}
  Result<drivers::MeterReading, drivers::MeterError> poll() override { return meter_->poll(); }
  [[nodiscard]] std::string describe() const override { return meter_->describe(); }

 private:
  std::unique_ptr<Link> link_;
  std::unique_ptr<drivers::EnergyMeter> meter_;
};
using OwningModbusMeter = OwningMeter<drivers::ModbusTransport>;
using OwningStreamMeter = OwningMeter<drivers::ByteStream>;

/// A meter kind this build cannot read: every poll says so (the control loop raises a fault and,
/// for the grid meter, the fail-safe holds).
class UnsupportedMeter final : public drivers::EnergyMeter {
 public:
  explicit UnsupportedMeter(std::string what) : what_(std::move(what)) {}
  Result<drivers::MeterReading, drivers::MeterError> poll() override {
    return Unexpected(drivers::MeterError{drivers::MeterError::Kind::Config, false, what_});
  }
  [[nodiscard]] std::string describe() const override { return what_; }

 private:
  std::string what_;
};

drivers::LinkTiming timing(const drivers::MeterSettings& s) {
  drivers::LinkTiming t;
  t.response_timeout_ms = s.timeout_ms;
  t.connect_timeout_ms = std::max(1000, s.timeout_ms);
  return t;
}

std::unique_ptr<drivers::ModbusTransport> modbus_link(const drivers::MeterSettings& s, const ems::Clock& clock) {
  if (s.kind == drivers::MeterKind::ModbusRtu) {
    drivers::RtuLink l;
    l.device = s.serial.device;
    l.baud = s.serial.baud;
    l.parity = s.serial.parity;
    l.data_bits = s.serial.data_bits;
    l.stop_bits = s.serial.stop_bits;
    l.timing = timing(s);
    return std::make_unique<drivers::LibmodbusRtuTransport>(l, &clock);
  }
  drivers::TcpLink l;
  l.host = s.host;
  l.port = s.port;
  l.timing = timing(s);
  // Modbus meters on TCP: emsgw's own framing, which checks every reply's unit id (libmodbus
  // checks it on RTU only); RTU over TCP for RS-485-to-Ethernet converters.
  if (s.kind == drivers::MeterKind::ModbusTcp)
    return std::make_unique<drivers::SocketModbusTransport>(
        l, s.rtu_over_tcp ? drivers::ModbusFraming::Rtu : drivers::ModbusFraming::Mbap, &clock);
  return std::make_unique<drivers::LibmodbusTcpTransport>(l, &clock);
}
}  // namespace

std::unique_ptr<drivers::EnergyMeter> make_meter(const drivers::MeterSettings& s, const ems::Clock& clock) {
  using K = drivers::MeterKind;
  switch (s.kind) {
    case K::ModbusTcp:
    case K::ModbusRtu: {
      auto link = modbus_link(s, clock);
      const auto resolved = drivers::resolve_meter_map(s);
      drivers::ModbusMeterOptions o;
      o.unit = s.unit;
      o.map = resolved.map;
      o.limits = resolved.limits;
      o.invert = s.invert;
      auto meter = std::make_unique<drivers::ModbusMeter>(*link, clock, o);
      return std::make_unique<OwningModbusMeter>(std::move(link), std::move(meter));
    }
    case K::SunspecTcp: {
      auto link = modbus_link(s, clock);
      auto meter = std::make_unique<drivers::SunspecMeter>(
          *link, clock, s.unit, s.role == "pv" ? drivers::SunspecRole::Inverter : drivers::SunspecRole::Meter);
      return std::make_unique<OwningModbusMeter>(std::move(link), std::move(meter));
    }
    case K::DsmrSerial:
    case K::DsmrTcp: {
      std::unique_ptr<drivers::ByteStream> stream;
      if (s.kind == K::DsmrTcp)
        stream = std::make_unique<drivers::TcpByteStream>(s.host, s.port, ems::Millis(std::max(1000, s.timeout_ms)));
      else
        stream = std::make_unique<drivers::SerialByteStream>(s.serial);
      auto meter = std::make_unique<drivers::DsmrP1Meter>(
          *stream, clock, ems::Millis{12000},
          drivers::ConnectionBound{s.connection_max_current_a, s.connection_phases});
      return std::make_unique<OwningStreamMeter>(std::move(stream), std::move(meter));
    }
    case K::TicSerial: {
      auto stream = std::unique_ptr<drivers::ByteStream>(std::make_unique<drivers::SerialByteStream>(s.serial));
      auto meter = std::make_unique<drivers::TicMeter>(
          *stream, clock, ems::Millis{5000}, drivers::ConnectionBound{s.connection_max_current_a, s.connection_phases});
      return std::make_unique<OwningStreamMeter>(std::move(stream), std::move(meter));
    }
  }
  return std::make_unique<UnsupportedMeter>("unknown meter kind");
}

}  // namespace emsgw::gateway
