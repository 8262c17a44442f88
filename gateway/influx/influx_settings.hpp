#pragma once
// [influx] settings (config key paths "influx.*"); protocols.md §7. Ranges are checked by
// validate_config.

#include <string>

namespace emsgw::gateway::influx {

/// Timestamp precision of the written points (protocols.md §7.2).
enum class Precision { Seconds, Milliseconds, Microseconds, Nanoseconds };

struct InfluxSettings {
  bool enabled = false;  ///< true when the [influx] section is present (and not enabled = false)
  std::string url;       ///< "http://host:8086" (https needs a TLS-enabled cpp-httplib)
  int version = 1;       ///< 1: POST /write?db=&rp=; 2: POST /api/v2/write?org=&bucket= with a token
  // v1
  std::string database;
  std::string retention_policy;  ///< empty: the database's default
  std::string username;          ///< optional basic auth
  std::string password;
  // v2
  std::string org;
  std::string bucket;
  std::string token;

  Precision precision = Precision::Milliseconds;
  bool gzip = true;
  int batch_lines = 5000;          ///< send when this many lines wait (≤ 5000 recommended, §7.3)
  int flush_interval_s = 10;       ///< … or when the oldest waiting line is this old
  int timeout_ms = 5000;           ///< connect and read timeout of one request
  int outbox_max_points = 200000;  ///< lines kept in SQLite while InfluxDB is unreachable; oldest dropped beyond
  int retry_min_s = 1;             ///< back-off after a failed attempt, doubling up to retry_max_s
  int retry_max_s = 300;
};

}  // namespace emsgw::gateway::influx
