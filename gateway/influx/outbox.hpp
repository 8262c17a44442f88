#pragma once
// Lines waiting for InfluxDB, kept in SQLite (table influx_outbox, migration 3) so that an outage
// or a restart loses nothing. Bounded: beyond `max_lines` the oldest lines are dropped and
// counted (counter "influx.outbox_dropped"). Order is insertion order.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/storage/sqlite_db.hpp"

namespace emsgw::gateway::influx {

using storage::StorageResult;
using storage::StorageStatus;

struct OutboxBatch {
  std::string body;  ///< lines joined with '\n'
  std::size_t lines = 0;
  std::int64_t last_id = 0;  ///< pass to remove_through() once sent
};

class Outbox {
 public:
  /// `db` must be migrated (storage::migrate) and outlive the outbox.
  Outbox(storage::Database& db, std::size_t max_lines) : db_(db), max_lines_(max_lines) {}

  /// Appends in one transaction, then drops the oldest lines beyond the bound.
  [[nodiscard]] StorageStatus append(const std::vector<std::string>& lines);
  /// The oldest up to `max_lines` lines; an empty batch when the outbox is empty.
  [[nodiscard]] StorageResult<OutboxBatch> peek(std::size_t max_lines);
  /// Removes every line up to and including `last_id`.
  [[nodiscard]] StorageStatus remove_through(std::int64_t last_id);
  [[nodiscard]] StorageResult<std::size_t> size();

  /// Persistent counters (table counter), e.g. "influx.outbox_dropped", "influx.rejected".
  [[nodiscard]] StorageStatus add_counter(const std::string& name, std::int64_t delta);
  [[nodiscard]] StorageResult<std::int64_t> counter(const std::string& name);

  static constexpr const char* kDroppedCounter = "influx.outbox_dropped";
  static constexpr const char* kRejectedCounter = "influx.rejected";

 private:
  storage::Database& db_;
  std::size_t max_lines_;
};

}  // namespace emsgw::gateway::influx
