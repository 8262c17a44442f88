#include "gateway/control/control_loop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "ems/flex_limit.hpp"
#include "gateway/control/messages.hpp"
#include "gateway/control/snapshot_builder.hpp"
#include "gateway/devices/station_findings.hpp"

namespace emsgw::gateway {

namespace {

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

double micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
std::string format_amps(double a) {
  return format_number(a) + " A";
}

/// A change of the grid operator's dimming (its words from ems::GridOperator) as a message.
ems::Message dimming_message(const ems::DimmingEvent& ev, double failsafe_after_s) {
  char kw[32];
  std::snprintf(kw, sizeof kw, "%.1f", ev.limit_w.value_or(0) / 1000.0);
  switch (ev.state) {
    case ems::DimmingState::Unlimited: return msg::dimming_ended();
    case ems::DimmingState::Failsafe:
      return msg::dimming_failsafe(std::to_string(static_cast<int>(failsafe_after_s)), kw);
    case ems::DimmingState::Limited: break;
  }
  return msg::dimming_limited(kw, ev.source);
}

/// A command's words (ems::describe) as a message.
ems::Message command_message(const ems::Command& c) {
  if (const auto* m = std::get_if<ems::SetSocketMode>(&c))
    return msg::command_socket_mode(std::to_string(m->socket_id), std::string(ems::to_string(m->mode)));
  if (const auto* x = std::get_if<ems::SetSocketMaxCurrent>(&c))
    return msg::command_socket_max(std::to_string(x->socket_id), format_number(x->max_current_a));
  if (const auto* s = std::get_if<ems::SetSiteLimit>(&c))
    return msg::command_site_limit(format_number(s->grid_max_current_a));
  if (std::holds_alternative<ems::Suspend>(c)) return msg::command_suspend();
  if (std::holds_alternative<ems::Resume>(c)) return msg::command_resume();
  if (const auto* g = std::get_if<ems::GridOperatorLimit>(&c)) {
    if (!g->limit_w) return msg::command_grid_lift();
    if (g->duration_s > 0) return msg::command_grid_limit_for(format_number(*g->limit_w), format_number(g->duration_s));
    return msg::command_grid_limit(format_number(*g->limit_w));
  }
  return {};
}
}  // namespace

namespace {
ems::PeakSettings peak_settings(const PeakConfig& p) {
  return {p.target_kw * 1000, p.follow_month_peak, p.margin_kw * 1000};
}
ems::GridOperatorSettings grid_operator_settings(const GridOperatorConfig& g) {
  ems::GridOperatorSettings s;
  s.controllable_devices = g.controllable_devices;
  s.relay_limit_w = g.relay_limit_w;
  s.failsafe_limit_w = g.failsafe_limit_w;
  s.failsafe_after_s = g.failsafe_after_s;
  s.failsafe_duration_s = g.failsafe_duration_s;
  return s;
}
int local_month(ems::WallTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm lt{};
  localtime_r(&tt, &lt);
  return lt.tm_year * 12 + lt.tm_mon;
}
}  // namespace

ControlLoop::ControlLoop(Config config, const ems::Clock& clock, Actuator& actuator)
    : config_(std::move(config)),
      clock_(clock),
      actuator_(actuator),
      allocator_(config_.site),
      faults_([this](Decision d) { decide(std::move(d)); }),
      grid_op_(grid_operator_settings(config_.grid_operator)) {
  inputs_.sockets = SiteInputs::index_sockets(config_.site);
  inputs_.stations.resize(config_.site.stations.size());
  if (config_.peak.enabled && config_.site.grid_metered) peak_.emplace(peak_settings(config_.peak));
}

void ControlLoop::feed_peak(const drivers::MeterReading& r) {
  double net = 0;
  if (const auto w = r.power_total_w.value()) {
    net = *w;
  } else {
    for (int p = 0; p < config_.site.grid_phases; ++p)
      net += r.current_a[static_cast<std::size_t>(p)].value().value_or(0) * config_.site.surplus.nominal_voltage_v;
  }
  grid_net_w_ = net;
  if (!peak_) return;
  peak_->observe(r.wall, net);
  // A new month (local time): the month's peak starts again (the quarter that closed the last
  // month counted in it).
  const int month = local_month(r.wall);
  if (peak_month_ >= 0 && month != peak_month_) peak_->set_month_peak(0);
  peak_month_ = month;
  if (const auto a = r.demand_quarter_hour_w.value()) peak_->observe_meter_average(r.wall, *a);
  if (const auto m = r.demand_month_peak_w.value()) peak_->observe_meter_month_peak(*m);
  for (auto& q : peak_->take_closed()) closed_quarters_.push_back(q);
}

void ControlLoop::add_observer(StepObserver* observer) {
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
  ems::MonoTime next_timer{};  // the first turn steps at once
  while (!stop) {
    std::deque<Event> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return !queue_.empty() || stop.load(); });
      batch.swap(queue_);
    }
    // One clock read per turn: every event of the batch and the timer step use it.
    const auto now = read_clock();
    for (auto& e : batch) handle(std::move(e), now);
    if (now.mono >= next_timer) {
      step("timer", now);
      next_timer = now.mono + step_interval;
    }
    if (heartbeat) heartbeat();
  }
}

void ControlLoop::handle(Event event) {
  handle(std::move(event), read_clock());
}

void ControlLoop::handle(Event event, const Turn& now) {
  {
    std::lock_guard lock(state_mutex_);
    ++stats_.events;
  }
  std::visit(Overload{
                 [&](MeterEvent& e) {
                   on_meter(e, now);
                   if (e.role == "grid") step("grid sample", now);
                 },
                 [&](StationEvent& e) {
                   if (on_station(e, now)) step("station change", now);
                 },
                 [&](WriteEvent& e) { on_write(e, now); },
                 [&](CommandEvent& e) {
                   on_command(e, now);
                   step("command", now);
                 },
                 [&](ReloadEvent& e) {
                   on_reload(e, now);
                   step("reload", now);
                 },
                 [&](ReloadRefusedEvent& e) { on_reload_refused(e, now); },
                 [&](DimmingInputEvent& e) {
                   if (on_dimming_input(e, now)) step("dimming input", now);
                 },
             },
             event);
}

void ControlLoop::on_meter(MeterEvent& e, const Turn& now) {
  if (!e.reading) {
    const auto code = "meter_error:" + e.role;
    if (!faults_.contains(code))
      faults_.raise(code, "meter " + e.role + ": " + e.reading.error().message, now.wall,
                    msg::meter_error(e.role, e.reading.error().message));
    return;
  }
  faults_.clear("meter_error:" + e.role, now.wall);
  auto r = std::move(e.reading).value();
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
      grid_sample_rejected(r, now);
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
        faults_.raise_or_update("meter_rejected:grid",
                                "grid meter reported " + format_amps(a) + " on L" + std::to_string(p + 1) +
                                    ": implausible for a " + format_amps(config_.site.grid_max_current_a) +
                                    " connection; sample rejected (every socket goes to its safe current if this "
                                    "lasts " +
                                    format_number(config_.site.meter_stale_after_s) + " s)",
                                now.wall,
                                msg::meter_implausible(format_number(a), std::to_string(p + 1),
                                                       format_number(config_.site.grid_max_current_a),
                                                       format_number(config_.site.meter_stale_after_s)));
        return;
      }
    }
    faults_.clear("meter_rejected:grid", now.wall);
    pending_grid_sample_ = std::chrono::steady_clock::now();
    follow_meter_interval(r);
    inputs_.grid_history.push_back(r);
    feed_peak(r);
    // Enough to cover the slowest station poll the alignment looks back to.
    constexpr auto kGridHistory = std::chrono::seconds(10);
    while (inputs_.grid_history.size() > 256 ||
           (inputs_.grid_history.size() > 1 && r.mono - inputs_.grid_history.front().mono > kGridHistory))
      inputs_.grid_history.pop_front();
  }
  inputs_.meters[e.role] = std::move(r);
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

bool ControlLoop::on_station(StationEvent& e, const Turn& now) {
  if (e.station >= inputs_.stations.size()) return false;
  auto& st = inputs_.stations[e.station];
  const auto& name = config_.site.stations[e.station].name;
  bool changed = false;
  if (e.sample.ok) {
    if (!st.online) {
      spdlog::info("station {}: online ({} {})", name, e.sample.platform, e.sample.firmware);
      faults_.clear("station_offline:" + name, now.wall);
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
    for (const auto& c : policy_.check_refresh(e.station, e.sample, inputs_.sockets)) {
      const auto code = "missed_refresh:" + name + ":" + std::to_string(c.unit);
      if (c.lapsed)
        faults_.raise(code,
                      "station " + name + " socket " + std::to_string(c.socket_id) +
                          ": set-point expired before it was refreshed (station on its safe current)",
                      now.wall, msg::missed_refresh(name, std::to_string(c.socket_id)));
      else
        faults_.clear(code, now.wall);
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
      faults_.raise_lingering(code, text, now.mono, now.wall,
                              (f.rewritten ? msg::foreign_setpoint : msg::foreign_setpoint_persists)(
                                  name, where, seen, format_number(f.ours_a)));
    }
    check_station_settings(e.station, e.sample, now);
    st.last_ok = e.sample;
    inputs_.record_ev(config_.site, e.station);
  } else {
    if (st.online) {
      spdlog::warn("station {}: offline ({}); counted at its safe current until it answers", name, e.sample.error);
      faults_.raise("station_offline:" + name, "station " + name + " does not answer: " + e.sample.error, now.wall,
                    msg::station_offline(name, e.sample.error));
      changed = true;
    }
    st.online = false;
  }
  st.last = std::move(e.sample);
  return changed;
}

void ControlLoop::on_write(const WriteEvent& e, const Turn& now) {
  const auto& r = e.report;
  if (r.station >= inputs_.stations.size()) return;
  const auto& name = config_.site.stations[r.station].name;
  auto& st = inputs_.stations[r.station];
  const auto code = "not_accepting:" + name;
  if (!r.outcome.ok) {
    if (r.kind == WriteKind::Phases && r.outcome.permanent)
      faults_.raise("phase_switch_refused:" + name, "station " + name + ": " + r.outcome.error, now.wall,
                    msg::phase_switch_refused(name, r.outcome.error));
    else
      spdlog::debug("station {}: write to unit {} failed: {}", name, r.unit, r.outcome.error);
    if (r.outcome.permanent && r.kind != WriteKind::Phases)
      faults_.raise(code,
                    "station " + name + " refuses set-points: " + r.outcome.error +
                        " (is the data source set to Energy Management System, and the licence present?)",
                    now.wall, msg::station_refuses(name, r.outcome.error));
    return;
  }
  if (r.kind == WriteKind::Phases) return;
  if (!r.outcome.accepted) {
    ++st.not_accepted;
    faults_.raise(code, "station " + name + " does not take emsgw's set-points (1214/1208 unchanged after a write)",
                  now.wall, msg::station_not_accepting(name));
  } else {
    faults_.clear(code, now.wall);
  }
}

bool ControlLoop::on_dimming_input(const DimmingInputEvent& e, const Turn& now) {
  bool dim = true;
  if (e.dim) {
    dim = *e.dim;
    faults_.clear("grid_operator_input", now.wall);
  } else {
    faults_.raise_or_update("grid_operator_input",
                            "grid operator relay contact not readable: " + e.error +
                                "; the EVs are held at the dimming limit until it is read again",
                            now.wall, msg::grid_operator_input(e.error));
  }
  if (relay_dim_ == dim) return false;
  relay_dim_ = dim;
  grid_op_.relay(now.wall, dim);
  return true;
}

void ControlLoop::on_grid_operator_command(CommandEvent& e, const Turn& now) {
  ems::CommandReply reply;
  auto site = config_.site;
  const auto what = ems::describe(e.command);
  if (const auto issues = ems::apply_command(site, e.command); !issues.empty()) {
    reply.issues = issues;
    reply.message =
        "refused: " + what + ": " + issues.front().key + " = " + issues.front().value + ": " + issues.front().rule;
    std::lock_guard lock(state_mutex_);
    ++stats_.commands_refused;
  } else {
    if (const auto* m = std::get_if<ems::GridOperatorLimit>(&e.command)) {
      std::string why;
      if (!grid_op_.command(now.wall, m->limit_w, m->duration_s, &why)) {
        reply.message = "refused: " + what + ": " + why;
        if (e.reply) e.reply(std::move(reply));
        return;
      }
      spdlog::info("command: {}", what);
      decide({now.wall, -1, 0, 0, "dimming", "command: " + what, command_message(e.command)});
    } else {
      grid_op_.heartbeat(now.wall);
    }
    reply.accepted = true;
    reply.message = "accepted: " + what;
    std::lock_guard lock(state_mutex_);
    ++stats_.commands_accepted;
  }
  if (e.reply) e.reply(std::move(reply));
}

std::optional<ems::FlexLimit> ControlLoop::dimming_limit(const ems::SiteSnapshot& snap, const Turn& now) {
  const auto limit = grid_op_.update(now.wall);
  dimming_ = limit;
  for (const auto& ev : grid_op_.take_events()) {
    spdlog::info("{}", ev.text);
    decide({ev.time, -1, 0, 0, "dimming", ev.text, dimming_message(ev, config_.grid_operator.failsafe_after_s)});
  }
  // Own PV production may be added on top of the limit; a stale PV reading adds nothing.
  double pv_w = 0;
  if (snap.pv.valid &&
      now.mono - snap.pv.measured_at <= std::chrono::duration_cast<ems::MonoTime::duration>(
                                            std::chrono::duration<double>(config_.site.meter_stale_after_s)))
    pv_w = snap.pv.power.value();
  return ems::dimming_flex_limit(limit, pv_w);
}

void ControlLoop::on_command(CommandEvent& e, const Turn& now) {
  if (std::holds_alternative<ems::GridOperatorLimit>(e.command) ||
      std::holds_alternative<ems::GridOperatorHeartbeat>(e.command)) {
    on_grid_operator_command(e, now);
    return;
  }
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
    if (std::holds_alternative<ems::Suspend>(e.command)) inputs_.suspended = true;
    if (std::holds_alternative<ems::Resume>(e.command)) inputs_.suspended = false;
    if (const auto rejected = allocator_.update_config(conservative(site)); !rejected.empty()) {
      reply.accepted = false;
      reply.issues = rejected;
      reply.message = "refused: " + what + ": " + rejected.front().rule;
    } else {
      {
        std::lock_guard lock(state_mutex_);
        config_.site = std::move(site);
        ++stats_.commands_accepted;
      }
      reply.accepted = true;
      reply.message = "accepted: " + what;
      spdlog::info("command: {}", what);
      station_settings_applied_.reset();
      decide({now.wall, -1, 0, 0, "command", what, command_message(e.command)});
    }
  }
  if (e.reply) e.reply(std::move(reply));
}

void ControlLoop::on_reload(ReloadEvent& e, const Turn& now) {
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
    // The relay contact's input is a device of its own (its worker starts with emsgw).
    const auto& g = config_.grid_operator;
    const auto& h = e.config.grid_operator;
    if (g.input != h.input || g.host != h.host || g.port != h.port || g.unit != h.unit ||
        g.discrete_input != h.discrete_input || g.gpio_chip != h.gpio_chip || g.gpio_line != h.gpio_line ||
        g.active_low != h.active_low || g.poll_ms != h.poll_ms)
      return false;
    return config_.meters.size() == e.config.meters.size();
  };
  if (!same_devices()) {
    spdlog::error(
        "reload: stations, sockets, meters or the grid operator's input changed; those changes need a restart. "
        "Running configuration kept.");
    faults_.raise("reload_needs_restart", "the configuration file changes devices; restart emsgw to apply it", now.wall,
                  msg::reload_needs_restart());
    if (e.done)
      e.done({{"stations", "(changed)",
               "stations, sockets, meters or the grid operator's input changed: restart emsgw to apply them"}});
    return;
  }
  if (const auto issues = allocator_.update_config(conservative(e.config.site)); !issues.empty()) {
    spdlog::error("reload: refused ({}: {}); running configuration kept", issues.front().key, issues.front().rule);
    faults_.raise_or_update(
        "reload_refused",
        "configuration reload from " + e.config.source + " refused, the running configuration stays: " +
            issues.front().key + " = " + issues.front().value + ": " + issues.front().rule,
        now.wall, msg::reload_refused(e.config.source, issues.front().key, issues.front().value, issues.front().rule));
    if (e.done) e.done(issues);
    return;
  }
  faults_.clear("reload_needs_restart", now.wall);
  faults_.clear("reload_refused", now.wall);
  station_settings_applied_.reset();
  spdlog::info("reload: configuration applied from {}", e.config.source);
  {
    std::lock_guard lock(state_mutex_);
    config_.site = e.config.site;
    config_.peak = e.config.peak;
    config_.schedules = e.config.schedules;
    config_.grid_operator = e.config.grid_operator;
  }
  // The dimming rules (floor, limits, failsafe timing) apply from this step; what the operator
  // said stays in force.
  grid_op_.set_settings(grid_operator_settings(config_.grid_operator));
  if (!config_.peak.enabled || !config_.site.grid_metered)
    peak_.reset();
  else if (peak_)
    peak_->set_settings(peak_settings(config_.peak));
  else
    peak_.emplace(peak_settings(config_.peak));
  decide({now.wall, -1, 0, 0, "config", "configuration reloaded from " + e.config.source,
          msg::config_reloaded(e.config.source)});
  if (e.done) e.done({});
}

std::vector<ems::ScheduleStatus> ControlLoop::apply_schedules(ems::SiteSnapshot& snap, const Turn& now) {
  std::vector<ems::ScheduleStatus> status;
  const auto& windows = config_.schedules;
  if (windows.empty() && windows_open_.empty()) return status;
  const auto at = local_time_(now.wall);
  snap.node_limits = node_limits_at(windows, config_.site, at);
  std::map<std::string, bool> open;
  for (const auto& w : windows) {
    const bool active = window_open(w, at);
    open[w.name] = active;
    status.push_back({w.name, w.node, active, window_limit_text(w), w.max_current_a, w.max_power_w});
    const auto was = windows_open_.find(w.name);
    if ((was == windows_open_.end() && !active) || (was != windows_open_.end() && was->second == active)) continue;
    const std::string where = w.node.empty() ? "the grid connection" : "circuit " + w.node;
    const auto limit = window_limit_text(w);
    const auto text =
        "schedule " + w.name +
        (active ? " open: " + where + " limited to " + limit : " closed: " + where + " back to its own limit");
    auto message = w.node.empty()
                       ? (active ? msg::schedule_open_grid(w.name, limit) : msg::schedule_closed_grid(w.name))
                       : (active ? msg::schedule_open_circuit(w.name, w.node, limit)
                                 : msg::schedule_closed_circuit(w.name, w.node));
    spdlog::info("{}", text);
    decide({now.wall, -1, 0, 0, "schedule", text, std::move(message)});
  }
  for (const auto& [name, was_open] : windows_open_)
    if (was_open && !open.contains(name)) {
      const auto text = "schedule " + name + " removed while open: its node back to its own limit";
      spdlog::info("{}", text);
      decide({now.wall, -1, 0, 0, "schedule", text, msg::schedule_removed(name)});
    }
  windows_open_ = std::move(open);
  return status;
}

void ControlLoop::note_raises(ems::MonoTime now, const ems::SiteSnapshot& snap) {
  const auto rise = policy_.raised(snap);
  auto& history = inputs_.raise_history;
  if (rise[0] > 0 || rise[1] > 0 || rise[2] > 0) history.emplace_back(now, rise);
  while (!history.empty() && (now - history.front().first > std::chrono::seconds(60) || history.size() > 1024))
    history.pop_front();
}

void ControlLoop::step(std::string_view trigger) {
  step(trigger, read_clock());
}

void ControlLoop::step(std::string_view trigger, const Turn& now) {
  const auto t0 = std::chrono::steady_clock::now();
  auto report = std::make_shared<StepReport>();
  report->trigger = std::string(trigger);
  report->snapshot = build_snapshot(config_, inputs_, sessions_, now.mono);
  if (peak_ && grid_net_w_) {
    // The quarter's budget for the EVs: the import still allowed less the other loads' import.
    const auto ev = ev_per_phase(config_.site, inputs_);
    const double ev_w = (ev[0] + ev[1] + ev[2]) * config_.site.surplus.nominal_voltage_v;
    const double site_net_w = config_.site.meter_includes_chargers ? *grid_net_w_ : *grid_net_w_ + ev_w;
    report->snapshot.flex_limit =
        ems::tighter(report->snapshot.flex_limit, ems::peak_flex_limit(peak_->budget(now.wall), site_net_w, ev_w));
  }
  // The grid operator's dimming: the lower of it and the peak's budget wins, with its reason.
  report->snapshot.flex_limit = ems::tighter(report->snapshot.flex_limit, dimming_limit(report->snapshot, now));
  auto schedules = apply_schedules(report->snapshot, now);
  report->allocation = allocator_.step(report->snapshot);
  const auto& alloc = report->allocation;
  policy_.actuate(config_.site, inputs_.sockets, alloc, actuator_, now.wall,
                  [this](Decision d) { decide(std::move(d)); });
  note_raises(now.mono, report->snapshot);
  const auto handed = std::chrono::steady_clock::now();
  if (trigger == "grid sample") check_wiring(report->snapshot, now);
  follow_sessions(alloc, now, report->session_events);
  allocation_faults(alloc, now);
  report->faults = faults_.list();
  std::optional<SgReadyApplied> sg_ready;
  if (sg_ready_outputs_) sg_ready = sg_ready_outputs_->applied();
  auto status = build_status({config_, inputs_, alloc, policy_.desired(), sessions_, report->faults, sg_ready,
                              ++sequence_, now.mono, now.wall});
  if (peak_ && grid_net_w_) status->peak = peak_status(peak_->budget(now.wall));
  status->dimming.state = ems::to_string(dimming_.state);
  status->dimming.limit_w = dimming_.limit_w;
  status->dimming.source = dimming_.source;
  status->dimming.until = dimming_.until;
  status->dimming.floor_w = grid_op_.floor_w();
  status->dimming.relay_dim = relay_dim_;
  status->schedules = std::move(schedules);
  report->status = std::move(status);
  report->sessions = sessions_.open();
  report->closed_quarters.swap(closed_quarters_);
  // Decisions taken before anyone listens (a stored suspend applied at start) reach the first
  // report that has a listener.
  if (observers_.empty())
    report->decisions = pending_;
  else
    report->decisions.swap(pending_);
  {
    std::lock_guard lock(state_mutex_);
    status_ = report->status;
    desired_ = policy_.desired();
    ++stats_.steps;
    if (pending_grid_sample_ && trigger == "grid sample")
      keep(stats_.reaction_us, micros(handed - *pending_grid_sample_));
    keep(stats_.step_us, micros(std::chrono::steady_clock::now() - t0));
  }
  pending_grid_sample_.reset();
  std::shared_ptr<const StepReport> frozen = std::move(report);
  for (auto* o : observers_) o->on_step(frozen);
}

std::vector<SocketObservation> ControlLoop::observe_sockets(const ems::Allocation& a) const {
  std::vector<SocketObservation> out;
  const auto& desired = policy_.desired();
  for (const auto& ref : inputs_.sockets) {
    SocketObservation o;
    o.id = ref.id;
    o.online = inputs_.stations[ref.station].online;
    if (const auto* sample = inputs_.sample(ref)) {
      o.ev_connected =
          sample->state == ems::ConnectorState::Connected || sample->state == ems::ConnectorState::Charging;
      o.energy_wh = sample->energy_wh;
      o.mode3 = sample->mode3;
    }
    if (const auto* sa = a.find(ref.id)) {
      const auto d = desired.find(ref.id);
      o.offered_a = d != desired.end() ? d->second : sa->current_a;
    }
    out.push_back(std::move(o));
  }
  return out;
}

void ControlLoop::follow_sessions(const ems::Allocation& a, const Turn& now, std::vector<SessionEvent>& events) {
  events = sessions_.observe(now.wall, observe_sockets(a));
  for (const auto& e : events) {
    if (e.kind == SessionEventKind::Started)
      spdlog::info("socket {}: vehicle connected", e.socket_id);
    else if (e.kind == SessionEventKind::Ended)
      spdlog::info("socket {}: vehicle disconnected", e.socket_id);
  }
}

void ControlLoop::decide(Decision d) {
  // Without a reader only the newest kDecisionsKept are kept.
  constexpr std::size_t kDecisionsKept = 10000;
  const auto bounded_push = [](std::vector<Decision>& v, Decision x) {
    if (v.size() >= kDecisionsKept) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(kDecisionsKept / 10));
    v.push_back(std::move(x));
  };
  if (keep_journal_) {
    std::lock_guard lock(state_mutex_);
    bounded_push(journal_, d);
  }
  bounded_push(pending_, std::move(d));
}

void ControlLoop::allocation_faults(const ems::Allocation& a, const Turn& now) {
  if (a.is_degraded(ems::Degradation::MeterStale) || a.is_degraded(ems::Degradation::MeterImplausible)) {
    if (!faults_.contains("meter_stale")) {
      const bool never = !inputs_.meters.contains("grid");
      const auto limit = format_number(config_.site.meter_stale_after_s);
      std::string text =
          never ? std::string("no grid meter reading yet: every socket on its safe current")
                : "grid meter silent or rejected for more than " + limit + " s: every socket on its safe current";
      auto message = never ? msg::meter_never_read() : msg::meter_stale(limit);
      const auto grid = inputs_.meters.find("grid");
      if (grid != inputs_.meters.end() && grid->second.send_interval) {
        const auto every = *grid->second.send_interval;
        const double need = drivers::stale_limit_for_interval_s(every, 0.0);
        const auto every_s = format_number(static_cast<double>(every.count()) / 1000.0);
        text += "; the meter sends every " + every_s + " s";
        message = msg::meter_stale_interval(limit, every_s);
        if (config_.site.meter_stale_after_s < need) {
          text += ": set site.meter_stale_after_s to at least " + format_number(need) +
                  ", or remove it to follow the meter";
          message = msg::meter_stale_too_short(limit, every_s, format_number(need));
        }
      } else if (!never) {
        text += "; check the meter link with emsgw probe-meter --config FILE";
      }
      faults_.raise("meter_stale", text, now.wall, std::move(message));
    }
  } else {
    faults_.clear("meter_stale", now.wall);
  }
  if (a.is_degraded(ems::Degradation::PvStale)) {
    if (!faults_.contains("pv_stale"))
      faults_.raise("pv_stale", "PV reading stale: surplus-only charging stopped", now.wall, msg::pv_stale());
  } else {
    faults_.clear("pv_stale", now.wall);
  }
  // A foreign set-point is corrected at once; its fault stays visible for a minute after the last one.
  faults_.expire(now.mono, std::chrono::seconds(60), now.wall);
}

void ControlLoop::check_wiring(const ems::SiteSnapshot& snap, const Turn& now) {
  if (!snap.grid.valid) return;
  std::array<double, ems::kPhaseCount> grid{};
  for (std::size_t p = 0; p < ems::kPhaseCount; ++p) grid[p] = snap.grid.current[p].value();
  std::vector<ems::WiringSocketSample> sockets;
  for (std::size_t k = 0; k < inputs_.sockets.size() && k < snap.sockets.size(); ++k) {
    const auto& ref = inputs_.sockets[k];
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
  for (const auto& ref : inputs_.sockets) {
    const auto f = std::find_if(findings.begin(), findings.end(),
                                [&](const ems::WiringFinding& x) { return x.socket_id == ref.id; });
    if (f != findings.end())
      faults_.raise("wiring:" + std::to_string(ref.id), f->text, now.wall, msg::wiring(f->text));
    else
      faults_.clear("wiring:" + std::to_string(ref.id), now.wall);
  }
}

void ControlLoop::grid_sample_rejected(const drivers::MeterReading& r, const Turn& now) {
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
  faults_.raise_or_update("meter_rejected:grid",
                          "grid meter reported " + what +
                              ": sample rejected (every socket goes to its safe current if "
                              "this lasts " +
                              format_number(config_.site.meter_stale_after_s) + " s)",
                          now.wall, msg::meter_rejected(what, format_number(config_.site.meter_stale_after_s)));
}

void ControlLoop::on_reload_refused(const ReloadRefusedEvent& e, const Turn& now) {
  std::string text = "configuration reload from " + e.source + " refused, the running configuration stays";
  std::string detail;
  if (!e.problems.empty()) detail = e.problems.front();
  if (e.problems.size() > 1) detail += " (and " + std::to_string(e.problems.size() - 1) + " more)";
  if (!detail.empty()) text += ": " + detail;
  faults_.raise_or_update(
      "reload_refused", text, now.wall,
      detail.empty() ? msg::reload_file_refused(e.source) : msg::reload_file_refused_because(e.source, detail));
}

void ControlLoop::check_station_settings(std::size_t station, const StationSample& sample, const Turn& now) {
  auto& st = inputs_.stations[station];
  const auto& cfg = config_.site.stations[station];
  bool changed = false;
  // The station's own values are counted conservatively (conservative()): note when they change.
  for (const auto& so : sample.sockets) {
    if (!so.valid || !so.safe_current_a) continue;
    if (std::none_of(cfg.sockets.begin(), cfg.sockets.end(),
                     [&](const ems::SocketConfig& c) { return c.unit == so.unit; }))
      continue;
    const auto prev = st.safe_current_a.find(so.unit);
    if (prev == st.safe_current_a.end() || prev->second != *so.safe_current_a) changed = true;
    st.safe_current_a[so.unit] = *so.safe_current_a;
  }
  if (sample.station_max_a) {
    if (!st.max_current_a || *st.max_current_a != *sample.station_max_a) changed = true;
    st.max_current_a = *sample.station_max_a;
  }
  // Each setting against the file (the same findings as check-site), one named fault per mismatch.
  // In SCN mode the station that speaks for the SCN must have its budget enabled (1431), or it
  // ignores the budget emsgw writes.
  for (const auto& f : station_findings(config_.site, station, sample)) {
    if (f.code.ends_with(":unit")) continue;  // a socket that does not answer: the station's sample says so
    const auto code = f.code == "scn" ? "scn_disabled:" + cfg.name : "station_settings:" + cfg.name + ":" + f.code;
    if (f.matches) {
      faults_.clear(code, now.wall);
      continue;
    }
    std::string detail = mismatch_words(f, true);
    if (!f.meanwhile.empty()) detail += "; " + f.meanwhile;
    if (!f.fix.empty()) detail += "; " + f.fix;
    const std::string text =
        "station " + cfg.name + (f.socket_id ? " socket " + std::to_string(*f.socket_id) : "") + ": " + detail;
    faults_.raise_or_update(code, text, now.wall,
                            f.socket_id ? msg::socket_settings(cfg.name, std::to_string(*f.socket_id), detail)
                                        : msg::station_settings(cfg.name, detail));
  }
  if (changed) apply_station_settings(now);
}

ems::SiteConfig ControlLoop::conservative(const ems::SiteConfig& site) const {
  auto out = site;
  for (std::size_t i = 0; i < out.stations.size() && i < inputs_.stations.size(); ++i) {
    auto& cfg = out.stations[i];
    const auto& st = inputs_.stations[i];
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

void ControlLoop::apply_station_settings(const Turn& now) {
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
    faults_.raise_or_update(
        "station_settings_unsafe",
        "the stations' own settings break the configuration's rules: " + issues.front().key + " = " +
            issues.front().value + ": " + issues.front().rule +
            "; emsgw keeps the configured values, correct the station or the file",
        now.wall, msg::station_settings_unsafe(issues.front().key, issues.front().value, issues.front().rule));
    return;
  }
  faults_.clear("station_settings_unsafe", now.wall);
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
  out.swap(journal_);
  return out;
}

std::map<int, double> ControlLoop::desired() const {
  std::lock_guard lock(state_mutex_);
  return desired_;
}

}  // namespace emsgw::gateway
