#include "tests/ems/scenario.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "ems/circuits.hpp"
#include "ems/flex_limit.hpp"
#include "ems/quarter_peak.hpp"

namespace emsgw::ems::test {

using nlohmann::json;

namespace {

MonoTime at_s(double t) {
  return MonoTime{} + std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(t * 1000)));
}
double to_s(MonoTime t) {
  return std::chrono::duration<double>(t - MonoTime{}).count();
}

template <class T>
void get(const json& j, const char* key, T& out) {
  if (j.contains(key)) out = j.at(key).get<T>();
}

std::optional<ConnectorState> parse_state(const std::string& s) {
  if (s == "unknown") return ConnectorState::Unknown;
  if (s == "available") return ConnectorState::Available;
  if (s == "connected") return ConnectorState::Connected;
  if (s == "charging") return ConnectorState::Charging;
  if (s == "fault") return ConnectorState::Fault;
  return std::nullopt;
}

Schedule schedule_from(const json& j) {
  Schedule s;
  for (const auto& b : j)
    s.blocks.push_back(
        {at_s(b.at("from").get<double>()), at_s(b.at("until").get<double>()), Amps(b.at("limit_a").get<double>())});
  return s;
}

/// A simulated EV: draws the previous set-point when it is at least what it needs to start.
struct SimEv {
  int phases = 3;
  double max_a = 32;
  double needs_a = 6;  ///< Below this offer it draws nothing (a "14 A car" has 14).
};

struct SimSocket {
  SocketSnapshot snap;
  std::optional<SimEv> ev;  ///< Set: the harness derives state and currents from the EV model.
  double age_s = 0;
};

std::string fmt_until(const std::optional<MonoTime>& t) {
  if (!t) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", to_s(*t));
  return buf;
}

}  // namespace

SiteConfig site_from_json(const json& j) {
  SiteConfig s;
  const json& site = j.at("site");
  s.name = site.value("name", "scenario");
  get(site, "grid_max_current_a", s.grid_max_current_a);
  get(site, "grid_phases", s.grid_phases);
  get(site, "meter_includes_chargers", s.meter_includes_chargers);
  get(site, "safety_margin_a", s.safety_margin_a);
  if (site.contains("control")) s.control = parse_control_mode(site.at("control").get<std::string>()).value();
  get(site, "alternating_period_s", s.alternating_period_s);
  get(site, "meter_stale_after_s", s.meter_stale_after_s);
  get(site, "station_stale_after_s", s.station_stale_after_s);
  get(site, "pv_stale_after_s", s.pv_stale_after_s);
  get(site, "min_current_a", s.min_current_a);
  get(site, "probing_current_a", s.probing_current_a);
  get(site, "probing_time_s", s.probing_time_s);
  get(site, "ev_response_time_s", s.ev_response_time_s);
  get(site, "raise_deadband_a", s.raise_deadband_a);
  get(site, "scn_name", s.scn_name);
  get(site, "scn_station", s.scn_station);
  get(site, "grid_metered", s.grid_metered);
  if (j.contains("circuits"))
    for (const auto& c : j.at("circuits")) {
      CircuitConfig cc;
      cc.name = c.at("name").get<std::string>();
      get(c, "parent", cc.parent);
      get(c, "max_current_a", cc.max_current_a);
      get(c, "max_power_w", cc.max_power_w);
      get(c, "margin_a", cc.margin_a);
      get(c, "meter", cc.meter);
      s.circuits.push_back(cc);
    }
  if (j.contains("surplus")) {
    const auto& x = j.at("surplus");
    get(x, "start_surplus_w", s.surplus.start_surplus_w);
    get(x, "stop_surplus_w", s.surplus.stop_surplus_w);
    get(x, "start_delay_s", s.surplus.start_delay_s);
    get(x, "stop_delay_s", s.surplus.stop_delay_s);
    get(x, "nominal_voltage_v", s.surplus.nominal_voltage_v);
  }
  if (j.contains("phase_switch")) {
    const auto& x = j.at("phase_switch");
    get(x, "enabled", s.phase_switch.enabled);
    get(x, "min_interval_s", s.phase_switch.min_interval_s);
    get(x, "hysteresis_w", s.phase_switch.hysteresis_w);
    get(x, "pause_s", s.phase_switch.pause_s);
    get(x, "settle_s", s.phase_switch.settle_s);
  }
  if (j.contains("heatpump")) {
    const auto& x = j.at("heatpump");
    s.heatpump.enabled = true;
    get(x, "enabled", s.heatpump.enabled);
    get(x, "boost_surplus_w", s.heatpump.boost_surplus_w);
    get(x, "force_surplus_w", s.heatpump.force_surplus_w);
    get(x, "min_switch_interval_s", s.heatpump.min_switch_interval_s);
    if (x.contains("priority"))
      s.heatpump.priority = parse_heatpump_priority(x.at("priority").get<std::string>()).value();
  }
  for (const auto& st : j.at("stations")) {
    StationConfig sc;
    sc.name = st.at("name").get<std::string>();
    get(st, "max_current_a", sc.max_current_a);
    get(st, "phase_switching", sc.phase_switching);
    get(st, "circuit", sc.circuit);
    int unit = 1;
    for (const auto& so : st.at("sockets")) {
      SocketConfig c;
      c.unit = unit++;
      get(so, "id", c.id);
      get(so, "unit", c.unit);
      get(so, "max_current_a", c.max_current_a);
      get(so, "safe_current_a", c.safe_current_a);
      if (so.contains("phase_mapping"))
        c.phase_mapping = parse_phase_mapping(so.at("phase_mapping").get<std::string>()).value();
      if (so.contains("mode")) c.mode = parse_charge_mode(so.at("mode").get<std::string>()).value();
      sc.sockets.push_back(c);
    }
    s.stations.push_back(sc);
  }
  return s;
}

ScenarioReport run_scenario(const json& scenario) {
  ScenarioReport report;
  const SiteConfig site = site_from_json(scenario);
  Allocator allocator(site);
  const double volts = site.surplus.nominal_voltage_v;

  std::map<int, SimSocket> sockets;  // by id
  std::map<int, PhaseMapping> mapping;
  for (const auto& st : site.stations)
    for (const auto& so : st.sockets) {
      SimSocket s;
      s.snap.id = so.id;
      s.snap.reachable = true;
      s.snap.state = ConnectorState::Available;
      s.snap.measured_valid = true;
      sockets[so.id] = s;
      mapping[so.id] = so.phase_mapping;
    }
  std::array<double, kPhaseCount> household{};
  std::optional<std::array<double, kPhaseCount>> grid_explicit;
  double grid_age_s = 0;
  bool grid_valid = true;
  double pv_w = 0, pv_age_s = 0, hp_w = 0;
  bool pv_valid = true;
  bool suspended = false;
  std::optional<std::array<Amps, kPhaseCount>> site_limit;
  Schedule site_schedule;
  std::map<int, SocketAllocation> last;  // previous allocation per socket, drives the EV models
  // Circuit meters: the non-EV load below each circuit plus the EVs below it, and the reading's age.
  std::vector<std::array<double, kPhaseCount>> circuit_household(site.circuits.size());
  std::vector<double> circuit_age_s(site.circuits.size(), 0.0);
  std::map<int, std::vector<std::size_t>> circuits_above;  // socket id → circuits it hangs below
  {
    std::vector<std::string> station_circuit;
    for (const auto& st : site.stations) station_circuit.push_back(st.circuit);
    if (const auto tree = resolve_circuits(site.circuits, station_circuit))
      for (std::size_t st = 0; st < site.stations.size(); ++st)
        for (const auto& so : site.stations[st].sockets)
          for (int node : tree->path(tree->station_node[st]))
            circuits_above[so.id].push_back(static_cast<std::size_t>(node - 1));
  }
  const auto circuit_index = [&](const std::string& name) {
    for (std::size_t c = 0; c < site.circuits.size(); ++c)
      if (site.circuits[c].name == name) return c;
    throw std::invalid_argument("scenario names no circuit " + name);
  };
  std::optional<FlexLimit> flex_limit;
  // The quarter-hour peak, fed with the simulated meter (wall time = scenario seconds from a quarter
  // start), and the grid operator's dimming limit: both become the snapshot's flexible-power limit.
  std::optional<QuarterPeak> peak;
  if (scenario.contains("peak")) {
    const auto& x = scenario.at("peak");
    PeakSettings ps;
    ps.target_w = x.at("target_kw").get<double>() * 1000;
    ps.margin_w = x.value("margin_kw", 0.2) * 1000;
    ps.follow_month_peak = x.value("follow_month_peak", false);
    peak.emplace(ps);
    peak->set_month_peak(x.value("month_peak_kw", 0.0) * 1000);
  }
  std::optional<double> dimming_w;

  const auto run_one = [&](double t) {
    SiteSnapshot snap;
    snap.now = at_s(t);
    std::array<double, kPhaseCount> ev_grid{};
    std::vector<std::array<double, kPhaseCount>> circuit_ev(site.circuits.size());
    for (auto& [id, s] : sockets) {
      if (s.ev) {
        const auto it = last.find(id);
        const int offered = it == last.end() ? 0 : it->second.current_a;
        const int set_phases = it == last.end() ? 3 : it->second.phases;
        const double draw = offered >= s.ev->needs_a ? std::min<double>(offered, s.ev->max_a) : 0.0;
        const auto used = static_cast<std::size_t>(std::min({s.ev->phases, set_phases, int{mapping[id].count}}));
        s.snap.state = draw > 0 ? ConnectorState::Charging : ConnectorState::Connected;
        for (std::size_t j = 0; j < kPhaseCount; ++j) s.snap.current[j] = Amps(j < used ? draw : 0.0);
      }
      s.snap.measured_at = snap.now - std::chrono::milliseconds(static_cast<std::int64_t>(s.age_s * 1000));
      for (std::size_t j = 0; j < mapping[id].count; ++j) {
        ev_grid[index(mapping[id].grid[j])] += s.snap.current[j].value();
        for (auto c : circuits_above[id]) circuit_ev[c][index(mapping[id].grid[j])] += s.snap.current[j].value();
      }
      snap.sockets.push_back(s.snap);
    }
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
      double g = household[p] + (site.meter_includes_chargers ? ev_grid[p] : 0.0);
      if (p < static_cast<std::size_t>(site.grid_phases)) g -= pv_w / volts / site.grid_phases;
      snap.grid.current[p] = Amps(grid_explicit ? (*grid_explicit)[p] : g);
    }
    snap.grid.valid = grid_valid;
    snap.grid.measured_at = snap.now - std::chrono::milliseconds(static_cast<std::int64_t>(grid_age_s * 1000));
    snap.pv = {Watts(pv_w), snap.now - std::chrono::milliseconds(static_cast<std::int64_t>(pv_age_s * 1000)), pv_valid};
    snap.heatpump = {Watts(hp_w), snap.now, true};
    snap.suspended = suspended;
    snap.site_limit = site_limit;
    snap.site_schedule = site_schedule;
    snap.flex_limit = flex_limit;
    if (peak || dimming_w) {
      double net_w = 0, ev_w = 0;
      for (std::size_t p = 0; p < kPhaseCount; ++p) {
        net_w += snap.grid.current[p].value() * volts;
        ev_w += ev_grid[p] * volts;
      }
      const auto wall = WallTime{} + std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(t * 1000)));
      std::optional<FlexLimit> from_peak;
      if (peak) {
        peak->observe(wall, net_w);
        from_peak = peak_flex_limit(peak->budget(wall), net_w, ev_w);
      }
      std::optional<FlexLimit> from_dimming;
      if (dimming_w) {
        DimmingLimit d;
        d.state = DimmingState::Limited;
        d.limit_w = *dimming_w;
        from_dimming = dimming_flex_limit(d, pv_w);
      }
      snap.flex_limit = tighter(tighter(flex_limit, from_peak), from_dimming);
    }
    for (std::size_t c = 0; c < site.circuits.size(); ++c) {
      GridReading r;
      for (std::size_t p = 0; p < kPhaseCount; ++p) r.current[p] = Amps(circuit_household[c][p] + circuit_ev[c][p]);
      r.valid = true;
      r.measured_at = snap.now - std::chrono::milliseconds(static_cast<std::int64_t>(circuit_age_s[c] * 1000));
      snap.circuits.push_back(r);
    }
    auto alloc = allocator.step(snap);
    for (const auto& a : alloc.sockets) last[a.id] = a;
    return alloc;
  };

  for (const auto& step : scenario.at("steps")) {
    const double t = step.at("t").get<double>();
    if (step.contains("household_a")) {
      household = step.at("household_a").get<std::array<double, kPhaseCount>>();
      grid_explicit.reset();
    }
    if (step.contains("grid_a")) grid_explicit = step.at("grid_a").get<std::array<double, kPhaseCount>>();
    get(step, "grid_age_s", grid_age_s);
    get(step, "grid_valid", grid_valid);
    get(step, "pv_w", pv_w);
    get(step, "pv_age_s", pv_age_s);
    get(step, "pv_valid", pv_valid);
    get(step, "heatpump_w", hp_w);
    get(step, "suspended", suspended);
    if (step.contains("site_limit_a")) {
      if (step.at("site_limit_a").is_null()) {
        site_limit.reset();
      } else {
        const auto v = step.at("site_limit_a").get<std::array<double, kPhaseCount>>();
        site_limit = std::array<Amps, kPhaseCount>{Amps(v[0]), Amps(v[1]), Amps(v[2])};
      }
    }
    if (step.contains("circuit_household_a"))
      for (const auto& [name, v] : step.at("circuit_household_a").items())
        circuit_household[circuit_index(name)] = v.get<std::array<double, kPhaseCount>>();
    if (step.contains("circuit_age_s"))
      for (const auto& [name, v] : step.at("circuit_age_s").items())
        circuit_age_s[circuit_index(name)] = v.get<double>();
    if (step.contains("flex_limit")) {
      const auto& f = step.at("flex_limit");
      if (f.is_null()) {
        flex_limit.reset();
      } else {
        FlexLimit fl;
        fl.power = Watts(f.at("w").get<double>());
        fl.reason = parse_reason(f.at("reason").get<std::string>()).value();
        fl.text = f.value("text", "");
        flex_limit = fl;
      }
    }
    if (step.contains("dimming_w")) {
      if (step.at("dimming_w").is_null())
        dimming_w.reset();
      else
        dimming_w = step.at("dimming_w").get<double>();
    }
    if (step.contains("site_schedule")) site_schedule = schedule_from(step.at("site_schedule"));
    if (step.contains("sockets")) {
      for (const auto& [key, in] : step.at("sockets").items()) {
        const int id = std::stoi(key);
        auto& s = sockets.at(id);
        if (in.contains("ev")) {
          if (in.at("ev").is_null()) {
            s.ev.reset();
            s.snap.state = ConnectorState::Available;
            s.snap.current = {};
          } else {
            SimEv ev;
            get(in.at("ev"), "phases", ev.phases);
            get(in.at("ev"), "max_a", ev.max_a);
            get(in.at("ev"), "needs_a", ev.needs_a);
            s.ev = ev;
          }
        }
        if (in.contains("state")) s.snap.state = parse_state(in.at("state").get<std::string>()).value();
        if (in.contains("current_a")) {
          const auto v = in.at("current_a").get<std::array<double, kPhaseCount>>();
          for (std::size_t j = 0; j < kPhaseCount; ++j) s.snap.current[j] = Amps(v[j]);
        }
        get(in, "reachable", s.snap.reachable);
        get(in, "age_s", s.age_s);
        if (in.contains("mode")) {
          if (in.at("mode").is_null())
            s.snap.mode.reset();
          else
            s.snap.mode = parse_charge_mode(in.at("mode").get<std::string>()).value();
        }
        if (in.contains("limit_a")) {
          if (in.at("limit_a").is_null())
            s.snap.limit.reset();
          else
            s.snap.limit = Amps(in.at("limit_a").get<double>());
        }
        if (in.contains("ev_max_a")) s.snap.ev_max_current = Amps(in.at("ev_max_a").get<double>());
        if (in.contains("ev_phases")) s.snap.ev_phases = in.at("ev_phases").get<int>();
        if (in.contains("schedule")) s.snap.schedule = schedule_from(in.at("schedule"));
      }
    }
    // Optional repetition: run every `every_s` seconds from t up to `until` (inclusive); the
    // expectations apply to the last run.
    Allocation alloc;
    const double every = step.value("every_s", 0.0);
    const double until = step.value("until", t);
    if (every > 0) {
      for (double x = t; x <= until + 1e-9; x += every) alloc = run_one(x);
    } else {
      alloc = run_one(t);
    }
    const double t_end = every > 0 ? t + every * std::floor((until - t) / every + 1e-9) : t;

    char head[64];
    std::snprintf(head, sizeof head, "t=%g s", t_end);
    std::ostringstream trace;
    bool traced = false;
    const auto diff = [&](const std::string& what, const std::string& expected, const std::string& actual) {
      ++report.checks;
      const bool same = expected == actual;
      trace << "  " << (same ? "  " : "!!") << " " << what << ": expected " << expected << ", actual " << actual
            << "\n";
      traced = true;
      if (!same)
        report.differences.push_back(std::string(head) + " " + what + ": expected " + expected + ", actual " + actual);
    };
    if (step.contains("expect")) {
      for (const auto& [key, ex] : step.at("expect").items()) {
        const int id = std::stoi(key);
        const auto* a = alloc.find(id);
        const std::string who = "socket " + key;
        if (!a) {
          diff(who, "present", "missing");
          continue;
        }
        if (ex.contains("current_a"))
          diff(who + " current_a", std::to_string(ex.at("current_a").get<int>()), std::to_string(a->current_a));
        if (ex.contains("reason"))
          diff(who + " reason", ex.at("reason").get<std::string>(), std::string(to_string(a->reason)));
        if (ex.contains("until")) {
          std::string e = "-";
          if (!ex.at("until").is_null()) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", ex.at("until").get<double>());
            e = buf;
          }
          diff(who + " until", e, fmt_until(a->until));
        }
        if (ex.contains("detail")) diff(who + " detail", ex.at("detail").get<std::string>(), a->detail);
        if (ex.contains("phases"))
          diff(who + " phases", std::to_string(ex.at("phases").get<int>()), std::to_string(a->phases));
        if (ex.contains("wait"))
          diff(who + " wait_for_confirmation", ex.at("wait").get<bool>() ? "true" : "false",
               a->wait_for_confirmation ? "true" : "false");
        if (ex.contains("held"))
          diff(who + " held_by_deadband", ex.at("held").get<bool>() ? "true" : "false",
               a->held_by_deadband ? "true" : "false");
      }
    }
    if (step.contains("expect_degraded")) {
      std::set<std::string> e, got;
      for (const auto& d : step.at("expect_degraded")) e.insert(d.get<std::string>());
      for (auto d : alloc.degraded) got.insert(std::string(to_string(d)));
      const auto join = [](const std::set<std::string>& s) {
        std::string out = "[";
        for (const auto& x : s) out += (out.size() > 1 ? "," : "") + x;
        return out + "]";
      };
      diff("degraded", join(e), join(got));
    }
    if (step.contains("expect_scn")) {
      const auto e = step.at("expect_scn").get<std::array<int, kPhaseCount>>();
      std::array<int, kPhaseCount> got{-1, -1, -1};
      if (alloc.scn) got = alloc.scn->current_a;
      for (std::size_t p = 0; p < kPhaseCount; ++p)
        diff("scn L" + std::to_string(p + 1), std::to_string(e[p]), std::to_string(got[p]));
    }
    if (step.contains("expect_scn_reason"))
      diff("scn reason", step.at("expect_scn_reason").get<std::string>(),
           alloc.scn ? std::string(to_string(alloc.scn->reason)) : "none");
    if (step.contains("expect_heatpump"))
      diff("heatpump sg-ready", std::to_string(step.at("expect_heatpump").get<int>()),
           std::to_string(static_cast<int>(alloc.heatpump)));
    if (traced) {
      report.trace +=
          std::string(head) + (step.contains("note") ? " — " + step.at("note").get<std::string>() : "") + "\n";
      report.trace += trace.str();
      std::string all = "    all:";
      for (const auto& a : alloc.sockets)
        all += " [" + std::to_string(a.id) + ": " + std::to_string(a.current_a) + " A x" + std::to_string(a.phases) +
               " " + std::string(to_string(a.reason)) + (a.until ? " until " + fmt_until(a.until) : "") + "]";
      report.trace += all + "\n";
    }
  }
  return report;
}

}  // namespace emsgw::ems::test
