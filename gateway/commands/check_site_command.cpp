// `emsgw check-site --config FILE`: the installer's one command after wiring. Reads every meter and
// every station of the configuration once, as `emsgw run` would, and prints per device what it
// found next to what the file says, with the fix for each mismatch. Exit 0 when everything answers
// and matches, 1 otherwise (2: usage).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "drivers/system_clock.hpp"
#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/devices/device_kinds.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::gateway {

namespace {

std::string amps(double a) {
  char b[32];
  std::snprintf(b, sizeof b, a == std::floor(a) ? "%.0f A" : "%.1f A", a);
  return b;
}

struct Report {
  int problems = 0;
  void ok(const std::string& what) { std::cout << "  ok       " << what << "\n"; }
  void info(const std::string& what) { std::cout << "           " << what << "\n"; }
  void bad(const std::string& what, const std::string& fix) {
    ++problems;
    std::cout << "  PROBLEM  " << what << "\n           fix: " << fix << "\n";
  }
};

void check_meter(const std::string& role, const drivers::MeterSettings& settings, const ems::Clock& clock,
                 Report& rep) {
  std::cout << "meter " << role << " (" << settings.kind << ")\n";
  auto meter = make_meter(settings, clock);
  auto r = meter->poll();
  // Streamed meters (P1, TIC) may need a second telegram for a whole reading and its interval.
  if (const auto* kind = find_meter_kind(settings.kind); r && kind != nullptr && kind->paced_by_meter)
    if (auto again = meter->poll(); again) r = std::move(again);
  if (!r) {
    rep.bad("no reading: " + r.error().message,
            "check the address or device, the wiring and the meter's settings (emsgw probe-meter --config FILE "
            "--meter " +
                role + " explains one read in detail)");
    return;
  }
  rep.ok("answers: " + meter->describe());
  std::ostringstream cur;
  int phases = 0;
  for (std::size_t p = 0; p < 3; ++p) {
    const auto v = r->current_a[p].value();
    cur << " L" << p + 1 << " " << (v ? amps(*v) : std::string("-"));
    if (v) ++phases;
  }
  rep.info("current per phase:" + cur.str() + " (import +, export -)");
  if (phases == 0)
    rep.bad("the meter gives no current on any phase", "check the preset or register map (emsgw probe-meter)");
  if (const auto w = r->power_total_w.value()) rep.info("total power " + std::to_string(static_cast<long>(*w)) + " W");
  if (r->send_interval) {
    char every[32];
    std::snprintf(every, sizeof every, "%g", static_cast<double>(r->send_interval->count()) / 1000.0);
    rep.info(std::string("sends every ") + every + " s" +
             (r->protocol_version.empty() ? "" : " (P1 version " + r->protocol_version + ")"));
  }
}

void check_station(const Config& cfg, std::size_t i, const ems::Clock& clock, Report& rep) {
  const auto& st = cfg.site.stations[i];
  const auto& link = cfg.station_links[i];
  std::cout << "station " << st.name << " (" << link.host << ":" << link.port << ")\n";
  auto device = make_station(cfg, i, clock);
  const auto s = device->poll();
  if (!s.ok) {
    rep.bad("no answer: " + s.error,
            "check the address and that the station's Modbus TCP slave is on (ACE Service Installer: Active Load "
            "Balancing, data source Energy Management System)");
    return;
  }
  rep.ok("answers: " + s.platform + " firmware " + s.firmware + (s.serial.empty() ? "" : ", serial " + s.serial));
  if (s.station_max_a) {
    if (std::fabs(*s.station_max_a - st.max_current_a) > 0.05)
      rep.bad("station maximum (1100) is " + amps(*s.station_max_a) +
                  ", the file says max_current_a = " + amps(st.max_current_a),
              "set the same value on the station and in the file (emsgw uses the lower one meanwhile)");
    else
      rep.ok("station maximum " + amps(*s.station_max_a) + " as in the file");
  }
  for (const auto& so : st.sockets) {
    const std::string name = "socket id " + std::to_string(so.id) + " (unit " + std::to_string(so.unit) + ")";
    const auto it = std::find_if(s.sockets.begin(), s.sockets.end(),
                                 [&](const SocketSample& x) { return x.unit == so.unit && x.valid; });
    if (it == s.sockets.end()) {
      rep.bad(name + ": the station does not answer for unit " + std::to_string(so.unit),
              "unit 1 is a single or left socket, unit 2 the right socket of a Double: check the socket count");
      continue;
    }
    if (it->safe_current_a) {
      if (std::fabs(*it->safe_current_a - so.safe_current_a) > 0.05)
        rep.bad(name + ": the station's safe current (1212) is " + amps(*it->safe_current_a) +
                    ", the file says safe_current_a = " + amps(so.safe_current_a),
                "set the same safe current on the station and in the file: the fail-safe check rests on it (emsgw "
                "counts the higher one meanwhile)");
      else
        rep.ok(name + ": safe current " + amps(*it->safe_current_a) + " as in the file");
    }
    const auto live_opt = live_phases(*it);
    if (live_opt) {
      const int live = *live_opt;
      const int wired = so.phase_mapping.count;
      if ((live >= 2 ? 3 : 1) != wired)
        rep.bad(name + ": voltage on " + std::to_string(live) + " phase(s), the file wires it " +
                    ems::to_string(so.phase_mapping),
                "set phase_mapping to the feeder's real phases (1 phase: L1, L2 or L3; 3 phases: L1L2L3, …)");
      else
        rep.ok(name + ": voltage on " + std::to_string(live) + " phase(s), wired " + ems::to_string(so.phase_mapping));
    }
    rep.info(name + ": Mode 3 state " + (it->mode3.empty() ? std::string("?") : it->mode3));
  }
  if (cfg.site.control == ems::ControlMode::Scn && cfg.site.scn_station == st.name) {
    if (!s.scn || !s.scn->enabled)
      rep.bad("site.control = \"scn\" but the station reports its Smart Charging Network off (1431)",
              "enable the SCN on the station (ACE Service Installer), or use control = \"sockets\"");
    else
      rep.ok("Smart Charging Network enabled");
  }
}

}  // namespace

void add_check_site_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("check-site",
                                 "Read every meter and station of a configuration once and compare them with the file");
  cmd->footer(
      "The installer's check after wiring: every configured meter and Alfen station is read once, as emsgw run "
      "would; for each the command prints what it found (model, firmware, currents per phase and their sign, "
      "telegram interval, safe current, maxima, live phases, SCN) next to the file, and a fix for every mismatch. "
      "Nothing is written to any device. Exit code 0: everything answers and matches; 1: a problem was found.");
  static std::string config_path;
  cmd->add_option("--config", config_path, "configuration file")->required();
  cmd->callback([] {
    Config cfg;
    try {
      cfg = load_config_file(config_path);
    } catch (const ConfigLoadError& e) {
      std::cerr << e.what() << "\n";
      throw CommandExit{kExitFailure};
    }
    drivers::SystemClock clock;
    Report rep;
    for (const auto& [role, m] : cfg.meters) check_meter(role, m, clock, rep);
    for (std::size_t i = 0; i < cfg.site.stations.size(); ++i) check_station(cfg, i, clock, rep);
    std::cout << "\n"
              << (rep.problems == 0 ? std::string("site check: everything answers and matches the file")
                                    : "site check: " + std::to_string(rep.problems) + " problem" +
                                          (rep.problems == 1 ? "" : "s") + " found")
              << "\n";
    throw CommandExit{rep.problems == 0 ? kExitOk : kExitFailure};
  });
}

}  // namespace emsgw::gateway
