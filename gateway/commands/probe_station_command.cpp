#include <iostream>

#include "gateway/commands/commands.hpp"

namespace emsgw::gateway {

void add_probe_station_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("probe-station", "Read an Alfen station once and explain what it reports (commissioning)");
  static std::string target;
  cmd->add_option("HOST[:PORT]", target, "Station address; port 502 when omitted")->required();
  cmd->callback([] {
    std::cerr << "emsgw probe-station: not available in this build yet.\n";
    throw CommandExit{kExitUnavailable};
  });
}

}  // namespace emsgw::gateway
