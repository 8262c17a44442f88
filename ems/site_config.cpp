#include "ems/site_config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "ems/circuits.hpp"

namespace emsgw::ems {

namespace {

template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<std::string_view, E>, N>& table, std::string_view s) {
  for (const auto& [name, value] : table)
    if (name == s) return value;
  return std::nullopt;
}
template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<std::string_view, E>, N>& table, E e) {
  for (const auto& [name, value] : table)
    if (value == e) return name;
  return "?";
}

constexpr std::array<std::pair<std::string_view, ControlMode>, 2> kControlModes{
    {{"sockets", ControlMode::Sockets}, {"scn", ControlMode::Scn}}};
constexpr std::array<std::pair<std::string_view, ChargeMode>, 4> kChargeModes{
    {{"off", ChargeMode::Off}, {"now", ChargeMode::Now}, {"minpv", ChargeMode::MinPv}, {"pv", ChargeMode::Pv}}};
constexpr std::array<std::pair<std::string_view, HeatPumpPriority>, 2> kPriorities{
    {{"ev-first", HeatPumpPriority::EvFirst}, {"heatpump-first", HeatPumpPriority::HeatPumpFirst}}};

std::string num(double v) {
  char buf[32];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

class Checker {
 public:
  void add(std::string key, std::string value, std::string rule) {
    issues_.push_back({std::move(key), std::move(value), std::move(rule)});
  }
  // Inclusive range check on a number; NaN and infinities always fail.
  void range(const std::string& key, double v, double lo, double hi, std::string_view unit = "") {
    if (std::isfinite(v) && v >= lo && v <= hi) return;
    add(key, num(v), "must be between " + num(lo) + " and " + num(hi) + (unit.empty() ? "" : " " + std::string(unit)));
  }
  std::vector<ConfigIssue> take() { return std::move(issues_); }

 private:
  std::vector<ConfigIssue> issues_;
};

bool valid_scn_name(std::string_view s) {
  if (s.empty() || s.size() > 7) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

void check_site_numbers(const SiteConfig& s, Checker& c) {
  if (s.name.empty()) c.add("site.name", "\"\"", "must not be empty");
  c.range("site.grid_max_current_a", s.grid_max_current_a, 1, 5000, "A");
  if (s.grid_phases != 1 && s.grid_phases != 3)
    c.add("site.grid_phases", std::to_string(s.grid_phases), "must be 1 or 3");
  if (!(s.safety_margin_a >= 0 && s.safety_margin_a < s.grid_max_current_a))
    c.add("site.safety_margin_a", num(s.safety_margin_a),
          "must be at least 0 and below site.grid_max_current_a (" + num(s.grid_max_current_a) + " A)");
  if (s.alternating_period_s < kMinAlternatingPeriodS || s.alternating_period_s > kMaxAlternatingPeriodS)
    c.add("site.alternating_period_s", std::to_string(s.alternating_period_s),
          "must be between 60 and 36000 s (Alfen SCN-AlternatingPeriod)");
  c.range("site.meter_stale_after_s", s.meter_stale_after_s, 0.5, 300, "s");
  c.range("site.station_stale_after_s", s.station_stale_after_s, 1, 600, "s");
  c.range("site.pv_stale_after_s", s.pv_stale_after_s, 1, 3600, "s");
  c.range("site.min_current_a", s.min_current_a, kIecMinimumCurrentA, 32, "A (IEC 61851 minimum is 6 A)");
  if (!(s.probing_current_a > s.min_current_a && s.probing_current_a <= 32))
    c.add("site.probing_current_a", num(s.probing_current_a),
          "must be above site.min_current_a (" + num(s.min_current_a) + " A) and at most 32 A");
  c.range("site.probing_time_s", s.probing_time_s, 0, 600, "s");
  c.range("site.ev_response_time_s", s.ev_response_time_s, 1, 60, "s");
  c.range("site.raise_deadband_a", s.raise_deadband_a, 0, 10, "A");
}

void check_policies(const SiteConfig& s, Checker& c) {
  c.range("surplus.start_surplus_w", s.surplus.start_surplus_w, 0, 1e6, "W");
  c.range("surplus.stop_surplus_w", s.surplus.stop_surplus_w, -1e6, 1e6, "W");
  if (s.surplus.stop_surplus_w > s.surplus.start_surplus_w)
    c.add("surplus.stop_surplus_w", num(s.surplus.stop_surplus_w),
          "must not exceed surplus.start_surplus_w (" + num(s.surplus.start_surplus_w) + " W), or sessions would flap");
  c.range("surplus.start_delay_s", s.surplus.start_delay_s, 0, 3600, "s");
  c.range("surplus.stop_delay_s", s.surplus.stop_delay_s, 0, 3600, "s");
  c.range("surplus.nominal_voltage_v", s.surplus.nominal_voltage_v, 100, 260, "V");
  c.range("phase_switch.min_interval_s", s.phase_switch.min_interval_s, 60, 86400, "s");
  c.range("phase_switch.hysteresis_w", s.phase_switch.hysteresis_w, 0, 1e5, "W");
  c.range("phase_switch.pause_s", s.phase_switch.pause_s, 0, 120, "s");
  c.range("phase_switch.settle_s", s.phase_switch.settle_s, 0, 120, "s");
  c.range("heatpump.boost_surplus_w", s.heatpump.boost_surplus_w, 0, 1e6, "W");
  c.range("heatpump.force_surplus_w", s.heatpump.force_surplus_w, 0, 1e6, "W");
  if (s.heatpump.force_surplus_w > 0 && s.heatpump.force_surplus_w < s.heatpump.boost_surplus_w)
    c.add("heatpump.force_surplus_w", num(s.heatpump.force_surplus_w),
          "must be 0 (never force) or at least heatpump.boost_surplus_w (" + num(s.heatpump.boost_surplus_w) + " W)");
  c.range("heatpump.min_switch_interval_s", s.heatpump.min_switch_interval_s, 0, 86400, "s");
}

void check_scn(const SiteConfig& s, Checker& c) {
  if (!s.scn_name.empty() && !valid_scn_name(s.scn_name))
    c.add("site.scn_name", "\"" + s.scn_name + "\"",
          "must be 1 to 7 characters from A-Z and 0-9 (Alfen SCN-NetworkName)");
  if (s.control != ControlMode::Scn) return;
  if (s.scn_name.empty()) c.add("site.scn_name", "(missing)", "is required when site.control = \"scn\"");
  if (s.scn_station.empty()) {
    c.add("site.scn_station", "(missing)",
          "is required when site.control = \"scn\": the station that speaks for the SCN");
    return;
  }
  for (const auto& st : s.stations)
    if (st.name == s.scn_station) return;
  c.add("site.scn_station", "\"" + s.scn_station + "\"", "must name one of the [[station]] entries");
}

void check_stations(const SiteConfig& s, Checker& c) {
  if (s.stations.empty()) c.add("station", "(none)", "at least one [[station]] is required");
  std::size_t total = 0;
  std::map<int, std::string> ids;
  std::set<std::string> names;
  for (std::size_t i = 0; i < s.stations.size(); ++i) {
    const auto& st = s.stations[i];
    const auto sk = station_key(i);
    if (st.name.empty()) c.add(sk + ".name", "\"\"", "must not be empty");
    if (!names.insert(st.name).second) c.add(sk + ".name", "\"" + st.name + "\"", "is used by another station");
    c.range(sk + ".max_current_a", st.max_current_a, kIecMinimumCurrentA, 80, "A");
    if (st.sockets.empty()) c.add(sk + ".socket", "(none)", "a station needs at least one [[station.socket]]");
    for (std::size_t j = 0; j < st.sockets.size(); ++j) {
      const auto& so = st.sockets[j];
      const auto k = socket_key(i, j);
      ++total;
      if (so.id < 0 || so.id > kMaxSocketId)
        c.add(k + ".id", std::to_string(so.id), "must be between 0 and 128 (Alfen SCN-SocketID)");
      else if (auto [it, fresh] = ids.emplace(so.id, k); !fresh)
        c.add(k + ".id", std::to_string(so.id), "is already used by " + it->second + "; socket ids must be unique");
      if (!(so.max_current_a >= s.min_current_a && so.max_current_a <= 80))
        c.add(k + ".max_current_a", num(so.max_current_a),
              "must be between site.min_current_a (" + num(s.min_current_a) + " A) and 80 A");
      else if (so.max_current_a > st.max_current_a)
        c.add(k + ".max_current_a", num(so.max_current_a),
              "must not exceed its station's max_current_a (" + num(st.max_current_a) + " A)");
      if (!(so.safe_current_a >= 0 && so.safe_current_a <= so.max_current_a))
        c.add(k + ".safe_current_a", num(so.safe_current_a),
              "must be between 0 and the socket's max_current_a (" + num(so.max_current_a) + " A)");
      else if (so.safe_current_a > 0 && so.safe_current_a < kIecMinimumCurrentA)
        c.add(k + ".safe_current_a", num(so.safe_current_a),
              "must be 0 (stop) or at least 6 A (IEC 61851 cannot offer less)");
      if (s.grid_phases == 1 && !(so.phase_mapping.count == 1 && so.phase_mapping.first() == Phase::L1))
        c.add(k + ".phase_mapping", to_string(so.phase_mapping),
              "must be \"L1\" on a single-phase grid (site.grid_phases = 1)");
    }
  }
  if (total > static_cast<std::size_t>(kMaxSockets))
    c.add("station", std::to_string(total) + " sockets", "a site has at most 128 sockets (Alfen SCN limit)");
}

// design.md §2.7: the safe currents alone (what the stations draw with emsgw gone) must fit every
// grid phase. A station never draws more than its own maximum, whatever its sockets' safe currents.
void check_safe_currents(const SiteConfig& s, Checker& c) {
  if (!(s.grid_max_current_a > 0)) return;
  std::array<double, kPhaseCount> load{};
  std::array<std::string, kPhaseCount> who;
  for (const auto& st : s.stations) {
    std::array<double, kPhaseCount> station_load{};
    for (const auto& so : st.sockets) {
      if (!(so.safe_current_a > 0)) continue;
      // A socket never draws above its own maximum; an out-of-range safe current is reported
      // on its own and must not also produce an overload finding here.
      const double safe = std::min(so.safe_current_a, so.max_current_a);
      for (std::size_t p = 0; p < so.phase_mapping.count; ++p) station_load[index(so.phase_mapping.grid[p])] += safe;
    }
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
      const double v = st.max_current_a > 0 ? std::min(station_load[p], st.max_current_a) : station_load[p];
      if (v <= 0) continue;
      load[p] += v;
      who[p] += (who[p].empty() ? "" : ", ") + st.name + " " + num(v) + " A";
    }
  }
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    if (load[p] <= s.grid_max_current_a) continue;
    const auto phase = std::string(to_string(static_cast<Phase>(p)));
    c.add("station[*].socket[*].safe_current_a", num(load[p]) + " A on grid phase " + phase,
          "safe currents alone could overload grid phase " + phase + " by " + num(load[p] - s.grid_max_current_a) +
              " A (limit site.grid_max_current_a = " + num(s.grid_max_current_a) + " A; " + who[p] + ")");
  }
}

}  // namespace

std::string_view to_string(ControlMode m) {
  return name_of(kControlModes, m);
}
std::string_view to_string(ChargeMode m) {
  return name_of(kChargeModes, m);
}
std::string_view to_string(HeatPumpPriority p) {
  return name_of(kPriorities, p);
}
std::optional<ControlMode> parse_control_mode(std::string_view s) {
  return lookup(kControlModes, s);
}
std::optional<ChargeMode> parse_charge_mode(std::string_view s) {
  return lookup(kChargeModes, s);
}
std::optional<HeatPumpPriority> parse_heatpump_priority(std::string_view s) {
  return lookup(kPriorities, s);
}

std::string station_key(std::size_t station) {
  return "station[" + std::to_string(station) + "]";
}
std::string socket_key(std::size_t station, std::size_t socket) {
  return station_key(station) + ".socket[" + std::to_string(socket) + "]";
}

std::vector<ConfigIssue> validate(const SiteConfig& site) {
  Checker c;
  check_site_numbers(site, c);
  check_policies(site, c);
  check_scn(site, c);
  check_stations(site, c);
  check_safe_currents(site, c);
  auto issues = c.take();
  std::vector<std::string> station_circuit;
  station_circuit.reserve(site.stations.size());
  for (const auto& st : site.stations) station_circuit.push_back(st.circuit);
  for (auto& i : validate_circuits(site.circuits, station_circuit, site)) issues.push_back(std::move(i));
  if (site.control == ControlMode::Scn && !site.circuits.empty())
    issues.push_back({"circuit", std::to_string(site.circuits.size()) + " circuits",
                      "circuits need site.control = \"sockets\": an Alfen SCN shares one budget for the whole site"});
  return issues;
}

}  // namespace emsgw::ems
