#include "gateway/runtime/control_loop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace emsgw::gateway {

namespace {
using ems::Amps;
using ems::MonoTime;
using ems::Reason;
using ems::SocketState;

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

constexpr std::size_t kKeepSamples = 4096;

void keep(std::vector<double>& v, double x) {
  if (v.size() >= kKeepSamples) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(kKeepSamples / 4));
  v.push_back(x);
}

double micros(ems::MonoTime::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

std::string reason_words(Reason r) {
  return std::string(ems::to_words(r));
}

SocketState state_for(Reason r, const SocketSample* s, int current_a) {
  switch (r) {
    case Reason::FailSafe:
    case Reason::StationLost:
    case Reason::StateUnknown: return s && s->valid ? SocketState::FallbackSafe : SocketState::Unknown;
    case Reason::Suspended: return SocketState::Suspended;
    case Reason::ModeOff: return SocketState::Off;
    case Reason::Fault: return SocketState::Fault;
    case Reason::NotConnected: return SocketState::Available;
    case Reason::Alternating: return SocketState::Alternating;
    case Reason::Probing: return SocketState::Probing;
    case Reason::PvWaiting:
    case Reason::PvStale: return SocketState::WaitingForPower;
    case Reason::Schedule:
    case Reason::SiteLimit: return current_a > 0 ? SocketState::LimitedBySchedule : SocketState::WaitingForPower;
    default: break;
  }
  if (current_a == 0) return SocketState::WaitingForPower;
  const bool charging = s && (s->state == ems::ConnectorState::Charging);
  if (!charging) return SocketState::Connected;
  switch (r) {
    case Reason::GridL1:
    case Reason::GridL2:
    case Reason::GridL3:
    case Reason::StationMax:
    case Reason::SocketLimit:
    case Reason::PvSurplus: return SocketState::ChargingReduced;
    default: return SocketState::Charging;
  }
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
std::string format_amps(double a) {
  return format_number(a) + " A";
}
}  // namespace

ControlLoop::ControlLoop(Config config, const ems::Clock& clock, Actuator& actuator)
    : config_(std::move(config)), clock_(clock), actuator_(actuator), allocator_(config_.site) {
  index_sockets();
  stations_.resize(config_.site.stations.size());
}

void ControlLoop::index_sockets() {
  sockets_.clear();
  for (std::size_t i = 0; i < config_.site.stations.size(); ++i)
    for (std::size_t j = 0; j < config_.site.stations[i].sockets.size(); ++j) {
      const auto& so = config_.site.stations[i].sockets[j];
      sockets_.push_back({i, j, so.unit, so.id});
    }
}

void ControlLoop::add_observer(StatusObserver* observer) {
  observers_.push_back(observer);
}

void ControlLoop::post(Event event) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(event));
  }
  queue_cv_.notify_one();
}

void ControlLoop::wake() {
  queue_cv_.notify_all();
}

void ControlLoop::run(const std::atomic<bool>& stop, const std::function<void()>& heartbeat) {
  auto next_timer = clock_.mono_now();
  while (!stop) {
    std::deque<Event> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return !queue_.empty() || stop.load(); });
      batch.swap(queue_);
    }
    for (auto& e : batch) handle(std::move(e));
    if (clock_.mono_now() >= next_timer) {
      step("timer");
      next_timer = clock_.mono_now() + step_interval;
    }
    if (heartbeat) heartbeat();
  }
}

void ControlLoop::handle(Event event) {
  {
    std::lock_guard lock(state_mutex_);
    ++stats_.events;
  }
  std::visit(Overload{
                 [this](MeterEvent& e) {
                   on_meter(e);
                   if (e.role == "grid") step("grid sample");
                 },
                 [this](StationEvent& e) {
                   if (on_station(e)) step("station change");
                 },
                 [this](WriteEvent& e) { on_write(e); },
                 [this](CommandEvent& e) {
                   on_command(e);
                   step("command");
                 },
                 [this](ReloadEvent& e) {
                   on_reload(e);
                   step("reload");
                 },
                 [this](ReloadRefusedEvent& e) { on_reload_refused(e); },
             },
             event);
}

void ControlLoop::on_meter(MeterEvent& e) {
  const auto now = clock_.mono_now();
  if (!e.reading) {
    const auto code = "meter_error:" + e.role;
    if (!faults_.contains(code)) raise_fault(code, "meter " + e.role + ": " + e.reading.error().message);
    return;
  }
  clear_fault("meter_error:" + e.role);
  auto r = std::move(e.reading).value();
  meter_seen_[e.role] = now;
  if (e.role == "grid") {
    // A grid sample is used only if every grid phase current is valid; otherwise it is rejected
    // and the last valid one ages towards the stale limit (design.md §2.2, §2.4).
    const int phases = config_.site.grid_phases;
    bool ok = true;
    for (int p = 0; p < phases; ++p) ok = ok && r.current_a[static_cast<std::size_t>(p)].valid();
    if (!ok) {
      {
        std::lock_guard lock(state_mutex_);
        ++stats_.meter_rejected;
      }
      grid_sample_rejected(r);
      return;
    }
    // Valid per the driver, but impossible at this connection (the allocator's own bound).
    const double bound = 4 * config_.site.grid_max_current_a + 10;
    for (int p = 0; p < phases; ++p) {
      const double a = *r.current_a[static_cast<std::size_t>(p)].value();
      if (std::fabs(a) > bound) {
        {
          std::lock_guard lock(state_mutex_);
          ++stats_.meter_rejected;
        }
        raise_or_update_fault("meter_rejected:grid",
                              "grid meter reported " + format_amps(a) + " on L" + std::to_string(p + 1) +
                                  ": implausible for a " + format_amps(config_.site.grid_max_current_a) +
                                  " connection; sample rejected (every socket goes to its safe current if this "
                                  "lasts " +
                                  format_number(config_.site.meter_stale_after_s) + " s)");
        return;
      }
    }
    clear_fault("meter_rejected:grid");
    pending_grid_sample_ = now;
    follow_meter_interval(r);
    grid_history_.push_back(r);
    // Enough to cover the slowest station poll the alignment looks back to.
    constexpr auto kGridHistory = std::chrono::seconds(10);
    while (grid_history_.size() > 256 ||
           (grid_history_.size() > 1 && r.mono - grid_history_.front().mono > kGridHistory))
      grid_history_.pop_front();
  }
  meters_[e.role] = std::move(r);
}

void ControlLoop::follow_meter_interval(const drivers::MeterReading& r) {
  // Without site.meter_stale_after_s in the file, the grid meter's age limit follows how often it
  // sends (DSMR 4: every 10 s → 25 s), so a slow meter does not flap "meter stale".
  const auto it = config_.meters.find("grid");
  if (it == config_.meters.end() || !it->second.stale_limit_from_interval || !r.send_interval) return;
  const double want = drivers::stale_limit_for_interval_s(*r.send_interval, ems::SiteConfig{}.meter_stale_after_s);
  if (want == config_.site.meter_stale_after_s) return;
  auto site = config_.site;
  site.meter_stale_after_s = want;
  if (!allocator_.update_config(conservative(site)).empty()) return;
  spdlog::info("grid meter sends every {} ms: stale after {} s", r.send_interval->count(), want);
  std::lock_guard lock(state_mutex_);
  config_.site.meter_stale_after_s = want;
}

bool ControlLoop::on_station(StationEvent& e) {
  if (e.station >= stations_.size()) return false;
  auto& st = stations_[e.station];
  const auto& name = config_.site.stations[e.station].name;
  bool changed = false;
  if (e.sample.ok) {
    if (!st.online) {
      spdlog::info("station {}: online ({} {})", name, e.sample.platform, e.sample.firmware);
      clear_fault("station_offline:" + name);
      changed = true;
    }
    st.online = true;
    // What the allocator reacts to: plug/unplug, Mode 3 transitions; currents are read every step.
    if (st.last_ok) {
      for (const auto& so : e.sample.sockets) {
        const auto it = std::find_if(st.last_ok->sockets.begin(), st.last_ok->sockets.end(),
                                     [&](const SocketSample& x) { return x.unit == so.unit; });
        if (it == st.last_ok->sockets.end() || it->state != so.state || it->mode3 != so.mode3) changed = true;
      }
    } else {
      changed = true;
    }
    // A set-point we still control that was in force and is now seen expired: a missed refresh
    // (design.md §2.5). Before the first write lands a socket has never been valid: no fault.
    for (const auto& so : e.sample.sockets) {
      const auto ref = std::find_if(sockets_.begin(), sockets_.end(),
                                    [&](const SocketRef& r) { return r.station == e.station && r.unit == so.unit; });
      if (ref == sockets_.end() || !desired_.contains(ref->id) || !so.validity_s) continue;
      const auto code = "missed_refresh:" + name + ":" + std::to_string(so.unit);
      auto& was_valid = was_valid_[ref->id];
      if (*so.validity_s <= 0 && was_valid)
        raise_fault(code, "station " + name + " socket " + std::to_string(ref->id) +
                              ": set-point expired before it was refreshed (station on its safe current)");
      else if (*so.validity_s > 0)
        clear_fault(code);
      was_valid = *so.validity_s > 0;
    }
    for (const auto& f : e.sample.foreign) {
      if (f.rewritten) ++st.foreign_setpoints;
      const std::string where = f.unit == 0 ? "SCN budget" : "socket unit " + std::to_string(f.unit);
      std::string seen;
      if (f.seen_a) seen += "1210 reads " + format_amps(*f.seen_a);
      if (f.applied_a) seen += std::string(seen.empty() ? "" : ", ") + "applied (1206) " + format_amps(*f.applied_a);
      const auto code = "foreign_setpoint:" + name + ":" + std::to_string(f.unit);
      const auto text = "station " + name + " " + where + ": " + seen + " where emsgw wrote " + format_amps(f.ours_a) +
                        ": another Modbus master or a station override; " +
                        (f.rewritten ? "emsgw's value rewritten" : "it persists after a rewrite");
      raise_or_update_fault(code, text);
      fault_seen_[code] = clock_.mono_now();
    }
    check_station_settings(e.station, e.sample);
    st.last_ok = e.sample;
    ev_history_.emplace_back(e.sample.at, ev_per_phase());
    while (ev_history_.size() > 1 && e.sample.at - ev_history_.front().first > std::chrono::seconds(10))
      ev_history_.pop_front();
    while (ev_history_.size() > 1024) ev_history_.pop_front();
  } else {
    if (st.online) {
      spdlog::warn("station {}: offline ({}); counted at its safe current until it answers", name, e.sample.error);
      raise_fault("station_offline:" + name, "station " + name + " does not answer: " + e.sample.error);
      changed = true;
    }
    st.online = false;
  }
  st.last = std::move(e.sample);
  return changed;
}

void ControlLoop::on_write(const WriteEvent& e) {
  const auto& r = e.report;
  if (r.station >= stations_.size()) return;
  const auto& name = config_.site.stations[r.station].name;
  auto& st = stations_[r.station];
  const auto code = "not_accepting:" + name;
  if (!r.outcome.ok) {
    if (r.kind == WriteKind::Phases && r.outcome.permanent)
      raise_fault("phase_switch_refused:" + name, "station " + name + ": " + r.outcome.error);
    else
      spdlog::debug("station {}: write to unit {} failed: {}", name, r.unit, r.outcome.error);
    if (r.outcome.permanent && r.kind != WriteKind::Phases)
      raise_fault(code, "station " + name + " refuses set-points: " + r.outcome.error +
                            " (is the data source set to Energy Management System, and the licence present?)");
    return;
  }
  if (r.kind == WriteKind::Phases) return;
  if (!r.outcome.accepted) {
    ++st.not_accepted;
    raise_fault(code, "station " + name + " does not take emsgw's set-points (1214/1208 unchanged after a write)");
  } else {
    clear_fault(code);
  }
}

void ControlLoop::on_command(CommandEvent& e) {
  ems::CommandReply reply;
  auto site = config_.site;
  const auto issues = ems::apply_command(site, e.command);
  const auto what = ems::describe(e.command);
  if (!issues.empty()) {
    reply.accepted = false;
    reply.issues = issues;
    reply.message =
        "refused: " + what + ": " + issues.front().key + " = " + issues.front().value + ": " + issues.front().rule;
    std::lock_guard lock(state_mutex_);
    ++stats_.commands_refused;
  } else {
    if (std::holds_alternative<ems::Suspend>(e.command)) suspended_ = true;
    if (std::holds_alternative<ems::Resume>(e.command)) suspended_ = false;
    if (const auto rejected = allocator_.update_config(conservative(site)); !rejected.empty()) {
      reply.accepted = false;
      reply.issues = rejected;
      reply.message = "refused: " + what + ": " + rejected.front().rule;
    } else {
      std::lock_guard lock(state_mutex_);
      config_.site = std::move(site);
      reply.accepted = true;
      reply.message = "accepted: " + what;
      spdlog::info("command: {}", what);
      ++stats_.commands_accepted;
      station_settings_applied_.reset();
      push_decision_locked({clock_.wall_now(), -1, 0, 0, "command", what});
    }
  }
  if (e.reply) e.reply(std::move(reply));
}

void ControlLoop::on_reload(ReloadEvent& e) {
  // Device topology (stations, sockets, links, meters) needs a restart; site rules do not.
  auto same_devices = [&] {
    const auto& a = config_.site.stations;
    const auto& b = e.config.site.stations;
    if (a.size() != b.size() || config_.station_links.size() != e.config.station_links.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].sockets.size() != b[i].sockets.size() ||
          config_.station_links[i].host != e.config.station_links[i].host ||
          config_.station_links[i].port != e.config.station_links[i].port)
        return false;
      for (std::size_t j = 0; j < a[i].sockets.size(); ++j)
        if (a[i].sockets[j].unit != b[i].sockets[j].unit || a[i].sockets[j].id != b[i].sockets[j].id) return false;
    }
    return config_.meters.size() == e.config.meters.size();
  };
  if (!same_devices()) {
    spdlog::error(
        "reload: stations, sockets or meters changed; those changes need a restart. Running configuration kept.");
    raise_fault("reload_needs_restart", "the configuration file changes devices; restart emsgw to apply it");
    if (e.done) e.done({{"stations", "(changed)", "stations, sockets or meters changed: restart emsgw to apply them"}});
    return;
  }
  if (const auto issues = allocator_.update_config(conservative(e.config.site)); !issues.empty()) {
    spdlog::error("reload: refused ({}: {}); running configuration kept", issues.front().key, issues.front().rule);
    raise_or_update_fault("reload_refused", "configuration reload from " + e.config.source +
                                                " refused, the running configuration stays: " + issues.front().key +
                                                " = " + issues.front().value + ": " + issues.front().rule);
    if (e.done) e.done(issues);
    return;
  }
  clear_fault("reload_needs_restart");
  clear_fault("reload_refused");
  station_settings_applied_.reset();
  spdlog::info("reload: configuration applied from {}", e.config.source);
  {
    std::lock_guard lock(state_mutex_);
    config_.site = e.config.site;
    push_decision_locked({clock_.wall_now(), -1, 0, 0, "config", "configuration reloaded from " + e.config.source});
  }
  if (e.done) e.done({});
}

ems::SiteSnapshot ControlLoop::snapshot(MonoTime now) const {
  ems::SiteSnapshot s;
  s.now = now;
  s.suspended = suspended_;
  s.pv_configured = config_.meters.contains("pv");
  if (const auto it = meters_.find("grid"); it != meters_.end()) {
    const auto& r = it->second;
    s.grid.measured_at = r.mono;
    s.grid.valid = true;
    for (std::size_t p = 0; p < ems::kPhaseCount; ++p) {
      const auto v = r.current_a[p].value();
      if (p < static_cast<std::size_t>(config_.site.grid_phases)) {
        if (!v) s.grid.valid = false;
        s.grid.current[p] = Amps(v.value_or(0));
      }
    }
  }
  auto power = [&](const std::string& role, ems::PowerReading& out, bool production) {
    const auto it = meters_.find(role);
    if (it == meters_.end()) return;
    const auto& r = it->second;
    if (const auto w = r.power_total_w.value()) {
      double v = *w;
      if (production && r.sign == drivers::PowerSign::ImportPositive) v = -v;
      out.power = ems::Watts(std::max(0.0, v));
      out.measured_at = r.mono;
      out.valid = true;
    }
  };
  power("pv", s.pv, true);
  power("heatpump", s.heatpump, false);
  for (const auto& ref : sockets_) {
    ems::SocketSnapshot so;
    so.id = ref.id;
    const auto& st = stations_[ref.station];
    so.reachable = st.online;
    if (st.last_ok) {
      const auto it = std::find_if(st.last_ok->sockets.begin(), st.last_ok->sockets.end(),
                                   [&](const SocketSample& x) { return x.unit == ref.unit; });
      if (it != st.last_ok->sockets.end() && it->valid) {
        so.state = it->state;
        so.measured_at = st.last_ok->at;
        const auto& mapping = config_.site.stations[ref.station].sockets[ref.index].phase_mapping;
        so.measured_valid = it->current_a[0].has_value();
        for (std::size_t p = 0; p < ems::kPhaseCount; ++p) {
          if (it->current_a[p])
            so.current[p] = Amps(*it->current_a[p]);
          else if (p >= mapping.count)
            so.current[p] = Amps(0);  // a single-phase socket has no L2/L3
          else
            so.measured_valid = false;
        }
        if (const auto memo = sessions_.find(ref.id);
            memo != sessions_.end() && memo->second.start_energy_wh && it->energy_wh)
          so.energy_wh = *it->energy_wh - *memo->second.start_energy_wh;
      }
    }
    s.sockets.push_back(so);
  }
  return s;
}

std::array<double, 3> ControlLoop::ev_per_phase() const {
  std::array<double, 3> sum{};
  for (const auto& ref : sockets_) {
    const auto& st = stations_[ref.station];
    if (!st.last_ok) continue;
    const auto it = std::find_if(st.last_ok->sockets.begin(), st.last_ok->sockets.end(),
                                 [&](const SocketSample& x) { return x.unit == ref.unit && x.valid; });
    if (it == st.last_ok->sockets.end()) continue;
    const auto& mapping = config_.site.stations[ref.station].sockets[ref.index].phase_mapping;
    for (std::size_t j = 0; j < mapping.count; ++j)
      sum[ems::index(mapping.grid[j])] += std::max(0.0, it->current_a[j].value_or(0));
  }
  return sum;
}

void ControlLoop::align_grid_with_ev(ems::SiteSnapshot& s) const {
  // Rule 1 of design.md §2 reads the non-EV load as grid current − EV currents. The two come from
  // different devices at different times, and a meter's values lag its reading (it integrates and
  // refreshes its registers on its own period), so the household must never be read as smaller
  // than it is:
  // - a station sample older than the grid reading still shows an EV that may have dropped since
  //   (the meter no longer shows it, but it is still subtracted): take the highest grid reading
  //   since the EV currents in use were read;
  // - an EV rise the stations report may not be in the grid reading yet (subtracted, but not
  //   measured): add back the part of the rise over the last kMeterLag the grid has not risen by.
  if (!config_.site.meter_includes_chargers || grid_history_.empty() || !s.grid.valid) return;
  constexpr auto kMeterLag = std::chrono::seconds(2);
  const auto& newest = grid_history_.back();
  const auto phases = std::min(static_cast<std::size_t>(config_.site.grid_phases), ems::kPhaseCount);
  std::optional<MonoTime> ev_from;
  for (const auto& ref : sockets_) {
    const auto& st = stations_[ref.station];
    if (!st.last_ok) continue;
    const auto it = std::find_if(st.last_ok->sockets.begin(), st.last_ok->sockets.end(),
                                 [&](const SocketSample& x) { return x.unit == ref.unit && x.valid; });
    if (it == st.last_ok->sockets.end()) continue;
    for (const auto& c : it->current_a)
      if (c && *c > 0 && (!ev_from || st.last_ok->started < *ev_from)) ev_from = st.last_ok->started;
  }
  // The newest grid reading at or before `t` (the oldest kept when none is).
  const auto at_or_before = [&](MonoTime t) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < grid_history_.size(); ++i)
      if (grid_history_[i].mono <= t) k = i;
    return k;
  };
  const std::size_t first = ev_from ? at_or_before(*ev_from) : grid_history_.size() - 1;
  const auto ev_now = ev_per_phase();
  for (std::size_t p = 0; p < phases; ++p) {
    double highest = s.grid.current[p].value();
    for (std::size_t k = first; k < grid_history_.size(); ++k)
      if (const auto v = grid_history_[k].current_a[p].value()) highest = std::max(highest, *v);
    // The lowest EV total of the last kMeterLag, and when it was seen.
    double lowest = ev_now[p];
    std::optional<MonoTime> lowest_at;
    for (const auto& [at, sum] : ev_history_)
      if (s.now - at <= kMeterLag && sum[p] < lowest) {
        lowest = sum[p];
        lowest_at = at;
      }
    double unseen = 0;
    if (lowest_at) {
      const auto before = grid_history_[at_or_before(*lowest_at)].current_a[p].value();
      const auto now_v = newest.current_a[p].value();
      const double grid_rose = before && now_v ? std::max(0.0, *now_v - *before) : 0.0;
      unseen = std::max(0.0, ev_now[p] - lowest - grid_rose);
    }
    s.grid.current[p] = Amps(highest + unseen);
  }
}

void ControlLoop::step(std::string_view trigger) {
  const auto t0 = clock_.mono_now();
  auto snap = snapshot(t0);
  align_grid_with_ev(snap);
  const auto alloc = allocator_.step(snap);
  actuate(alloc);
  if (trigger == "grid sample") check_wiring(snap);
  const auto handed = clock_.mono_now();
  auto status = build_status(alloc, t0);
  update_faults(alloc, t0, *status);
  std::shared_ptr<const ems::SiteStatus> frozen = std::move(status);
  {
    std::lock_guard lock(state_mutex_);
    status_ = frozen;
    ++stats_.steps;
    if (pending_grid_sample_ && trigger == "grid sample")
      keep(stats_.reaction_us, micros(handed - *pending_grid_sample_));
    keep(stats_.step_us, micros(clock_.mono_now() - t0));
  }
  pending_grid_sample_.reset();
  for (auto* o : observers_) o->on_status(frozen);
}

void ControlLoop::actuate(const ems::Allocation& a) {
  if (a.scn) {
    const auto& name = config_.site.scn_station;
    for (std::size_t i = 0; i < config_.site.stations.size(); ++i) {
      if (config_.site.stations[i].name != name) continue;
      std::array<double, 3> amps{};
      for (std::size_t p = 0; p < 3; ++p) amps[p] = a.scn->current_a[p];
      if (!scn_desired_ || *scn_desired_ != amps)
        spdlog::info("SCN budget: L1 {} A, L2 {} A, L3 {} A ({})", amps[0], amps[1], amps[2],
                     ems::to_string(a.scn->reason));
      scn_desired_ = amps;
      actuator_.set_desired_scn(i, amps);
    }
  }
  for (const auto& sa : a.sockets) {
    const auto ref = std::find_if(sockets_.begin(), sockets_.end(), [&](const SocketRef& r) { return r.id == sa.id; });
    if (ref == sockets_.end()) continue;
    double amps = sa.current_a;
    const auto prev = desired_.find(sa.id);
    // Cut fast, raise slow (design.md §2.3): a raise that must wait for unconfirmed cuts is not
    // handed over yet; the previous value stays in force (and keeps being refreshed).
    if (sa.wait_for_confirmation && prev != desired_.end()) amps = std::min(amps, prev->second);
    const std::string reason(ems::to_string(sa.reason));
    if (prev == desired_.end() || prev->second != amps) {
      const auto& st = config_.site.stations[ref->station];
      const double old_a = prev == desired_.end() ? -1 : prev->second;
      spdlog::info("socket {} ({} unit {}): {} -> {} ({})", sa.id, st.name, ref->unit,
                   old_a < 0 ? std::string("-") : format_amps(old_a), format_amps(amps), reason_words(sa.reason));
      std::lock_guard lock(state_mutex_);
      push_decision_locked({clock_.wall_now(), sa.id, std::max(0.0, old_a), amps, reason, reason_words(sa.reason)});
    } else if (last_reason_[sa.id] != reason) {
      spdlog::info("socket {}: {} ({})", sa.id, format_amps(amps), reason_words(sa.reason));
    }
    last_reason_[sa.id] = reason;
    {
      std::lock_guard lock(state_mutex_);
      desired_[sa.id] = amps;
    }
    // 1215 is written only on stations that allow switching; elsewhere the phase count is left alone.
    const int phases = config_.site.stations[ref->station].phase_switching ? sa.phases : 0;
    actuator_.set_desired(ref->station, ref->unit, amps, phases);
  }
  actuator_.affirm();
}

std::shared_ptr<ems::SiteStatus> ControlLoop::build_status(const ems::Allocation& a, MonoTime now) {
  auto st = std::make_shared<ems::SiteStatus>();
  const auto wall = clock_.wall_now();
  const auto& site = config_.site;
  st->sequence = ++sequence_;
  st->time = wall;
  st->site_name = site.name;
  st->control = site.control;
  st->suspended = suspended_;
  st->grid_max_current_a = site.grid_max_current_a;
  st->safety_margin_a = site.safety_margin_a;
  for (std::size_t p = 0; p < ems::kPhaseCount; ++p) {
    st->budget_a[p] = a.phases[p].limit.value();
    st->ev_allocated_a[p] = a.phases[p].allocated.value();
  }
  for (auto d : a.degraded) st->degraded_reasons.emplace_back(ems::to_string(d));
  st->degraded = !a.degraded.empty();
  if (const auto it = meters_.find("grid"); it != meters_.end()) {
    const auto& r = it->second;
    for (std::size_t p = 0; p < 3; ++p) {
      st->grid.current_a[p] = r.current_a[p].value();
      st->grid.power_w[p] = r.power_w[p].value();
      st->grid.voltage_v[p] = r.voltage_v[p].value();
    }
    st->grid.power_w_total = r.power_total_w.value();
    st->grid.import_wh = r.energy_import_wh.value();
    st->grid.export_wh = r.energy_export_wh.value();
    st->grid.age_s = std::chrono::duration<double>(now - r.mono).count();
    st->grid.stale = *st->grid.age_s > site.meter_stale_after_s;
  }
  if (config_.meters.contains("pv")) {
    st->pv.configured = true;
    if (const auto it = meters_.find("pv"); it != meters_.end()) {
      if (auto w = it->second.power_total_w.value())
        st->pv.power_w = it->second.sign == drivers::PowerSign::ImportPositive ? std::max(0.0, -*w) : std::max(0.0, *w);
      st->pv.energy_wh = it->second.sign == drivers::PowerSign::ImportPositive ? it->second.energy_export_wh.value()
                                                                               : it->second.energy_import_wh.value();
      st->pv.stale = std::chrono::duration<double>(now - it->second.mono).count() > site.pv_stale_after_s;
    }
  }
  if (config_.meters.contains("heatpump") || site.heatpump.enabled) {
    st->heatpump.configured = true;
    if (const auto it = meters_.find("heatpump"); it != meters_.end())
      st->heatpump.power_w = it->second.power_total_w.value();
    st->heatpump.sg_ready_requested = static_cast<int>(a.heatpump);
    st->heatpump.sg_ready_state = st->heatpump.sg_ready_requested;
    if (sg_ready_outputs_) {
      const auto applied = sg_ready_outputs_->applied();
      st->heatpump.sg_ready_outputs = true;
      st->heatpump.sg_ready_state = applied.state.value_or(0);
      st->heatpump.sg_ready_error = applied.error;
    }
  }
  for (std::size_t i = 0; i < site.stations.size(); ++i) {
    ems::StationStatus ss;
    ss.name = site.stations[i].name;
    ss.online = stations_[i].online;
    if (const auto& last = stations_[i].last_ok) {
      ss.platform = last->platform;
      ss.firmware = last->firmware;
      ss.serial = last->serial;
      ss.max_current_a = last->station_max_a;
    }
    ss.foreign_setpoints = stations_[i].foreign_setpoints;
    if (!ss.online && stations_[i].last) ss.fault = stations_[i].last->error;
    st->stations.push_back(std::move(ss));
  }
  for (const auto& ref : sockets_) {
    const auto& cfg = site.stations[ref.station].sockets[ref.index];
    ems::SocketStatus so;
    so.id = cfg.id;
    so.station = site.stations[ref.station].name;
    so.unit = cfg.unit;
    so.mode = cfg.mode;
    so.phase_mapping = cfg.phase_mapping;
    so.max_current_a = cfg.max_current_a;
    const SocketSample* sample = nullptr;
    const auto& stn = stations_[ref.station];
    so.online = stn.online;
    if (stn.last_ok) {
      const auto it = std::find_if(stn.last_ok->sockets.begin(), stn.last_ok->sockets.end(),
                                   [&](const SocketSample& x) { return x.unit == ref.unit; });
      if (it != stn.last_ok->sockets.end() && it->valid) sample = &*it;
    }
    auto& memo = sessions_[cfg.id];
    if (sample) {
      so.mode3 = sample->mode3;
      so.ev_connected =
          sample->state == ems::ConnectorState::Connected || sample->state == ems::ConnectorState::Charging;
      so.charging = sample->state == ems::ConnectorState::Charging;
      so.current_a = sample->current_a;
      so.applied_a = sample->applied_a;
      so.validity_s = sample->validity_s;
      so.total_energy_wh = sample->energy_wh;
      so.phases_in_use = 0;
      int drawing = 0;
      for (const auto& c : sample->current_a)
        if (c && *c > 0.5) ++drawing;
      if (drawing > 0) so.phases_in_use = drawing >= 2 ? 3 : 1;
      // Sessions: start at plug-in with the station's energy counter (register 374).
      if (so.ev_connected && !memo.connected) {
        memo.start_energy_wh = sample->energy_wh;
        spdlog::info("socket {}: vehicle connected", cfg.id);
      } else if (!so.ev_connected && memo.connected) {
        spdlog::info("socket {}: vehicle disconnected", cfg.id);
        memo.start_energy_wh.reset();
      }
      memo.connected = so.ev_connected;
      if (memo.start_energy_wh && sample->energy_wh) so.session_energy_wh = *sample->energy_wh - *memo.start_energy_wh;
    }
    if (const auto* sa = a.find(cfg.id)) {
      const auto d = desired_.find(cfg.id);
      so.setpoint_a = d != desired_.end() ? d->second : sa->current_a;
      so.reason = std::string(ems::to_string(sa->reason));
      so.reason_text = reason_words(sa->reason);
      if (sa->until) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(*sa->until - now).count();
        so.reason_text += " (" + std::to_string(std::max<long long>(0, left)) + " s left)";
      }
      so.state = state_for(sa->reason, sample, static_cast<int>(so.setpoint_a));
    } else if (a.scn) {
      so.reason = "scn";
      so.reason_text = "shared by the Smart Charging Network";
      so.state = sample ? (sample->state == ems::ConnectorState::Charging
                               ? SocketState::Charging
                               : (so.ev_connected ? SocketState::Connected : SocketState::Available))
                        : SocketState::Unknown;
    }
    st->sockets.push_back(std::move(so));
  }
  if (a.scn) {
    std::array<double, 3> b{};
    for (std::size_t p = 0; p < 3; ++p) b[p] = a.scn->current_a[p];
    st->scn_budget_a = b;
  }
  return st;
}

void ControlLoop::update_faults(const ems::Allocation& a, MonoTime now, ems::SiteStatus& st) {
  if (a.is_degraded(ems::Degradation::MeterStale) || a.is_degraded(ems::Degradation::MeterImplausible)) {
    if (!faults_.contains("meter_stale")) {
      const bool never = !meters_.contains("grid");
      std::string text = never ? std::string("no grid meter reading yet: every socket on its safe current")
                               : "grid meter silent or rejected for more than " +
                                     format_number(config_.site.meter_stale_after_s) +
                                     " s: every socket on its safe current";
      const auto grid = meters_.find("grid");
      if (grid != meters_.end() && grid->second.send_interval) {
        const auto every = *grid->second.send_interval;
        const double need = drivers::stale_limit_for_interval_s(every, 0.0);
        text += "; the meter sends every " + format_number(static_cast<double>(every.count()) / 1000.0) + " s";
        if (config_.site.meter_stale_after_s < need)
          text += ": set site.meter_stale_after_s to at least " + format_number(need) +
                  ", or remove it to follow the meter";
      } else if (!never) {
        text += "; check the meter link with emsgw probe-meter --config FILE";
      }
      raise_fault("meter_stale", text);
    }
  } else {
    clear_fault("meter_stale");
  }
  if (a.is_degraded(ems::Degradation::PvStale)) {
    if (!faults_.contains("pv_stale")) raise_fault("pv_stale", "PV reading stale: surplus-only charging stopped");
  } else {
    clear_fault("pv_stale");
  }
  // A foreign set-point is corrected at once; its fault stays visible for a minute after the last one.
  for (auto it = fault_seen_.begin(); it != fault_seen_.end();) {
    if (now - it->second > std::chrono::seconds(60)) {
      clear_fault(it->first);
      it = fault_seen_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [code, f] : faults_) st.faults.push_back(f);
  for (const auto& f : st.faults)
    if (std::find(st.degraded_reasons.begin(), st.degraded_reasons.end(), f.code) == st.degraded_reasons.end() &&
        f.code.rfind("station_offline", 0) == 0)
      st.degraded_reasons.push_back(f.code);
  st.degraded = !st.degraded_reasons.empty();
}

void ControlLoop::check_wiring(const ems::SiteSnapshot& snap) {
  if (!snap.grid.valid) return;
  std::array<double, ems::kPhaseCount> grid{};
  for (std::size_t p = 0; p < ems::kPhaseCount; ++p) grid[p] = snap.grid.current[p].value();
  std::vector<ems::WiringSocketSample> sockets;
  for (std::size_t k = 0; k < sockets_.size() && k < snap.sockets.size(); ++k) {
    const auto& ref = sockets_[k];
    const auto& so = snap.sockets[k];
    ems::WiringSocketSample w;
    w.id = ref.id;
    w.mapping = config_.site.stations[ref.station].sockets[ref.index].phase_mapping;
    w.valid = so.reachable && so.measured_valid;
    for (std::size_t j = 0; j < ems::kPhaseCount; ++j) w.current_a[j] = so.current[j].value();
    sockets.push_back(w);
  }
  wiring_.observe(snap.now, grid, sockets);
  const auto findings = wiring_.findings();
  for (const auto& ref : sockets_) {
    const auto f = std::find_if(findings.begin(), findings.end(),
                                [&](const ems::WiringFinding& x) { return x.socket_id == ref.id; });
    if (f != findings.end())
      raise_fault("wiring:" + std::to_string(ref.id), f->text);
    else
      clear_fault("wiring:" + std::to_string(ref.id));
  }
}

void ControlLoop::raise_or_update_fault(const std::string& code, const std::string& text) {
  const auto it = faults_.find(code);
  if (it == faults_.end()) {
    raise_fault(code, text);
  } else if (it->second.text != text) {
    spdlog::warn("fault: {}", text);
    it->second.text = text;
  }
}

void ControlLoop::grid_sample_rejected(const drivers::MeterReading& r) {
  std::string what;
  for (int p = 0; p < config_.site.grid_phases; ++p) {
    const auto& m = r.current_a[static_cast<std::size_t>(p)];
    if (m.valid()) continue;
    std::string why;
    switch (m.why()) {
      case drivers::Invalid::NotANumber: why = "NaN or infinity"; break;
      case drivers::Invalid::OutOfRange: why = "a current out of range"; break;
      case drivers::Invalid::Missing: why = "no current"; break;
      default: why = "a rejected current (" + std::string(drivers::to_string(m.why())) + ")"; break;
    }
    what += (what.empty() ? "" : ", ") + why + " on L" + std::to_string(p + 1);
  }
  raise_or_update_fault("meter_rejected:grid", "grid meter reported " + what +
                                                   ": sample rejected (every socket goes to its safe current if "
                                                   "this lasts " +
                                                   format_number(config_.site.meter_stale_after_s) + " s)");
}

void ControlLoop::on_reload_refused(const ReloadRefusedEvent& e) {
  std::string text = "configuration reload from " + e.source + " refused, the running configuration stays";
  if (!e.problems.empty()) text += ": " + e.problems.front();
  if (e.problems.size() > 1) text += " (and " + std::to_string(e.problems.size() - 1) + " more)";
  raise_or_update_fault("reload_refused", text);
}

void ControlLoop::check_station_settings(std::size_t station, const StationSample& sample) {
  auto& st = stations_[station];
  const auto& cfg = config_.site.stations[station];
  bool changed = false;
  for (const auto& so : sample.sockets) {
    if (!so.valid) continue;
    const auto it = std::find_if(cfg.sockets.begin(), cfg.sockets.end(),
                                 [&](const ems::SocketConfig& c) { return c.unit == so.unit; });
    if (it == cfg.sockets.end()) continue;
    const auto j = static_cast<std::size_t>(it - cfg.sockets.begin());
    const auto key = "station[" + std::to_string(station) + "].socket[" + std::to_string(j) + "].";
    const auto base = "station_settings:" + cfg.name + ":" + std::to_string(so.unit);
    if (so.safe_current_a) {
      const double seen = *so.safe_current_a;
      const auto prev = st.safe_current_a.find(so.unit);
      if (prev == st.safe_current_a.end() || prev->second != seen) changed = true;
      st.safe_current_a[so.unit] = seen;
      if (std::fabs(seen - it->safe_current_a) > 0.05)
        raise_or_update_fault(base + ":safe_current", "station " + cfg.name + " socket " + std::to_string(it->id) +
                                                          ": the station's safe current (1212) is " +
                                                          format_amps(seen) + ", the configuration says " + key +
                                                          "safe_current_a = " + format_amps(it->safe_current_a) +
                                                          "; emsgw counts the higher " +
                                                          format_amps(std::max(seen, it->safe_current_a)));
      else
        clear_fault(base + ":safe_current");
    }
    // Live phases (voltage on 306/308/310) against the wiring in the file: a socket wired for
    // three phases but configured for one loads grid phases emsgw does not count.
    const auto live_opt = live_phases(so);
    if (live_opt) {
      const int live = *live_opt;
      const int wired = it->phase_mapping.count;
      if ((live >= 2 ? 3 : 1) != wired)
        raise_or_update_fault(base + ":phases", "station " + cfg.name + " socket " + std::to_string(it->id) +
                                                    ": the station has voltage on " + std::to_string(live) +
                                                    " phase(s), the configuration says " + key + "phase_mapping = " +
                                                    std::string(ems::to_string(it->phase_mapping)) + " (" +
                                                    std::to_string(wired) + " phase(s))");
      else
        clear_fault(base + ":phases");
    }
  }
  if (sample.station_max_a) {
    const double seen = *sample.station_max_a;
    if (!st.max_current_a || *st.max_current_a != seen) changed = true;
    st.max_current_a = seen;
    const auto code = "station_settings:" + cfg.name + ":max_current";
    if (std::fabs(seen - cfg.max_current_a) > 0.05)
      raise_or_update_fault(code, "station " + cfg.name + ": the station's maximum (1100) is " + format_amps(seen) +
                                      ", the configuration says station[" + std::to_string(station) +
                                      "].max_current_a = " + format_amps(cfg.max_current_a) +
                                      "; emsgw uses the lower " + format_amps(std::min(seen, cfg.max_current_a)));
    else
      clear_fault(code);
  }
  if (changed) apply_station_settings();
}

ems::SiteConfig ControlLoop::conservative(const ems::SiteConfig& site) const {
  auto out = site;
  for (std::size_t i = 0; i < out.stations.size() && i < stations_.size(); ++i) {
    auto& cfg = out.stations[i];
    const auto& st = stations_[i];
    // 1100 is the station's actual maximum; a station reporting 0 A is not trusted to mean more.
    if (st.max_current_a && *st.max_current_a > 0) cfg.max_current_a = std::min(cfg.max_current_a, *st.max_current_a);
    for (auto& so : cfg.sockets) {
      if (const auto it = st.safe_current_a.find(so.unit); it != st.safe_current_a.end())
        so.safe_current_a = std::max(so.safe_current_a, it->second);
      so.max_current_a = std::min(so.max_current_a, cfg.max_current_a);
    }
  }
  return out;
}

void ControlLoop::apply_station_settings() {
  auto site = conservative(config_.site);
  std::vector<double> signature;
  for (const auto& st : site.stations) {
    signature.push_back(st.max_current_a);
    for (const auto& so : st.sockets) {
      signature.push_back(so.safe_current_a);
      signature.push_back(so.max_current_a);
    }
  }
  if (station_settings_applied_ == signature) return;
  station_settings_applied_ = signature;
  if (const auto issues = allocator_.update_config(site); !issues.empty()) {
    raise_or_update_fault("station_settings_unsafe",
                          "the stations' own settings break the configuration's rules: " + issues.front().key + " = " +
                              issues.front().value + ": " + issues.front().rule +
                              "; emsgw keeps the configured values, correct the station or the file");
    return;
  }
  clear_fault("station_settings_unsafe");
}

void ControlLoop::push_decision_locked(Decision d) {
  // Drained by storage when it runs; without it only the newest kDecisionsKept are kept.
  constexpr std::size_t kDecisionsKept = 10000;
  if (decisions_.size() >= kDecisionsKept)
    decisions_.erase(decisions_.begin(), decisions_.begin() + static_cast<std::ptrdiff_t>(kDecisionsKept / 10));
  decisions_.push_back(std::move(d));
}

void ControlLoop::raise_fault(const std::string& code, const std::string& text) {
  if (faults_.contains(code)) return;
  spdlog::warn("fault raised: {}", text);
  faults_[code] = {code, text, clock_.wall_now()};
  std::lock_guard lock(state_mutex_);
  push_decision_locked({clock_.wall_now(), -1, 0, 0, "fault_raised:" + code, text});
}

void ControlLoop::clear_fault(const std::string& code) {
  const auto it = faults_.find(code);
  if (it == faults_.end()) return;
  spdlog::info("fault cleared: {}", it->second.text);
  {
    std::lock_guard lock(state_mutex_);
    push_decision_locked({clock_.wall_now(), -1, 0, 0, "fault_cleared:" + code, it->second.text});
  }
  faults_.erase(it);
}

std::shared_ptr<const ems::SiteStatus> ControlLoop::status() const {
  std::lock_guard lock(state_mutex_);
  return status_;
}

Config ControlLoop::config() const {
  std::lock_guard lock(state_mutex_);
  return config_;
}

ControlStats ControlLoop::stats() const {
  std::lock_guard lock(state_mutex_);
  return stats_;
}

std::vector<Decision> ControlLoop::take_decisions() {
  std::lock_guard lock(state_mutex_);
  std::vector<Decision> out;
  out.swap(decisions_);
  return out;
}

std::map<int, double> ControlLoop::desired() const {
  std::lock_guard lock(state_mutex_);
  return desired_;
}

}  // namespace emsgw::gateway
