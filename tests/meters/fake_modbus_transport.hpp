#pragma once
// A ModbusTransport that answers from a simulator's request handler in-process (no sockets),
// records every request, and can fail scripted requests. Used by meter, SunSpec and heat-pump tests.

#include <deque>
#include <optional>
#include <vector>

#include "drivers/modbus/modbus_transport.hpp"
#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::test {

class FakeModbusTransport final : public drivers::ModbusTransport {
 public:
  explicit FakeModbusTransport(drivers::sim::ModbusRequestHandler& handler) : handler_(handler) {}

  std::vector<drivers::sim::ModbusRequest> requests;       ///< every request, in order
  std::deque<std::optional<drivers::ModbusError>> script;  ///< next requests fail with these (nullopt = pass)

  drivers::ModbusResult<std::vector<std::uint16_t>> read_holding(int unit, int address, int count) override {
    return read(unit, 3, address, count);
  }
  drivers::ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) override {
    return read(unit, 4, address, count);
  }
  drivers::ModbusResult<void> write_single(int unit, int address, std::uint16_t value) override {
    auto r = call({unit, 6, address, 1, {value}});
    if (!r) return emsgw::Unexpected(r.error());
    return {};
  }
  drivers::ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) override {
    auto r = call({unit, 16, address, static_cast<int>(values.size()), {values.begin(), values.end()}});
    if (!r) return emsgw::Unexpected(r.error());
    return {};
  }
  drivers::ModbusResult<std::vector<bool>> read_coils(int unit, int address, int count) override {
    auto r = call({unit, 1, address, count, {}});
    if (!r) return emsgw::Unexpected(r.error());
    std::vector<bool> out;
    for (auto v : *r) out.push_back(v != 0);
    return out;
  }
  drivers::ModbusResult<void> write_coil(int unit, int address, bool value) override {
    auto r = call({unit, 5, address, 1, {static_cast<std::uint16_t>(value ? 1 : 0)}});
    if (!r) return emsgw::Unexpected(r.error());
    return {};
  }
  [[nodiscard]] std::string endpoint() const override { return "fake"; }

 private:
  drivers::ModbusResult<std::vector<std::uint16_t>> read(int unit, int fc, int address, int count) {
    if (count < 1 || count > 125)
      return emsgw::Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::InvalidRequest, 0, "count"});
    return call({unit, fc, address, count, {}});
  }
  drivers::ModbusResult<std::vector<std::uint16_t>> call(drivers::sim::ModbusRequest req) {
    requests.push_back(req);
    if (!script.empty()) {
      auto e = script.front();
      script.pop_front();
      if (e) return emsgw::Unexpected(*e);
    }
    auto reply = handler_.handle(req);
    if (reply.silent) return emsgw::Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Timeout, 0, "silent"});
    if (reply.exception_code != 0)
      return emsgw::Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Exception, reply.exception_code, ""});
    if ((req.function == 3 || req.function == 4 || req.function == 1) &&
        static_cast<int>(reply.registers.size()) != req.count)
      return emsgw::Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::BadReply, 0, "length"});
    return reply.registers;
  }
  drivers::sim::ModbusRequestHandler& handler_;
};

}  // namespace emsgw::test
