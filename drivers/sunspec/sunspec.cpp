#include "drivers/sunspec/sunspec.hpp"

#include <cmath>

#include "drivers/modbus/register_codec.hpp"

namespace emsgw::drivers {

namespace {
MeterError from_modbus(const ModbusError& e, const std::string& what) {
  MeterError m;
  m.kind = e.kind == ModbusErrorKind::Timeout     ? MeterError::Kind::Timeout
           : e.kind == ModbusErrorKind::Exception ? MeterError::Kind::Protocol
                                                  : MeterError::Kind::Io;
  m.transient = e.transient();
  m.message = what + ": " + e.describe();
  return m;
}
}  // namespace

const SunspecModel* SunspecDevice::find(std::initializer_list<int> ids) const {
  for (const auto& m : models)
    for (int id : ids)
      if (m.id == id) return &m;
  return nullptr;
}

Result<SunspecDevice, MeterError> sunspec_discover(ModbusTransport& bus, int unit) {
  std::optional<ModbusError> last_error;
  for (int base : {40000, 0, 50000}) {
    auto marker = bus.read_holding(unit, base, 2);
    if (!marker) {
      if (marker.error().transient() && marker.error().kind != ModbusErrorKind::Exception)
        return Unexpected(from_modbus(marker.error(), "SunSpec marker at " + std::to_string(base)));
      last_error = marker.error();
      continue;
    }
    if ((*marker)[0] != kSunsHigh || (*marker)[1] != kSunsLow) continue;
    SunspecDevice dev;
    dev.base = base;
    int addr = base + 2;
    for (int guard = 0; guard < 256; ++guard) {
      // ID and L are read separately: some devices do not supply L for the end model (§4.1).
      auto id = bus.read_holding(unit, addr, 1);
      if (!id) return Unexpected(from_modbus(id.error(), "SunSpec model id at " + std::to_string(addr)));
      if ((*id)[0] == kSunspecEndModel) return dev;
      auto len = bus.read_holding(unit, addr + 1, 1);
      if (!len) return Unexpected(from_modbus(len.error(), "SunSpec model length at " + std::to_string(addr + 1)));
      dev.models.push_back({(*id)[0], addr, (*len)[0]});
      addr += 2 + (*len)[0];
      if (addr > 0xFFFF) break;
    }
    return Unexpected(MeterError{MeterError::Kind::Protocol, false, "SunSpec model chain does not end"});
  }
  return Unexpected(MeterError{MeterError::Kind::NoData, false,
                               "no SunSpec marker \"SunS\" at 40000, 0 or 50000" +
                                   (last_error ? " (" + last_error->describe() + ")" : std::string())});
}

Result<std::vector<std::uint16_t>, MeterError> sunspec_read_model(ModbusTransport& bus, int unit,
                                                                  const SunspecModel& m) {
  std::vector<std::uint16_t> out;
  const int total = m.length + 2;
  for (int off = 0; off < total; off += 125) {
    const int n = std::min(125, total - off);
    auto regs = bus.read_holding(unit, m.address + off, n);
    if (!regs) return Unexpected(from_modbus(regs.error(), "SunSpec model " + std::to_string(m.id)));
    out.insert(out.end(), regs->begin(), regs->end());
  }
  return out;
}

Measurement sunspec_value(std::span<const std::uint16_t> model, int offset, SunspecType type,
                          std::optional<int> sf_offset) {
  const auto at = [&](int o) { return model[static_cast<std::size_t>(o)]; };
  const int width = type == SunspecType::Acc32 || type == SunspecType::Uint32 || type == SunspecType::Float32 ? 2 : 1;
  if (offset < 0 || offset + width > static_cast<int>(model.size())) return {};
  double raw = 0.0;
  switch (type) {
    case SunspecType::Int16:
      if (at(offset) == 0x8000) return Measurement::invalid(Invalid::NotImplemented);
      raw = static_cast<double>(static_cast<std::int16_t>(at(offset)));
      break;
    case SunspecType::Uint16:
      if (at(offset) == 0xFFFF) return Measurement::invalid(Invalid::NotImplemented);
      raw = at(offset);
      break;
    case SunspecType::Acc32: {
      const std::uint32_t v = (static_cast<std::uint32_t>(at(offset)) << 16) | at(offset + 1);
      if (v == 0) return Measurement::invalid(Invalid::NotImplemented);  // acc sentinel is 0 (§4.3)
      raw = v;
      break;
    }
    case SunspecType::Uint32: {
      const std::uint32_t v = (static_cast<std::uint32_t>(at(offset)) << 16) | at(offset + 1);
      if (v == 0xFFFFFFFFU) return Measurement::invalid(Invalid::NotImplemented);
      raw = v;
      break;
    }
    case SunspecType::Float32: {
      const std::array<std::uint16_t, 2> w{at(offset), at(offset + 1)};
      const float f = decode_float32(std::span<const std::uint16_t, 2>(w));
      if (std::isnan(f)) return Measurement::invalid(Invalid::NotImplemented);
      if (!std::isfinite(f)) return Measurement::invalid(Invalid::NotANumber);
      return Measurement::of(static_cast<double>(f));
    }
  }
  if (!sf_offset) return Measurement::of(raw);
  if (*sf_offset >= static_cast<int>(model.size())) return {};
  const auto sf_raw = at(*sf_offset);
  if (sf_raw == 0x8000) return Measurement::invalid(Invalid::NotImplemented);
  const int sf = static_cast<std::int16_t>(sf_raw);
  if (sf < -10 || sf > 10) return Measurement::invalid(Invalid::OutOfRange);  // SunSpec: −10 … 10
  return Measurement::of(raw * std::pow(10.0, sf));
}

namespace {
using T = SunspecType;

Measurement check(Quantity q, const Measurement& m) {
  return m.valid() ? checked(q, *m.value()) : m;
}
}  // namespace

InverterReading decode_sunspec_inverter(std::span<const std::uint16_t> model) {
  InverterReading r;
  if (model.empty()) return r;
  const int id = model[0];
  const bool flt = id >= 111 && id <= 113;
  static constexpr std::array<Quantity, 3> kI{Quantity::CurrentL1, Quantity::CurrentL2, Quantity::CurrentL3};
  static constexpr std::array<Quantity, 3> kU{Quantity::VoltageL1, Quantity::VoltageL2, Quantity::VoltageL3};
  if (flt) {
    r.ac_current_a = check(Quantity::CurrentN, sunspec_value(model, 2, T::Float32, {}));
    for (int i = 0; i < 3; ++i) {
      r.phase_current_a[static_cast<std::size_t>(i)] =
          check(kI[static_cast<std::size_t>(i)], sunspec_value(model, 4 + 2 * i, T::Float32, {}));
      r.phase_voltage_v[static_cast<std::size_t>(i)] =
          check(kU[static_cast<std::size_t>(i)], sunspec_value(model, 16 + 2 * i, T::Float32, {}));
    }
    r.ac_power_w = check(Quantity::PowerTotal, sunspec_value(model, 22, T::Float32, {}));
    r.frequency_hz = sunspec_value(model, 24, T::Float32, {});
    r.energy_wh = check(Quantity::EnergyExport, sunspec_value(model, 32, T::Float32, {}));
    if (model.size() > 48 && model[48] != 0xFFFF) r.state = model[48];
  } else {
    r.ac_current_a = check(Quantity::CurrentN, sunspec_value(model, 2, T::Uint16, 6));
    for (int i = 0; i < 3; ++i) {
      r.phase_current_a[static_cast<std::size_t>(i)] =
          check(kI[static_cast<std::size_t>(i)], sunspec_value(model, 3 + i, T::Uint16, 6));
      r.phase_voltage_v[static_cast<std::size_t>(i)] =
          check(kU[static_cast<std::size_t>(i)], sunspec_value(model, 10 + i, T::Uint16, 13));
    }
    r.ac_power_w = check(Quantity::PowerTotal, sunspec_value(model, 14, T::Int16, 15));
    r.frequency_hz = sunspec_value(model, 16, T::Uint16, 17);
    r.energy_wh = check(Quantity::EnergyExport, sunspec_value(model, 24, T::Acc32, 26));
    if (model.size() > 38 && model[38] != 0xFFFF) r.state = model[38];
  }
  return r;
}

MeterReading decode_sunspec_meter(std::span<const std::uint16_t> model) {
  MeterReading r;
  if (model.empty()) return r;
  const int id = model[0];
  const bool flt = id >= 211 && id <= 214;
  static constexpr std::array<Quantity, 3> kI{Quantity::CurrentL1, Quantity::CurrentL2, Quantity::CurrentL3};
  static constexpr std::array<Quantity, 3> kU{Quantity::VoltageL1, Quantity::VoltageL2, Quantity::VoltageL3};
  static constexpr std::array<Quantity, 3> kP{Quantity::PowerL1, Quantity::PowerL2, Quantity::PowerL3};
  auto put = [&r](Quantity q, const Measurement& m) { set_quantity(r, q, check(q, m)); };
  if (flt) {
    for (int i = 0; i < 3; ++i) {
      const auto k = static_cast<std::size_t>(i);
      put(kI[k], sunspec_value(model, 4 + 2 * i, T::Float32, {}));
      put(kU[k], sunspec_value(model, 12 + 2 * i, T::Float32, {}));
      put(kP[k], sunspec_value(model, 30 + 2 * i, T::Float32, {}));
    }
    put(Quantity::PowerTotal, sunspec_value(model, 28, T::Float32, {}));
    put(Quantity::EnergyExport, sunspec_value(model, 60, T::Float32, {}));
    put(Quantity::EnergyImport, sunspec_value(model, 68, T::Float32, {}));
  } else {
    for (int i = 0; i < 3; ++i) {
      const auto k = static_cast<std::size_t>(i);
      put(kI[k], sunspec_value(model, 3 + i, T::Int16, 6));
      put(kU[k], sunspec_value(model, 8 + i, T::Int16, 15));
      put(kP[k], sunspec_value(model, 19 + i, T::Int16, 22));
    }
    put(Quantity::PowerTotal, sunspec_value(model, 18, T::Int16, 22));
    put(Quantity::EnergyExport, sunspec_value(model, 38, T::Acc32, 54));
    put(Quantity::EnergyImport, sunspec_value(model, 46, T::Acc32, 54));
  }
  sign_currents_from_power(r);
  return r;
}

StorageReading decode_sunspec_storage(std::span<const std::uint16_t> model) {
  StorageReading r;
  if (model.empty()) return r;
  auto pct = [](const Measurement& m) {
    if (!m.valid()) return m;
    return *m.value() < 0.0 || *m.value() > 100.0 ? Measurement::invalid(Invalid::OutOfRange) : m;
  };
  if (model[0] == 124) {
    r.soc_pct = pct(sunspec_value(model, 8, T::Uint16, 22));
    if (model.size() > 11 && model[11] != 0xFFFF) r.charge_state = model[11];
  } else if (model[0] == 802) {
    r.soc_pct = pct(sunspec_value(model, 11, T::Uint16, 56));
    r.power_w = check(Quantity::PowerTotal, sunspec_value(model, 47, T::Int16, 63));
    if (model.size() > 16 && model[16] != 0xFFFF) r.charge_state = model[16];
  }
  return r;
}

Result<MeterReading, MeterError> SunspecMeter::read_meter(const SunspecModel& m) {
  const auto mono = clock_.mono_now();
  const auto wall = clock_.wall_now();
  auto regs = sunspec_read_model(bus_, unit_, m);
  if (!regs) {
    device_.reset();
    return Unexpected(regs.error());
  }
  auto r = decode_sunspec_meter(*regs);
  r.mono = mono;
  r.wall = wall;
  return r;
}

Result<MeterReading, MeterError> SunspecMeter::read_inverter(const SunspecModel& m) {
  const auto mono = clock_.mono_now();
  const auto wall = clock_.wall_now();
  auto regs = sunspec_read_model(bus_, unit_, m);
  if (!regs) {
    device_.reset();
    return Unexpected(regs.error());
  }
  inverter_ = decode_sunspec_inverter(*regs);
  MeterReading r;
  r.sign = PowerSign::ProductionPositive;
  r.mono = mono;
  r.wall = wall;
  auto count = [&r](Measurement v) {
    if (!v.valid() && v.why() != Invalid::Missing) ++r.rejected;
    return v;
  };
  r.power_total_w = count(inverter_->ac_power_w);
  r.current_a = inverter_->phase_current_a;
  r.voltage_v = inverter_->phase_voltage_v;
  r.energy_export_wh = count(inverter_->energy_wh);
  return r;
}

Result<MeterReading, MeterError> SunspecMeter::poll() {
  if (!device_) {
    auto d = sunspec_discover(bus_, unit_);
    if (!d) return Unexpected(d.error());
    device_ = std::move(*d);
  }
  const auto* meter = device_->find({201, 202, 203, 204, 211, 212, 213, 214});
  const auto* inverter = device_->find({101, 102, 103, 111, 112, 113});
  Result<MeterReading, MeterError> r =
      Unexpected(MeterError{MeterError::Kind::NoData, false, "SunSpec device has no inverter or meter model"});
  if (role_ == SunspecRole::Inverter && inverter != nullptr)
    r = read_inverter(*inverter);
  else if (meter != nullptr)
    r = read_meter(*meter);
  else if (inverter != nullptr)
    r = read_inverter(*inverter);
  if (r) energy_.apply(*r);
  return r;
}

std::string SunspecMeter::describe() const {
  std::string s = "SunSpec device at " + bus_.endpoint() + " unit " + std::to_string(unit_);
  if (device_) {
    s += " (models";
    for (const auto& m : device_->models) s += " " + std::to_string(m.id);
    s += ")";
  }
  return s;
}

}  // namespace emsgw::drivers
