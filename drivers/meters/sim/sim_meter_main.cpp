// emsgw-sim-meter: serves a Modbus meter preset over TCP and/or RTU on a pseudo-terminal.
//   emsgw-sim-meter --preset eastron-sdm630 --port 1502 --current-a 10,-4,0
//   emsgw-sim-meter --preset socomec-countis-e --rtu        # prints the pty path to open
//   emsgw-sim-meter --preset eastron-sdm630 --framing rtu   # RTU over TCP (an RS-485-to-Ethernet converter)
// Runs until SIGINT/SIGTERM.

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "drivers/meters/sim/meter_simulator.hpp"
#include "drivers/modbus/sim/framed_tcp_server.hpp"

using namespace emsgw::drivers;

int main(int argc, char** argv) {
  CLI::App app{"Modbus energy meter simulator (emsgw)"};
  std::string preset_name = "eastron-sdm630";
  std::string bind = "127.0.0.1";
  int port = 0;
  bool tcp = true;
  bool rtu = false;
  int unit = 1;
  int baud = 9600;
  std::vector<double> currents{0.0, 0.0, 0.0};
  std::vector<double> voltages{230.0, 230.0, 230.0};
  bool list = false;
  std::string framing = "tcp";
  app.add_option("--preset", preset_name, "meter preset to serve");
  app.add_flag("--list", list, "list the presets and exit");
  app.add_option("--bind", bind, "TCP address to listen on");
  app.add_option("--port", port, "TCP port (0: pick a free one and print it)");
  app.add_flag("--rtu", rtu, "also serve Modbus RTU on a new pseudo-terminal (its path is printed)");
  app.add_flag("!--no-tcp", tcp, "do not serve TCP");
  app.add_option("--unit", unit, "unit id");
  app.add_option("--framing", framing, "TCP framing: tcp (Modbus TCP) or rtu (RTU over TCP)")
      ->check(CLI::IsMember({"tcp", "rtu"}));
  app.add_option("--baud", baud, "RTU baud rate");
  app.add_option("--current-a", currents, "signed phase currents L1,L2,L3 (− = export)")->delimiter(',')->expected(3);
  app.add_option("--voltage-v", voltages, "phase voltages L1,L2,L3")->delimiter(',')->expected(3);
  CLI11_PARSE(app, argc, argv);
  if (list) {
    for (const auto& p : meter_presets()) std::cout << p.name << "  " << p.model << "  (" << p.source << ")\n";
    return 0;
  }
  const auto* preset = find_meter_preset(preset_name);
  if (preset == nullptr) {
    std::cerr << "unknown preset \"" << preset_name << "\" (see --list)\n";
    return 2;
  }
  sim::MeterSimulator meter(*preset, unit);
  sim::MeterState st = meter.state();
  for (std::size_t i = 0; i < 3; ++i) st.voltage_v[i] = voltages[i];
  meter.set_state(st);
  meter.set_phase_currents({currents[0], currents[1], currents[2]});

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  sim::ModbusTcpServer tcp_server(meter, {bind, port, 4, 0});
  sim::ModbusRtuServer rtu_server(meter, {"", baud, 'N', 8, 1, unit});
  sim::FramedTcpServer rtu_tcp_server(meter, {ModbusFraming::Rtu, bind, port, unit, -1});
  if (tcp && framing == "rtu") {
    auto p = rtu_tcp_server.start();
    if (!p) {
      std::cerr << "cannot listen: " << p.error() << "\n";
      return 1;
    }
    std::cout << "rtu-over-tcp " << bind << ":" << *p << " unit " << unit << std::endl;
  } else if (tcp) {
    auto p = tcp_server.start();
    if (!p) {
      std::cerr << "cannot listen: " << p.error() << "\n";
      return 1;
    }
    std::cout << "tcp " << bind << ":" << *p << std::endl;
  }
  if (rtu) {
    auto path = rtu_server.start();
    if (!path) {
      std::cerr << "cannot open a pty: " << path.error() << "\n";
      return 1;
    }
    std::cout << "rtu " << *path << " " << baud << " 8N1 unit " << unit << std::endl;
  }
  std::cout << "serving " << preset->model << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  tcp_server.stop();
  rtu_tcp_server.stop();
  rtu_server.stop();
  return 0;
}
