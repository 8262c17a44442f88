#pragma once
// A scripted ModbusTransport for driver unit tests: register values per unit, recorded writes,
// injectable errors and short replies.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers/modbus/modbus_transport.hpp"
#include "drivers/modbus/register_codec.hpp"

namespace emsgw::test {

class FakeModbusTransport final : public drivers::ModbusTransport {
 public:
  struct Write {
    int unit;
    int function;
    int address;
    std::vector<std::uint16_t> values;
  };

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
    if (auto it = read_errors_.find({unit, address}); it != read_errors_.end()) return Unexpected(it->second);
    std::vector<std::uint16_t> out;
    for (int a = address; a < address + count; ++a) {
      auto it = regs_.find({unit, a});
      out.push_back(it == regs_.end() ? 0xFFFF : it->second);
    }
    if (auto it = short_reads_.find({unit, address}); it != short_reads_.end()) out.resize(it->second);
    return out;
  }
  drivers::ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) override {
    return read_holding(unit, address, count);
  }
  drivers::ModbusResult<void> write_single(int unit, int address, std::uint16_t value) override {
    writes.push_back({unit, 6, address, {value}});
    if (auto it = write_errors_.find({unit, address}); it != write_errors_.end()) return Unexpected(it->second);
    if (on_write) on_write(writes.back());
    return {};
  }
  drivers::ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) override {
    writes.push_back({unit, 16, address, {values.begin(), values.end()}});
    if (auto it = write_errors_.find({unit, address}); it != write_errors_.end()) return Unexpected(it->second);
    if (on_write) on_write(writes.back());
    return {};
  }
  drivers::ModbusResult<std::vector<bool>> read_coils(int, int, int) override {
    return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Exception, 1, ""});
  }
  drivers::ModbusResult<void> write_coil(int, int, bool) override {
    return Unexpected(drivers::ModbusError{drivers::ModbusErrorKind::Exception, 1, ""});
  }
  [[nodiscard]] std::string endpoint() const override { return "fake"; }

  std::vector<Write> writes;
  std::function<void(const Write&)> on_write;

 private:
  std::map<std::pair<int, int>, std::uint16_t> regs_;
  std::map<std::pair<int, int>, drivers::ModbusError> read_errors_;
  std::map<std::pair<int, int>, std::size_t> short_reads_;
  std::map<std::pair<int, int>, drivers::ModbusError> write_errors_;
};

}  // namespace emsgw::test
