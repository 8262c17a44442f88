#pragma once
// The control thread (design.md §1, style.md "one control thread"). Device workers post
// timestamped readings, MQTT/HTTP post commands, SIGHUP posts a reloaded configuration; the loop
// reads the clock once per turn, builds a SiteSnapshot, runs the allocator, hands set-points to
// the station workers (never waiting on a device), and publishes one immutable SiteStatus.
//
// A step runs on every grid-meter sample, on every station sample that changes what the allocator
// sees, on every command, and on a timer.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "drivers/charger/station_device.hpp"
#include "drivers/meters/meter_reading.hpp"
#include "ems/allocator.hpp"
#include "ems/command.hpp"
#include "ems/site_status.hpp"
#include "ems/wiring_check.hpp"
#include "gateway/config/config.hpp"
#include "gateway/devices/station_worker.hpp"

namespace emsgw::gateway {

struct MeterEvent {
  std::string role;  ///< "grid", "pv", "heatpump"
  Result<drivers::MeterReading, drivers::MeterError> reading;
};
struct StationEvent {
  std::size_t station = 0;
  StationSample sample;
};
struct WriteEvent {
  WriteReport report;
};
struct CommandEvent {
  ems::Command command;
  std::function<void(ems::CommandReply)> reply;
};
struct ReloadEvent {
  Config config;  ///< already parsed and validated
  /// Called on the control thread once the reload is applied (empty) or refused (the reasons).
  std::function<void(std::vector<ems::ConfigIssue>)> done;
};
/// A configuration file that could not be loaded on reload (SIGHUP): the running one stays.
struct ReloadRefusedEvent {
  std::string source;
  std::vector<std::string> problems;  ///< "file:line: key = value: rule"
};
using Event = std::variant<MeterEvent, StationEvent, WriteEvent, CommandEvent, ReloadEvent, ReloadRefusedEvent>;

/// Where set-points go: the station workers in production, a recorder in tests.
class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual void set_desired(std::size_t station, int unit, double amps, int phases) = 0;
  virtual void set_desired_scn(std::size_t station, const std::array<double, 3>& amps) = 0;
  /// Renews the lease of every desired value (called once per step).
  virtual void affirm() = 0;
};

/// The heat pump's SG-Ready outputs as read back by their worker (the status shows this state, not
/// the one asked for). `state`: 1…4 (protocols.md §5.1), nullopt while unknown.
struct SgReadyApplied {
  std::optional<int> state;
  std::string error;
};
class SgReadyOutputs {
 public:
  virtual ~SgReadyOutputs() = default;
  [[nodiscard]] virtual SgReadyApplied applied() const = 0;
};

class StatusObserver {
 public:
  virtual ~StatusObserver() = default;
  /// Called on the control thread after every step; must not block.
  virtual void on_status(const std::shared_ptr<const ems::SiteStatus>& status) = 0;
};

/// A set-point change or another decision, for logs, storage and the dashboard.
struct Decision {
  ems::WallTime at{};
  int socket_id = -1;  ///< -1: site level
  double old_a = 0;
  double new_a = 0;
  std::string reason;
  std::string text;
};

struct ControlStats {
  std::uint64_t steps = 0;
  std::uint64_t events = 0;
  std::uint64_t meter_rejected = 0;  ///< grid samples rejected (invalid currents)
  std::uint64_t commands_accepted = 0;
  std::uint64_t commands_refused = 0;
  /// Grid sample received → set-points handed to the workers, microseconds (last 4096 steps).
  std::vector<double> reaction_us;
  /// Duration of one step (snapshot, allocation, actuation, status), microseconds (last 4096).
  std::vector<double> step_us;
};

class ControlLoop {
 public:
  ControlLoop(Config config, const ems::Clock& clock, Actuator& actuator);

  void add_observer(StatusObserver* observer);
  /// The SG-Ready outputs, when the heat pump's are wired (before run()).
  void set_sg_ready_outputs(const SgReadyOutputs* outputs) { sg_ready_outputs_ = outputs; }
  /// Thread-safe: queue an event for the control thread.
  void post(Event event);
  /// The thread body: handles events and timer steps until `stop` becomes true. `heartbeat` is
  /// called once per turn (the systemd watchdog).
  void run(const std::atomic<bool>& stop, const std::function<void()>& heartbeat);
  /// Wakes run() (used with the stop flag).
  void wake();

  /// Synchronous API (tests, and the thread itself).
  void handle(Event event);
  void step(std::string_view trigger);

  [[nodiscard]] std::shared_ptr<const ems::SiteStatus> status() const;
  [[nodiscard]] Config config() const;
  [[nodiscard]] ControlStats stats() const;
  [[nodiscard]] std::vector<Decision> take_decisions();
  /// Per socket id, the set-point currently handed to the workers.
  [[nodiscard]] std::map<int, double> desired() const;

  ems::Millis step_interval{1000};

 private:
  struct SocketRef {
    std::size_t station = 0;
    std::size_t index = 0;
    int unit = 1;
    int id = 0;
  };
  struct StationState {
    std::optional<StationSample> last;  ///< newest sample (ok or not)
    std::optional<StationSample> last_ok;
    bool online = false;
    std::uint64_t not_accepted = 0;
    std::uint64_t foreign_setpoints = 0;   ///< set-points found changed by someone else (rewritten)
    std::map<int, double> safe_current_a;  ///< by unit: 1212 as the station reports it
    std::optional<double> max_current_a;   ///< 1100 as the station reports it
    std::string fault;
  };
  struct SessionMemo {
    bool connected = false;
    std::optional<double> start_energy_wh;
  };

  void index_sockets();
  void on_meter(MeterEvent& e);
  void follow_meter_interval(const drivers::MeterReading& r);
  bool on_station(StationEvent& e);
  void on_write(const WriteEvent& e);
  void on_command(CommandEvent& e);
  void on_reload(ReloadEvent& e);
  void on_reload_refused(const ReloadRefusedEvent& e);
  /// Names the phases and reasons of a rejected grid sample in a fault (design.md §2.2).
  void grid_sample_rejected(const drivers::MeterReading& r);
  /// Compares a station's own settings (1212 safe current, 1100 station maximum, live phases) with
  /// the configuration: a mismatch is a fault naming both values.
  void check_station_settings(std::size_t station, const StationSample& sample);
  /// The site as the allocator must see it: the configuration made conservative with what the
  /// stations report (the higher safe current, the lower station maximum; design.md §2.9).
  [[nodiscard]] ems::SiteConfig conservative(const ems::SiteConfig& site) const;
  /// Hands the conservative site to the allocator when it changed; faults when it is refused.
  void apply_station_settings();
  ems::SiteSnapshot snapshot(ems::MonoTime now) const;
  /// Grid currents per phase made conservative for the non-EV estimate (grid − EV currents).
  void align_grid_with_ev(ems::SiteSnapshot& s) const;
  void actuate(const ems::Allocation& a);
  std::shared_ptr<ems::SiteStatus> build_status(const ems::Allocation& a, ems::MonoTime now);
  void update_faults(const ems::Allocation& a, ems::MonoTime now, ems::SiteStatus& st);
  void check_wiring(const ems::SiteSnapshot& snap);
  void raise_fault(const std::string& code, const std::string& text);
  /// Raises the fault, or updates its text when it is raised already (logged when it changes).
  void raise_or_update_fault(const std::string& code, const std::string& text);
  void clear_fault(const std::string& code);
  /// Appends a decision; the caller holds state_mutex_.
  void push_decision_locked(Decision d);

  Config config_;
  const ems::Clock& clock_;
  Actuator& actuator_;
  ems::Allocator allocator_;
  std::vector<StatusObserver*> observers_;
  const SgReadyOutputs* sg_ready_outputs_ = nullptr;
  ems::WiringCheck wiring_;  ///< the automatic wiring check, fed on every grid sample
  std::vector<SocketRef> sockets_;
  std::vector<StationState> stations_;
  std::map<std::string, drivers::MeterReading> meters_;  ///< newest valid reading per role
  std::map<std::string, ems::MonoTime> meter_seen_;      ///< when each role last answered
  /// Recent valid grid readings (oldest first), to align them with the EV currents' sample times.
  std::deque<drivers::MeterReading> grid_history_;
  /// Σ EV current per grid phase after each station sample (oldest first), for rises the grid
  /// meter does not show yet.
  std::deque<std::pair<ems::MonoTime, std::array<double, 3>>> ev_history_;
  /// Σ EV current per grid phase from every station's newest sample.
  [[nodiscard]] std::array<double, 3> ev_per_phase() const;
  /// Faults that stay raised for a while after their last occurrence: code → last seen.
  std::map<std::string, ems::MonoTime> fault_seen_;
  /// The station-derived values last handed to the allocator (see conservative()).
  std::optional<std::vector<double>> station_settings_applied_;
  std::map<int, double> desired_;  ///< socket id → amps handed over
  std::map<int, SessionMemo> sessions_;
  std::optional<std::array<double, 3>> scn_desired_;
  std::optional<ems::MonoTime> pending_grid_sample_;  ///< receipt time of an unserved grid sample
  bool suspended_ = false;
  std::map<std::string, ems::Fault> faults_;
  std::vector<Decision> decisions_;
  std::map<int, std::string> last_reason_;
  std::map<int, bool> was_valid_;  ///< per socket id: the station last reported a valid set-point
  std::uint64_t sequence_ = 0;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Event> queue_;

  mutable std::mutex state_mutex_;  ///< guards status_, stats_, decisions_, desired_ snapshots for readers
  std::shared_ptr<const ems::SiteStatus> status_;
  ControlStats stats_;
};

}  // namespace emsgw::gateway
