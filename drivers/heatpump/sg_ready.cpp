#include "drivers/heatpump/sg_ready.hpp"

namespace emsgw::drivers {

std::string_view to_string(SgReadyState s) {
  switch (s) {
    case SgReadyState::Blocked: return "blocked";
    case SgReadyState::Normal: return "normal";
    case SgReadyState::Recommended: return "recommended";
    case SgReadyState::Forced: return "forced";
  }
  return "?";
}

std::optional<SgReadyState> parse_sg_ready_state(std::string_view s) {
  for (auto st : {SgReadyState::Blocked, SgReadyState::Normal, SgReadyState::Recommended, SgReadyState::Forced})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

SgReadyOutputs sg_ready_outputs(SgReadyState s) {
  switch (s) {
    case SgReadyState::Blocked: return {true, false};
    case SgReadyState::Normal: return {false, false};
    case SgReadyState::Recommended: return {false, true};
    case SgReadyState::Forced: return {true, true};
  }
  return {false, false};
}

SgReadyState sg_ready_state(SgReadyOutputs o) {
  if (o.out1) return o.out2 ? SgReadyState::Forced : SgReadyState::Blocked;
  return o.out2 ? SgReadyState::Recommended : SgReadyState::Normal;
}

SgReadyController::SgReadyController(ModbusTransport& bus, const ems::Clock& clock, SgReadySettings settings,
                                     ems::Millis min_switch_interval)
    : bus_(bus), clock_(clock), settings_(std::move(settings)), min_switch_(min_switch_interval) {}

Result<void, MeterError> SgReadyController::write(int address, bool on) {
  auto r = settings_.use_coils ? bus_.write_coil(settings_.unit, address, on)
                               : bus_.write_single(settings_.unit, address, on ? 1 : 0);
  if (!r)
    return Unexpected(MeterError{MeterError::Kind::Io, r.error().transient(),
                                 "SG-Ready output " + std::to_string(address) + ": " + r.error().describe()});
  return {};
}

Result<SgReadyOutcome, MeterError> SgReadyController::request(SgReadyState s) {
  if (current_ == s) return SgReadyOutcome::Unchanged;
  const auto now = clock_.mono_now();
  const bool reducing = s == SgReadyState::Blocked || s == SgReadyState::Normal;
  if (!reducing && last_change_ && now - *last_change_ < min_switch_) return SgReadyOutcome::Held;
  const auto want = sg_ready_outputs(s);
  const std::array<std::pair<int, bool>, 2> outs{
      {{settings_.output1_address, want.out1}, {settings_.output2_address, want.out2}}};
  // Off before on: e.g. Blocked (1:0) → Recommended (0:1) passes through Normal, never Forced.
  for (bool phase_on : {false, true})
    for (const auto& [addr, on] : outs)
      if (on == phase_on) {
        auto w = write(addr, on);
        if (!w) {
          current_.reset();  // unknown now: the next request writes both outputs again
          return Unexpected(w.error());
        }
      }
  current_ = s;
  last_change_ = now;
  return SgReadyOutcome::Applied;
}

Result<SgReadyState, MeterError> SgReadyController::read_back() {
  auto one = [this](int address) -> Result<bool, MeterError> {
    if (settings_.use_coils) {
      auto c = bus_.read_coils(settings_.unit, address, 1);
      if (!c) return Unexpected(MeterError{MeterError::Kind::Io, c.error().transient(), c.error().describe()});
      return static_cast<bool>((*c)[0]);
    }
    auto h = bus_.read_holding(settings_.unit, address, 1);
    if (!h) return Unexpected(MeterError{MeterError::Kind::Io, h.error().transient(), h.error().describe()});
    return (*h)[0] != 0;
  };
  auto a = one(settings_.output1_address);
  if (!a) return Unexpected(a.error());
  auto b = one(settings_.output2_address);
  if (!b) return Unexpected(b.error());
  // What the outputs show is what is in force, whoever switched them: a later request that differs
  // from it writes them again.
  current_ = sg_ready_state({*a, *b});
  return *current_;
}

Result<HeatPumpReading, MeterError> HeatPump::poll() {
  auto m = meter_.poll();
  if (!m) return Unexpected(m.error());
  HeatPumpReading r{std::move(*m), std::nullopt};
  if (sg_ready_ != nullptr) r.sg_ready = sg_ready_->last_applied();
  return r;
}

}  // namespace emsgw::drivers
