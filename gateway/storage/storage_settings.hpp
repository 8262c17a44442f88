#pragma once
// [storage] settings (config key paths "storage.*"). Ranges are checked by validate_config.

#include <string>

namespace emsgw::gateway::storage {

struct StorageSettings {
  /// SQLite file; ":memory:" keeps everything in RAM (tests, demo).
  std::string path = "/var/lib/emsgw/emsgw.sqlite";
  /// Buffered history, decisions and events are written in one transaction this often (spares
  /// the flash); the runtime calls SqliteStore::flush() on this period.
  int flush_interval_s = 30;
  /// true: PRAGMA synchronous=FULL (a commit survives a power cut); false: NORMAL (a commit
  /// survives a crash of emsgw, the last ones may be lost on a power cut; the file stays sound).
  bool sync_full = true;
  /// How long each history tier is kept.
  int history_10s_retention_h = 24;
  int history_1min_retention_d = 31;
  int history_15min_retention_d = 1830;
  /// Decisions and events.
  int log_retention_d = 365;
};

}  // namespace emsgw::gateway::storage
