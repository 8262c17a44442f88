#include "drivers/meters/modbus_meter.hpp"

#include <cmath>

namespace emsgw::drivers {

ModbusMeter::ModbusMeter(ModbusTransport& transport, const ems::Clock& clock, ModbusMeterOptions options)
    : transport_(transport), clock_(clock), options_(std::move(options)) {
  plan_ = plan_reads(options_.map, options_.limits);
}

std::string ModbusMeter::describe() const {
  return "Modbus meter at " + transport_.endpoint() + " unit " + std::to_string(options_.unit) + " (" +
         std::to_string(plan_.size()) + " requests per poll)";
}

Result<MeterReading, MeterError> ModbusMeter::poll() {
  ++stats_.polls;
  last_.assign(plan_.size(), {});
  errors_.clear();
  const auto mono = clock_.mono_now();
  const auto wall = clock_.wall_now();
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    const auto& b = plan_[i];
    auto regs = b.function == 3 ? transport_.read_holding(options_.unit, b.address, b.count)
                                : transport_.read_input(options_.unit, b.address, b.count);
    if (!regs) {
      errors_.push_back(regs.error());
      ++stats_.failures;
      const auto& e = regs.error();
      MeterError err;
      err.kind = e.kind == ModbusErrorKind::Timeout     ? MeterError::Kind::Timeout
                 : e.kind == ModbusErrorKind::Exception ? MeterError::Kind::Protocol
                                                        : MeterError::Kind::Io;
      err.transient = e.transient();
      err.message = "FC" + std::to_string(b.function) + " " + std::to_string(b.address) + "+" +
                    std::to_string(b.count) + ": " + e.describe();
      return Unexpected(std::move(err));
    }
    if (static_cast<int>(regs->size()) != b.count) {
      ++stats_.failures;
      return Unexpected(MeterError{MeterError::Kind::Protocol, true, "short reply"});
    }
    last_[i] = std::move(*regs);
  }
  MeterReading r = decode_map(options_.map, plan_, last_);
  r.mono = mono;
  r.wall = wall;
  if (options_.currents_from_power_sign) sign_currents_from_power(r);
  if (options_.invert) invert_direction(r);
  if (previous_) check_monotonic_energy(r, *previous_);
  stats_.rejected_values += static_cast<std::uint64_t>(r.rejected);
  previous_ = r;
  return r;
}

namespace {
bool voltage_quantity(Quantity q) {
  return q == Quantity::VoltageL1 || q == Quantity::VoltageL2 || q == Quantity::VoltageL3;
}
}  // namespace

std::vector<std::string> modbus_meter_hints(const ModbusMeter& meter, const MeterReading* reading) {
  std::vector<std::string> hints;
  for (const auto& e : meter.last_errors()) {
    if (e.kind == ModbusErrorKind::Exception && e.exception_code == kIllegalFunction)
      hints.push_back(
          "the meter refuses the function code: try function = 3 (holding) instead of 4 (input), or the reverse");
    if (e.kind == ModbusErrorKind::Exception && e.exception_code == kIllegalDataAddress)
      hints.push_back(
          "the meter has no such register: addresses are 0-based (manual 30001/40001 → 0); check the function code "
          "and the preset");
    if (e.kind == ModbusErrorKind::Timeout)
      hints.push_back("no answer: check unit id, baud rate, parity and wiring (RS-485 A/B), or host and port");
    if (e.kind == ModbusErrorKind::BadReply && e.message.find("reply from unit") != std::string::npos)
      hints.push_back(
          "another unit id answered: check the meter's address and that no two devices on the RS-485 bus share one");
    if (e.kind == ModbusErrorKind::BadReply && e.message.find("CRC") != std::string::npos)
      hints.push_back(
          "replies fail their CRC: an RS-485-to-Ethernet converter in Modbus TCP gateway mode needs framing = "
          "\"tcp\", one in transparent mode framing = \"rtu\"");
    if (e.kind == ModbusErrorKind::NotConnected || e.kind == ModbusErrorKind::ConnectionLost)
      hints.push_back("no connection: check host, port and that the device accepts another Modbus master");
  }
  if (reading == nullptr) return hints;
  const auto& plan = meter.plan();
  const auto& regs = meter.last_registers();
  bool all_zero = true;
  for (const auto& block : regs)
    for (auto w : block)
      if (w != 0) all_zero = false;
  if (all_zero && !regs.empty())
    hints.push_back("every register reads 0: wrong function code (3 vs 4), wrong unit id, or a meter without load");
  bool order_hinted = false;
  bool scale_hinted = false;
  for (const auto& e : meter.options().map) {
    const auto& m = get_quantity(*reading, e.quantity);
    const int n = register_count(e.reg.type);
    std::span<const std::uint16_t> raw;
    for (std::size_t i = 0; i < plan.size() && i < regs.size(); ++i)
      if (plan[i].contains(e.reg.function, e.reg.address, n) && !regs[i].empty())
        raw = std::span<const std::uint16_t>(regs[i].data() + (e.reg.address - plan[i].address),
                                             static_cast<std::size_t>(n));
    if (raw.empty()) continue;
    if (!m.valid() && n > 1 && !order_hinted) {
      const auto other = e.reg.order == WordOrder::HighFirst ? WordOrder::LowFirst : WordOrder::HighFirst;
      double v = decode(raw, e.reg.type, other) * e.reg.scale;
      if (e.quantity == Quantity::EnergyImport || e.quantity == Quantity::EnergyExport) v *= 1000.0;
      if (checked(e.quantity, v).valid()) {
        hints.push_back(std::string(to_string(e.quantity)) + " makes sense with word order " +
                        std::string(to_string(other)) + ": try word_order = \"" + std::string(to_string(other)) + "\"");
        order_hinted = true;
      }
    }
    if (voltage_quantity(e.quantity) && !scale_hinted) {
      const double v = decode(raw, e.reg.type, e.reg.order) * e.reg.scale;
      for (double f : {0.001, 0.01, 0.1, 10.0, 100.0, 1000.0}) {
        const double u = v * f;
        if (std::isfinite(v) && (v < 150.0 || v > 300.0) && u >= 180.0 && u <= 260.0) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "%s reads %.6g V: the scale looks off by ×%g (wrong unit or scale factor)",
                        std::string(to_string(e.quantity)).c_str(), v, f);
          hints.push_back(buf);
          scale_hinted = true;
          break;
        }
      }
    }
  }
  if (!reading->current_signed)
    hints.push_back("currents are magnitudes without per-phase power: their direction is unknown");
  return hints;
}

}  // namespace emsgw::drivers
