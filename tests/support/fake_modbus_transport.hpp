#pragma once
// The one fake of the Modbus seam (drivers::ModbusTransport), in-process, no sockets. Two ways to
// answer:
//   - FakeModbusTransport(): a register table per unit, scripted with set()/set_float()/…; reads of
//     unset registers give 0xFFFF; fail_read/short_read/fail_write script errors and short replies;
//     coils are refused (exception 1). Used by the Alfen driver tests.
//   - FakeModbusTransport(handler): a simulator's request handler answers (its exceptions, silence
//     as a timeout, a reply of the wrong length as a bad reply). Used by meter, SunSpec and
//     heat-pump tests.
// Either way it records every request (`requests`) and every write (`writes`, then `on_write` when
// the write succeeded), lets the next requests fail with `script`, and refuses reads of fewer than
// 1 or more than 125 registers as a real transport does.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers/modbus/modbus_transport.hpp"
#include "drivers/modbus/register_codec.hpp"
#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::test {

class FakeModbusTransport final : public drivers::ModbusTransport {
 public:
  struct Write {
    int unit;
    int function;
    int address;
    std::vector<std::uint16_t> values;
  };

  FakeModbusTransport() = default;
  explicit FakeModbusTransport(drivers::sim::ModbusRequestHandler& handler) : handler_(&handler) {}

  std::vector<drivers::sim::ModbusRequest> requests;       ///< every request, in order
  std::deque<std::optional<drivers::ModbusError>> script;  ///< next requests fail with these (nullopt = pass)
  std::vector<Write> writes;                               ///< every write request, in order
  std::function<void(const Write&)> on_write;              ///< after each write that succeeded

  // The register table (without a handler).
  void set(int unit, int address, std::vector<std::uint16_t> words) {
    for (std::size_t i = 0; i < words.size(); ++i) regs_[{unit, address + static_cast<int>(i)}] = words[i];
  }
  void set_float(int unit, int address, double v) {
    set(unit, address, drivers::encode(v, drivers::ValueType::Float32));
  }
  void set_u32(int unit, int address, double v) { set(unit, address, drivers::encode(v, drivers::ValueType::U32)); }
  void set_string(int unit, int address, const std::string& s, int count) {
    set(unit, address, drivers::encode_string(s, count));
  }
  /// Every read of (unit, address) fails with `e` / returns only `n` registers.
  void fail_read(int unit, int address, drivers::ModbusError e) { read_errors_[{unit, address}] = std::move(e); }
  void short_read(int unit, int address, std::size_t n) { short_reads_[{unit, address}] = n; }
  void fail_write(int unit, int address, drivers::ModbusError e) { write_errors_[{unit, address}] = std::move(e); }

  drivers::ModbusResult<std::vector<std::uint16_t>> read_holding(int unit, int address, int count) override {
    return read(unit, 3, address, count);
  }
  drivers::ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) override {
    return read(unit, 4, address, count);
  }
  drivers::ModbusResult<void> write_single(int unit, int address, std::uint16_t value) override {
    return write({unit, 6, address, 1, {value}});
  }
  drivers::ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) override {
    return write({unit, 16, address, static_cast<int>(values.size()), {values.begin(), values.end()}});
  }
  drivers::ModbusResult<std::vector<bool>> read_coils(int unit, int address, int count) override {
    auto r = call({unit, 1, address, count, {}});
    if (!r) return Unexpected(r.error());
    std::vector<bool> out;
    for (auto v : *r) out.push_back(v != 0);
    return out;
  }
  drivers::ModbusResult<void> write_coil(int unit, int address, bool value) override {
    return write({unit, 5, address, 1, {static_cast<std::uint16_t>(value ? 1 : 0)}});
  }
  [[nodiscard]] std::string endpoint() const override { return "fake"; }

 private:
  using Reply = drivers::ModbusResult<std::vector<std::uint16_t>>;

  Reply read(int unit, int fc, int address, int count) {
    if (count < 1 || count > 125)
      return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::InvalidRequest, 0, "count"});
    return call({unit, fc, address, count, {}});
  }

  drivers::ModbusResult<void> write(drivers::sim::ModbusRequest req) {
    writes.push_back({req.unit, req.function, req.address, req.values});
    auto r = call(std::move(req));
    if (!r) return Unexpected(r.error());
    if (on_write) on_write(writes.back());
    return {};
  }

  Reply call(drivers::sim::ModbusRequest req) {
    requests.push_back(req);
    if (!script.empty()) {
      auto e = script.front();
      script.pop_front();
      if (e) return Unexpected(*e);
    }
    return handler_ != nullptr ? from_handler(req) : from_table(req);
  }

  Reply from_handler(const drivers::sim::ModbusRequest& req) {
    auto reply = handler_->handle(req);
    if (reply.silent) return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Timeout, 0, "silent"});
    if (reply.exception_code != 0)
      return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Exception, reply.exception_code, ""});
    if ((req.function == 3 || req.function == 4 || req.function == 1) &&
        static_cast<int>(reply.registers.size()) != req.count)
      return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::BadReply, 0, "length"});
    return reply.registers;
  }

  Reply from_table(const drivers::sim::ModbusRequest& req) {
    const std::pair<int, int> at{req.unit, req.address};
    if (req.function == 1 || req.function == 5)
      return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Exception, 1, ""});
    if (req.function == 6 || req.function == 16) {
      if (auto it = write_errors_.find(at); it != write_errors_.end()) return Unexpected(it->second);
      return std::vector<std::uint16_t>{};
    }
    if (auto it = read_errors_.find(at); it != read_errors_.end()) return Unexpected(it->second);
    std::vector<std::uint16_t> out;
    for (int a = req.address; a < req.address + req.count; ++a) {
      auto it = regs_.find({req.unit, a});
      out.push_back(it == regs_.end() ? 0xFFFF : it->second);
    }
    if (auto it = short_reads_.find(at); it != short_reads_.end()) out.resize(it->second);
    return out;
  }

  drivers::sim::ModbusRequestHandler* handler_ = nullptr;
  std::map<std::pair<int, int>, std::uint16_t> regs_;
  std::map<std::pair<int, int>, drivers::ModbusError> read_errors_;
  std::map<std::pair<int, int>, std::size_t> short_reads_;
  std::map<std::pair<int, int>, drivers::ModbusError> write_errors_;
};

}  // namespace emsgw::test
