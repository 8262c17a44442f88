#pragma once
// A SunSpec device simulator (inverter, optional meter and storage): serves the "SunS" marker and a
// model chain (protocols.md §4) from a settable state. Embed it with drivers/modbus/sim's servers or
// run `emsgw-sim-sunspec`. CMake target: emsgw_sunspec_sim.
//
//   SunspecSimulator pv({.float_models = false, .with_meter = true});
//   sim::ModbusTcpServer server(pv, {.port = 0});
//   pv.set_inverter({.ac_power_w = 4200, ...});

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::drivers::sim {

struct SunspecSimOptions {
  int base = 40000;  ///< where "SunS" sits: 40000, 0 or 50000
  int unit = 1;
  bool float_models = false;  ///< 113 (+ 213) instead of 103 (+ 203)
  bool with_meter = false;    ///< a grid meter model after the inverter
  bool with_storage = false;  ///< models 124 and 802
};

struct SunspecInverterState {
  double ac_power_w = 3000.0;
  std::array<double, 3> phase_current_a{4.35, 4.35, 4.35};
  std::array<double, 3> phase_voltage_v{230.0, 230.0, 230.0};
  double frequency_hz = 50.0;
  double energy_wh = 12345678.0;
  int state = 4;  ///< MPPT
  // Scale factors as the device would choose them (int+SF models).
  int a_sf = -2;
  int v_sf = -1;
  int w_sf = 0;
  int hz_sf = -2;
  int wh_sf = 0;
  bool energy_not_implemented = false;  ///< acc32 = 0 (§4.3: an unimplemented accumulator)
};

struct SunspecMeterState {
  std::array<double, 3> phase_power_w{1000.0, -500.0, 200.0};  ///< + import
  std::array<double, 3> phase_voltage_v{230.0, 230.0, 230.0};
  double import_wh = 5000000.0;
  double export_wh = 2000000.0;
};

class SunspecSimulator final : public ModbusRequestHandler {
 public:
  explicit SunspecSimulator(SunspecSimOptions options);
  ModbusReply handle(const ModbusRequest& request) override;

  void set_inverter(const SunspecInverterState& s);
  void set_meter(const SunspecMeterState& s);
  void set_soc_pct(double soc);
  [[nodiscard]] SunspecInverterState inverter() const;
  /// The register image from the marker on (for tests).
  [[nodiscard]] std::vector<std::uint16_t> image() const;
  [[nodiscard]] const SunspecSimOptions& options() const { return options_; }

 private:
  void rebuild_locked();
  SunspecSimOptions options_;
  mutable std::mutex mu_;
  SunspecInverterState inv_;
  SunspecMeterState meter_;
  double soc_pct_ = 55.0;
  std::vector<std::uint16_t> image_;
};

}  // namespace emsgw::drivers::sim
