#pragma once
// SG-Ready control of a heat pump through two outputs (protocols.md §5.1): coils (FC5) or holding
// registers (FC6, 0/1) of a Modbus relay module or of the heat pump itself.
//
//   State 1 Blocked      out1:out2 = 1:0   (utility lock, at most 2 h)
//   State 2 Normal                   0:0
//   State 3 Recommended              0:1   (increased operation)
//   State 4 Forced                   1:1   (definitive start)
//
// Which physical contact is "first" differs by manufacturer (§5.1): swap output addresses in the
// settings when the heat pump labels them the other way.

#include <optional>
#include <string_view>

#include "drivers/meters/meter_reading.hpp"
#include "drivers/meters/meter_settings.hpp"
#include "drivers/modbus/modbus_transport.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

enum class SgReadyState { Blocked = 1, Normal = 2, Recommended = 3, Forced = 4 };
[[nodiscard]] std::string_view to_string(SgReadyState s);
[[nodiscard]] std::optional<SgReadyState> parse_sg_ready_state(std::string_view s);  ///< "blocked", "normal", …

struct SgReadyOutputs {
  bool out1 = false;
  bool out2 = false;
  bool operator==(const SgReadyOutputs&) const = default;
};
[[nodiscard]] SgReadyOutputs sg_ready_outputs(SgReadyState s);
[[nodiscard]] SgReadyState sg_ready_state(SgReadyOutputs o);

enum class SgReadyOutcome { Applied, Unchanged, Held };

class SgReadyController {
 public:
  /// min_switch_interval: the least time between two changes (OpenEMS default 60 s, protocols.md §5.1).
  /// A change towards Blocked or Normal is never held back (reducing load is always allowed).
  SgReadyController(ModbusTransport& bus, const ems::Clock& clock, SgReadySettings settings,
                    ems::Millis min_switch_interval = ems::Millis{60000});

  /// Writes the outputs for `s`. Outputs that switch off are written before those that switch on,
  /// so no transition passes through Forced. Unchanged: already in `s`; Held: too soon after the
  /// last change.
  Result<SgReadyOutcome, MeterError> request(SgReadyState s);
  /// Reads the outputs back (coils FC1, registers FC3); the state read becomes the one in force.
  Result<SgReadyState, MeterError> read_back();
  [[nodiscard]] std::optional<SgReadyState> last_applied() const { return current_; }

 private:
  Result<void, MeterError> write(int address, bool on);
  ModbusTransport& bus_;
  const ems::Clock& clock_;
  SgReadySettings settings_;
  ems::Millis min_switch_;
  std::optional<SgReadyState> current_;
  std::optional<ems::MonoTime> last_change_;
};

/// What the EMS knows of a heat pump: its electrical power from a meter input, and its SG-Ready state.
struct HeatPumpReading {
  MeterReading meter;
  std::optional<SgReadyState> sg_ready;
};

class HeatPump {
 public:
  /// `sg_ready` may be nullptr (a heat pump that is only measured).
  HeatPump(EnergyMeter& meter, SgReadyController* sg_ready) : meter_(meter), sg_ready_(sg_ready) {}
  Result<HeatPumpReading, MeterError> poll();
  SgReadyController* sg_ready() { return sg_ready_; }

 private:
  EnergyMeter& meter_;
  SgReadyController* sg_ready_;
};

}  // namespace emsgw::drivers
