// emsgw-sim-alfen: a simulated Alfen station (Modbus TCP slave) for installers, tests and the demo.
// See README.md in this folder.

#include <CLI/CLI.hpp>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "drivers/alfen/sim/alfen_station_sim.hpp"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}
}  // namespace

int main(int argc, char** argv) {
  using emsgw::drivers::alfen::AlfenSimConfig;
  using emsgw::drivers::alfen::AlfenSimRunner;
  CLI::App app{"Simulated Alfen NG9xx station in EMS mode (Modbus TCP slave)", "emsgw-sim-alfen"};
  AlfenSimConfig cfg;
  int port = 1502;
  int control_port = -1;
  std::string bind = "127.0.0.1";
  std::string scenario;
  double ev_delay_s = 2.0;
  bool no_ems = false;
  bool no_phase_switching = false;
  app.add_option("--port", port, "Modbus TCP port (0: ephemeral; a real station uses 502)")->capture_default_str();
  app.add_option("--bind", bind, "Address to listen on (0.0.0.0 for the LAN)")->capture_default_str();
  app.add_option("--control-port", control_port, "Line-based control port (-1: none, 0: ephemeral)")
      ->capture_default_str();
  app.add_option("--sockets", cfg.sockets, "1 (Single) or 2 (Double)")->check(CLI::Range(1, 2))->capture_default_str();
  app.add_option("--validity", cfg.validity_s, "Set-point validity in seconds (MbsSlaveTCPIPValidityTime)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--station-max", cfg.station_max_a, "Station maximum current (1100), A")->capture_default_str();
  app.add_option("--safe-current", cfg.socket[0].safe_current_a, "Safe current of every socket (1212), A")
      ->capture_default_str();
  app.add_option("--ev-delay", ev_delay_s, "EV response delay after a limit change, s")->capture_default_str();
  app.add_option("--time-scale", cfg.time_scale, "Simulated seconds per real second (fast-forward)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-masters", cfg.max_masters, "Simultaneous Modbus masters accepted")->capture_default_str();
  app.add_option("--idle-timeout", cfg.idle_timeout_s, "Close a connection idle this long, s (real time)")
      ->capture_default_str();
  app.add_option("--scenario", scenario, "Scenario file (README.md)")->check(CLI::ExistingFile);
  app.add_flag("--no-ems", no_ems, "Data source is not EMS: refuse every write with exception 1");
  app.add_flag("--no-phase-switching", no_phase_switching, "Refuse 1215 writes with exception 3");
  CLI11_PARSE(app, argc, argv);

  cfg.socket[1].safe_current_a = cfg.socket[0].safe_current_a;
  cfg.ev_response_delay = emsgw::ems::Millis(static_cast<long>(ev_delay_s * 1000));
  cfg.ems_data_source = !no_ems;
  cfg.phase_switching_allowed = !no_phase_switching;
  AlfenSimRunner sim(cfg);
  if (!scenario.empty()) {
    std::ifstream in(scenario);
    std::stringstream text;
    text << in.rdbuf();
    if (auto r = sim.load_scenario(text.str()); !r) {
      std::cerr << "emsgw-sim-alfen: " << scenario << ": " << r.error() << "\n";
      return 2;
    }
  }
  auto p = sim.start(port, bind);
  if (!p) {
    std::cerr << "emsgw-sim-alfen: " << p.error() << "\n";
    return 1;
  }
  std::cout << "modbus " << bind << ":" << *p << std::endl;
  if (control_port >= 0) {
    auto c = sim.start_control(control_port, bind);
    if (!c) {
      std::cerr << "emsgw-sim-alfen: " << c.error() << "\n";
      return 1;
    }
    std::cout << "control " << bind << ":" << *c << std::endl;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Commands on stdin as well (one reply line each); EOF just stops reading.
  bool stdin_open = true;
  std::string pending;
  while (!g_stop.load()) {
    if (!stdin_open) {
      ::usleep(100000);
      continue;
    }
    pollfd fd{0, POLLIN, 0};
    if (::poll(&fd, 1, 100) <= 0) continue;
    char buf[256];
    const auto n = ::read(0, buf, sizeof buf);
    if (n <= 0) {
      stdin_open = false;
      continue;
    }
    pending.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      std::cout << sim.command(line) << std::endl;
    }
  }
  sim.stop();
  return 0;
}
