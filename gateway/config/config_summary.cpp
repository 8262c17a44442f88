#include "gateway/config/config_summary.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {
/// Below this an alternating period interrupts each car often enough for some EVs to give up.
constexpr int kShortAlternatingPeriodS = 300;

std::string amps(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, a == std::floor(a) ? "%.0f A" : "%.1f A", a);
  return buf;
}

}  // namespace

std::string describe_config(const Config& cfg) {
  const auto& s = cfg.site;
  std::ostringstream o;
  o << cfg.source << ": valid\n\n";
  o << "Site \"" << s.name << "\": " << s.grid_phases << " phase" << (s.grid_phases == 1 ? "" : "s") << " x "
    << amps(s.grid_max_current_a) << " at the point of interconnection, " << amps(s.safety_margin_a)
    << " safety margin -> at most " << amps(s.grid_max_current_a - s.safety_margin_a) << " per phase.\n";
  o << "Control: "
    << (s.control == ems::ControlMode::Scn
            ? "one per-phase budget for Alfen SCN \"" + s.scn_name + "\" via station \"" + s.scn_station + "\""
            : std::string("per-socket set-points (virtual SCN)"))
    << "; alternating period " << s.alternating_period_s << " s; the grid meter is "
    << (s.meter_includes_chargers ? "upstream of the chargers (includes them)"
                                  : "on the household only (excludes the chargers)")
    << " and stale after " << s.meter_stale_after_s << " s.\n";
  // Every turn of a rotation pauses a car; some EVs end their session after a few interruptions
  // within minutes (the EV lab's cars give up after 4 in 10 min: a 60 s period makes them).
  if (s.alternating_period_s < kShortAlternatingPeriodS)
    o << "  note: an alternating period of " << s.alternating_period_s
      << " s pauses each car every few minutes while the minimums do not all fit, and some EVs end their session "
         "after repeated interruptions; the stations' own default is 900 s\n";
  o << "\n";
  for (const auto& [role, m] : cfg.meters) {
    const auto* kind = find_meter_kind(m.kind);
    const bool p1 = kind != nullptr && !kind->sends_every.empty();
    o << "Meter " << role << ": " << m.kind << " at " << meter_address(m);
    if (p1)
      o << ", sends on its own (" << kind->sends_every << ")\n";
    else
      o << ", every " << m.poll_interval_ms << " ms\n";
    if (p1 && role == "grid" && m.stale_limit_from_interval)
      o << "  stale limit follows the telegram interval: " << s.meter_stale_after_s
        << " s for a meter sending every second, 25 s for one sending every 10 s\n";
    else if (p1 && role == "grid" && s.meter_stale_after_s < 25)
      o << "  warning: site.meter_stale_after_s = " << s.meter_stale_after_s
        << " s: a DSMR 2.2-4 meter sends every 10 s and would raise \"meter stale\" between telegrams; use at "
           "least 25, or remove the key to follow the meter (emsgw probe-meter prints the interval)\n";
  }
  bool surplus_modes = false;
  for (const auto& st : s.stations)
    for (const auto& so : st.sockets)
      surplus_modes = surplus_modes || so.mode == ems::ChargeMode::Pv || so.mode == ems::ChargeMode::MinPv;
  if (surplus_modes || s.heatpump.enabled)
    o << "Solar surplus: "
      << (cfg.meters.contains("pv")
              ? std::string("the grid meter's export, bounded by the PV meter's production (a stale PV reading "
                            "stops surplus charging)")
              : std::string("the grid meter's export (no PV meter configured)"))
      << "\n";
  o << "\n";
  std::array<double, ems::kPhaseCount> safe{};
  std::size_t sockets = 0;
  for (std::size_t i = 0; i < s.stations.size(); ++i) {
    const auto& st = s.stations[i];
    const auto& link = cfg.station_links[i];
    o << "Station \"" << st.name << "\" at " << link.host << ":" << link.port << ", max " << amps(st.max_current_a)
      << (st.phase_switching ? ", 1/3-phase switching allowed" : "") << "\n";
    std::array<double, ems::kPhaseCount> station_safe{};
    for (const auto& so : st.sockets) {
      ++sockets;
      o << "  socket id " << so.id << " (unit " << so.unit << "): max " << amps(so.max_current_a) << ", safe "
        << amps(so.safe_current_a) << ", wired " << ems::to_string(so.phase_mapping) << " -> grid ";
      for (std::size_t p = 0; p < so.phase_mapping.count; ++p) {
        o << (p ? "/" : "") << ems::to_string(so.phase_mapping.grid[p]);
        station_safe[ems::index(so.phase_mapping.grid[p])] += so.safe_current_a;
      }
      o << ", mode " << ems::to_string(so.mode) << "\n";
    }
    for (std::size_t p = 0; p < ems::kPhaseCount; ++p) safe[p] += std::min(station_safe[p], st.max_current_a);
  }
  o << "\n"
    << s.stations.size() << " station" << (s.stations.size() == 1 ? "" : "s") << ", " << sockets << " socket"
    << (sockets == 1 ? "" : "s") << ". With emsgw gone, the safe currents draw at most";
  for (std::size_t p = 0; p < ems::kPhaseCount; ++p)
    o << (p ? "," : "") << " " << ems::to_string(static_cast<ems::Phase>(p)) << " " << amps(safe[p]);
  o << " (limit " << amps(s.grid_max_current_a) << ").\n";
  const auto warnings = config_warnings(cfg);
  if (!warnings.empty()) {
    o << "\n" << warnings.size() << " warning" << (warnings.size() == 1 ? "" : "s") << ":\n";
    for (const auto& w : warnings) o << "  - " << w << "\n";
  }
  return o.str();
}

std::vector<std::string> config_warnings(const Config& cfg) {
  const auto& s = cfg.site;
  std::vector<std::string> out;
  for (const auto& st : s.stations) {
    // Guide 6.3/6.4: a Double is fed by one cable, so both sockets see the same phase order.
    if (st.sockets.size() == 2 && st.sockets[0].phase_mapping != st.sockets[1].phase_mapping)
      out.push_back("station \"" + st.name + "\": socket id " + std::to_string(st.sockets[0].id) + " is wired " +
                    ems::to_string(st.sockets[0].phase_mapping) + " but socket id " + std::to_string(st.sockets[1].id) +
                    " is wired " + ems::to_string(st.sockets[1].phase_mapping) +
                    ": both sockets of a Double share one feeder and so one phase order; set the same phase_mapping "
                    "on both (rotate from station to station instead)");
  }
  if (s.control == ems::ControlMode::Scn) {
    std::vector<std::string> ignored;
    for (const auto& st : s.stations)
      for (const auto& so : st.sockets)
        if (so.mode != ems::ChargeMode::Now)
          ignored.push_back("socket id " + std::to_string(so.id) + " (" + std::string(ems::to_string(so.mode)) + ")");
    if (!ignored.empty()) {
      std::string list;
      for (const auto& i : ignored) list += (list.empty() ? "" : ", ") + i;
      out.push_back(
          "site.control = \"scn\": the SCN shares one per-phase budget among its sockets, so per-socket "
          "modes do not apply: " +
          list + " charge as \"now\" within the budget (use control = \"sockets\" for per-socket modes)");
    }
  }
  return out;
}

}  // namespace emsgw::gateway
