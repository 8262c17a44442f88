#pragma once
// Keeps what the control loop sees and decides in SQLite (gateway/storage/): history samples,
// charging sessions, decisions, fault events and the settings overrides set by commands.
//
// The control thread only queues: on_step() hands the step report (its status, the decisions taken
// since the previous step and the session events of the control loop's session tracker) to the
// recorder's own thread through a bounded queue (a full queue drops the status and counts it, and
// folds its decisions and session events into the newest queued one). A bare status (on_status(),
// without a report) has its sessions derived here by the same SessionTracker. That thread converts, writes, flushes
// every [storage] flush_interval_s of status time and runs maintain() once a minute. Storage failures are logged once
// and counted. An optional storage::RecordSink (the InfluxDB export) hears of each record once it is committed.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "ems/command.hpp"
#include "ems/site_status.hpp"
#include "gateway/control/session_tracker.hpp"
#include "gateway/control/step_report.hpp"
#include "gateway/storage/sqlite_store.hpp"

namespace emsgw::gateway {

struct RecorderStats {
  std::uint64_t statuses = 0;  ///< snapshots written
  std::uint64_t dropped = 0;   ///< snapshots dropped because the queue was full
  std::uint64_t decisions = 0;
  std::uint64_t events = 0;  ///< events of the control loop and of other parts (record_event)
  std::uint64_t sessions_started = 0;
  std::uint64_t sessions_stopped = 0;
  std::uint64_t overrides = 0;
  std::uint64_t flushes = 0;
  std::uint64_t failures = 0;  ///< storage calls that returned an error
};

/// Settings overrides ↔ commands. Keys: "socket[<id>].mode", "socket[<id>].max_current_a",
/// "site.grid_max_current_a"; Suspend/Resume as "site.suspended" = true/false (kept across restarts).
[[nodiscard]] std::optional<storage::SettingOverride> override_from_command(const ems::Command& c, std::string source,
                                                                            ems::WallTime at);
[[nodiscard]] std::optional<ems::Command> command_from_override(const storage::SettingOverride& o);

struct OverrideOutcome {
  storage::SettingOverride item;
  bool applied = false;
  std::string message;  ///< what was applied, or why it was skipped
};
/// Applies stored overrides on top of the file's site configuration through ems::apply_command, so
/// the validator judges each; a refused or unreadable override is skipped (and logged).
std::vector<OverrideOutcome> apply_overrides(ems::SiteConfig& site, const std::vector<storage::SettingOverride>& items);

class StorageRecorder final : public StatusObserver {
 public:
  using DecisionSource = std::function<std::vector<Decision>()>;

  explicit StorageRecorder(storage::SqliteStore store, std::size_t queue_capacity = 256);
  ~StorageRecorder() override;
  StorageRecorder(const StorageRecorder&) = delete;
  StorageRecorder& operator=(const StorageRecorder&) = delete;

  /// For bare statuses (on_status()): where their decisions come from (called on the caller's thread).
  void set_decision_source(DecisionSource source) { decisions_ = std::move(source); }

  void start();
  /// Writes what is queued, flushes everything (open history bucket too) and ends the thread.
  void stop();

  /// Control thread: queues the step report (never blocks on storage).
  void on_step(const std::shared_ptr<const StepReport>& report) override;
  /// Queues a status without a step report: its decisions come from the decision source, its
  /// sessions are derived from it here.
  void on_status(const std::shared_ptr<const ems::SiteStatus>& status) override;
  /// Any thread: an accepted command becomes a stored override (written at once by the thread).
  void record_command(const ems::Command& command, const std::string& source, ems::WallTime at);
  /// Any thread: an event of another part of emsgw (e.g. the InfluxDB export), written with the
  /// next flush like the control loop's own events.
  void record_event(storage::Event event);
  /// Hears of each record after its commit, on the recorder's thread (nullptr: nobody). Set before
  /// start(); the sink must outlive the recorder's thread.
  void set_sink(storage::RecordSink* sink) {
    std::lock_guard lock(store_mutex_);
    store_.set_sink(sink);
  }

  /// Told of each session that ended (with its energy and cost), on the recorder's thread; must
  /// only queue. Set before start().
  void set_session_listener(std::function<void(const storage::Session&)> listener) {
    session_listener_ = std::move(listener);
  }

  /// Prices each session as it ends ([tariff]); `local` maps a time to local clock time. Set
  /// before start().
  void set_tariff(storage::Tariff tariff, storage::LocalTimeFn local = storage::local_minute) {
    std::lock_guard lock(store_mutex_);
    store_.set_tariff(std::move(tariff), std::move(local));
  }
  /// [site] meter_includes_chargers: whether the grid reading contains the EVs (for the solar share
  /// of sessions). Set before start().
  void set_meter_includes_chargers(bool v) { meter_includes_chargers_ = v; }

  /// Blocks until everything queued so far has been handled (tests, shutdown).
  void wait_idle();
  [[nodiscard]] RecorderStats stats() const;

  /// Runs `f` with the store under the recorder's lock (queries from other threads).
  template <class F>
  auto with_store(F&& f) {
    std::lock_guard lock(store_mutex_);
    return f(store_);
  }

 private:
  struct StatusItem {
    std::shared_ptr<const ems::SiteStatus> status;
    std::vector<Decision> decisions;
    /// nullopt for a bare status: derived on the recorder's thread.
    std::optional<std::vector<SessionEvent>> session_events;
  };
  void enqueue(StatusItem item);
  using Item = std::variant<StatusItem, storage::SettingOverride, storage::Event, storage::PeakQuarter>;

  void run();
  void handle(Item& item);
  void handle_status(const StatusItem& item);
  /// Stores the sessions' events of one status: started, metered, ended, a full EV.
  void store_sessions(const ems::SiteStatus& st, const std::vector<SessionEvent>& events);
  void store_event(const ems::SocketStatus& so, const SessionEvent& e);
  void record_decisions(const std::vector<Decision>& ds);
  void check(const char* what, const storage::StorageStatus& s);
  void fail(const char* what, const storage::StorageError& e);

  storage::SqliteStore store_;
  std::function<void(const storage::Session&)> session_listener_;
  std::mutex store_mutex_;
  DecisionSource decisions_;
  std::size_t capacity_;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Item> queue_;
  bool busy_ = false;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;

  // recorder thread only
  /// Settings kept as overrides, as the statuses showed them: the value now and the one before the
  /// last change (a command's status may be handled before or after its override), so that each
  /// change is logged with its old and new value.
  struct SettingValue {
    std::string now;
    std::string before;
  };
  void track_settings(const ems::SiteStatus& st);
  void log_override(const storage::SettingOverride& o);
  std::map<std::string, SettingValue> settings_;
  std::map<int, std::string> socket_names_;     ///< "socket 1 (garage)" by id
  std::map<int, std::string> socket_stations_;  ///< "garage" by id
  void close_after_restart(const ems::SiteStatus& st);
  /// A socket seen for the first time since start: a session the file still holds open goes on
  /// with the EV still there, or ends where emsgw last saw it.
  void settle_after_restart(ems::WallTime at, const ems::SocketStatus& so);
  void plug_event(ems::WallTime at, const ems::SocketStatus& so, storage::EventKind kind, std::string text,
                  ems::Message message);
  bool meter_includes_chargers_ = true;
  bool restart_checked_ = false;
  SessionTracker bare_sessions_;  ///< sessions of bare statuses only (no step report)
  std::set<int> settled_;         ///< sockets seen since start
  std::set<int> stored_open_;     ///< sockets with a session open in the file
  std::set<int> resumed_;         ///< of those, sessions opened before the restart
  std::optional<ems::WallTime> last_flush_;
  std::optional<ems::WallTime> last_maintain_;
  bool failure_logged_ = false;
  RecorderStats stats_;  ///< guarded by queue_mutex_
};

}  // namespace emsgw::gateway
