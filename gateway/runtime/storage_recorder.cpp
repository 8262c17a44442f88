#include "gateway/runtime/storage_recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "gateway/control/messages.hpp"

namespace emsgw::gateway {

namespace {

constexpr std::string_view kSocketPrefix = "socket[";
constexpr std::string_view kModeSuffix = "].mode";
constexpr std::string_view kMaxSuffix = "].max_current_a";
constexpr std::string_view kSiteLimitKey = "site.grid_max_current_a";
/// "Stop all charging" (the owner's or the operator's suspend), kept so that a restart does not
/// resume charging on its own.
constexpr std::string_view kSuspendedKey = "site.suspended";
constexpr auto kMaintainEvery = std::chrono::seconds(60);

std::string number_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

/// "socket[3].mode" with suffix "].mode" → 3.
std::optional<int> socket_of(std::string_view key, std::string_view suffix) {
  if (!key.starts_with(kSocketPrefix) || !key.ends_with(suffix)) return std::nullopt;
  const auto digits = key.substr(kSocketPrefix.size(), key.size() - kSocketPrefix.size() - suffix.size());
  int id = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return id;
}

std::string socket_key(int id, std::string_view suffix) {
  return std::string(kSocketPrefix) + std::to_string(id) + std::string(suffix);
}

}  // namespace

std::optional<storage::SettingOverride> override_from_command(const ems::Command& c, std::string source,
                                                              ems::WallTime at) {
  storage::SettingOverride o;
  o.source = std::move(source);
  o.time = at;
  if (const auto* m = std::get_if<ems::SetSocketMode>(&c)) {
    o.key = socket_key(m->socket_id, kModeSuffix);
    o.value = std::string(ems::to_string(m->mode));
  } else if (const auto* x = std::get_if<ems::SetSocketMaxCurrent>(&c)) {
    o.key = socket_key(x->socket_id, kMaxSuffix);
    o.value = number_text(x->max_current_a);
  } else if (const auto* s = std::get_if<ems::SetSiteLimit>(&c)) {
    o.key = std::string(kSiteLimitKey);
    o.value = number_text(s->grid_max_current_a);
  } else if (std::holds_alternative<ems::Suspend>(c) || std::holds_alternative<ems::Resume>(c)) {
    o.key = std::string(kSuspendedKey);
    o.value = std::holds_alternative<ems::Suspend>(c) ? "true" : "false";
  } else {
    return std::nullopt;
  }
  return o;
}

std::optional<ems::Command> command_from_override(const storage::SettingOverride& o) {
  if (o.key == kSuspendedKey) {
    if (o.value == "true") return ems::Suspend{};
    if (o.value == "false") return ems::Resume{};
    return std::nullopt;
  }
  if (const auto id = socket_of(o.key, kModeSuffix)) {
    const auto mode = ems::parse_charge_mode(o.value);
    if (!mode) return std::nullopt;
    return ems::SetSocketMode{*id, *mode};
  }
  if (const auto id = socket_of(o.key, kMaxSuffix)) {
    const auto v = parse_number(o.value);
    if (!v) return std::nullopt;
    return ems::SetSocketMaxCurrent{*id, *v};
  }
  if (o.key == kSiteLimitKey) {
    const auto v = parse_number(o.value);
    if (!v) return std::nullopt;
    return ems::SetSiteLimit{*v};
  }
  return std::nullopt;
}

std::vector<OverrideOutcome> apply_overrides(ems::SiteConfig& site,
                                             const std::vector<storage::SettingOverride>& items) {
  std::vector<OverrideOutcome> out;
  for (const auto& o : items) {
    OverrideOutcome r{o, false, {}};
    const auto command = command_from_override(o);
    if (!command) {
      r.message = "unknown key or unreadable value";
    } else {
      auto copy = site;
      if (const auto issues = ems::apply_command(copy, *command); !issues.empty()) {
        r.message = "refused: " + issues.front().key + " = " + issues.front().value + ": " + issues.front().rule;
      } else {
        site = std::move(copy);
        r.applied = true;
        r.message = ems::describe(*command);
      }
    }
    if (r.applied)
      spdlog::info("override {} = {} (set by {}) applied on top of the configuration file", o.key, o.value, o.source);
    else
      spdlog::warn("override {} = {} (set by {}) skipped: {}", o.key, o.value, o.source, r.message);
    out.push_back(std::move(r));
  }
  return out;
}

StorageRecorder::StorageRecorder(storage::SqliteStore store, std::size_t queue_capacity)
    : store_(std::move(store)), capacity_(queue_capacity == 0 ? 1 : queue_capacity) {}

StorageRecorder::~StorageRecorder() {
  stop();
}

void StorageRecorder::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = false;
    running_ = true;
  }
  thread_ = std::thread([this] { run(); });
}

void StorageRecorder::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  thread_.join();
  std::lock_guard lock(store_mutex_);
  check("final flush", store_.flush(true));
  std::lock_guard slock(queue_mutex_);
  ++stats_.flushes;
}

void StorageRecorder::on_step(const std::shared_ptr<const StepReport>& report) {
  if (!report->closed_quarters.empty()) {
    // A few a hour and the month's peak depends on them: not bounded, never dropped.
    {
      std::lock_guard lock(queue_mutex_);
      for (const auto& q : report->closed_quarters)
        queue_.emplace_back(storage::PeakQuarter{q.start, q.average_w, q.energy_wh, q.covered_s});
    }
    queue_cv_.notify_one();
  }
  enqueue({report->status, report->decisions, report->session_events});
}

void StorageRecorder::on_status(const std::shared_ptr<const ems::SiteStatus>& status) {
  enqueue({status, decisions_ ? decisions_() : std::vector<Decision>{}, std::nullopt});
}

void StorageRecorder::enqueue(StatusItem item) {
  {
    std::lock_guard lock(queue_mutex_);
    std::size_t statuses = 0;
    for (const auto& i : queue_)
      if (std::holds_alternative<StatusItem>(i)) ++statuses;
    if (statuses >= capacity_) {
      // Keep the decisions and the session events: fold them into the newest queued status
      // instead of losing them.
      for (auto it = queue_.rbegin(); it != queue_.rend(); ++it)
        if (auto* s = std::get_if<StatusItem>(&*it)) {
          s->decisions.insert(s->decisions.end(), item.decisions.begin(), item.decisions.end());
          if (s->session_events && item.session_events)
            s->session_events->insert(s->session_events->end(), item.session_events->begin(),
                                      item.session_events->end());
          break;
        }
      ++stats_.dropped;
      return;
    }
    queue_.emplace_back(std::move(item));
  }
  queue_cv_.notify_one();
}

void StorageRecorder::record_command(const ems::Command& command, const std::string& source, ems::WallTime at) {
  auto o = override_from_command(command, source, at);
  if (!o) return;
  {
    std::lock_guard lock(queue_mutex_);
    queue_.emplace_back(std::move(*o));  // overrides are rare and must not be lost: not bounded
  }
  queue_cv_.notify_one();
}

void StorageRecorder::record_event(storage::Event event) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.emplace_back(std::move(event));  // rare (transitions only): not bounded
  }
  queue_cv_.notify_one();
}

void StorageRecorder::wait_idle() {
  std::unique_lock lock(queue_mutex_);
  idle_cv_.wait(lock, [this] { return (queue_.empty() && !busy_) || !running_; });
}

RecorderStats StorageRecorder::stats() const {
  std::lock_guard lock(queue_mutex_);
  return stats_;
}

void StorageRecorder::run() {
  std::unique_lock lock(queue_mutex_);
  while (true) {
    queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything queued is written
    Item item = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    handle(item);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  running_ = false;
  idle_cv_.notify_all();
}

void StorageRecorder::handle(Item& item) {
  std::lock_guard lock(store_mutex_);
  if (auto* o = std::get_if<storage::SettingOverride>(&item)) {
    check("override", store_.set_override(*o));
    log_override(*o);
    std::lock_guard slock(queue_mutex_);
    ++stats_.overrides;
    return;
  }
  if (auto* q = std::get_if<storage::PeakQuarter>(&item)) {
    check("peak quarter", store_.record_peak_quarter(*q));
    return;
  }
  if (auto* e = std::get_if<storage::Event>(&item)) {
    store_.record_event(*e);
    std::lock_guard slock(queue_mutex_);
    ++stats_.events;
    return;
  }
  handle_status(std::get<StatusItem>(item));
}

void StorageRecorder::handle_status(const StatusItem& item) {
  const auto& st = *item.status;
  storage::HistorySample h;
  h.time = st.time;
  if (st.grid_max_current_a > 0) h.grid_limit_a = st.grid_max_current_a - st.safety_margin_a;
  if (!st.grid.stale) {
    h.grid_current_a = st.grid.current_a;
    h.grid_power_w = st.grid.power_w;
  }
  if (st.pv.configured && !st.pv.stale) h.pv_w = st.pv.power_w;
  if (st.heatpump.configured) h.heatpump_w = st.heatpump.power_w;
  for (const auto& so : st.sockets) {
    storage::SocketSample s;
    s.socket = so.id;
    if (so.online) {
      s.current_a = so.current_a;
      s.applied_a = so.applied_a;
    }
    s.setpoint_a = so.setpoint_a;
    h.sockets.push_back(s);
  }
  store_.add_sample(h);
  record_decisions(item.decisions);
  if (item.session_events) {
    store_sessions(st, *item.session_events);
  } else {
    std::vector<SocketObservation> seen;
    for (const auto& so : st.sockets)
      seen.push_back({so.id, so.online, so.ev_connected, so.total_energy_wh, so.mode3, so.setpoint_a});
    store_sessions(st, bare_sessions_.observe(st.time, seen));
  }
  track_settings(st);
  {
    std::lock_guard slock(queue_mutex_);
    ++stats_.statuses;
  }

  const auto interval = std::chrono::seconds(std::max(1, store_.settings().flush_interval_s));
  if (!last_flush_) last_flush_ = st.time;
  if (!last_maintain_) last_maintain_ = st.time;
  if (st.time - *last_maintain_ >= kMaintainEvery) {
    check("maintain", store_.maintain(st.time));
    last_maintain_ = st.time;
    last_flush_ = st.time;
    std::lock_guard slock(queue_mutex_);
    ++stats_.flushes;
  } else if (st.time - *last_flush_ >= interval) {
    check("flush", store_.flush());
    last_flush_ = st.time;
    std::lock_guard slock(queue_mutex_);
    ++stats_.flushes;
  }
}

void StorageRecorder::record_decisions(const std::vector<Decision>& ds) {
  constexpr std::string_view raised = "fault_raised:";
  constexpr std::string_view cleared = "fault_cleared:";
  std::uint64_t decisions = 0;
  std::uint64_t events = 0;
  for (const auto& d : ds) {
    const std::string_view reason = d.reason;
    if (reason.starts_with(raised) || reason.starts_with(cleared)) {
      const bool up = reason.starts_with(raised);
      store_.record_event({0, d.at, up ? storage::EventKind::FaultRaised : storage::EventKind::FaultCleared,
                           std::string(reason.substr(up ? raised.size() : cleared.size())), d.text, d.message});
      ++events;
    } else if (d.socket_id < 0 && reason == "dimming") {
      // The grid operator's commands and the start and end of its dimming.
      store_.record_event({0, d.at, storage::EventKind::Dimming, "grid_operator", d.text, d.message});
      ++events;
    } else if (d.socket_id < 0) {
      // Site level: commands and reloads change the configuration in force.
      store_.record_event({0, d.at, storage::EventKind::ConfigChange, d.reason, d.text, d.message});
      ++events;
    } else {
      store_.record_decision({0, d.at, d.socket_id, d.old_a, d.new_a, d.reason});
      ++decisions;
    }
  }
  std::lock_guard slock(queue_mutex_);
  stats_.decisions += decisions;
  stats_.events += events;
}

namespace {
/// Share of the EVs' power covered by solar surplus at this step: what the site imports goes to
/// the EVs last, so the EVs draw from the grid only what the site imports. 0 without PV; nullopt
/// when a reading it needs is stale or missing.
std::optional<double> solar_fraction(const ems::SiteStatus& st, bool meter_includes_chargers) {
  double ev_w = 0;
  for (const auto& so : st.sockets)
    for (const auto& a : so.current_a) ev_w += std::max(0.0, a.value_or(0)) * 230.0;
  if (ev_w <= 0) return 0.0;
  if (!st.pv.configured) return 0.0;
  if (st.pv.stale || st.grid.stale || !st.grid.power_w_total) return std::nullopt;
  const double site_import_w = *st.grid.power_w_total + (meter_includes_chargers ? 0.0 : ev_w);
  const double from_grid = std::clamp(site_import_w, 0.0, ev_w);
  return (ev_w - from_grid) / ev_w;
}

std::string socket_name(const ems::SocketStatus& so) {
  return "socket " + std::to_string(so.id) + " (" + so.station + ")";
}

/// "12.34": kWh with two decimals, without the unit.
std::string kwh_number(double wh) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", wh / 1000);
  return buf;
}

std::string kwh_text(double wh) {
  return kwh_number(wh) + " kWh";
}
}  // namespace

void StorageRecorder::plug_event(ems::WallTime at, const ems::SocketStatus& so, storage::EventKind kind,
                                 std::string text, ems::Message message) {
  store_.record_event({0, at, kind, "socket[" + std::to_string(so.id) + "]", std::move(text), std::move(message)});
  std::lock_guard slock(queue_mutex_);
  ++stats_.events;
}

// Sessions left open by the previous run: a socket that is gone from the configuration ends its
// session where emsgw last saw it. (Sockets still configured are settled by settle_after_restart as
// soon as their station answers.)
void StorageRecorder::close_after_restart(const ems::SiteStatus& st) {
  restart_checked_ = true;
  auto open = store_.open_sessions();
  if (!open) return fail("open sessions", open.error());
  for (const auto& o : *open) {
    const bool configured =
        std::any_of(st.sockets.begin(), st.sockets.end(), [&](const auto& so) { return so.id == o.socket; });
    if (configured) continue;
    if (auto r = store_.stop_session(
            {o.socket, o.last_seen.value_or(o.start), std::nullopt, std::nullopt, "socket_removed"});
        !r)
      fail("session stop", r.error());
  }
}

void StorageRecorder::track_settings(const ems::SiteStatus& st) {
  const auto note = [this](const std::string& key, std::string value) {
    auto& v = settings_[key];
    if (v.now == value) return;
    v.before = std::move(v.now);
    v.now = std::move(value);
  };
  note(std::string(kSiteLimitKey), number_text(st.grid_max_current_a));
  for (const auto& so : st.sockets) {
    note(socket_key(so.id, kModeSuffix), std::string(ems::to_string(so.mode)));
    note(socket_key(so.id, kMaxSuffix), number_text(so.max_current_a));
    socket_names_[so.id] = "socket " + std::to_string(so.id) + " (" + so.station + ")";
    socket_stations_[so.id] = so.station;
  }
}

// A setting kept as an override (dashboard, MQTT, command) is an event with its old and new value.
void StorageRecorder::log_override(const storage::SettingOverride& o) {
  std::string old;
  if (const auto it = settings_.find(o.key); it != settings_.end())
    old = it->second.now == o.value ? it->second.before : it->second.now;
  const bool set = old.empty() || old == o.value;
  std::string what = o.key;
  ems::Message message =
      set ? msg::setting_set(o.key, o.value, o.source) : msg::setting_changed(o.key, old, o.value, o.source);
  // A socket's setting: by its name, and as a message only where the station is known.
  const auto socket_setting = [&](int id, std::string_view words, const auto& set_code, const auto& changed_code) {
    const auto n = socket_names_.find(id);
    what = (n != socket_names_.end() ? n->second : "socket " + std::to_string(id)) + std::string(words);
    const auto station = socket_stations_.find(id);
    if (station == socket_stations_.end())
      message = {};
    else if (set)
      message = set_code(std::to_string(id), station->second, o.value, o.source);
    else
      message = changed_code(std::to_string(id), station->second, old, o.value, o.source);
  };
  if (o.key == kSiteLimitKey) {
    what = "grid limit per phase (A)";
    message = set ? msg::grid_limit_set(o.value, o.source) : msg::grid_limit_changed(old, o.value, o.source);
  } else if (const auto id = socket_of(o.key, kModeSuffix)) {
    socket_setting(*id, ": mode", msg::socket_mode_set, msg::socket_mode_changed);
  } else if (const auto mid = socket_of(o.key, kMaxSuffix)) {
    socket_setting(*mid, ": maximum current (A)", msg::socket_max_set, msg::socket_max_changed);
  }
  const std::string text =
      what + ": " + (set ? "set to " + o.value : old + " → " + o.value) + " (set by " + o.source + ")";
  store_.record_event({0, o.time, storage::EventKind::ConfigChange, o.key, text, std::move(message)});
  std::lock_guard slock(queue_mutex_);
  ++stats_.events;
}

void StorageRecorder::settle_after_restart(ems::WallTime at, const ems::SocketStatus& so) {
  // After a restart a session may still be open in the file: with the EV still there it goes on
  // (the register keeps counting); an EV that left while emsgw was stopped ends it at the last
  // time emsgw saw it, with the register as read now.
  auto open = store_.open_session(so.id);
  if (!open) return fail("open session", open.error());
  if (!open->has_value()) return;
  const auto& o = **open;
  if (so.ev_connected) {
    stored_open_.insert(so.id);
    resumed_.insert(so.id);
  } else if (auto r = store_.stop_session(
                 {so.id, o.last_seen.value_or(o.start), so.total_energy_wh, std::nullopt, "unplugged_during_restart"});
             r) {
    const auto energy = (*r) ? (*r)->energy_wh : std::nullopt;
    const auto id = std::to_string(so.id);
    plug_event(at, so, storage::EventKind::Unplug,
               socket_name(so) + ": the EV left while emsgw was stopped; session ended at the last reading" +
                   (energy ? ", " + kwh_text(*energy) : ""),
               energy ? msg::unplug_during_restart_energy(id, so.station, kwh_number(*energy))
                      : msg::unplug_during_restart(id, so.station));
    if (*r && session_listener_) session_listener_(**r);
    std::lock_guard slock(queue_mutex_);
    ++stats_.sessions_stopped;
  } else {
    fail("session stop", r.error());
  }
}

void StorageRecorder::store_event(const ems::SocketStatus& so, const SessionEvent& e) {
  switch (e.kind) {
    case SessionEventKind::Started: {
      if (auto r = store_.start_session({so.id, e.at, e.start_energy_wh}); r) {
        stored_open_.insert(so.id);
        // An EV already connected when emsgw starts was not seen arriving: its session begins
        // without a plug-in event.
        if (e.seen_arriving)
          plug_event(e.at, so, storage::EventKind::PlugIn, socket_name(so) + ": EV plugged in",
                     msg::plug_in(std::to_string(so.id), so.station));
        std::lock_guard slock(queue_mutex_);
        ++stats_.sessions_started;
      } else {
        fail("session start", r.error());
      }
      break;
    }
    case SessionEventKind::Ended: {
      if (auto r = store_.stop_session({so.id, e.at, e.energy_wh, std::nullopt, "unplugged"}); r) {
        const auto energy = (*r) ? (*r)->energy_wh : std::nullopt;
        const auto id = std::to_string(so.id);
        plug_event(e.at, so, storage::EventKind::Unplug,
                   socket_name(so) + ": EV unplugged" + (energy ? " after " + kwh_text(*energy) : ""),
                   energy ? msg::unplug_energy(id, so.station, kwh_number(*energy)) : msg::unplug(id, so.station));
        if (*r && session_listener_) session_listener_(**r);
        std::lock_guard slock(queue_mutex_);
        ++stats_.sessions_stopped;
      } else {
        fail("session stop", r.error());
      }
      stored_open_.erase(so.id);
      resumed_.erase(so.id);
      break;
    }
    case SessionEventKind::EvFull:
      plug_event(e.at, so, storage::EventKind::EvFull,
                 socket_name(so) + ": the EV stopped charging by itself (full, or its own timer or limit)",
                 msg::ev_full(std::to_string(so.id), so.station));
      break;
  }
}

void StorageRecorder::store_sessions(const ems::SiteStatus& st, const std::vector<SessionEvent>& events) {
  if (!restart_checked_) close_after_restart(st);
  const auto fraction = solar_fraction(st, meter_includes_chargers_);
  for (const auto& so : st.sockets) {
    if (!so.online) continue;  // a silent station says nothing about the EV
    if (settled_.insert(so.id).second) settle_after_restart(st.time, so);
    bool changed = false;
    for (const auto& e : events) {
      if (e.socket_id != so.id) continue;
      // A session resumed from the file goes on: the tracker's start of it is not a new one.
      if (e.kind == SessionEventKind::Started && resumed_.contains(so.id)) continue;
      if (e.kind != SessionEventKind::Started && !stored_open_.contains(so.id)) continue;
      store_event(so, e);
      changed = changed || e.kind != SessionEventKind::EvFull;
    }
    // A resumed session whose EV is gone ends even when the tracker never opened it (no counter).
    if (!changed && resumed_.contains(so.id) && !so.ev_connected) {
      store_event(so, {SessionEventKind::Ended, so.id, st.time, true, 0, so.total_energy_wh});
      changed = true;
    }
    if (!changed && stored_open_.contains(so.id) && so.total_energy_wh)
      check("session metering", store_.meter_session(so.id, st.time, *so.total_energy_wh, fraction));
  }
}

void StorageRecorder::check(const char* what, const storage::StorageStatus& s) {
  if (!s) fail(what, s.error());
}

void StorageRecorder::fail(const char* what, const storage::StorageError& e) {
  {
    std::lock_guard slock(queue_mutex_);
    ++stats_.failures;
  }
  if (!failure_logged_) {
    spdlog::error("storage: {} failed: {} (history keeps running in memory; further failures are only counted)", what,
                  e.message);
    failure_logged_ = true;
  } else {
    spdlog::debug("storage: {} failed: {}", what, e.message);
  }
}

}  // namespace emsgw::gateway
