#pragma once
// A Modbus I/O relay module (the kind installers wire to a heat pump's SG-Ready contacts, e.g. a
// Waveshare or Eletechsup 8-channel board): outputs readable and writable as coils (FC1/FC5) or as
// holding registers with the value 0/1 (FC3/FC6/FC16). Every output starts off. Thread-safe: the
// server thread answers while tests read the outputs or make the module fail.

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::drivers::sim {

class RelayModuleSimulator final : public ModbusRequestHandler {
 public:
  /// `outputs`: addresses 0 … outputs−1; `unit`: the module's unit id (others are not answered).
  explicit RelayModuleSimulator(int outputs = 8, int unit = 1);

  ModbusReply handle(const ModbusRequest& request) override;

  [[nodiscard]] bool output(int address) const;
  /// Sets an output as if someone switched it by hand (or another master wrote it).
  void set_output(int address, bool on);
  /// Every write in order: (address, on).
  [[nodiscard]] std::vector<std::pair<int, bool>> writes() const;
  /// While true the module answers every request with exception 4 (server device failure).
  void set_failing(bool failing) { failing_ = failing; }

 private:
  const int count_;
  const int unit_;
  mutable std::mutex mutex_;
  std::map<int, bool> outputs_;
  std::vector<std::pair<int, bool>> writes_;
  std::atomic<bool> failing_{false};
};

}  // namespace emsgw::drivers::sim
