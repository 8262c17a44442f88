#pragma once
// A Modbus energy meter simulator: serves any preset's (or a custom) register map from a settable
// electrical state. Embed it in tests or the demo with drivers/modbus/sim's servers (TCP on an
// ephemeral port, RTU on a pty), or run the `emsgw-sim-meter` executable. CMake target: emsgw_meter_sim.
//
//   MeterSimulator meter(*find_meter_preset("eastron-sdm630"));
//   sim::ModbusTcpServer server(meter, {.port = 0});
//   int port = *server.start();
//   meter.set_phase_currents({10.0, -4.0, 0.0});   // signed: − = export; powers follow from the voltages
//
// Currents are served as magnitudes (what real meters print); the direction is in the powers.

#include <array>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "drivers/meters/meter_presets.hpp"
#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::drivers::sim {

struct MeterState {
  std::array<double, 3> current_a{0.0, 0.0, 0.0};  ///< signed: + import, − export
  double current_n_a = 0.0;
  std::array<double, 3> voltage_v{230.0, 230.0, 230.0};
  std::array<double, 3> power_w{0.0, 0.0, 0.0};  ///< signed
  double energy_import_kwh = 1234.5;
  double energy_export_kwh = 321.0;
};

enum class MeterFault {
  None,
  NanValues,        ///< float registers read NaN (integers read their maximum)
  IllegalAddress,   ///< every read answers exception 2
  IllegalFunction,  ///< every read answers exception 1
  Silent,           ///< no answer (the client times out)
};

class MeterSimulator final : public ModbusRequestHandler {
 public:
  explicit MeterSimulator(const MeterPreset& preset, int unit = 1);
  MeterSimulator(std::vector<MapEntry> map, int unit);

  ModbusReply handle(const ModbusRequest& request) override;

  void set_state(const MeterState& s);
  [[nodiscard]] MeterState state() const;
  /// Sets the phase currents (signed) and derives each phase power = U × I and the total.
  void set_phase_currents(const std::array<double, 3>& current_a);
  /// Adds energy as if `power_w` flowed for `seconds` (import when positive).
  void advance_energy(double seconds);
  void set_fault(MeterFault f);
  [[nodiscard]] std::uint64_t requests() const;

 private:
  [[nodiscard]] std::vector<std::uint16_t> encode_locked(const MapEntry& e) const;
  [[nodiscard]] double value_locked(Quantity q) const;

  std::vector<MapEntry> map_;
  int unit_;
  std::array<int, 5> lo_{};  ///< served window per function code (index 3, 4)
  std::array<int, 5> hi_{};
  mutable std::mutex mu_;
  MeterState state_;
  MeterFault fault_ = MeterFault::None;
  std::uint64_t requests_ = 0;
};

}  // namespace emsgw::drivers::sim
