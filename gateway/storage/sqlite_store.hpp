#pragma once
// Settings overrides, charging sessions, history, decisions and events in one SQLite file
// (WAL mode, numbered migrations). Open with path ":memory:" in tests.
//
// Write pattern: history samples, decisions and events are buffered in memory and written by
// flush() in one transaction (call it every StorageSettings::flush_interval_s and at shutdown);
// overrides and session start/stop are written at once. Not thread-safe: one owner thread.
// Methods never throw; they return StorageResult / StorageStatus.

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "gateway/storage/record_sink.hpp"
#include "gateway/storage/records.hpp"
#include "gateway/storage/sqlite_db.hpp"
#include "gateway/storage/storage_settings.hpp"
#include "gateway/storage/tariff.hpp"

namespace emsgw::gateway::storage {

class SqliteStore {
 public:
  /// Opens the file, sets WAL and the synchronous mode, and migrates the schema.
  [[nodiscard]] static StorageResult<SqliteStore> open(const StorageSettings& settings);

  SqliteStore(SqliteStore&&) noexcept = default;
  SqliteStore& operator=(SqliteStore&&) noexcept = default;

  // --- buffered writes (persisted by flush) ---
  /// Adds one sample to the 10 s bucket of its time. Samples must come in time order; a sample
  /// older than the open bucket is averaged into the open bucket.
  void add_sample(const HistorySample& sample);
  void record_decision(const Decision& d);
  void record_event(const Event& e);
  /// Writes closed history buckets, decisions and events in one transaction. With
  /// `close_open_bucket` (shutdown) the bucket still being filled is written too.
  [[nodiscard]] StorageStatus flush(bool close_open_bucket = false);
  /// Rows waiting for flush().
  [[nodiscard]] std::size_t pending() const;

  /// flush(), closes the open bucket if `now` is past its end, rolls 10 s → 1 min → 15 min and
  /// deletes what is older than the retention of each tier. Call every minute or so.
  [[nodiscard]] StorageStatus maintain(WallTime now);

  // --- quarter-hour peak ---
  /// Keeps one quarter that ended (written at once; a quarter written again replaces the row).
  [[nodiscard]] StorageStatus record_peak_quarter(const PeakQuarter& q);
  /// The highest quarter average (W) of the quarters starting in from ≤ t < to; 0 when none.
  [[nodiscard]] StorageResult<double> peak_between(WallTime from, WallTime to);

  // --- settings overrides ---
  [[nodiscard]] StorageStatus set_override(const SettingOverride& o);
  /// Removes an override; the config file's value applies again. Not an error if absent.
  [[nodiscard]] StorageStatus clear_override(const std::string& key);
  [[nodiscard]] StorageResult<std::vector<SettingOverride>> overrides();

  // --- sessions ---
  /// Records a session start; a session still open on that socket is closed first at the same
  /// time and counter. Returns the session id.
  [[nodiscard]] StorageResult<std::int64_t> start_session(const SessionStart& s);
  /// Closes the open session of the socket (flushing first, so that its history counts).
  /// Returns the closed session, or nullopt when none was open.
  [[nodiscard]] StorageResult<std::optional<Session>> stop_session(const SessionStop& s);
  [[nodiscard]] StorageResult<std::optional<Session>> open_session(int socket);
  /// Every session still open, on any socket.
  [[nodiscard]] StorageResult<std::vector<Session>> open_sessions();
  /// Most recent first; socket < 0 means every socket.
  [[nodiscard]] StorageResult<std::vector<Session>> sessions(int socket = -1, std::size_t limit = 100);
  /// Most recent first, filtered and paged (SessionQuery).
  [[nodiscard]] StorageResult<std::vector<Session>> sessions(const SessionQuery& q);
  /// How many sessions match the filters of `q` (limit and offset ignored).
  [[nodiscard]] StorageResult<std::int64_t> count_sessions(const SessionQuery& q);
  [[nodiscard]] StorageResult<std::optional<Session>> session(std::int64_t id);
  /// The quarter hours of a session, oldest first (what flush has written).
  [[nodiscard]] StorageResult<std::vector<SessionSlice>> session_slices(std::int64_t id);

  /// Meters the open session of `socket` (buffered; written by flush): the register's increase
  /// since the last reading goes to the quarter hour of `time`, its `pv_fraction` (0..1, the share
  /// of the EV's power covered by solar surplus; nullopt when unknown) to the slice's solar part.
  /// No open session: nothing to do. A register that went backwards (station replaced or reset)
  /// starts a new baseline and adds nothing.
  [[nodiscard]] StorageStatus meter_session(int socket, WallTime time, double counter_wh,
                                            std::optional<double> pv_fraction);
  /// The tariff that prices each session as it ends; `local` maps a time to local clock time.
  void set_tariff(Tariff tariff, LocalTimeFn local = local_minute) {
    tariff_ = std::move(tariff);
    local_ = std::move(local);
  }
  [[nodiscard]] const Tariff& tariff() const { return tariff_; }
  [[nodiscard]] const LocalTimeFn& local_time() const { return local_; }

  // --- queries for the dashboard ---
  /// History buckets of `tier` with from ≤ t < to, oldest first (bucket start times).
  [[nodiscard]] StorageResult<std::vector<HistorySample>> history(HistoryTier tier, WallTime from, WallTime to);
  /// Most recent first, time ≥ since; socket < 0 means every socket.
  [[nodiscard]] StorageResult<std::vector<Decision>> decisions(WallTime since, std::size_t limit = 200,
                                                               int socket = -1);
  [[nodiscard]] StorageResult<std::vector<Event>> events(WallTime since, std::size_t limit = 200);

  /// Energy per local day or month for from ≤ t < to (whole quarter hours; flushed data only),
  /// oldest first; periods without any data are left out. `date_of` maps a time to its local date.
  [[nodiscard]] StorageResult<std::vector<EnergyPeriod>> energy(WallTime from, WallTime to, EnergyPeriodKind kind,
                                                                const LocalDateFn& date_of = local_date);

  /// The finest tier whose retention still covers `from` at `now`.
  [[nodiscard]] HistoryTier tier_for(WallTime from, WallTime now) const;

  /// Told about each record after its commit (nullptr: nobody); must outlive the store's use.
  void set_sink(RecordSink* sink) { sink_ = sink; }

  [[nodiscard]] Database& database() { return db_; }
  [[nodiscard]] const StorageSettings& settings() const { return settings_; }

 private:
  struct Mean {
    double sum = 0;
    int n = 0;
    void add(const std::optional<double>& v) {
      if (v) {
        sum += *v;
        ++n;
      }
    }
    [[nodiscard]] std::optional<double> value() const {
      if (n == 0) return std::nullopt;
      return sum / n;
    }
  };
  struct SocketBucket {
    std::array<Mean, 3> current_a;
    Mean setpoint_a, applied_a;
  };
  struct Bucket {
    std::int64_t t_ms = 0;
    std::array<Mean, 3> grid_a, grid_w;
    Mean grid_limit_a, pv_w, heatpump_w;
    std::map<int, SocketBucket> sockets;
  };

  struct SliceSum {
    double energy_wh = 0;
    double pv_energy_wh = 0;
    bool pv_known = true;
  };
  /// The metering of one open session: last register reading and quarter hours not yet written.
  struct Meter {
    std::int64_t session_id = 0;
    double last_wh = 0;
    WallTime last_seen{};
    bool dirty = false;
    std::map<std::int64_t, SliceSum> slices;
  };

  SqliteStore(Database db, StorageSettings settings) : db_(std::move(db)), settings_(std::move(settings)) {}
  [[nodiscard]] StorageStatus write_meters();
  void close_bucket();
  [[nodiscard]] static HistorySample sample_of(const Bucket& b);
  [[nodiscard]] StorageStatus write_bucket(const Bucket& b);
  [[nodiscard]] StorageStatus write_energy(const Bucket& b);
  [[nodiscard]] StorageStatus rollup(int from_tier_s, int to_tier_s, std::int64_t now_ms);
  [[nodiscard]] StorageStatus retain(int tier_s, std::int64_t keep_ms, std::int64_t now_ms);

  Database db_;
  StorageSettings settings_;
  std::optional<Bucket> open_bucket_;
  std::vector<Bucket> closed_buckets_;
  std::vector<Decision> pending_decisions_;
  std::vector<Event> pending_events_;
  RecordSink* sink_ = nullptr;
  std::map<int, Meter> meters_;  ///< by socket
  Tariff tariff_;
  LocalTimeFn local_ = local_minute;
};

}  // namespace emsgw::gateway::storage
