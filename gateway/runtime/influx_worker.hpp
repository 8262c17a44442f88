#pragma once
// The InfluxDB export of the running product (protocols.md §7; gateway/influx/README.md).
//
// The StorageRecorder tells it of each record once committed (storage::RecordSink, on the
// recorder's thread): that only queues, in a bounded queue that drops the oldest and counts them.
// The worker's own thread converts the records to points (site_points.hpp), adds them to the
// InfluxExporter and ticks it at least once a second; the exporter's blocking HTTP never holds
// the control or the recorder's thread. The outbox is the `influx_outbox` table of the [storage]
// file, reached through a second SQLite connection of this thread (WAL lets both write).
//
// Its state is visible as stats() (Runtime::influx_stats()) and as storage events of subject
// "influx": fault_raised when InfluxDB becomes unreachable, fault_cleared when it answers again
// (once per transition), and fault_raised with the counts when points are dropped (outbox full,
// refused with a 4xx, queue full; at most one such event per kDropReportPeriod). One log line per
// transition, never per point.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "ems/time.hpp"
#include "gateway/influx/influx_exporter.hpp"
#include "gateway/storage/record_sink.hpp"

namespace emsgw::gateway {

class StorageRecorder;

class InfluxWorker final : public storage::RecordSink {
 public:
  /// Where the worker's own events go (normally StorageRecorder::record_event).
  using EventSink = std::function<void(storage::Event)>;

  static constexpr std::size_t kDefaultQueueCapacity = 10000;  ///< records, not points
  static constexpr auto kTickPeriod = std::chrono::seconds(1);
  static constexpr auto kDropReportPeriod = std::chrono::seconds(60);
  static constexpr const char* kSubject = "influx";

  /// Opens the export thread's connection to the [storage] file: WAL, a busy timeout (the
  /// recorder writes beside it), migrated (a no-op after SqliteStore::open). ":memory:" gives a
  /// private in-memory outbox.
  [[nodiscard]] static storage::StorageResult<storage::Database> open_outbox(const std::string& path);

  /// The runtime's wiring: the outbox in `storage_path`, the HTTP transport, events and records
  /// through `recorder` (set as its sink). nullptr, logged, when the outbox cannot be opened.
  [[nodiscard]] static std::unique_ptr<InfluxWorker> attach(const influx::InfluxSettings& settings,
                                                            const std::string& storage_path, StorageRecorder& recorder,
                                                            const ems::Clock& clock);

  InfluxWorker(const influx::InfluxSettings& settings, storage::Database outbox_db,
               std::unique_ptr<influx::WriteTransport> transport, const ems::Clock& clock, EventSink events,
               std::size_t queue_capacity = kDefaultQueueCapacity);
  ~InfluxWorker() override;
  InfluxWorker(const InfluxWorker&) = delete;
  InfluxWorker& operator=(const InfluxWorker&) = delete;

  void start();
  /// Ends the thread, then adds what is still queued and moves every line not yet sent into the
  /// outbox (persist_pending), so that a restart sends it. Call after the recorder's stop().
  void stop();

  // storage::RecordSink: any thread, never blocks on the export.
  void on_history(const storage::HistorySample& bucket) override { push(bucket); }
  void on_decision(const storage::Decision& d) override { push(d); }
  void on_event(const storage::Event& e) override { push(e); }
  void on_session_end(const storage::Session& s) override { push(s); }

  /// One turn of the thread: converts and adds what is queued, ticks the exporter, reports
  /// transitions and drops. Tests without start() call it directly.
  void step();

  /// As of the last step (or stop), plus the queue's drops so far.
  [[nodiscard]] influx::ExportStats stats() const;

 private:
  using Record = std::variant<storage::HistorySample, storage::Decision, storage::Event, storage::Session>;
  struct Drops {
    std::uint64_t outbox = 0, rejected = 0, memory = 0, queue = 0;
    [[nodiscard]] std::uint64_t total() const { return outbox + rejected + memory + queue; }
  };

  void push(Record r);
  void run();
  void export_queued(ems::MonoTime now);
  void publish(const influx::ExportStats& s);
  void report(const influx::ExportStats& s, ems::MonoTime now);
  void record(storage::EventKind kind, std::string text, ems::Message message);
  [[nodiscard]] static Drops drops_of(const influx::ExportStats& s);

  influx::InfluxSettings settings_;
  storage::Database db_;  ///< before exporter_, which refers to it
  influx::InfluxExporter exporter_;
  const ems::Clock& clock_;
  EventSink events_;
  std::size_t capacity_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Record> queue_;
  std::uint64_t queue_dropped_ = 0;
  bool stopping_ = false;
  influx::ExportStats stats_;  ///< guarded by mutex_
  std::thread thread_;

  // export thread (or the caller of step()/stop() when there is no thread)
  bool reachable_ = true;
  Drops reported_;  ///< drops already told in an event (persistent counters start at their stored value)
  std::optional<ems::MonoTime> last_drop_report_;
};

}  // namespace emsgw::gateway
