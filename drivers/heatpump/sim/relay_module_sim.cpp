#include "drivers/heatpump/sim/relay_module_sim.hpp"

namespace emsgw::drivers::sim {

namespace {
constexpr int kIllegalFunction = 1;
constexpr int kIllegalDataAddress = 2;
constexpr int kIllegalDataValue = 3;
constexpr int kServerDeviceFailure = 4;
}  // namespace

RelayModuleSimulator::RelayModuleSimulator(int outputs, int unit) : count_(outputs), unit_(unit) {
  for (int a = 0; a < count_; ++a) outputs_[a] = false;
}

ModbusReply RelayModuleSimulator::handle(const ModbusRequest& r) {
  if (r.unit != unit_) return ModbusReply::silence();
  if (failing_) return ModbusReply::exception(kServerDeviceFailure);
  std::lock_guard lock(mutex_);
  const auto in_range = [&](int address, int count) { return address >= 0 && count >= 1 && address + count <= count_; };
  switch (r.function) {
    case 1:
    case 3: {
      if (!in_range(r.address, r.count)) return ModbusReply::exception(kIllegalDataAddress);
      std::vector<std::uint16_t> v;
      for (int i = 0; i < r.count; ++i) v.push_back(outputs_[r.address + i] ? 1 : 0);
      return ModbusReply::registers_reply(v);
    }
    case 5:
    case 6:
    case 16: {
      const int n = static_cast<int>(r.values.size());
      if (!in_range(r.address, n)) return ModbusReply::exception(kIllegalDataAddress);
      for (const auto v : r.values)
        if (v > 1) return ModbusReply::exception(kIllegalDataValue);
      for (int i = 0; i < n; ++i) {
        const bool on = r.values[static_cast<std::size_t>(i)] != 0;
        outputs_[r.address + i] = on;
        writes_.emplace_back(r.address + i, on);
      }
      return ModbusReply::ok();
    }
    default: return ModbusReply::exception(kIllegalFunction);
  }
}

bool RelayModuleSimulator::output(int address) const {
  std::lock_guard lock(mutex_);
  const auto it = outputs_.find(address);
  return it != outputs_.end() && it->second;
}

void RelayModuleSimulator::set_output(int address, bool on) {
  std::lock_guard lock(mutex_);
  outputs_[address] = on;
}

std::vector<std::pair<int, bool>> RelayModuleSimulator::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

}  // namespace emsgw::drivers::sim
