#pragma once
// A Modbus I/O module with digital inputs (the kind wired to a grid operator's control box, e.g. a
// Waveshare or Eletechsup input board): inputs readable as discrete inputs (FC2). Every input
// starts open (0). Thread-safe: the server thread answers while tests switch contacts or make the
// module fail.

#include <atomic>
#include <mutex>
#include <vector>

#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::drivers::sim {

class IoModuleSimulator final : public ModbusRequestHandler {
 public:
  /// `inputs`: addresses 0 … inputs−1; `unit`: the module's unit id (others are not answered).
  explicit IoModuleSimulator(int inputs = 8, int unit = 1);

  ModbusReply handle(const ModbusRequest& request) override;

  /// Closes (true) or opens (false) the contact on an input.
  void set_input(int address, bool closed);
  [[nodiscard]] bool input(int address) const;
  /// FC2 reads answered so far.
  [[nodiscard]] int reads() const { return reads_.load(); }
  /// While true the module answers every request with exception 4 (server device failure).
  void set_failing(bool failing) { failing_ = failing; }

 private:
  const int unit_;
  mutable std::mutex mutex_;
  std::vector<bool> inputs_;
  std::atomic<int> reads_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace emsgw::drivers::sim
