#pragma once
// A whole site on loopback, made of the project's simulators: a grid meter (Eastron SDM630 map),
// Alfen stations, and optionally a SunSpec PV inverter. A physics thread keeps the grid meter
// honest: grid current per phase = household load + every station's EV currents (through each
// socket's wiring) − PV production. `emsgw demo` and the integration tests run emsgw against it.

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/alfen/sim/alfen_station_sim.hpp"
#include "drivers/meters/sim/meter_simulator.hpp"
#include "drivers/sunspec/sim/sunspec_simulator.hpp"
#include "ems/phase.hpp"

namespace emsgw::gateway {

struct SimSocketSpec {
  int id = 0;
  double max_current_a = 16;
  double safe_current_a = 6;
  std::string phase_mapping = "L1L2L3";
  std::string mode = "now";
};

struct SimStationSpec {
  std::string name;
  double max_current_a = 32;
  double validity_s = 60;
  bool phase_switching = false;
  std::vector<SimSocketSpec> sockets;  ///< 1 or 2 (unit = position + 1)
  int modbus_response_delay_ms = 0;    ///< every Modbus answer this much later (a busy station)
  bool modbus_pipelined = false;       ///< the station takes requests while one is outstanding
};

struct SimulatedSiteOptions {
  std::string site_name = "demo";
  double grid_max_current_a = 25;
  double safety_margin_a = 1;
  double meter_stale_after_s = 5;
  int alternating_period_s = 900;
  std::string control = "sockets";  ///< or "scn" (the first station speaks for the SCN)
  std::vector<SimStationSpec> stations;
  bool with_pv = false;
  std::array<double, 3> household_a{0, 0, 0};
  ems::Millis physics_period{100};
  double ev_response_delay_s = 2;
  int meter_poll_interval_ms = 250;
  int station_poll_interval_ms = 500;
  std::string site_extra;      ///< extra lines for [site] (e.g. "probing_time_s = 10")
  bool pipelined_cuts = true;  ///< [[station]] pipelined_cuts in emsgw's configuration
};

class SimulatedSite {
 public:
  explicit SimulatedSite(SimulatedSiteOptions options);
  ~SimulatedSite();
  SimulatedSite(const SimulatedSite&) = delete;
  SimulatedSite& operator=(const SimulatedSite&) = delete;

  /// Starts every simulator on an ephemeral loopback port, and the physics thread.
  void start();
  void stop();

  /// A configuration for emsgw pointing at these simulators (TOML text, passes check-config).
  /// `extra` is appended verbatim (e.g. [mqtt], [web], [storage] sections).
  [[nodiscard]] std::string config_toml(const std::string& extra = "") const;

  void set_household(const std::array<double, 3>& amps);
  void set_pv_power(double watts);
  /// The meter stops answering (link cut) or answers again.
  void set_meter_silent(bool silent);
  /// What the grid meter shows now, per grid phase (+ import).
  [[nodiscard]] std::array<double, 3> grid_current() const;
  /// Σ EV current per grid phase now.
  [[nodiscard]] std::array<double, 3> ev_current() const;

  [[nodiscard]] drivers::alfen::AlfenSimRunner& station(std::size_t i) { return *stations_.at(i); }
  [[nodiscard]] std::size_t station_count() const { return stations_.size(); }
  [[nodiscard]] int meter_port() const { return meter_port_; }
  [[nodiscard]] int pv_port() const { return pv_port_; }
  [[nodiscard]] int station_port(std::size_t i) const { return station_ports_.at(i); }
  [[nodiscard]] int station_control_port(std::size_t i) const { return control_ports_.at(i); }
  [[nodiscard]] const SimulatedSiteOptions& options() const { return options_; }

 private:
  void physics();

  SimulatedSiteOptions options_;
  std::unique_ptr<drivers::sim::MeterSimulator> meter_;
  std::unique_ptr<drivers::sim::ModbusTcpServer> meter_server_;
  std::unique_ptr<drivers::sim::SunspecSimulator> pv_;
  std::unique_ptr<drivers::sim::ModbusTcpServer> pv_server_;
  std::vector<std::unique_ptr<drivers::alfen::AlfenSimRunner>> stations_;
  int meter_port_ = 0;
  int pv_port_ = 0;
  std::vector<int> station_ports_;
  std::vector<int> control_ports_;
  mutable std::mutex mutex_;
  std::array<double, 3> household_a_{};
  double pv_w_ = 0;
  std::array<double, 3> grid_a_{};
  std::array<double, 3> ev_a_{};
  std::atomic<bool> running_{false};
  std::thread physics_thread_;
};

}  // namespace emsgw::gateway
