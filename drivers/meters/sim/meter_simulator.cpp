#include "drivers/meters/sim/meter_simulator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace emsgw::drivers::sim {

MeterSimulator::MeterSimulator(const MeterPreset& preset, int unit) : MeterSimulator(preset.map, unit) {}

MeterSimulator::MeterSimulator(std::vector<MapEntry> map, int unit) : map_(std::move(map)), unit_(unit) {
  lo_.fill(std::numeric_limits<int>::max());
  hi_.fill(0);
  for (const auto& e : map_) {
    const auto f = static_cast<std::size_t>(e.reg.function == 3 ? 3 : 4);
    lo_[f] = std::min(lo_[f], e.reg.address);
    hi_[f] = std::max(hi_[f], e.reg.address + register_count(e.reg.type));
  }
  set_phase_currents({0.0, 0.0, 0.0});
}

double MeterSimulator::value_locked(Quantity q) const {
  const auto& s = state_;
  switch (q) {
    case Quantity::CurrentL1: return std::fabs(s.current_a[0]);
    case Quantity::CurrentL2: return std::fabs(s.current_a[1]);
    case Quantity::CurrentL3: return std::fabs(s.current_a[2]);
    case Quantity::CurrentN: return s.current_n_a;
    case Quantity::PowerL1: return s.power_w[0];
    case Quantity::PowerL2: return s.power_w[1];
    case Quantity::PowerL3: return s.power_w[2];
    case Quantity::PowerTotal: {
      // A single-phase map's total is its phase-1 power.
      bool three = false;
      for (const auto& e : map_)
        if (e.quantity == Quantity::PowerL2) three = true;
      return three ? s.power_w[0] + s.power_w[1] + s.power_w[2] : s.power_w[0];
    }
    case Quantity::VoltageL1: return s.voltage_v[0];
    case Quantity::VoltageL2: return s.voltage_v[1];
    case Quantity::VoltageL3: return s.voltage_v[2];
    case Quantity::EnergyImport: return s.energy_import_kwh;
    case Quantity::EnergyExport: return s.energy_export_kwh;
  }
  return 0.0;
}

std::vector<std::uint16_t> MeterSimulator::encode_locked(const MapEntry& e) const {
  if (fault_ == MeterFault::NanValues) return encode(std::nan(""), e.reg.type, e.reg.order);
  return encode(value_locked(e.quantity) / e.reg.scale, e.reg.type, e.reg.order);
}

ModbusReply MeterSimulator::handle(const ModbusRequest& r) {
  std::lock_guard lock(mu_);
  ++requests_;
  if (r.unit != unit_ && r.unit != 0) return ModbusReply::silence();
  switch (fault_) {
    case MeterFault::Silent: return ModbusReply::silence();
    case MeterFault::IllegalAddress: return ModbusReply::exception(kIllegalDataAddress);
    case MeterFault::IllegalFunction: return ModbusReply::exception(kIllegalFunction);
    default: break;
  }
  if (r.function != 3 && r.function != 4) return ModbusReply::exception(kIllegalFunction);
  const auto f = static_cast<std::size_t>(r.function);
  if (lo_[f] > hi_[f]) return ModbusReply::exception(kIllegalFunction);  // no register of that type
  if (r.address < lo_[f] || r.address + r.count > hi_[f]) return ModbusReply::exception(kIllegalDataAddress);
  std::vector<std::uint16_t> regs(static_cast<std::size_t>(r.count), 0);
  for (const auto& e : map_) {
    if (e.reg.function != r.function) continue;
    const auto words = encode_locked(e);
    for (std::size_t i = 0; i < words.size(); ++i) {
      const int a = e.reg.address + static_cast<int>(i);
      if (a >= r.address && a < r.address + r.count) regs[static_cast<std::size_t>(a - r.address)] = words[i];
    }
  }
  return ModbusReply::registers_reply(std::move(regs));
}

void MeterSimulator::set_state(const MeterState& s) {
  std::lock_guard lock(mu_);
  state_ = s;
}

MeterState MeterSimulator::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void MeterSimulator::set_phase_currents(const std::array<double, 3>& current_a) {
  std::lock_guard lock(mu_);
  state_.current_a = current_a;
  for (std::size_t i = 0; i < 3; ++i) state_.power_w[i] = current_a[i] * state_.voltage_v[i];
}

void MeterSimulator::advance_energy(double seconds) {
  std::lock_guard lock(mu_);
  const double p = state_.power_w[0] + state_.power_w[1] + state_.power_w[2];
  const double kwh = std::fabs(p) * seconds / 3.6e6;
  (p >= 0 ? state_.energy_import_kwh : state_.energy_export_kwh) += kwh;
}

void MeterSimulator::set_fault(MeterFault f) {
  std::lock_guard lock(mu_);
  fault_ = f;
}

std::uint64_t MeterSimulator::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

}  // namespace emsgw::drivers::sim
