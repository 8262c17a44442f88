// [storage] and [influx] (gateway/storage/storage_settings.hpp, gateway/influx/influx_settings.hpp).
#include <optional>

#include "gateway/config/toml_reader.hpp"
#include "gateway/influx/line_protocol.hpp"

namespace emsgw::gateway::config_detail {

namespace {
void parse_storage(TableReader& r, storage::StorageSettings& s) {
  r.read("path", s.path);
  r.read("flush_interval_s", s.flush_interval_s);
  std::string sync = s.sync_full ? "full" : "normal";
  r.read("synchronous", sync);
  if (sync == "full" || sync == "normal")
    s.sync_full = sync == "full";
  else
    r.diag().error(r.line("synchronous"), r.full("synchronous"), TableReader::quote(sync),
                   "must be one of: full, normal");
  r.read("history_10s_retention_h", s.history_10s_retention_h);
  r.read("history_1min_retention_d", s.history_1min_retention_d);
  r.read("history_15min_retention_d", s.history_15min_retention_d);
  r.read("log_retention_d", s.log_retention_d);
}

void parse_influx(TableReader& r, influx::InfluxSettings& s) {
  s.enabled = true;
  r.read("enabled", s.enabled);
  r.read("url", s.url, Need::Required);
  r.read("version", s.version);
  r.read("database", s.database);
  r.read("retention_policy", s.retention_policy);
  r.read("username", s.username);
  r.read("password", s.password);
  r.read("org", s.org);
  r.read("bucket", s.bucket);
  r.read("token", s.token);
  r.choice("precision", s.precision, influx::parse_precision, "s, ms, us, ns");
  r.read("gzip", s.gzip);
  r.read("batch_lines", s.batch_lines);
  r.read("flush_interval_s", s.flush_interval_s);
  r.read("timeout_ms", s.timeout_ms);
  r.read("outbox_max_points", s.outbox_max_points);
  r.read("retry_min_s", s.retry_min_s);
  r.read("retry_max_s", s.retry_max_s);
}
}  // namespace

void parse_storage_sections(TableReader& root, Config& cfg) {
  if (const auto* t = root.table("storage")) {
    TableReader r(*t, "storage", root.diag());
    parse_storage(r, cfg.storage);
  }
  if (const auto* t = root.table("influx")) {
    TableReader r(*t, "influx", root.diag());
    parse_influx(r, cfg.influx);
  }
}

}  // namespace emsgw::gateway::config_detail
