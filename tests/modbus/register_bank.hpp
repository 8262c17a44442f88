#pragma once
// A tiny in-memory Modbus device for transport and server tests: registers per (unit, address),
// answering exception 2 for undefined addresses and 11 for unknown units.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::test {

class RegisterBank final : public drivers::sim::ModbusRequestHandler {
 public:
  using Reply = drivers::sim::ModbusReply;
  void set(int unit, int address, std::uint16_t v) {
    std::lock_guard lock(mu_);
    regs_[{unit, address}] = v;
    units_.insert(unit);
  }
  std::uint16_t get(int unit, int address) {
    std::lock_guard lock(mu_);
    return regs_[{unit, address}];
  }
  Reply handle(const drivers::sim::ModbusRequest& r) override {
    std::lock_guard lock(mu_);
    last_ = r;
    if (silent_) return Reply::silence();
    if (units_.count(r.unit) == 0) return Reply::exception(drivers::kGatewayTargetFailed);
    auto defined = [&](int a) { return regs_.count({r.unit, a}) != 0; };
    for (int a = r.address; a < r.address + r.count; ++a)
      if (!defined(a)) return Reply::exception(drivers::kIllegalDataAddress);
    if (r.function == 3 || r.function == 4) {
      std::vector<std::uint16_t> out;
      for (int a = r.address; a < r.address + r.count; ++a) out.push_back(regs_[{r.unit, a}]);
      return Reply::registers_reply(out);
    }
    if (r.function == 6 || r.function == 16) {
      for (int i = 0; i < r.count; ++i) regs_[{r.unit, r.address + i}] = r.values[static_cast<std::size_t>(i)];
      return Reply::ok();
    }
    return Reply::exception(drivers::kIllegalFunction);
  }
  void set_silent(bool s) {
    std::lock_guard lock(mu_);
    silent_ = s;
  }
  drivers::sim::ModbusRequest last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  std::map<std::pair<int, int>, std::uint16_t> regs_;
  std::set<int> units_;
  bool silent_ = false;
  drivers::sim::ModbusRequest last_;
};

}  // namespace emsgw::test
