// `emsgw check-site --config FILE`: the installer's one command after wiring. Reads every meter and
// every station of the configuration once, as `emsgw run` would, and prints per device what it
// found next to what the file says, with the fix for each mismatch. Exit 0 when everything answers
// and matches, 1 otherwise (2: usage).

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>

#include "drivers/system_clock.hpp"
#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/control/status_builder.hpp"
#include "gateway/devices/device_kinds.hpp"
#include "gateway/devices/meter_findings.hpp"
#include "gateway/devices/station_findings.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::gateway {

namespace {

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
  for (const auto& f : meter_findings(*r)) {
    if (f.ok)
      rep.info(f.text);
    else
      rep.bad(f.text, f.fix);
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
  // The station's settings against the file: the same findings as the dashboard's test and the
  // running product's faults.
  for (const auto& f : station_findings(cfg.site, i, s)) {
    const auto subject = finding_subject(f);
    const auto prefix = subject.empty() ? std::string() : subject + ": ";
    if (f.matches)
      rep.ok(prefix + match_words(f));
    else
      rep.bad(prefix + mismatch_words(f), f.fix + (f.meanwhile.empty() ? "" : " (" + f.meanwhile + " meanwhile)"));
  }
  for (const auto& so : st.sockets) {
    const auto it = std::find_if(s.sockets.begin(), s.sockets.end(),
                                 [&](const SocketSample& x) { return x.unit == so.unit && x.valid; });
    if (it == s.sockets.end()) continue;
    const std::string name = "socket id " + std::to_string(so.id) + " (unit " + std::to_string(so.unit) + ")";
    rep.info(name + ": Mode 3 state " + (it->mode3.empty() ? std::string("?") : it->mode3) + " (" +
             mode3_words(it->mode3) + ")");
    if (const auto words = station_state_words(*it); !words.empty()) rep.info(name + ": " + words);
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
