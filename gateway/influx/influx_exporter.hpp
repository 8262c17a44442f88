#pragma once
// Exports points to InfluxDB without losing any (protocols.md §7.3):
//  - points are encoded (LineEncoder) and collected into a batch, sent when it holds
//    batch_lines lines or its oldest line is flush_interval_s old;
//  - a batch that cannot be delivered (no answer, 5xx, 429, 408) goes to the SQLite outbox, and
//    while the outbox holds anything every new batch queues behind it, so the order is kept;
//  - the outbox is replayed oldest first once the back-off has passed (doubling from
//    retry_min_s to retry_max_s; a Retry-After from the server is honoured);
//  - any other 4xx means the data itself is refused: the batch is logged and dropped, and
//    counted (counter "influx.rejected").
// Time comes in as a value; tick() does blocking HTTP, so the owner runs it on the export thread,
// never on the control thread. Not thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ems/time.hpp"
#include "gateway/influx/influx_settings.hpp"
#include "gateway/influx/line_protocol.hpp"
#include "gateway/influx/outbox.hpp"
#include "gateway/influx/write_transport.hpp"

namespace emsgw::gateway::influx {

struct ExportStats {
  std::uint64_t points_sent = 0;
  std::uint64_t points_rejected = 0;  ///< dropped because InfluxDB answered 4xx (not 408/429)
  std::uint64_t points_refused = 0;   ///< not encodable (bad name, type change, …)
  std::uint64_t outbox_dropped = 0;   ///< dropped because the outbox was full (persistent counter)
  std::uint64_t memory_dropped = 0;   ///< dropped while the outbox could not be written and memory was full
  std::uint64_t queue_dropped = 0;    ///< dropped before encoding: the export thread's queue was full (InfluxWorker)
  std::uint64_t failed_attempts = 0;  ///< retryable failures
  std::size_t outbox_lines = 0;
  std::size_t pending_lines = 0;  ///< in memory, not yet sent or stored
  bool reachable = true;          ///< false from a retryable failure until the next success
  std::string last_error;
};

class InfluxExporter {
 public:
  /// `outbox_db` must be migrated and outlive the exporter (it may be the store's database
  /// when both run on one thread, or a second connection to the same file).
  InfluxExporter(const InfluxSettings& settings, storage::Database& outbox_db,
                 std::unique_ptr<WriteTransport> transport);

  /// Encodes and queues one point. A point that cannot be encoded is refused and counted.
  Result<void, EncodeError> add(const Point& p, ems::MonoTime now);
  /// Sends or stores a due batch and replays the outbox when the back-off allows.
  void tick(ems::MonoTime now);
  /// Moves the in-memory batch into the outbox (call at shutdown, so a restart sends it).
  [[nodiscard]] storage::StorageStatus persist_pending();

  [[nodiscard]] ExportStats stats();

 private:
  enum class Outcome { Sent, Retry, Rejected };
  Outcome send(const std::string& body, std::size_t lines, ems::MonoTime now);
  void flush_pending(ems::MonoTime now);
  void replay(ems::MonoTime now);

  InfluxSettings settings_;
  LineEncoder encoder_;
  Outbox outbox_;
  std::unique_ptr<WriteTransport> transport_;
  std::vector<std::string> pending_;
  ems::MonoTime pending_since_{};
  ems::MonoTime next_attempt_{};
  std::chrono::seconds backoff_{0};
  bool outbox_has_lines_ = true;  ///< checked on the first tick (lines may survive a restart)
  ExportStats stats_;
};

}  // namespace emsgw::gateway::influx
