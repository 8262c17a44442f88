#include "gateway/storage/sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "gateway/storage/migrations.hpp"

namespace emsgw::gateway::storage {

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

/// An event's message parameters as a JSON object of strings, in their order; "" for none.
std::string encode_params(const Params& params) {
  if (params.empty()) return {};
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [name, value] : params) j[name] = value;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

/// The parameters back; text that is not such an object gives none (the event keeps its text).
Params decode_params(const std::string& text) {
  Params out;
  if (text.empty()) return out;
  const auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [name, value] : j.items())
    if (value.is_string()) out.emplace_back(name, value.get<std::string>());
  return out;
}
constexpr int kBaseTierS = static_cast<int>(HistoryTier::TenSeconds);
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

std::int64_t floor_to(std::int64_t t_ms, std::int64_t width_ms) {
  const std::int64_t q = t_ms / width_ms;
  return (t_ms % width_ms < 0 ? q - 1 : q) * width_ms;
}

StorageError with_context(const StorageError& e, const std::string& what) {
  return {e.code, what + ": " + e.message};
}
}  // namespace

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::FaultRaised: return "fault_raised";
    case EventKind::FaultCleared: return "fault_cleared";
    case EventKind::ConfigChange: return "config_change";
    case EventKind::PlugIn: return "plug_in";
    case EventKind::Unplug: return "unplug";
    case EventKind::EvFull: return "ev_full";
    case EventKind::Dimming: return "dimming";
  }
  return "?";
}

std::optional<EventKind> parse_event_kind(std::string_view s) {
  for (auto k : {EventKind::FaultRaised, EventKind::FaultCleared, EventKind::ConfigChange, EventKind::PlugIn,
                 EventKind::Unplug, EventKind::EvFull, EventKind::Dimming})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

StorageResult<SqliteStore> SqliteStore::open(const StorageSettings& settings) {
  auto db = Database::open(settings.path);
  if (!db) return Unexpected(db.error());
  // WAL: readers do not block the writer, and a commit is one append to the log (spares the
  // flash). In-memory databases answer "memory" and stay so.
  if (auto r = db->exec("PRAGMA journal_mode=WAL"); !r) return Unexpected(r.error());
  if (auto r = db->exec(settings.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !r)
    return Unexpected(r.error());
  if (auto r = db->exec("PRAGMA foreign_keys=ON"); !r) return Unexpected(r.error());
  if (auto r = migrate(*db); !r) return Unexpected(r.error());
  return SqliteStore(std::move(db).value(), settings);
}

void SqliteStore::add_sample(const HistorySample& s) {
  const std::int64_t t = floor_to(to_unix_ms(s.time), kBaseTierS * 1000);
  if (open_bucket_ && t > open_bucket_->t_ms) close_bucket();
  if (!open_bucket_) {
    open_bucket_.emplace();
    open_bucket_->t_ms = t;
  }
  auto& b = *open_bucket_;
  for (std::size_t i = 0; i < 3; ++i) {
    b.grid_a[i].add(s.grid_current_a[i]);
    b.grid_w[i].add(s.grid_power_w[i]);
  }
  b.grid_limit_a.add(s.grid_limit_a);
  b.pv_w.add(s.pv_w);
  b.heatpump_w.add(s.heatpump_w);
  for (const auto& sock : s.sockets) {
    auto& sb = b.sockets[sock.socket];
    for (std::size_t i = 0; i < 3; ++i) sb.current_a[i].add(sock.current_a[i]);
    sb.setpoint_a.add(sock.setpoint_a);
    sb.applied_a.add(sock.applied_a);
  }
}

void SqliteStore::close_bucket() {
  if (!open_bucket_) return;
  closed_buckets_.push_back(std::move(*open_bucket_));
  open_bucket_.reset();
}

HistorySample SqliteStore::sample_of(const Bucket& b) {
  HistorySample h;
  h.time = from_unix_ms(b.t_ms);
  for (std::size_t i = 0; i < 3; ++i) {
    h.grid_current_a[i] = b.grid_a[i].value();
    h.grid_power_w[i] = b.grid_w[i].value();
  }
  h.grid_limit_a = b.grid_limit_a.value();
  h.pv_w = b.pv_w.value();
  h.heatpump_w = b.heatpump_w.value();
  for (const auto& [socket, sb] : b.sockets) {
    SocketSample s;
    s.socket = socket;
    for (std::size_t i = 0; i < 3; ++i) s.current_a[i] = sb.current_a[i].value();
    s.setpoint_a = sb.setpoint_a.value();
    s.applied_a = sb.applied_a.value();
    h.sockets.push_back(s);
  }
  return h;
}

void SqliteStore::record_decision(const Decision& d) {
  pending_decisions_.push_back(d);
}
void SqliteStore::record_event(const Event& e) {
  pending_events_.push_back(e);
}

std::size_t SqliteStore::pending() const {
  std::size_t meters = 0;
  for (const auto& [socket, m] : meters_) meters += m.dirty ? 1 : 0;
  return closed_buckets_.size() + pending_decisions_.size() + pending_events_.size() + meters;
}

StorageStatus SqliteStore::write_bucket(const Bucket& b) {
  auto st = db_.prepare(
      "INSERT OR REPLACE INTO history (tier_s, t_ms, grid_l1_a, grid_l2_a, grid_l3_a, grid_l1_w, grid_l2_w, "
      "grid_l3_w, pv_w, heatpump_w, grid_limit_a) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  if (!st) return Unexpected(st.error());
  st->bind(1, kBaseTierS).bind(2, b.t_ms);
  for (int i = 0; i < 3; ++i) {
    st->bind(3 + i, b.grid_a[static_cast<std::size_t>(i)].value());
    st->bind(6 + i, b.grid_w[static_cast<std::size_t>(i)].value());
  }
  st->bind(9, b.pv_w.value()).bind(10, b.heatpump_w.value()).bind(11, b.grid_limit_a.value());
  if (auto r = st->run(); !r) return r;
  auto ss = db_.prepare(
      "INSERT OR REPLACE INTO socket_history (tier_s, t_ms, socket, l1_a, l2_a, l3_a, setpoint_a, applied_a) "
      "VALUES (?,?,?,?,?,?,?,?)");
  if (!ss) return Unexpected(ss.error());
  for (const auto& [socket, sb] : b.sockets) {
    ss->reset();
    ss->bind(1, kBaseTierS).bind(2, b.t_ms).bind(3, socket);
    for (int i = 0; i < 3; ++i) ss->bind(4 + i, sb.current_a[static_cast<std::size_t>(i)].value());
    ss->bind(7, sb.setpoint_a.value()).bind(8, sb.applied_a.value());
    if (auto r = ss->run(); !r) return r;
  }
  return write_energy(b);
}

StorageStatus SqliteStore::flush(bool close_open_bucket) {
  if (close_open_bucket) close_bucket();
  if (pending() == 0) return {};
  Transaction tx(db_);
  if (auto r = tx.begin(); !r) return Unexpected(with_context(r.error(), "flush"));
  for (const auto& b : closed_buckets_)
    if (auto r = write_bucket(b); !r) return Unexpected(with_context(r.error(), "flush history"));
  auto dst = db_.prepare("INSERT INTO decision (t_ms, socket, old_a, new_a, reason) VALUES (?,?,?,?,?)");
  if (!dst) return Unexpected(dst.error());
  for (auto& d : pending_decisions_) {
    dst->reset();
    dst->bind(1, to_unix_ms(d.time)).bind(2, d.socket).bind(3, d.old_a).bind(4, d.new_a).bind(5, d.reason);
    if (auto r = dst->run(); !r) return Unexpected(with_context(r.error(), "flush decisions"));
    d.id = db_.last_insert_id();
  }
  auto est = db_.prepare("INSERT INTO event (t_ms, kind, subject, text, code, params) VALUES (?,?,?,?,?,?)");
  if (!est) return Unexpected(est.error());
  for (auto& e : pending_events_) {
    est->reset();
    est->bind(1, to_unix_ms(e.time))
        .bind(2, to_string(e.kind))
        .bind(3, e.subject)
        .bind(4, e.text)
        .bind(5, e.message.code)
        .bind(6, encode_params(e.message.params));
    if (auto r = est->run(); !r) return Unexpected(with_context(r.error(), "flush events"));
    e.id = db_.last_insert_id();
  }
  if (auto r = write_meters(); !r) return Unexpected(with_context(r.error(), "flush session energy"));
  if (auto r = tx.commit(); !r) return Unexpected(with_context(r.error(), "flush commit"));
  for (auto& [socket, m] : meters_) {
    m.slices.clear();
    m.dirty = false;
  }
  // Only now, with the commit done, is the buffer released: a failed flush keeps every row for
  // the next attempt.
  if (sink_) {
    for (const auto& b : closed_buckets_) sink_->on_history(sample_of(b));
    for (const auto& d : pending_decisions_) sink_->on_decision(d);
    for (const auto& e : pending_events_) sink_->on_event(e);
  }
  closed_buckets_.clear();
  pending_decisions_.clear();
  pending_events_.clear();
  return {};
}

StorageStatus SqliteStore::rollup(int from_tier_s, int to_tier_s, std::int64_t now_ms) {
  const std::int64_t width_ms = std::int64_t{to_tier_s} * 1000;
  auto done = db_.query_int(
      "SELECT COALESCE((SELECT done_until_ms FROM rollup_state WHERE tier_s = " + std::to_string(to_tier_s) +
      "), (SELECT MIN(t_ms) FROM history WHERE tier_s = " + std::to_string(from_tier_s) + "), 0)");
  if (!done) return Unexpected(done.error());
  const std::int64_t from = floor_to(*done, width_ms);
  const std::int64_t bound = floor_to(now_ms, width_ms);  // buckets ending at or before now are final
  if (bound <= from) return {};
  // Each coarser bucket is the mean of the finer buckets in it; unknown values (NULL) are left
  // out of the mean.
  const std::string w = std::to_string(width_ms);
  auto h = db_.prepare(
      "INSERT OR REPLACE INTO history (tier_s, t_ms, grid_l1_a, grid_l2_a, grid_l3_a, grid_l1_w, grid_l2_w, "
      "grid_l3_w, pv_w, heatpump_w, grid_limit_a) SELECT ?, (t_ms / " +
      w + ") * " + w +
      ", AVG(grid_l1_a), AVG(grid_l2_a), AVG(grid_l3_a), AVG(grid_l1_w), AVG(grid_l2_w), AVG(grid_l3_w), AVG(pv_w), "
      "AVG(heatpump_w), AVG(grid_limit_a) FROM history WHERE tier_s = ? AND t_ms >= ? AND t_ms < ? GROUP BY 2");
  if (!h) return Unexpected(h.error());
  h->bind(1, to_tier_s).bind(2, from_tier_s).bind(3, from).bind(4, bound);
  if (auto r = h->run(); !r) return r;
  auto s = db_.prepare("INSERT OR REPLACE INTO socket_history SELECT ?, (t_ms / " + w + ") * " + w +
                       " AS bucket, socket, AVG(l1_a), AVG(l2_a), AVG(l3_a), AVG(setpoint_a), AVG(applied_a) "
                       "FROM socket_history WHERE tier_s = ? AND t_ms >= ? AND t_ms < ? GROUP BY bucket, socket");
  if (!s) return Unexpected(s.error());
  s->bind(1, to_tier_s).bind(2, from_tier_s).bind(3, from).bind(4, bound);
  if (auto r = s->run(); !r) return r;
  auto u = db_.prepare("INSERT OR REPLACE INTO rollup_state (tier_s, done_until_ms) VALUES (?, ?)");
  if (!u) return Unexpected(u.error());
  u->bind(1, to_tier_s).bind(2, bound);
  return u->run();
}

StorageStatus SqliteStore::retain(int tier_s, std::int64_t keep_ms, std::int64_t now_ms) {
  for (const char* table : {"history", "socket_history"}) {
    auto st = db_.prepare(std::string("DELETE FROM ") + table + " WHERE tier_s = ? AND t_ms < ?");
    if (!st) return Unexpected(st.error());
    st->bind(1, tier_s).bind(2, now_ms - keep_ms);
    if (auto r = st->run(); !r) return r;
  }
  return {};
}

StorageStatus SqliteStore::maintain(WallTime now) {
  const std::int64_t now_ms = to_unix_ms(now);
  if (open_bucket_ && open_bucket_->t_ms + kBaseTierS * 1000 <= now_ms) close_bucket();
  if (auto r = flush(); !r) return r;
  Transaction tx(db_);
  if (auto r = tx.begin(); !r) return Unexpected(with_context(r.error(), "maintain"));
  if (auto r = rollup(10, 60, now_ms); !r) return Unexpected(with_context(r.error(), "rollup 1 min"));
  if (auto r = rollup(60, 900, now_ms); !r) return Unexpected(with_context(r.error(), "rollup 15 min"));
  const auto& s = settings_;
  if (auto r = retain(10, s.history_10s_retention_h * kHourMs, now_ms); !r) return r;
  if (auto r = retain(60, s.history_1min_retention_d * kDayMs, now_ms); !r) return r;
  if (auto r = retain(900, s.history_15min_retention_d * kDayMs, now_ms); !r) return r;
  for (const char* table : {"decision", "event"}) {
    auto st = db_.prepare(std::string("DELETE FROM ") + table + " WHERE t_ms < ?");
    if (!st) return Unexpected(st.error());
    st->bind(1, now_ms - s.log_retention_d * kDayMs);
    if (auto r = st->run(); !r) return r;
  }
  return tx.commit();
}

HistoryTier SqliteStore::tier_for(WallTime from, WallTime now) const {
  const std::int64_t age_ms = to_unix_ms(now) - to_unix_ms(from);
  if (age_ms <= settings_.history_10s_retention_h * kHourMs) return HistoryTier::TenSeconds;
  if (age_ms <= settings_.history_1min_retention_d * kDayMs) return HistoryTier::OneMinute;
  return HistoryTier::FifteenMinutes;
}

StorageStatus SqliteStore::record_peak_quarter(const PeakQuarter& q) {
  auto st = db_.prepare("INSERT OR REPLACE INTO peak_quarter (t_ms, average_w, energy_wh, covered_s) VALUES (?,?,?,?)");
  if (!st) return Unexpected(st.error());
  st->bind(1, to_unix_ms(q.start)).bind(2, q.average_w).bind(3, q.energy_wh).bind(4, q.covered_s);
  return st->run();
}

StorageResult<double> SqliteStore::peak_between(WallTime from, WallTime to) {
  auto st = db_.prepare("SELECT MAX(average_w) FROM peak_quarter WHERE t_ms >= ? AND t_ms < ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, to_unix_ms(from)).bind(2, to_unix_ms(to));
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  if (!*row || st->column_is_null(0)) return 0.0;
  return st->column_double(0);
}

StorageStatus SqliteStore::set_override(const SettingOverride& o) {
  auto st = db_.prepare("INSERT OR REPLACE INTO settings_override (key, value, source, t_ms) VALUES (?,?,?,?)");
  if (!st) return Unexpected(st.error());
  st->bind(1, o.key).bind(2, o.value).bind(3, o.source).bind(4, to_unix_ms(o.time));
  return st->run();
}

StorageStatus SqliteStore::clear_override(const std::string& key) {
  auto st = db_.prepare("DELETE FROM settings_override WHERE key = ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, key);
  return st->run();
}

StorageResult<std::vector<SettingOverride>> SqliteStore::overrides() {
  auto st = db_.prepare("SELECT key, value, source, t_ms FROM settings_override ORDER BY key");
  if (!st) return Unexpected(st.error());
  std::vector<SettingOverride> out;
  for (;;) {
    auto row = st->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    out.push_back({st->column_text(0), st->column_text(1), st->column_text(2), from_unix_ms(st->column_int64(3))});
  }
  return out;
}

namespace {
constexpr std::int64_t kSliceMs = 15 * 60 * 1000;
constexpr std::string_view kSessionColumns =
    "SELECT id, socket, start_ms, start_energy_wh, end_ms, end_energy_wh, max_current_a, avg_current_a, "
    "pv_energy_wh, end_reason, last_seen_ms, last_energy_wh, cost, currency FROM session ";

Session read_session(const Statement& st) {
  Session s;
  s.id = st.column_int64(0);
  s.socket = static_cast<int>(st.column_int64(1));
  s.start = from_unix_ms(st.column_int64(2));
  s.start_energy_wh = st.column_double(3);
  if (!st.column_is_null(4)) s.end = from_unix_ms(st.column_int64(4));
  s.end_energy_wh = st.column_optional_double(5);
  // A register that went backwards (station replaced or reset) gives no energy, not a negative one.
  if (s.end_energy_wh && *s.end_energy_wh >= s.start_energy_wh) s.energy_wh = *s.end_energy_wh - s.start_energy_wh;
  s.max_current_a = st.column_optional_double(6);
  s.avg_current_a = st.column_optional_double(7);
  s.pv_energy_wh = st.column_optional_double(8);
  if (!st.column_is_null(9)) s.end_reason = st.column_text(9);
  if (!st.column_is_null(10)) s.last_seen = from_unix_ms(st.column_int64(10));
  s.last_energy_wh = st.column_optional_double(11);
  s.cost = st.column_optional_double(12);
  if (!st.column_is_null(13)) s.currency = st.column_text(13);
  return s;
}

template <class T, class Read>
StorageResult<std::vector<T>> read_all(Statement& st, Read read) {
  std::vector<T> out;
  for (;;) {
    auto row = st.step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    out.push_back(read(st));
  }
  return out;
}

constexpr std::string_view kSessionFilter =
    "WHERE (?1 < 0 OR socket = ?1) AND (?2 IS NULL OR start_ms >= ?2) AND (?3 IS NULL OR start_ms < ?3) ";

void bind_filter(Statement& st, const SessionQuery& q) {
  st.bind(1, q.socket);
  if (q.from)
    st.bind(2, to_unix_ms(*q.from));
  else
    st.bind_null(2);
  if (q.to)
    st.bind(3, to_unix_ms(*q.to));
  else
    st.bind_null(3);
}
}  // namespace

StorageResult<std::optional<Session>> SqliteStore::open_session(int socket) {
  auto st = db_.prepare(std::string(kSessionColumns) +
                        "WHERE socket = ? AND end_ms IS NULL ORDER BY start_ms DESC, id DESC LIMIT 1");
  if (!st) return Unexpected(st.error());
  st->bind(1, socket);
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  if (!*row) return std::optional<Session>();
  return std::optional<Session>(read_session(*st));
}

StorageResult<std::vector<Session>> SqliteStore::open_sessions() {
  auto st = db_.prepare(std::string(kSessionColumns) + "WHERE end_ms IS NULL ORDER BY socket, start_ms");
  if (!st) return Unexpected(st.error());
  return read_all<Session>(*st, read_session);
}

StorageResult<std::int64_t> SqliteStore::start_session(const SessionStart& s) {
  if (auto prev = stop_session({s.socket, s.time, s.energy_counter_wh, std::nullopt, "replaced"}); !prev)
    return Unexpected(prev.error());
  auto st = db_.prepare(
      "INSERT INTO session (socket, start_ms, start_energy_wh, last_seen_ms, last_energy_wh) VALUES (?1,?2,?3,?2,?3)");
  if (!st) return Unexpected(st.error());
  st->bind(1, s.socket).bind(2, to_unix_ms(s.time)).bind(3, s.energy_counter_wh);
  if (auto r = st->run(); !r) return Unexpected(r.error());
  const auto id = db_.last_insert_id();
  meters_[s.socket] = Meter{id, s.energy_counter_wh, s.time, false, {}};
  return id;
}

StorageStatus SqliteStore::meter_session(int socket, WallTime time, double counter_wh,
                                         std::optional<double> pv_fraction) {
  auto it = meters_.find(socket);
  if (it == meters_.end()) {
    // After a restart: carry on from the last reading written for the open session.
    auto open = open_session(socket);
    if (!open) return Unexpected(open.error());
    if (!*open) return {};
    const auto& o = **open;
    it = meters_
             .emplace(
                 socket,
                 Meter{o.id, o.last_energy_wh.value_or(o.start_energy_wh), o.last_seen.value_or(o.start), false, {}})
             .first;
  }
  auto& m = it->second;
  const double delta = counter_wh - m.last_wh;
  if (delta > 0) {
    auto& slice = m.slices[floor_to(to_unix_ms(time), kSliceMs)];
    slice.energy_wh += delta;
    if (pv_fraction)
      slice.pv_energy_wh += delta * std::clamp(*pv_fraction, 0.0, 1.0);
    else
      slice.pv_known = false;
  }
  m.last_wh = counter_wh;
  m.last_seen = time;
  m.dirty = true;
  return {};
}

StorageStatus SqliteStore::write_meters() {
  auto sl = db_.prepare(
      "INSERT INTO session_slice (session_id, t_ms, energy_wh, pv_energy_wh) VALUES (?1,?2,?3,?4) "
      "ON CONFLICT (session_id, t_ms) DO UPDATE SET energy_wh = energy_wh + excluded.energy_wh, "
      "pv_energy_wh = pv_energy_wh + excluded.pv_energy_wh");
  if (!sl) return Unexpected(sl.error());
  auto up = db_.prepare("UPDATE session SET last_seen_ms = ?1, last_energy_wh = ?2 WHERE id = ?3");
  if (!up) return Unexpected(up.error());
  for (const auto& [socket, m] : meters_) {
    if (!m.dirty) continue;
    for (const auto& [t_ms, slice] : m.slices) {
      sl->reset();
      sl->bind(1, m.session_id).bind(2, t_ms).bind(3, slice.energy_wh);
      sl->bind(4, slice.pv_known ? std::optional<double>(slice.pv_energy_wh) : std::nullopt);
      if (auto r = sl->run(); !r) return r;
    }
    up->reset();
    up->bind(1, to_unix_ms(m.last_seen)).bind(2, m.last_wh).bind(3, m.session_id);
    if (auto r = up->run(); !r) return r;
  }
  return {};
}

StorageResult<std::optional<Session>> SqliteStore::stop_session(const SessionStop& s) {
  auto open = open_session(s.socket);
  if (!open) return Unexpected(open.error());
  if (!*open) return std::optional<Session>();
  const auto& o = **open;
  if (s.energy_counter_wh) {
    if (auto r = meter_session(s.socket, s.time, *s.energy_counter_wh, std::nullopt); !r) return Unexpected(r.error());
  }
  // The end reading: the register at the stop, else the last one metered.
  std::optional<double> end_wh = s.energy_counter_wh;
  if (!end_wh) {
    if (auto m = meters_.find(s.socket); m != meters_.end() && m->second.session_id == o.id)
      end_wh = m->second.last_wh;
    else
      end_wh = o.last_energy_wh.value_or(o.start_energy_wh);
  }
  // The bucket being filled is written as it stands so that it counts, and stays open: when it
  // closes, its complete mean replaces this row.
  if (open_bucket_ && open_bucket_->t_ms < to_unix_ms(s.time)) closed_buckets_.push_back(*open_bucket_);
  if (auto r = flush(); !r) return Unexpected(r.error());
  meters_.erase(s.socket);

  auto slices = session_slices(o.id);
  if (!slices) return Unexpected(slices.error());
  // Energy the quarter hours missed (a session older than its metering) goes to the last one.
  double metered = 0;
  bool pv_known = !slices->empty();
  double pv_wh = 0;
  for (const auto& sl : *slices) {
    metered += sl.energy_wh;
    if (sl.pv_energy_wh)
      pv_wh += *sl.pv_energy_wh;
    else
      pv_known = false;
  }
  const double missed = *end_wh - o.start_energy_wh - metered;
  if (missed > 0.5) {
    slices->push_back({from_unix_ms(floor_to(to_unix_ms(s.time), kSliceMs)), missed, std::nullopt});
    pv_known = false;
  }
  std::optional<double> pv = s.pv_energy_wh;
  if (!pv && pv_known) pv = pv_wh;
  const auto cost = price_slices(tariff_, *slices, local_);

  // "Current" of a socket at one time = its highest phase current.
  auto st = db_.prepare(
      "UPDATE session SET end_ms = ?1, end_energy_wh = ?2, pv_energy_wh = ?3, "
      "max_current_a = (SELECT MAX(MAX(COALESCE(l1_a,0), COALESCE(l2_a,0), COALESCE(l3_a,0))) FROM socket_history "
      "  WHERE tier_s = 10 AND socket = ?4 AND t_ms >= ?5 AND t_ms < ?1 AND "
      "  (l1_a IS NOT NULL OR l2_a IS NOT NULL OR l3_a IS NOT NULL)), "
      "avg_current_a = (SELECT AVG(MAX(COALESCE(l1_a,0), COALESCE(l2_a,0), COALESCE(l3_a,0))) FROM socket_history "
      "  WHERE tier_s = 10 AND socket = ?4 AND t_ms >= ?5 AND t_ms < ?1 AND "
      "  (l1_a IS NOT NULL OR l2_a IS NOT NULL OR l3_a IS NOT NULL)), "
      "end_reason = ?7, cost = ?8, currency = ?9 "
      "WHERE id = ?6");
  if (!st) return Unexpected(st.error());
  const std::int64_t start_bucket = floor_to(to_unix_ms(o.start), kBaseTierS * 1000);
  st->bind(1, to_unix_ms(s.time)).bind(2, *end_wh).bind(3, pv);
  st->bind(4, s.socket).bind(5, start_bucket).bind(6, o.id).bind(7, s.reason).bind(8, cost);
  if (cost)
    st->bind(9, tariff_.currency);
  else
    st->bind_null(9);
  if (auto r = st->run(); !r) return Unexpected(r.error());
  auto closed = session(o.id);
  if (!closed) return Unexpected(closed.error());
  if (*closed && sink_) sink_->on_session_end(**closed);
  return closed;
}

StorageResult<std::vector<Session>> SqliteStore::sessions(int socket, std::size_t limit) {
  SessionQuery q;
  q.socket = socket;
  q.limit = limit;
  return sessions(q);
}

StorageResult<std::vector<Session>> SqliteStore::sessions(const SessionQuery& q) {
  auto st = db_.prepare(std::string(kSessionColumns) + std::string(kSessionFilter) +
                        "ORDER BY start_ms DESC, id DESC LIMIT ?4 OFFSET ?5");
  if (!st) return Unexpected(st.error());
  bind_filter(*st, q);
  st->bind(4, static_cast<std::int64_t>(q.limit)).bind(5, static_cast<std::int64_t>(q.offset));
  return read_all<Session>(*st, read_session);
}

StorageResult<std::int64_t> SqliteStore::count_sessions(const SessionQuery& q) {
  auto st = db_.prepare("SELECT COUNT(*) FROM session " + std::string(kSessionFilter));
  if (!st) return Unexpected(st.error());
  bind_filter(*st, q);
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  return *row ? st->column_int64(0) : 0;
}

StorageResult<std::optional<Session>> SqliteStore::session(std::int64_t id) {
  auto st = db_.prepare(std::string(kSessionColumns) + "WHERE id = ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, id);
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  if (!*row) return std::optional<Session>();
  return std::optional<Session>(read_session(*st));
}

StorageResult<std::vector<SessionSlice>> SqliteStore::session_slices(std::int64_t id) {
  auto st = db_.prepare("SELECT t_ms, energy_wh, pv_energy_wh FROM session_slice WHERE session_id = ? ORDER BY t_ms");
  if (!st) return Unexpected(st.error());
  st->bind(1, id);
  return read_all<SessionSlice>(*st, [](const Statement& r) {
    return SessionSlice{from_unix_ms(r.column_int64(0)), r.column_double(1), r.column_optional_double(2)};
  });
}

StorageResult<std::vector<HistorySample>> SqliteStore::history(HistoryTier tier, WallTime from, WallTime to) {
  const int tier_s = static_cast<int>(tier);
  auto st = db_.prepare(
      "SELECT t_ms, grid_l1_a, grid_l2_a, grid_l3_a, grid_l1_w, grid_l2_w, grid_l3_w, pv_w, heatpump_w, "
      "grid_limit_a FROM history WHERE tier_s = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms");
  if (!st) return Unexpected(st.error());
  st->bind(1, tier_s).bind(2, to_unix_ms(from)).bind(3, to_unix_ms(to));
  std::vector<HistorySample> out;
  std::map<std::int64_t, std::size_t> index;
  for (;;) {
    auto row = st->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    HistorySample h;
    h.time = from_unix_ms(st->column_int64(0));
    for (int i = 0; i < 3; ++i) {
      h.grid_current_a[static_cast<std::size_t>(i)] = st->column_optional_double(1 + i);
      h.grid_power_w[static_cast<std::size_t>(i)] = st->column_optional_double(4 + i);
    }
    h.pv_w = st->column_optional_double(7);
    h.heatpump_w = st->column_optional_double(8);
    h.grid_limit_a = st->column_optional_double(9);
    index[st->column_int64(0)] = out.size();
    out.push_back(std::move(h));
  }
  auto ss = db_.prepare(
      "SELECT t_ms, socket, l1_a, l2_a, l3_a, setpoint_a, applied_a FROM socket_history "
      "WHERE tier_s = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms, socket");
  if (!ss) return Unexpected(ss.error());
  ss->bind(1, tier_s).bind(2, to_unix_ms(from)).bind(3, to_unix_ms(to));
  for (;;) {
    auto row = ss->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    const auto it = index.find(ss->column_int64(0));
    if (it == index.end()) continue;
    SocketSample s;
    s.socket = static_cast<int>(ss->column_int64(1));
    for (int i = 0; i < 3; ++i) s.current_a[static_cast<std::size_t>(i)] = ss->column_optional_double(2 + i);
    s.setpoint_a = ss->column_optional_double(5);
    s.applied_a = ss->column_optional_double(6);
    out[it->second].sockets.push_back(s);
  }
  return out;
}

StorageResult<std::vector<Decision>> SqliteStore::decisions(WallTime since, std::size_t limit, int socket) {
  auto st = db_.prepare(
      "SELECT id, t_ms, socket, old_a, new_a, reason FROM decision WHERE t_ms >= ?1 AND (?2 < 0 OR socket = ?2) "
      "ORDER BY t_ms DESC, id DESC LIMIT ?3");
  if (!st) return Unexpected(st.error());
  st->bind(1, to_unix_ms(since)).bind(2, socket).bind(3, static_cast<std::int64_t>(limit));
  std::vector<Decision> out;
  for (;;) {
    auto row = st->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    out.push_back({st->column_int64(0), from_unix_ms(st->column_int64(1)), static_cast<int>(st->column_int64(2)),
                   st->column_double(3), st->column_double(4), st->column_text(5)});
  }
  return out;
}

StorageResult<std::vector<Event>> SqliteStore::events(WallTime since, std::size_t limit) {
  auto st = db_.prepare(
      "SELECT id, t_ms, kind, subject, text, code, params FROM event WHERE t_ms >= ? ORDER BY t_ms DESC, id DESC "
      "LIMIT ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, to_unix_ms(since)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  for (;;) {
    auto row = st->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    const auto kind = parse_event_kind(st->column_text(2));
    out.push_back({st->column_int64(0),
                   from_unix_ms(st->column_int64(1)),
                   kind.value_or(EventKind::FaultRaised),
                   st->column_text(3),
                   st->column_text(4),
                   {st->column_text(5), decode_params(st->column_text(6))}});
  }
  return out;
}

}  // namespace emsgw::gateway::storage
