#pragma once
// A simulated Alfen NG9xx station in EMS mode (Modbus TCP slave), faithful to
// /work/shared/reference/alfen-modbus.md. CMake target: emsgw_alfen_sim. See README.md here for
// the command and scenario language.
//
// How to use in-process (tests, the demo):
//   AlfenSimConfig cfg;  cfg.sockets = 2;  cfg.validity_s = 3;
//   AlfenSimRunner sim(cfg);
//   int port = sim.start(0).value();          // Modbus TCP on 127.0.0.1:port (0 = ephemeral)
//   sim.command("plug 1 phases=3 max=16 min=6");
//   sim.station().advance(std::chrono::seconds(5));   // or cfg.time_scale for fast-forward
//   sim.command("restart");                   // reboot: set-points lost, connections dropped
//
// Model (per socket): an EV (plugged or not, 1 or 3 phases, maximum current, minimum it needs,
// response delay, default 2 s) draws min(applied, EV maximum) — or nothing when the offer is
// below its minimum or below 6 A — after its response delay; the Mode 3 state follows; the energy
// counter integrates. The applied limit (1206) is min(EMS set-point — or the safe current once
// its validity has run out, §4.3 —, connector maximum, station maximum shared by both sockets,
// the SCN limit in SCN mode). Currents are reported per station phase (§1 "Phase naming"); the
// socket's wiring (PhaseMapping) says which station phases exist and which grid phases they land
// on (grid_currents_a()).

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "drivers/alfen/sim/ev_model.hpp"
#include "drivers/modbus/sim/modbus_server.hpp"
#include "ems/phase.hpp"
#include "ems/result.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers::alfen {

struct SimEv {
  int phases = 3;
  double max_current_a = 16;
  double min_current_a = 6;                   ///< some EVs need 14 A to start (alfen-smart-charging.md §3.1)
  std::optional<ems::Millis> response_delay;  ///< default: AlfenSimConfig::ev_response_delay
  bool full = false;                          ///< battery full: draws nothing, stays connected
};

struct SimSocketConfig {
  double max_current_a = 32;   ///< Connector-MaxCurrent
  double safe_current_a = 6;   ///< 1212
  ems::PhaseMapping wiring{};  ///< station phases present (count) and their grid phases
};

struct AlfenSimConfig {
  std::string name = "ALF_1000";
  std::string manufacturer = "Alfen NV";
  std::string firmware = "6.4.0-4210";
  std::string platform = "NG920";
  std::string serial = "ACE0000001";
  int sockets = 1;  ///< 1 (Single) or 2 (Double)
  std::array<SimSocketConfig, 2> socket{};
  double station_max_a = 32;            ///< 1100
  double validity_s = 60;               ///< MbsSlaveTCPIPValidityTime
  bool ems_data_source = true;          ///< false: every write answers exception 1 (§4.1.8)
  bool phase_switching_allowed = true;  ///< false: 1215 writes answer exception 3 (§4.6)
  bool scn_mode = false;                ///< MbsSlaveTCPIPMode = SCN
  std::string scn_name;                 ///< 1400 (empty: not in an SCN)
  double scn_safe_current_a = 6;
  double voltage_v = 230;
  ems::Millis ev_response_delay{2000};
  double time_scale = 1.0;  ///< simulated seconds per real second
  int max_masters = 2;      ///< §1
  int idle_timeout_s = 60;  ///< §1
  /// Every Modbus request is answered this much later (a station whose controller is busy, or a
  /// slow link). By default the station serves one request at a time, so a write sent behind a
  /// slow read waits for it.
  ems::Millis modbus_response_delay{0};
  /// true: the station takes every request when it arrives and answers each after the delay, so a
  /// write sent while a read is outstanding (its own transaction id) acts at once.
  bool modbus_pipelined = false;
};

/// What a socket is doing now (for tests, status and the demo).
struct SimSocketState {
  bool ev_plugged = false;
  std::string mode3 = "A";
  double setpoint_a = 0;        ///< 1210 as read
  bool setpoint_valid = false;  ///< an EMS set-point within its validity
  double remaining_s = 0;       ///< 1208
  double applied_a = 0;         ///< 1206
  double drawn_a = 0;           ///< per phase
  int drawn_phases = 0;
  std::array<double, 3> current_a{};  ///< per station phase
  double energy_wh = 0;
  int phases_setting = 3;  ///< 1215
  std::uint64_t setpoint_writes = 0;
  /// When the last 1210 write arrived at the station (steady clock, before any response delay).
  std::chrono::steady_clock::time_point setpoint_arrived{};
};

/// The station model and its Modbus register map. Thread-safe: the server thread calls handle(),
/// control calls come from any thread.
class AlfenStationSim final : public sim::ModbusRequestHandler {
 public:
  /// `base` (may be nullptr: steady clock) is scaled by config.time_scale; advance() adds on top.
  explicit AlfenStationSim(AlfenSimConfig config, const ems::Clock* base = nullptr);

  sim::ModbusReply handle(const sim::ModbusRequest& request) override;

  /// Applies one control command (README.md); returns "ok …" or "error …".
  std::string command(const std::string& line);

  void plug(int socket, SimEv ev);
  /// An EV with first-order dynamics, taper, phases and give-up behaviour (ev_model.hpp) instead
  /// of the one-step SimEv; it sees the applied limit (1206).
  void plug_model(int socket, EvParams params);
  /// Runs `f` on the socket's EvModel at the simulated now (scenario events: full, asks again,
  /// phase change); false without one.
  bool with_ev_model(int socket, const std::function<void(EvModel&, ems::MonoTime)>& f);
  /// A copy of the socket's EvModel, for reports.
  [[nodiscard]] std::optional<EvModel> ev_model(int socket);
  void unplug(int socket);
  void advance(ems::Millis d);
  void reboot();
  [[nodiscard]] SimSocketState socket_state(int socket);
  /// The station's EV currents per grid phase, through each socket's wiring.
  [[nodiscard]] std::array<double, 3> grid_currents_a();
  [[nodiscard]] double sim_seconds();
  [[nodiscard]] AlfenSimConfig config();
  [[nodiscard]] std::string status();

 private:
  struct Socket {
    std::optional<SimEv> ev;
    std::optional<EvModel> model;  ///< set: the EV follows ev_model.hpp
    std::optional<char> fault;     ///< 'E' or 'F'
    std::optional<double> setpoint_a;
    ems::MonoTime deadline{};
    bool written = false;
    int phases_setting = 3;
    double applied_a = 0;
    double draw_a = 0;
    int draw_phases = 0;
    double target_a = 0;
    int target_phases = 0;
    ems::MonoTime target_at{};
    double energy_wh = 0;
    std::uint64_t writes = 0;
    std::chrono::steady_clock::time_point arrived{};
    std::optional<double> override_a;  ///< a station override: applied regardless of 1210
  };
  using Regs = std::vector<std::uint16_t>;

  ems::MonoTime now_locked() const;
  void update_locked();
  bool setpoint_valid_locked(const Socket& s, ems::MonoTime now) const;
  double remaining_s_locked(ems::MonoTime deadline, ems::MonoTime now) const;
  int effective_phases_locked(int index) const;
  std::string mode3_locked(int index) const;
  Regs block_locked(int unit, int start, int count);
  /// Serves one request now (after any response delay the station models).
  sim::ModbusReply handle_now(const sim::ModbusRequest& r, std::chrono::steady_clock::time_point arrived);
  sim::ModbusReply write_locked(const sim::ModbusRequest& r, std::chrono::steady_clock::time_point arrived);
  std::string command_locked(const std::string& line);
  SimSocketState state_locked(int index);

  mutable std::mutex mu_;
  AlfenSimConfig cfg_;
  const ems::Clock* base_;
  ems::MonoTime base_start_{};
  ems::MonoTime sim_start_{};
  ems::MonoTime epoch_{};  ///< simulated time zero
  ems::WallTime wall_start_{};
  ems::Millis offset_{0};
  ems::MonoTime last_update_{};
  ems::MonoTime boot_{};
  std::array<Socket, 2> sockets_{};
  std::array<std::optional<double>, 3> scn_limit_a_{};
  std::array<ems::MonoTime, 3> scn_deadline_{};
  std::map<std::pair<int, int>, std::uint16_t> injected_;
};

/// The station plus its Modbus TCP server, a line-based control port and a scenario player.
class AlfenSimRunner {
 public:
  explicit AlfenSimRunner(AlfenSimConfig config, const ems::Clock* base = nullptr);
  ~AlfenSimRunner();
  AlfenSimRunner(const AlfenSimRunner&) = delete;
  AlfenSimRunner& operator=(const AlfenSimRunner&) = delete;

  /// Starts the Modbus server on bind_address:port (0 = ephemeral); returns the port.
  Result<int, std::string> start(int port, const std::string& bind_address = "127.0.0.1");
  /// Starts the control port (line commands, one reply line each); returns its port.
  Result<int, std::string> start_control(int port, const std::string& bind_address = "127.0.0.1");
  /// Loads a scenario (README.md): setup lines apply now, timed events on the simulated clock.
  Result<void, std::string> load_scenario(const std::string& text);
  void stop();

  /// Station commands plus: offline, online, restart, drop.
  std::string command(const std::string& line);
  [[nodiscard]] AlfenStationSim& station() { return station_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] sim::ModbusTcpServer& server() { return *server_; }

 private:
  void control_loop();
  void scenario_loop();

  AlfenStationSim station_;
  std::unique_ptr<sim::ModbusTcpServer> server_;
  std::string bind_address_ = "127.0.0.1";
  int port_ = 0;
  std::mutex server_mu_;
  int control_fd_ = -1;
  int control_wake_[2] = {-1, -1};
  std::thread control_thread_;
  std::thread scenario_thread_;
  std::atomic<bool> stopping_{false};
  std::vector<std::pair<double, std::string>> events_;
};

}  // namespace emsgw::drivers::alfen
