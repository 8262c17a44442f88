#include "tests/lab/lab_site.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>

#include "drivers/alfen/sim/alfen_station_sim.hpp"
#include "drivers/alfen/sim/ev_model.hpp"
#include "gateway/config/config.hpp"
#include "gateway/devices/station_worker.hpp"
#include "gateway/runtime/control_loop.hpp"
#include "tests/ems/scenario.hpp"
#include "tests/lab/lab_device.hpp"

namespace emsgw::lab {

using nlohmann::json;

namespace {

constexpr double kTickS = 0.1;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kDrawingA = 1.0;     ///< an EV drawing at least this "has current"
constexpr double kIecMinimumA = 6.0;  ///< the least a charging EV is offered (IEC 61851)
constexpr double kSettleS = 90;       ///< steady state begins this long after the last event
constexpr double kExemptS = 20;       ///< transitions this close to an exempting event are not counted
constexpr double kPeriodSlackS = 2;   ///< step jitter at alternating boundaries

std::invalid_argument bad(const std::string& key, const std::string& value, const std::string& rule) {
  return std::invalid_argument("scenario key " + key + " = " + value + ": " + rule);
}

template <class T>
T opt(const json& j, const char* key, T fallback) {
  return j.contains(key) ? j.at(key).get<T>() : fallback;
}

/// Reads a car (EvParams) from JSON; every key is optional.
drivers::alfen::EvParams car_from(const json& j, const std::string& where) {
  drivers::alfen::EvParams p;
  p.phases = opt(j, "phases", 3);
  if (p.phases < 1 || p.phases > 3) throw bad(where + ".phases", std::to_string(p.phases), "must be 1, 2 or 3");
  p.max_current_a = opt(j, "max_a", 16.0);
  p.start_current_a = opt(j, "start_a", 6.0);
  p.tau_up_s = opt(j, "tau_up_s", 1.5);
  p.tau_down_s = opt(j, "tau_down_s", 1.0);
  p.dead_time_s = opt(j, "dead_s", 0.5);
  p.draw_offset_a = opt(j, "offset_a", 0.0);
  p.one_phase_below_a = opt(j, "one_phase_below_a", 0.0);
  p.battery_kwh = opt(j, "battery_kwh", 0.0);
  p.soc = opt(j, "soc", 0.5);
  p.taper_from_soc = opt(j, "taper_from_soc", 0.8);
  p.give_up_after = opt(j, "give_up_after", 4);
  p.give_up_window_s = opt(j, "give_up_window_s", 600.0);
  p.sleep_after_s = opt(j, "sleep_after_s", 0.0);
  p.wake_s = opt(j, "wake_s", 2.0);
  if (p.max_current_a <= 0) throw bad(where + ".max_a", std::to_string(p.max_current_a), "must be > 0");
  if (p.tau_up_s <= 0 || p.tau_down_s <= 0 || p.dead_time_s < 0)
    throw bad(where + ".tau", "", "time constants must be > 0 and the dead time ≥ 0");
  return p;
}

/// A seeded random site: 2–4 Alfen Doubles on a 3-phase connection with rotated mappings, cars of
/// every kind arriving and leaving, household steps. The same seed gives the same site.
json random_site(const json& spec) {
  const auto seed = spec.at("seed").get<std::uint32_t>();
  std::mt19937 rng(seed);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const auto real = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  const double duration = opt(spec, "duration_s", 3600.0);
  // "sleepers": half the cars fall asleep 5–15 min into a pause (their own generator: the rest of
  // the site is the same as without).
  const bool sleepers = opt(spec, "sleepers", false);
  std::mt19937 sleep_rng(seed + 1);
  json j;
  const int fuse = std::array{25, 32, 40}[static_cast<std::size_t>(pick(0, 2))];
  j["site"] = {{"grid_max_current_a", fuse}, {"grid_phases", 3}, {"safety_margin_a", 1}, {"alternating_period_s", 900}};
  j["duration_s"] = duration;
  const int stations = pick(2, 4);
  const char* maps[] = {"L1L2L3", "L3L1L2", "L2L3L1"};
  const char* single[] = {"L1", "L2", "L3"};
  std::vector<int> ids;
  for (int s = 0; s < stations; ++s) {
    json st = {{"name", "S" + std::to_string(s)}, {"max_current_a", 32}};
    for (int u = 0; u < 2; ++u) {
      const int id = 2 * s + u + 1;
      const int n = static_cast<int>(ids.size());
      const bool one = pick(0, 3) == 0;
      st["sockets"].push_back({{"id", id},
                               {"max_current_a", std::array{16, 32}[static_cast<std::size_t>(pick(0, 1))]},
                               {"safe_current_a", 0},
                               {"phase_mapping", one ? single[n % 3] : maps[n % 3]}});
      ids.push_back(id);
    }
    j["stations"].push_back(st);
  }
  json events = json::array();
  events.push_back({{"t", 0}, {"household_a", {real(0, 8), real(0, 8), real(0, 8)}}});
  for (int id : ids) {
    double t = real(5, duration / 3);
    while (t < duration - 60) {
      json car = {{"phases", pick(0, 2) == 0 ? 1 : 3},
                  {"max_a", std::array{10, 16, 32}[static_cast<std::size_t>(pick(0, 2))]},
                  {"offset_a", pick(0, 2) == 0 ? real(0.5, 1.0) : 0.0},
                  {"start_a", pick(0, 5) == 0 ? 14 : 6},
                  {"tau_up_s", real(0.5, 2.5)},
                  {"dead_s", real(0.2, 1.5)}};
      if (sleepers && std::uniform_int_distribution<int>(0, 1)(sleep_rng) == 0)
        car["sleep_after_s"] = std::uniform_real_distribution<double>(300, 900)(sleep_rng);
      events.push_back({{"t", std::round(t)}, {"plug", {{"socket", id}, {"car", car}}}});
      const double stay = real(900, 3600);
      if (pick(0, 2) == 0 && t + stay / 2 < duration) {
        events.push_back({{"t", std::round(t + stay / 3)}, {"wants", {{"socket", id}, {"energy", false}}}});
        events.push_back({{"t", std::round(t + stay / 2)}, {"wants", {{"socket", id}, {"energy", true}}}});
      }
      t += stay;
      if (t >= duration - 60) break;
      events.push_back({{"t", std::round(t)}, {"unplug", id}});
      t += real(60, 900);
    }
  }
  for (double t = real(300, 900); t < duration; t += real(300, 1200))
    events.push_back({{"t", std::round(t)}, {"household_a", {real(0, 12), real(0, 12), real(0, 12)}}});
  j["events"] = events;
  return j;
}

struct LabSocket {
  int id = 0;
  std::size_t station = 0;
  int unit = 1;
  ems::PhaseMapping map;
  double max_a = 0;
  bool plugged = false;
  std::optional<double> plugged_at;
  bool had_current = false;
  bool on = false;
  bool was_asking = false;
  bool was_full = false;
  double exempt_until = -kInf;
  bool resume_exempt = false;                        ///< paused by a cut for overload: its resume is that event's too
  std::vector<std::pair<double, bool>> transitions;  ///< (t, counted)
  double wait_fit = 0;
  double wait_any = 0;
  int steady_writes = 0;
  double energy_from = 0;
};

struct Truth {
  double t = 0;
  std::array<double, 3> grid{};
};

}  // namespace

LabResult run_lab_scenario(const json& input, const std::string& name) {
  const auto cpu0 = std::clock();
  const json scenario = input.contains("random") ? random_site(input.at("random")) : input;
  // The scenario as run (a random site's every station and event) on stderr, to keep it as a file.
  if (std::getenv("EMSGW_LAB_DUMP") != nullptr) std::fprintf(stderr, "%s\n", scenario.dump(1).c_str());
  LabResult result;
  result.name = name;
  spdlog::set_level(spdlog::level::off);

  gateway::Config cfg;
  cfg.source = name;
  cfg.site = ems::test::site_from_json(scenario);
  cfg.site.name = name;
  cfg.meters["grid"] = drivers::MeterSettings{};
  for (std::size_t i = 0; i < cfg.site.stations.size(); ++i) cfg.station_links.push_back({});
  const auto& site = cfg.site;
  const double duration = opt(scenario, "duration_s", 3600.0);
  const double period = site.alternating_period_s;
  // Stations read at their own times, as on a site where every station has its own connection:
  // station i's worker starts i × station_poll_offset_ms after the others (0: all read together).
  const double poll_offset_s = opt(scenario, "station_poll_offset_ms", 0.0) / 1000.0;

  ems::ManualClock clock(ems::MonoTime{} + std::chrono::hours(1));
  const auto t0 = clock.mono_now();
  const auto now_s = [&] { return std::chrono::duration<double>(clock.mono_now() - t0).count(); };

  // Stations: simulator, in-process transport, worker.
  std::vector<std::unique_ptr<drivers::alfen::AlfenStationSim>> sims;
  std::vector<std::unique_ptr<InProcessTransport>> transports;
  std::vector<std::unique_ptr<gateway::StationWorker>> workers;
  std::vector<LabSocket> sockets;
  std::deque<gateway::Event> queue;
  bool steady_now = false;  // set per tick: writes made now count as steady-state writes
  const bool trace = std::getenv("EMSGW_LAB_TRACE") != nullptr;      // every write and event on stderr
  const bool truth = std::getenv("EMSGW_LAB_TRUTH") != nullptr;      // the true currents every tick
  const bool util_trace = std::getenv("EMSGW_LAB_UTIL") != nullptr;  // the ticks `util` counts
  for (std::size_t i = 0; i < site.stations.size(); ++i) {
    const auto& st = site.stations[i];
    drivers::alfen::AlfenSimConfig sc;
    sc.name = st.name;
    sc.station_max_a = st.max_current_a;
    sc.validity_s = 60;
    sc.sockets = 0;
    for (const auto& so : st.sockets) {
      if (so.unit < 1 || so.unit > 2) throw bad("station.socket.unit", std::to_string(so.unit), "must be 1 or 2");
      sc.sockets = std::max(sc.sockets, so.unit);
      auto& x = sc.socket[static_cast<std::size_t>(so.unit - 1)];
      x.max_current_a = so.max_current_a;
      x.safe_current_a = so.safe_current_a;
      x.wiring = so.phase_mapping;
      LabSocket ls;
      ls.id = so.id;
      ls.station = i;
      ls.unit = so.unit;
      ls.map = so.phase_mapping;
      ls.max_a = std::min(so.max_current_a, st.max_current_a);
      sockets.push_back(ls);
    }
    sims.push_back(std::make_unique<drivers::alfen::AlfenStationSim>(sc, &clock));
    transports.push_back(std::make_unique<InProcessTransport>(*sims.back()));
    gateway::StationWorker::Options o;
    o.poll_interval = ems::Millis(cfg.station_links[i].poll_interval_ms);
    o.refresh_margin_s = cfg.station_links[i].refresh_margin_s;
    workers.push_back(std::make_unique<gateway::StationWorker>(
        i, std::make_unique<LabStationDevice>(*transports.back(), clock, sc.sockets), clock, o,
        [&queue](std::size_t s, gateway::StationSample sample) {
          queue.emplace_back(gateway::StationEvent{s, std::move(sample)});
        },
        [&](gateway::WriteReport r) {
          if (trace && r.kind != gateway::WriteKind::Refresh)
            std::fprintf(stderr, "t=%.1f write station %zu unit %d %.0f A%s\n",
                         std::chrono::duration<double>(r.at - t0).count(), r.station, r.unit, r.amps,
                         steady_now ? " (steady)" : "");
          if (r.kind == gateway::WriteKind::Change) {
            for (auto& so : sockets)
              if (so.station == r.station && so.unit == r.unit && r.outcome.ok && steady_now) ++so.steady_writes;
          }
          queue.emplace_back(gateway::WriteEvent{std::move(r)});
        }));
  }
  const auto socket_by_id = [&](int id) -> LabSocket& {
    for (auto& s : sockets)
      if (s.id == id) return s;
    throw bad("socket", std::to_string(id), "no such socket id in the stations");
  };

  class WorkerActuator final : public gateway::Actuator {
   public:
    explicit WorkerActuator(std::vector<std::unique_ptr<gateway::StationWorker>>& w) : w_(w) {}
    void set_desired(std::size_t station, int unit, double amps, int phases) override {
      w_[station]->set_desired(unit, amps, phases);
    }
    void set_desired_scn(std::size_t station, const std::array<double, 3>& amps) override {
      w_[station]->set_desired_scn(amps);
    }
    void affirm() override {
      for (auto& w : w_) w->affirm();
    }

   private:
    std::vector<std::unique_ptr<gateway::StationWorker>>& w_;
  } actuator(workers);
  gateway::ControlLoop loop(cfg, clock, actuator);
  // With EMSGW_LAB_TRACE: every change of a socket's allocated value or reason on stderr.
  class ReasonTrace final : public gateway::StepObserver {
   public:
    explicit ReasonTrace(ems::MonoTime t0) : t0_(t0) {}
    void on_step(const std::shared_ptr<const gateway::StepReport>& r) override {
      const auto& ph = r->allocation.phases;
      char nonev[96];
      std::snprintf(nonev, sizeof nonev, "%.2f %.2f %.2f", ph[0].non_ev_load.value(), ph[1].non_ev_load.value(),
                    ph[2].non_ev_load.value());
      if (nonev_ != nonev) {
        nonev_ = nonev;
        const auto& g = r->snapshot.grid.current;
        std::fprintf(stderr, "t=%.1f non-EV load %s (grid %.1f %.1f %.1f%s; stations",
                     std::chrono::duration<double>(r->allocation.at - t0_).count(), nonev, g[0].value(), g[1].value(),
                     g[2].value(), r->snapshot.ev_rise_unconfirmed() ? ", EV rise on trust" : "");
        for (const auto& s : r->snapshot.sockets)
          std::fprintf(stderr, " %d:%.1f/%.1f/%.1f@%.1f", s.id, s.current[0].value(), s.current[1].value(),
                       s.current[2].value(), std::chrono::duration<double>(s.measured_at - t0_).count());
        std::fprintf(stderr, ")\n");
      }
      for (const auto& a : r->allocation.sockets) {
        const auto key = std::to_string(a.current_a) + " " + std::string(ems::to_string(a.reason));
        if (last_[a.id] == key) continue;
        last_[a.id] = key;
        std::fprintf(stderr, "t=%.1f alloc socket %d %s%s\n",
                     std::chrono::duration<double>(r->allocation.at - t0_).count(), a.id, key.c_str(),
                     a.wait_for_confirmation ? " (waits)" : "");
      }
    }

   private:
    ems::MonoTime t0_;
    std::map<int, std::string> last_;
    std::string nonev_;
  } reason_trace(clock.mono_now());
  if (trace) loop.add_observer(&reason_trace);
  // The non-EV load emsgw estimated at every step (when the grid reading was valid), for the
  // under-read KPI.
  class Estimates final : public gateway::StepObserver {
   public:
    explicit Estimates(ems::MonoTime t0) : t0_(t0) {}
    void on_step(const std::shared_ptr<const gateway::StepReport>& r) override {
      if (!r->snapshot.grid.valid) return;
      std::array<double, 3> v{};
      for (std::size_t p = 0; p < 3; ++p) v[p] = r->allocation.phases[p].non_ev_load.value();
      steps.emplace_back(std::chrono::duration<double>(r->allocation.at - t0_).count(), v);
    }
    std::vector<std::pair<double, std::array<double, 3>>> steps;  ///< drained every tick

   private:
    ems::MonoTime t0_;
  } estimates(clock.mono_now());
  loop.add_observer(&estimates);

  // Meter model.
  const json meter = opt(scenario, "meter", json::object());
  const double meter_period = opt(meter, "period_ms", 1000.0) / 1000.0;
  const double meter_delay = opt(meter, "delay_ms", 0.0) / 1000.0;
  // The EV response window: the meter sees a change, the EVs follow within the response time.
  const double response_window = site.ev_response_time_s + meter_period + meter_delay;
  const double noise_a = opt(meter, "noise_a", 0.0);
  // A meter that reports whole amperes (DSMR: F3(0,0) A), cut off towards zero.
  const bool whole_amperes = opt(meter, "whole_amperes", false);
  std::mt19937 noise_rng(opt(meter, "seed", 1u));
  std::normal_distribution<double> noise(0.0, 1.0);
  std::deque<Truth> history;
  double meter_silent_until = -kInf;
  double next_meter = 0;
  double next_timer = 0;

  // Events.
  const json event_list = scenario.value("events", json::array());
  std::vector<json> events(event_list.begin(), event_list.end());
  std::stable_sort(events.begin(), events.end(),
                   [](const json& a, const json& b) { return a.at("t").get<double>() < b.at("t").get<double>(); });
  std::size_t next_event = 0;
  std::array<double, 3> household{};
  double pv_w = 0;
  double last_event_t = 0;
  double site_exempt_until = -kInf;      // fail-safe, station lost, another car's probing
  double overload_exempt_until = -kInf;  // cuts after a load increase
  std::vector<std::pair<double, double>> offline_windows;
  std::vector<bool> offline(sims.size(), false);
  int left_interruptions = 0, left_gave_up = 0;  // counted by EV models whose car has left

  const auto pv_per_phase = [&] { return pv_w / (site.surplus.nominal_voltage_v * 3); };
  const auto apply = [&](const json& e, double t) {
    last_event_t = t;
    if (e.contains("household_a")) {
      const auto h = e.at("household_a").get<std::vector<double>>();
      if (h.size() != 3) throw bad("household_a", e.at("household_a").dump(), "needs three phase currents");
      bool up = false;
      for (std::size_t p = 0; p < 3; ++p) {
        up = up || h[p] > household[p];
        household[p] = h[p];
      }
      if (up) overload_exempt_until = t + kExemptS;
    }
    if (e.contains("pv_w")) {
      const double v = e.at("pv_w").get<double>();
      if (v < pv_w) overload_exempt_until = t + kExemptS;
      pv_w = v;
    }
    // What an EV model counted is kept when its car leaves (unplugged, or another plugged in).
    const auto count_car = [&](const LabSocket& so) {
      if (const auto m = sims[so.station]->ev_model(so.unit)) {
        left_interruptions += m->interruptions();
        left_gave_up += m->gave_up() ? 1 : 0;
      }
    };
    if (e.contains("plug")) {
      const auto& p = e.at("plug");
      auto& so = socket_by_id(p.at("socket").get<int>());
      count_car(so);
      sims[so.station]->plug_model(so.unit, car_from(p.value("car", json::object()), "plug.car"));
      so.plugged = true;
      so.plugged_at = t;
      so.had_current = false;
      so.exempt_until = t + site.probing_time_s + kExemptS;
      site_exempt_until = std::max(site_exempt_until, t + site.probing_time_s + kExemptS);
    }
    if (e.contains("unplug")) {
      auto& so = socket_by_id(e.at("unplug").get<int>());
      count_car(so);
      sims[so.station]->unplug(so.unit);
      so.plugged = false;
      so.plugged_at.reset();
      so.wait_fit = so.wait_any = 0;  // the next car's wait is its own
      so.exempt_until = t + kExemptS;
      site_exempt_until = std::max(site_exempt_until, t + kExemptS);
    }
    if (e.contains("wants")) {
      const auto& w = e.at("wants");
      auto& so = socket_by_id(w.at("socket").get<int>());
      const bool want = w.at("energy").get<bool>();
      sims[so.station]->with_ev_model(so.unit,
                                      [&](drivers::alfen::EvModel& m, ems::MonoTime at) { m.wants_energy(at, want); });
      so.exempt_until = t + kExemptS;
    }
    if (e.contains("car_phases")) {
      const auto& w = e.at("car_phases");
      auto& so = socket_by_id(w.at("socket").get<int>());
      const int n = w.at("phases").get<int>();
      const auto before = sims[so.station]->ev_model(so.unit);
      const int had = before ? before->params().phases : 0;
      sims[so.station]->with_ev_model(so.unit,
                                      [&](drivers::alfen::EvModel& m, ems::MonoTime at) { m.set_phases(at, n); });
      so.exempt_until = t + kExemptS;
      // More phases are a load increase on the ones added: others cut for it are cut for overload.
      if (n > had) overload_exempt_until = t + kExemptS;
    }
    for (const char* key : {"station_offline", "station_online"}) {
      if (!e.contains(key)) continue;
      const auto nm = e.at(key).get<std::string>();
      bool found = false;
      for (std::size_t i = 0; i < site.stations.size(); ++i)
        if (site.stations[i].name == nm) {
          found = true;
          const bool off = std::string(key) == "station_offline";
          transports[i]->offline = off;
          offline[i] = off;
          if (off)
            offline_windows.emplace_back(t, kInf);
          else if (!offline_windows.empty())
            offline_windows.back().second = t;
          site_exempt_until = std::max(site_exempt_until, off ? kInf : t + site.station_stale_after_s + 60);
        }
      if (!found) throw bad(key, nm, "no station of that name");
    }
    if (e.contains("meter_silent_s")) {
      meter_silent_until = t + e.at("meter_silent_s").get<double>();
      site_exempt_until = std::max(site_exempt_until, meter_silent_until + 30);
    }
  };

  // Fairness groups.
  struct Fair {
    std::vector<int> ids;
    double from = 0, to = 0;
    std::map<int, double> start, end;
  };
  std::vector<Fair> fair;
  for (const auto& f : scenario.value("fair", json::array()))
    fair.push_back(
        {f.at("sockets").get<std::vector<int>>(), f.at("from_s").get<double>(), f.at("to_s").get<double>(), {}, {}});

  Bounds bounds;
  if (scenario.contains("bounds")) {  // a scenario may only tighten the targets
    const auto& b = scenario.at("bounds");
    bounds.wait_fit_s = std::min(bounds.wait_fit_s, opt(b, "wait_fit_s", bounds.wait_fit_s));
  }
  bounds.wait_any_s = period + bounds.wait_fit_s + 5;
  result.bounds = bounds;

  Kpis k;
  std::array<double, 3> overload_run{};
  std::deque<std::pair<double, std::array<double, 3>>> non_ev_truth;  // (t, household − PV per phase, ≥ 0)
  double used_sum = 0, head_sum = 0;
  double worst_wait_fit = 0, worst_wait_any = 0;
  std::string wait_fit_note, wait_any_note;
  // Keeps the longest wait of an asking EV and where it was (`how`: "" or " (asleep)").
  const auto note_wait_any = [&](const LabSocket& so, double t, const char* how) {
    if (so.wait_any <= worst_wait_any) return;
    worst_wait_any = so.wait_any;
    char buf[128];
    std::snprintf(buf, sizeof buf, "socket %d waited %.1f s%s until t=%.0f s", so.id, so.wait_any, how, t);
    wait_any_note = buf;
  };

  const auto ev_energy = [&](const LabSocket& so) { return sims[so.station]->socket_state(so.unit).energy_wh; };

  // Station i's worker runs from the first tick + i × poll_offset_s on.
  const auto run_workers = [&](ems::MonoTime now, double t) {
    for (std::size_t i = 0; i < workers.size(); ++i)
      if (t + 1e-9 >= kTickS + static_cast<double>(i) * poll_offset_s) (void)workers[i]->run_once(now);
  };
  for (double t = kTickS; t <= duration + 1e-9; t += kTickS) {
    clock.advance(ems::Millis(100));
    t = now_s();
    while (next_event < events.size() && events[next_event].at("t").get<double>() <= t + 1e-9)
      apply(events[next_event++], t);
    const auto now = clock.mono_now();
    {
      std::array<double, 3> v{};
      for (std::size_t p = 0; p < 3; ++p) v[p] = std::max(0.0, household[p] - pv_per_phase());
      non_ev_truth.emplace_back(t, v);
    }
    const bool failsafe_now =
        t < meter_silent_until + 10 || std::any_of(offline.begin(), offline.end(), [](bool b) { return b; });
    steady_now = t - last_event_t >= kSettleS && !failsafe_now && t >= site_exempt_until;
    if (steady_now) k.steady_s += kTickS;
    run_workers(now, t);
    if (t + 1e-9 >= next_meter) {
      next_meter += meter_period;
      if (t >= meter_silent_until && !history.empty()) {
        // The sample a delayed meter reports: the truth meter_delay ago.
        const Truth* seen = &history.front();
        for (const auto& h : history)
          if (h.t <= t - meter_delay + 1e-9) seen = &h;
        drivers::MeterReading r;
        for (std::size_t p = 0; p < 3; ++p) {
          const double a = seen->grid[p] + (noise_a > 0 ? noise_a * noise(noise_rng) : 0.0);
          r.current_a[p] = drivers::Measurement::of(whole_amperes ? std::trunc(a) : a);
        }
        r.current_step_a = whole_amperes ? 1 : 0;  // as the DSMR and TIC drivers mark it
        r.mono = now;
        r.wall = clock.wall_now();
        queue.emplace_back(gateway::MeterEvent{"grid", r});
        if (pv_w > 0 || scenario.contains("pv")) {
          drivers::MeterReading pv;
          pv.sign = drivers::PowerSign::ProductionPositive;
          pv.power_total_w = drivers::Measurement::of(pv_w);
          pv.mono = now;
          queue.emplace_back(gateway::MeterEvent{"pv", pv});
        }
      }
    }
    while (!queue.empty()) {
      auto e = std::move(queue.front());
      queue.pop_front();
      loop.handle(std::move(e));
    }
    if (t + 1e-9 >= next_timer) {
      next_timer += 1.0;
      loop.step("timer");
    }
    run_workers(now, t);
    while (!queue.empty()) {
      auto e = std::move(queue.front());
      queue.pop_front();
      loop.handle(std::move(e));
    }

    // The non-EV estimate of this tick's steps against the truth over the meter's latency (its
    // period, its delay, the tick a reading waits for, the tick it reports): never while the meter
    // is silent or just back.
    const double latency = meter_period + meter_delay + 2 * kTickS;
    for (const auto& [at, est] : estimates.steps) {
      if (at < meter_silent_until + latency + 1) continue;
      for (std::size_t p = 0; p < static_cast<std::size_t>(site.grid_phases); ++p) {
        double least = kInf;
        for (const auto& [tt, v] : non_ev_truth)
          if (tt >= at - latency - 1e-9 && tt <= at + 1e-9) least = std::min(least, v[p]);
        if (least < kInf) k.under_read_a = std::max(k.under_read_a, least - est[p] - 4 * noise_a);
      }
    }
    estimates.steps.clear();
    while (non_ev_truth.size() > 2 && non_ev_truth.front().first < t - latency - 1) non_ev_truth.pop_front();

    // --- The physical truth of this tick.
    std::array<double, 3> ev{};
    for (auto& sim : sims) {
      const auto g = sim->grid_currents_a();
      for (std::size_t p = 0; p < 3; ++p) ev[p] += g[p];
    }
    Truth tr;
    tr.t = t;
    const double pvp = pv_per_phase();
    for (std::size_t p = 0; p < 3; ++p) tr.grid[p] = household[p] - pvp + ev[p];
    history.push_back(tr);
    if (truth) {
      std::fprintf(stderr, "t=%.1f truth grid %.1f %.1f %.1f;", t, tr.grid[0], tr.grid[1], tr.grid[2]);
      for (auto& so : sockets) {
        const auto st = sims[so.station]->socket_state(so.unit);
        std::fprintf(stderr, " %d:%.1f/sp%.0f/ap%.0f", so.id, st.current_a[0], st.setpoint_a, st.applied_a);
      }
      std::fprintf(stderr, "\n");
    }
    while (history.size() > 2 && history[1].t <= t - meter_delay - 1.0) history.pop_front();

    // Overload beyond the EV response window (detection by the meter + the EV's 5 s).
    for (std::size_t p = 0; p < static_cast<std::size_t>(site.grid_phases); ++p) {
      const double excess = tr.grid[p] - site.grid_max_current_a;
      if (excess > 0) {
        overload_run[p] += kTickS;
        if (overload_run[p] > response_window) k.overload_as += excess * kTickS;
      } else {
        overload_run[p] = 0;
      }
    }

    const bool failsafe =
        t < meter_silent_until + 10 || std::any_of(offline.begin(), offline.end(), [](bool b) { return b; });
    // Per socket: the EV and what it is offered.
    struct Car {
      LabSocket* so;
      drivers::alfen::EvModel m;
      std::array<std::size_t, 3> phases{};
      int count = 0;
      double applied = 0;
    };
    std::vector<Car> cars;
    for (auto& so : sockets) {
      const auto st = sims[so.station]->socket_state(so.unit);
      const bool on = st.applied_a >= kIecMinimumA - 1e-9;
      if (so.plugged && on != so.on) {
        const auto car = sims[so.station]->ev_model(so.unit);
        // An offer to a car that does not ask (Mode 3 B: full, or done) switches no contactor and
        // interrupts nothing: a car that stopped asking while paused can only be told from a
        // waiting one by offering it current at its turn, and it is parked once it does not take it.
        const bool idle = car && !car->asking();
        const bool overload_cut = !on && t < overload_exempt_until;
        // A resume while every asking car's minimum fits on its phases is what waitF demands (a
        // fitting car waits ≤ 10 s), whatever paused it: not counted.
        const bool fitting_resume = on && so.wait_fit > 0;
        bool exempt = t < so.exempt_until || t < site_exempt_until || overload_cut || (on && so.resume_exempt) ||
                      fitting_resume || idle;
        // The resume that undoes a pause for an exempt event (a cut for overload, another car's
        // probing minute, fail-safe) is that event's too.
        so.resume_exempt = overload_cut || (!on && (t < so.exempt_until || t < site_exempt_until));
        so.transitions.emplace_back(t, !exempt);
      }
      so.on = on;
      if (!so.plugged) continue;
      const auto m = sims[so.station]->ev_model(so.unit);
      if (!m) continue;
      if (m->asking() != so.was_asking || m->full() != so.was_full)
        so.exempt_until = std::max(so.exempt_until, t + kExemptS);
      if (m->full() != so.was_full) last_event_t = t;
      so.was_asking = m->asking();
      so.was_full = m->full();
      if (m->current_a() >= kDrawingA && !so.had_current && so.plugged_at) {
        so.had_current = true;
        k.plug_to_current_s = std::max(k.plug_to_current_s, t - *so.plugged_at);
      }
      if (!m->asking()) {
        // An EV asleep while paused still waits for its energy (it asks again once offered it).
        so.wait_fit = 0;
        so.wait_any = m->wants_charge() ? so.wait_any + kTickS : 0;
        note_wait_any(so, t, " (asleep)");
        continue;
      }
      Car c{&so, *m, {}, 0, st.applied_a};
      const int n = std::min(m->params().phases, static_cast<int>(so.map.count));
      for (int i = 0; i < n; ++i)
        c.phases[static_cast<std::size_t>(c.count++)] = ems::index(so.map.grid[static_cast<std::size_t>(i)]);
      cars.push_back(c);
    }
    // In its probing minute a car is offered the probing current, no more and no less (the guide).
    const auto probing = [&](const Car& c) {
      return c.so->plugged_at && t - *c.so->plugged_at < site.probing_time_s + 5;
    };
    // What an asking car needs: its minimum, or the probing current in its probing minute (the
    // guide lets others pause for it).
    const auto probe_a = [&](const Car& c) { return std::max(c.m.minimum_a(), site.probing_current_a); };
    const auto car_min = [&](const Car& c) { return probing(c) ? probe_a(c) : c.m.minimum_a(); };
    // What it wants: up to its own and its socket's limit; the probing current while it probes.
    const auto car_want = [&](const Car& c) {
      const double want = std::min(c.m.potential_a(), c.so->max_a);
      return probing(c) ? std::min(want, probe_a(c)) : want;
    };
    // Current granted that the car takes: its offer up to its own limit, while it draws (a car
    // drawing a fixed 0.5–1 A less than any offer leaves that unused whatever the allocator does).
    // A charging car is never offered less than its minimum (6 A, IEC 61851; 14 A for a car that
    // stops below it, guide §3.2): a car tapering below that, or whose own charger takes less, keeps
    // its minimum that nobody else may plan on (design.md §2.1 counts it at its offer).
    const auto granted = [&](const Car& c) {
      return c.m.current_a() >= kDrawingA
                 ? std::min(c.applied, std::max(c.m.minimum_a(), c.m.potential_a() + c.m.params().draw_offset_a))
                 : 0.0;
    };
    // Headroom, demand and minimums per grid phase and per station.
    std::array<double, 3> head{}, demand{}, mins{}, used{};
    std::array<int, 3> n_on{};
    std::vector<double> station_mins(sims.size(), 0.0);
    for (std::size_t p = 0; p < 3; ++p)
      // A meter that reports whole amperes hides up to one more of them: no controller can know
      // the room it might leave. Set-points are whole amperes (the station's documented step,
      // alfen-modbus.md): the offers on a phase add up to at most its whole amperes of headroom.
      head[p] = p < static_cast<std::size_t>(site.grid_phases)
                    ? std::floor(site.grid_max_current_a - site.safety_margin_a - std::max(0.0, household[p] - pvp) -
                                 (whole_amperes ? 1.0 : 0.0) + 1e-9)
                    : 0.0;
    for (const auto& c : cars) {
      const double want = car_want(c);
      for (int i = 0; i < c.count; ++i) {
        const auto p = c.phases[static_cast<std::size_t>(i)];
        demand[p] += want;
        mins[p] += car_min(c);
        used[p] += granted(c);
        ++n_on[p];
      }
      station_mins[c.so->station] += car_min(c);
    }
    // Utilisation: phases where demand exceeds supply and that bind the cars on them: the phases
    // the ideal max-min fair division (progressive filling of the asking cars' wants) fills up.
    // Headroom left on a phase whose every car is held by a fuller one is no car's to take.
    // A car charges at its minimum or not at all (6 A; 14 A for a car that stops below it, which
    // holds 14 A even where its own charger takes less): the ideal starts each car at its minimum,
    // and leaves out a car paused where its minimum does not fit beside those of the cars charging
    // (which car pauses is the rotation's, judged by the waits). A paused car whose minimum fits
    // stays in: its room is counted as lost.
    std::array<bool, 3> full{};
    {
      std::array<double, 3> charging_mins{};
      std::vector<double> charging_station_mins(sims.size(), 0.0);
      const auto paused = [&](const Car& c) { return c.applied < car_min(c) - 1e-6; };
      for (const auto& c : cars) {
        if (paused(c)) continue;
        for (int j = 0; j < c.count; ++j) charging_mins[c.phases[static_cast<std::size_t>(j)]] += car_min(c);
        charging_station_mins[c.so->station] += car_min(c);
      }
      std::array<double, 3> left = head;
      std::vector<bool> frozen(cars.size(), false);
      std::vector<double> got(cars.size(), 0.0);
      for (std::size_t i = 0; i < cars.size(); ++i) {
        const auto& c = cars[i];
        bool fits =
            charging_station_mins[c.so->station] + car_min(c) <= site.stations[c.so->station].max_current_a + 1e-9;
        for (int j = 0; j < c.count; ++j) {
          const auto p = c.phases[static_cast<std::size_t>(j)];
          fits = fits && charging_mins[p] + car_min(c) <= head[p] + 1e-9;
        }
        if (paused(c) && !fits) {
          frozen[i] = true;
          continue;
        }
        got[i] = car_min(c);
        for (int j = 0; j < c.count; ++j) left[c.phases[static_cast<std::size_t>(j)]] -= got[i];
      }
      for (std::size_t p = 0; p < 3; ++p) full[p] = left[p] <= 1e-6;  // the minimums alone fill it
      for (std::size_t i = 0; i < cars.size(); ++i) {
        bool held = frozen[i] || got[i] >= car_want(cars[i]) - 1e-6;
        for (int j = 0; j < cars[i].count; ++j) held = held || full[cars[i].phases[static_cast<std::size_t>(j)]];
        frozen[i] = held;
      }
      for (std::size_t round = 0; round <= cars.size() + 3; ++round) {
        std::array<int, 3> active{};
        double step = kInf;
        for (std::size_t i = 0; i < cars.size(); ++i) {
          if (frozen[i]) continue;
          step = std::min(step, car_want(cars[i]) - got[i]);
          for (int j = 0; j < cars[i].count; ++j) ++active[cars[i].phases[static_cast<std::size_t>(j)]];
        }
        if (step == kInf) break;
        for (std::size_t p = 0; p < 3; ++p)
          if (active[p] > 0) step = std::min(step, std::max(0.0, left[p]) / active[p]);
        for (std::size_t i = 0; i < cars.size(); ++i) {
          if (frozen[i]) continue;
          got[i] += step;
          for (int j = 0; j < cars[i].count; ++j) left[cars[i].phases[static_cast<std::size_t>(j)]] -= step;
        }
        for (std::size_t p = 0; p < 3; ++p)
          if (active[p] > 0 && left[p] <= 1e-6) full[p] = true;
        for (std::size_t i = 0; i < cars.size(); ++i) {
          bool held = got[i] >= car_want(cars[i]) - 1e-6;
          for (int j = 0; j < cars[i].count; ++j) held = held || full[cars[i].phases[static_cast<std::size_t>(j)]];
          frozen[i] = frozen[i] || held;
        }
      }
    }
    if (!failsafe) {
      for (std::size_t p = 0; p < 3; ++p) {
        // Nothing can be granted where the headroom is below every car's minimum (6 A; 14 A for
        // a car that stops below it).
        double least_min = kInf;
        for (const auto& c : cars)
          for (int i = 0; i < c.count; ++i)
            if (c.phases[static_cast<std::size_t>(i)] == p) least_min = std::min(least_min, car_min(c));
        if (n_on[p] == 0 || demand[p] <= head[p] + 0.5 || head[p] < least_min) continue;
        bool binds = full[p];
        // A station maximum binds its cars on this phase instead (the station's own cars on other
        // phases do not make this phase's limit any less binding for the others).
        for (std::size_t i = 0; i < sims.size(); ++i) {
          double station_want = 0;
          bool on_p = false;
          for (const auto& c : cars) {
            if (c.so->station != i) continue;
            station_want += car_want(c);
            for (int j = 0; j < c.count; ++j) on_p = on_p || c.phases[static_cast<std::size_t>(j)] == p;
          }
          if (on_p && station_want > site.stations[i].max_current_a) binds = false;
        }
        if (!binds) continue;
        if (util_trace)
          std::fprintf(stderr, "util t=%.1f phase=%zu head=%.0f used=%.2f demand=%.2f\n", t, p, head[p], used[p],
                       demand[p]);
        used_sum += std::min(used[p], head[p]) * kTickS;
        head_sum += head[p] * kTickS;
        k.constrained_s += kTickS;
      }
    }
    // Waits of asking EVs.
    for (auto& c : cars) {
      auto& so = *c.so;
      if (c.m.current_a() >= kDrawingA || failsafe) {
        so.wait_fit = so.wait_any = 0;
        continue;
      }
      bool fits = car_min(c) <= so.max_a && station_mins[so.station] <= site.stations[so.station].max_current_a;
      for (int i = 0; i < c.count; ++i) {
        const auto p = c.phases[static_cast<std::size_t>(i)];
        fits = fits && mins[p] <= head[p] + 1e-9;
      }
      so.wait_any += kTickS;
      so.wait_fit = fits ? so.wait_fit + kTickS : 0;
      char buf[160];
      if (so.wait_fit > worst_wait_fit) {
        worst_wait_fit = so.wait_fit;
        std::snprintf(buf, sizeof buf, "socket %d waited %.1f s (fitting) until t=%.0f s", so.id, so.wait_fit, t);
        wait_fit_note = buf;
      }
      note_wait_any(so, t, "");
    }
    for (auto& f : fair) {
      if (std::fabs(t - f.from) < kTickS / 2)
        for (int id : f.ids) f.start[id] = ev_energy(socket_by_id(id));
      if (std::fabs(t - f.to) < kTickS / 2)
        for (int id : f.ids) f.end[id] = ev_energy(socket_by_id(id));
    }
  }

  // --- KPIs.
  k.utilisation = head_sum > 0 ? used_sum / head_sum : 1.0;
  k.wait_fit_s = worst_wait_fit;
  k.wait_any_s = worst_wait_any;
  double worst_rate = 0;
  std::string onoff_note;
  // Counted transitions in any window shorter than one alternating period, less the time one
  // rotation step takes: the socket resumed at a boundary gets its current only once the paused
  // ones' cuts show (the EV response window, design.md §2.3), and is paused at the next boundary at
  // once — one on and one off per period, that window apart less than a whole period.
  const double step_s = response_window + kPeriodSlackS;
  for (auto& so : sockets) {
    std::vector<double> counted;
    for (const auto& [t, c] : so.transitions)
      if (c) counted.push_back(t);
    for (std::size_t i = 0; i < counted.size(); ++i) {
      int n = 0;
      for (std::size_t j = i; j < counted.size() && counted[j] < counted[i] + period - step_s; ++j) ++n;
      if (n > k.onoff_per_period) {
        k.onoff_per_period = n;
        char buf[120];
        std::snprintf(buf, sizeof buf, "socket %d: %d counted on/off transitions from t=%.0f s", so.id, n, counted[i]);
        onoff_note = buf;
      }
    }
    k.onoff_total += static_cast<int>(so.transitions.size());
    worst_rate = std::max(worst_rate, static_cast<double>(so.transitions.size()) * 3600.0 / duration);
    if (k.steady_s > 0) k.writes_per_10s = std::max(k.writes_per_10s, so.steady_writes / (k.steady_s / 10.0));
  }
  k.onoff_per_hour = worst_rate;
  k.interruptions = left_interruptions;
  k.gave_up = left_gave_up;
  for (std::size_t i = 0; i < sims.size(); ++i) {
    for (int u = 1; u <= 2; ++u) {
      const auto m = sims[i]->ev_model(u);
      if (!m) continue;
      k.interruptions += m->interruptions();
      k.gave_up += m->gave_up() ? 1 : 0;
    }
  }
  double total_wh = 0;
  for (const auto& so : sockets) total_wh += ev_energy(so);
  k.energy_kwh = total_wh / 1000.0;
  for (const auto& f : fair) {
    double s = 0, s2 = 0;
    for (int id : f.ids) {
      const double e = f.end.count(id) && f.start.count(id) ? f.end.at(id) - f.start.at(id) : 0.0;
      s += e;
      s2 += e * e;
    }
    const double j = s2 > 0 ? s * s / (static_cast<double>(f.ids.size()) * s2) : 0.0;
    k.jain = std::min(k.jain, j);
  }
  result.kpis = k;
  result.site_s = duration;
  result.notes = wait_fit_note + (wait_fit_note.empty() ? "" : "; ") + wait_any_note +
                 (onoff_note.empty() ? "" : "; " + onoff_note);

  const auto violate = [&](bool bad_value, const std::string& what) {
    if (bad_value) result.violations.push_back(name + ": " + what);
  };
  char b[200];
  std::snprintf(b, sizeof b, "overload %.2f A·s beyond the EV response window (bound %.2f)", k.overload_as,
                bounds.overload_as);
  violate(k.overload_as > bounds.overload_as + 1e-9, b);
  std::snprintf(b, sizeof b, "utilisation %.3f while demand exceeds supply (bound ≥ %.2f)", k.utilisation,
                bounds.utilisation);
  violate(k.utilisation < bounds.utilisation, b);
  std::snprintf(b, sizeof b, "%d counted on/off transitions of one socket in one alternating period (bound %d)",
                k.onoff_per_period, bounds.onoff_per_period);
  violate(k.onoff_per_period > bounds.onoff_per_period, b);
  std::snprintf(b, sizeof b, "%.2f set-point changes per socket per 10 s in steady state (bound %.2f)",
                k.writes_per_10s, bounds.writes_per_10s);
  violate(k.writes_per_10s > bounds.writes_per_10s, b);
  std::snprintf(b, sizeof b, "an EV whose minimum fitted waited %.1f s (bound %.0f)", k.wait_fit_s, bounds.wait_fit_s);
  violate(k.wait_fit_s > bounds.wait_fit_s, b);
  std::snprintf(b, sizeof b, "an EV asking for energy waited %.1f s (bound %.0f)", k.wait_any_s, bounds.wait_any_s);
  violate(k.wait_any_s > bounds.wait_any_s, b);
  std::snprintf(b, sizeof b, "Jain's index %.4f among equal cars (bound ≥ %.2f)", k.jain, bounds.jain);
  violate(!fair.empty() && k.jain < bounds.jain, b);
  std::snprintf(b, sizeof b, "%d EV(s) gave up after repeated interruptions (bound %d)", k.gave_up, bounds.gave_up);
  violate(k.gave_up > bounds.gave_up, b);
  std::snprintf(b, sizeof b, "the non-EV load was read %.2f A below the truth (bound %.2f)", k.under_read_a,
                bounds.under_read_a);
  violate(k.under_read_a > bounds.under_read_a + 1e-9, b);
  result.cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  return result;
}

std::vector<std::string> lab_scenario_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string kpi_table(const std::vector<LabResult>& results) {
  std::string out;
  char line[400];
  std::snprintf(line, sizeof line, "%-40s %8s %6s %5s %7s %7s %6s %6s %6s %6s %8s %5s %5s %6s %s\n", "scenario",
                "ovl_A*s", "util", "on/P", "on/h", "wr/10s", "waitF", "waitA", "plug", "jain", "kWh", "intr", "gave",
                "under", "ok");
  out += line;
  for (const auto& r : results) {
    const auto& k = r.kpis;
    std::snprintf(line, sizeof line,
                  "%-40s %8.2f %6.3f %5d %7.1f %7.3f %6.1f %6.0f %6.1f %6.4f %8.2f %5d %5d %6.2f %s\n",
                  r.name.substr(0, 40).c_str(), k.overload_as, k.utilisation, k.onoff_per_period, k.onoff_per_hour,
                  k.writes_per_10s, k.wait_fit_s, k.wait_any_s, k.plug_to_current_s, k.jain, k.energy_kwh,
                  k.interruptions, k.gave_up, k.under_read_a, r.violations.empty() ? "pass" : "FAIL");
    out += line;
  }
  return out;
}

}  // namespace emsgw::lab
