#include "gateway/devices/station_findings.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace emsgw::gateway {

std::string finding_amps(double a) {
  char b[32];
  std::snprintf(b, sizeof b, a == std::floor(a) ? "%.0f A" : "%.1f A", a);
  return b;
}

namespace {

bool differs(double a, double b) {
  return std::fabs(a - b) > 0.05;
}

}  // namespace

std::vector<StationFinding> station_findings(const ems::SiteConfig& site, std::size_t index,
                                             const drivers::StationSample& sample) {
  std::vector<StationFinding> out;
  if (index >= site.stations.size() || !sample.ok) return out;
  const auto& cfg = site.stations[index];
  const auto station_path = "station[" + std::to_string(index) + "].";
  if (sample.station_max_a) {
    const double seen = *sample.station_max_a;
    StationFinding f;
    f.code = "max_current";
    f.what = "maximum";
    f.source = "1100";
    f.station_value = finding_amps(seen);
    f.key = "max_current_a";
    f.path = station_path + f.key;
    f.file_value = finding_amps(cfg.max_current_a);
    f.matches = !differs(seen, cfg.max_current_a);
    if (!f.matches) {
      f.fix = "set the same maximum on the station and in the file";
      f.meanwhile = "emsgw uses the lower " + finding_amps(std::min(seen, cfg.max_current_a));
    }
    out.push_back(std::move(f));
  }
  for (std::size_t j = 0; j < cfg.sockets.size(); ++j) {
    const auto& so = cfg.sockets[j];
    const auto socket_path = station_path + "socket[" + std::to_string(j) + "].";
    const auto unit = std::to_string(so.unit);
    const auto it = std::find_if(sample.sockets.begin(), sample.sockets.end(),
                                 [&](const drivers::SocketSample& x) { return x.unit == so.unit && x.valid; });
    if (it == sample.sockets.end()) {
      StationFinding f;
      f.code = unit + ":unit";
      f.unit = so.unit;
      f.socket_id = so.id;
      f.what = "socket unit";
      f.key = "unit";
      f.path = socket_path + f.key;
      f.file_value = unit;
      f.matches = false;
      f.problem = "the station does not answer for unit " + unit;
      f.fix = "unit 1 is a single or left socket, unit 2 the right socket of a Double: check the socket count";
      out.push_back(std::move(f));
      continue;
    }
    if (it->safe_current_a) {
      const double seen = *it->safe_current_a;
      StationFinding f;
      f.code = unit + ":safe_current";
      f.unit = so.unit;
      f.socket_id = so.id;
      f.what = "safe current";
      f.source = "1212";
      f.station_value = finding_amps(seen);
      f.key = "safe_current_a";
      f.path = socket_path + f.key;
      f.file_value = finding_amps(so.safe_current_a);
      f.matches = !differs(seen, so.safe_current_a);
      if (!f.matches) {
        f.fix = "set the same safe current on the station and in the file: the fail-safe check rests on it";
        f.meanwhile = "emsgw counts the higher " + finding_amps(std::max(seen, so.safe_current_a));
      }
      out.push_back(std::move(f));
    }
    // A socket wired for three phases but configured for one loads grid phases emsgw does not count.
    if (const auto live = drivers::live_phases(*it)) {
      const int wired = so.phase_mapping.count;
      StationFinding f;
      f.code = unit + ":phases";
      f.unit = so.unit;
      f.socket_id = so.id;
      f.what = "number of live phases";
      f.source = "voltage on 306/308/310";
      f.station_value = std::to_string(*live);
      f.key = "phase_mapping";
      f.path = socket_path + f.key;
      f.file_value = std::string(ems::to_string(so.phase_mapping)) + " (" + std::to_string(wired) +
                     (wired == 1 ? " phase)" : " phases)");
      f.matches = (*live >= 2 ? 3 : 1) == wired;
      if (!f.matches)
        f.fix = "set phase_mapping to the feeder's real phases (1 phase: L1, L2 or L3; 3 phases: L1L2L3, …)";
      out.push_back(std::move(f));
    }
  }
  if (site.control == ems::ControlMode::Scn && site.scn_station == cfg.name) {
    StationFinding f;
    f.code = "scn";
    f.what = "Smart Charging Network";
    f.source = "1431";
    f.key = "control";
    f.path = "site.control";
    f.file_value = "\"scn\"";
    if (!sample.scn) {
      f.station_value = "not read";
      f.matches = false;
      f.problem = "the station's Smart Charging Network block (1400-1431) could not be read";
      f.fix = "check that the station is in an SCN and speaks Modbus for it, or use control = \"sockets\"";
    } else {
      f.matches = sample.scn->enabled;
      f.station_value = f.matches ? "enabled" : "not enabled (1431 = 0)";
      if (!f.matches) {
        f.problem = "Smart Charging Network is not enabled (1431 = 0), the file says control = \"scn\"";
        f.fix = "enable SCN in the station's settings (ACE Service Installer), or use control = \"sockets\"";
        f.meanwhile = "the station ignores emsgw's budget";
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string finding_subject(const StationFinding& f) {
  if (!f.socket_id) return {};
  return "socket id " + std::to_string(*f.socket_id) + " (unit " + std::to_string(f.unit) + ")";
}

std::string mismatch_words(const StationFinding& f, bool full_path) {
  if (!f.problem.empty()) return f.problem;
  return "the station's " + f.what + (f.source.empty() ? "" : " (" + f.source + ")") + " is " + f.station_value +
         ", the file says " + (full_path ? f.path : f.key) + " = " + f.file_value;
}

std::string match_words(const StationFinding& f) {
  return f.what + " " + f.station_value + " as in the file";
}

}  // namespace emsgw::gateway
