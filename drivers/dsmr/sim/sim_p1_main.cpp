// emsgw-sim-p1: a simulated DSMR P1 port, over TCP (like a P1 network dongle) and/or a pty.
//   emsgw-sim-p1 --port 2000 --current-a 10,-6,0 [--pty] [--fluvius] [--interval-ms 1000]
//   emsgw-sim-p1 --crc-error-every 5 --truncate-every 7 --garbage-every 3
// Runs until SIGINT/SIGTERM.

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "drivers/dsmr/sim/p1_emitter.hpp"
#include "drivers/system_clock.hpp"

using namespace emsgw::drivers;

int main(int argc, char** argv) {
  CLI::App app{"DSMR P1 emitter (emsgw)"};
  std::string bind = "127.0.0.1";
  int port = 0;
  bool tcp = true;
  bool pty = false;
  bool fluvius = false;
  bool dsmr4 = false;
  sim::P1EmitterOptions o;
  std::vector<double> currents{0.0, 0.0, 0.0};
  app.add_option("--bind", bind, "TCP address to listen on");
  app.add_option("--port", port, "TCP port (0: pick a free one and print it)");
  app.add_flag("!--no-tcp", tcp, "do not serve TCP");
  app.add_flag("--pty", pty, "also write to a new pseudo-terminal (its path is printed)");
  app.add_flag("--fluvius", fluvius, "Belgian (Fluvius e-MUCS) telegrams");
  app.add_flag("--dsmr4", dsmr4, "DSMR 4.2 telegrams (integer amps, no voltages)");
  app.add_option("--interval-ms", o.interval_ms, "telegram interval");
  app.add_option("--current-a", currents, "signed phase currents L1,L2,L3 (− = export)")->delimiter(',')->expected(3);
  app.add_option("--crc-error-every", o.crc_error_every, "every Nth telegram has a wrong CRC");
  app.add_option("--truncate-every", o.truncate_every, "every Nth telegram is cut in half");
  app.add_option("--garbage-every", o.garbage_every, "every Nth telegram is preceded by garbage");
  CLI11_PARSE(app, argc, argv);
  o.flavour = fluvius ? sim::P1Flavour::Fluvius : dsmr4 ? sim::P1Flavour::Dsmr4IntegerAmps : sim::P1Flavour::Dsmr5;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  SystemClock clock;  // telegram timestamps and the send interval
  sim::P1Emitter p1(clock, o);
  p1.set_currents({currents[0], currents[1], currents[2]});
  if (tcp) {
    auto p = p1.start_tcp(bind, port);
    if (!p) {
      std::cerr << "cannot listen: " << p.error() << "\n";
      return 1;
    }
    std::cout << "tcp " << bind << ":" << *p << std::endl;
  }
  if (pty) {
    auto path = p1.start_pty();
    if (!path) {
      std::cerr << path.error() << "\n";
      return 1;
    }
    std::cout << "pty " << *path << std::endl;
  }
  int sig = 0;
  sigwait(&set, &sig);
  p1.stop();
  return 0;
}
