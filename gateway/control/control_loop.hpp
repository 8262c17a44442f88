#pragma once
// The control thread (design.md §1, style.md "one control thread"). Device workers post
// timestamped readings, MQTT/HTTP post commands, SIGHUP posts a reloaded configuration; the loop
// reads the clock once per turn and passes that time down. A step builds the SiteSnapshot
// (snapshot_builder), runs the allocator, hands set-points over through the actuation policy
// (never waiting on a device), follows the sessions (session_tracker) and the faults (fault_book),
// builds the SiteStatus (status_builder) and publishes one immutable StepReport to every output.
//
// A step runs on every grid-meter sample, on every station sample that changes what the allocator
// sees, on every command, and on a timer.

#include <atomic>
#include <chrono>
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
#include "ems/grid_operator.hpp"
#include "ems/quarter_peak.hpp"
#include "ems/site_status.hpp"
#include "ems/wiring_check.hpp"
#include "gateway/config/config.hpp"
#include "gateway/control/actuation_policy.hpp"
#include "gateway/control/fault_book.hpp"
#include "gateway/control/schedule_windows.hpp"
#include "gateway/control/session_tracker.hpp"
#include "gateway/control/site_inputs.hpp"
#include "gateway/control/status_builder.hpp"
#include "gateway/control/step_report.hpp"
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
/// The grid operator's relay contact as read by its worker: dim or not, or why it could not be read.
struct DimmingInputEvent {
  std::optional<bool> dim;  ///< nullopt: not read (see error)
  std::string error;
};
using Event = std::variant<MeterEvent, StationEvent, WriteEvent, CommandEvent, ReloadEvent, ReloadRefusedEvent,
                           DimmingInputEvent>;

/// The heat pump's SG-Ready outputs, read back by their worker.
class SgReadyOutputs {
 public:
  virtual ~SgReadyOutputs() = default;
  [[nodiscard]] virtual SgReadyApplied applied() const = 0;
};

/// The time of one turn of the loop: the clock is read once at the top of a turn and every
/// decision of that turn uses it.
struct Turn {
  ems::MonoTime mono{};
  ems::WallTime wall{};
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

  /// Hears of every step's report (before run()).
  void add_observer(StepObserver* observer);
  /// A charging session left open by the previous run (from storage); call before start().
  void resume_session(int socket_id, ems::WallTime start, double start_energy_wh) {
    sessions_.resume(socket_id, start, start_energy_wh);
  }
  /// The month's peak kept by storage (W), when the meter does not send its own (DSMR 1-0:1.6.0);
  /// call before start(). Ignored without [peak].
  void set_month_peak(double peak_w) {
    if (peak_) peak_->set_month_peak(peak_w);
  }
  /// The SG-Ready outputs, when the heat pump's are wired (before run()).
  void set_sg_ready_outputs(const SgReadyOutputs* outputs) { sg_ready_outputs_ = outputs; }
  /// The local time the [[schedule]] windows are judged in (default: the box's time zone); before run().
  void set_local_time(storage::LocalTimeFn local) { local_time_ = std::move(local); }
  /// Keeps every decision for take_decisions() (on by default; off when the outputs take them
  /// from the step reports).
  void set_decision_journal(bool keep) { keep_journal_ = keep; }
  /// Thread-safe: queue an event for the control thread.
  void post(Event event);
  /// The thread body: handles events and timer steps until `stop` becomes true. `heartbeat` is
  /// called once per turn (the systemd watchdog).
  void run(const std::atomic<bool>& stop, const std::function<void()>& heartbeat);
  /// Wakes run() (used with the stop flag).
  void wake();

  /// Synchronous API (tests, and the thread itself). Without a Turn, the clock is read once.
  void handle(Event event);
  void handle(Event event, const Turn& now);
  void step(std::string_view trigger);
  void step(std::string_view trigger, const Turn& now);

  [[nodiscard]] std::shared_ptr<const ems::SiteStatus> status() const;
  [[nodiscard]] Config config() const;
  [[nodiscard]] ControlStats stats() const;
  /// The decisions kept since the last call (the newest 10000), while the journal is on.
  [[nodiscard]] std::vector<Decision> take_decisions();
  /// Per socket id, the set-point currently handed to the workers.
  [[nodiscard]] std::map<int, double> desired() const;

  ems::Millis step_interval{1000};

 private:
  [[nodiscard]] Turn read_clock() const { return {clock_.mono_now(), clock_.wall_now()}; }
  void on_meter(MeterEvent& e, const Turn& now);
  /// The [[schedule]] windows at this step: their limits into the snapshot, their state into the
  /// status, and a decision when one opens or closes.
  [[nodiscard]] std::vector<ems::ScheduleStatus> apply_schedules(ems::SiteSnapshot& snap, const Turn& now);
  void follow_meter_interval(const drivers::MeterReading& r);
  bool on_station(StationEvent& e, const Turn& now);
  void on_write(const WriteEvent& e, const Turn& now);
  void on_command(CommandEvent& e, const Turn& now);
  /// The relay contact: dim or not. A contact that cannot be read is a fault and counts as "dim"
  /// (the guaranteed floor), as the operator may be asking for it. Returns true when it changed.
  bool on_dimming_input(const DimmingInputEvent& e, const Turn& now);
  /// The grid operator's commands (limit, heartbeat): no configuration change, straight to grid_op_.
  void on_grid_operator_command(CommandEvent& e, const Turn& now);
  /// Advances the dimming state to `now`, logs its changes as decisions and returns the limit for
  /// the EVs (plus the PV production), or nullopt when not limited.
  std::optional<ems::FlexLimit> dimming_limit(const ems::SiteSnapshot& snap, const Turn& now);
  void on_reload(ReloadEvent& e, const Turn& now);
  void on_reload_refused(const ReloadRefusedEvent& e, const Turn& now);
  /// Names the phases and reasons of a rejected grid sample in a fault (design.md §2.2).
  void grid_sample_rejected(const drivers::MeterReading& r, const Turn& now);
  /// Compares a station's own settings (1212 safe current, 1100 station maximum, live phases) with
  /// the configuration: a mismatch is a fault naming both values.
  void check_station_settings(std::size_t station, const StationSample& sample, const Turn& now);
  /// The site as the allocator must see it: the configuration made conservative with what the
  /// stations report (the higher safe current, the lower station maximum; design.md §2.9).
  [[nodiscard]] ems::SiteConfig conservative(const ems::SiteConfig& site) const;
  /// Hands the conservative site to the allocator when it changed; faults when it is refused.
  void apply_station_settings(const Turn& now);
  /// Faults that follow from the allocation: meter stale, PV stale; lingering faults expire.
  void allocation_faults(const ems::Allocation& a, const Turn& now);
  /// Keeps the raises just handed over (per grid phase) for the snapshot's non-EV estimate.
  void note_raises(ems::MonoTime now, const ems::SiteSnapshot& snap);
  void check_wiring(const ems::SiteSnapshot& snap, const Turn& now);
  /// What the session tracker sees of every socket at this step.
  [[nodiscard]] std::vector<SocketObservation> observe_sockets(const ems::Allocation& a) const;
  void follow_sessions(const ems::Allocation& a, const Turn& now, std::vector<SessionEvent>& events);
  /// Queues a decision for the next step report (and the journal).
  void decide(Decision d);
  /// Feeds an accepted grid sample to the quarter-hour peak ([peak]): its net power, and the
  /// meter's demand registers (DSMR 1-0:1.4.0, 1-0:1.6.0) where it sends them.
  void feed_peak(const drivers::MeterReading& r);

  Config config_;
  const ems::Clock& clock_;
  Actuator& actuator_;
  ems::Allocator allocator_;
  std::vector<StepObserver*> observers_;
  const SgReadyOutputs* sg_ready_outputs_ = nullptr;
  ems::WiringCheck wiring_;  ///< the automatic wiring check, fed on every grid sample
  SiteInputs inputs_;
  FaultBook faults_;
  ActuationPolicy policy_;
  SessionTracker sessions_;
  /// The station-derived values last handed to the allocator (see conservative()).
  std::optional<std::vector<double>> station_settings_applied_;
  /// When an unserved grid sample was taken in (a stopwatch for the reaction figure only).
  std::optional<std::chrono::steady_clock::time_point> pending_grid_sample_;
  std::vector<Decision> pending_;                    ///< decisions for the next step report
  std::optional<ems::QuarterPeak> peak_;             ///< [peak] on a metered site
  std::optional<double> grid_net_w_;                 ///< the last accepted grid sample's net power (W, + import)
  std::vector<ems::ClosedQuarter> closed_quarters_;  ///< for the next step report (storage)
  int peak_month_ = -1;                              ///< local year × 12 + month of the last grid sample
  ems::GridOperator grid_op_;                        ///< [grid_operator]: the relay contact and the API limit
  std::optional<bool> relay_dim_;                    ///< the relay contact as last applied
  ems::DimmingLimit dimming_;                        ///< in force since the last step
  /// The box's local time for the [[schedule]] windows.
  storage::LocalTimeFn local_time_ = storage::local_minute;
  /// Per [[schedule]] name, open at the last step.
  std::map<std::string, bool> windows_open_;
  bool keep_journal_ = true;
  std::uint64_t sequence_ = 0;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Event> queue_;

  mutable std::mutex state_mutex_;  ///< guards status_, stats_, journal_, desired_ for readers
  std::shared_ptr<const ems::SiteStatus> status_;
  ControlStats stats_;
  std::vector<Decision> journal_;
  std::map<int, double> desired_;
};

}  // namespace emsgw::gateway
