// emsgw-sim-sunspec: a SunSpec PV inverter (and optional meter/storage) over Modbus TCP.
//   emsgw-sim-sunspec --port 1503 --power-w 4200 [--float] [--meter] [--storage] [--base 40000]
// Runs until SIGINT/SIGTERM.

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "drivers/sunspec/sim/sunspec_simulator.hpp"

using namespace emsgw::drivers;

int main(int argc, char** argv) {
  CLI::App app{"SunSpec inverter simulator (emsgw)"};
  sim::SunspecSimOptions o;
  std::string bind = "127.0.0.1";
  int port = 0;
  double power_w = 3000.0;
  app.add_option("--bind", bind, "TCP address to listen on");
  app.add_option("--port", port, "TCP port (0: pick a free one and print it)");
  app.add_option("--unit", o.unit, "unit id");
  app.add_option("--base", o.base, "address of the SunS marker")->check(CLI::IsMember({0, 40000, 50000}));
  app.add_flag("--float", o.float_models, "float models (113/213) instead of int+SF (103/203)");
  app.add_flag("--meter", o.with_meter, "add a three-phase meter model");
  app.add_flag("--storage", o.with_storage, "add storage models 124 and 802");
  app.add_option("--power-w", power_w, "AC power produced");
  CLI11_PARSE(app, argc, argv);
  sim::SunspecSimulator dev(o);
  auto s = dev.inverter();
  s.ac_power_w = power_w;
  for (auto& a : s.phase_current_a) a = power_w / 3.0 / 230.0;
  dev.set_inverter(s);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  sim::ModbusTcpServer server(dev, {bind, port, 4, 0});
  auto p = server.start();
  if (!p) {
    std::cerr << "cannot listen: " << p.error() << "\n";
    return 1;
  }
  std::cout << "tcp " << bind << ":" << *p << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  return 0;
}
