#include "drivers/io/sim/io_module_sim.hpp"

namespace emsgw::drivers::sim {

IoModuleSimulator::IoModuleSimulator(int inputs, int unit)
    : unit_(unit), inputs_(static_cast<std::size_t>(inputs > 0 ? inputs : 1), false) {}

ModbusReply IoModuleSimulator::handle(const ModbusRequest& request) {
  if (request.unit != unit_) return ModbusReply::silence();
  if (failing_) return ModbusReply::exception(kServerDeviceFailure);
  if (request.function != 2) return ModbusReply::exception(kIllegalFunction);
  std::lock_guard lock(mutex_);
  if (request.address < 0 || request.address + request.count > static_cast<int>(inputs_.size()))
    return ModbusReply::exception(kIllegalDataAddress);
  std::vector<std::uint16_t> out;
  for (int i = 0; i < request.count; ++i) out.push_back(inputs_[static_cast<std::size_t>(request.address + i)] ? 1 : 0);
  ++reads_;
  return ModbusReply::registers_reply(std::move(out));
}

void IoModuleSimulator::set_input(int address, bool closed) {
  std::lock_guard lock(mutex_);
  if (address >= 0 && address < static_cast<int>(inputs_.size())) inputs_[static_cast<std::size_t>(address)] = closed;
}

bool IoModuleSimulator::input(int address) const {
  std::lock_guard lock(mutex_);
  return address >= 0 && address < static_cast<int>(inputs_.size()) && inputs_[static_cast<std::size_t>(address)];
}

}  // namespace emsgw::drivers::sim
