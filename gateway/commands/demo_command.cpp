#include <iostream>

#include "gateway/commands/commands.hpp"

namespace emsgw::gateway {

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "Run emsgw on simulated devices (grid meter, two Alfen stations, PV) with a scripted day");
  cmd->callback([] {
    std::cerr << "emsgw demo: not available in this build yet: the simulated site and the control runtime are "
                 "still being built. 'emsgw check-config deploy/emsgw.example.toml' shows what a site looks like.\n";
    throw CommandExit{kExitUnavailable};
  });
}

}  // namespace emsgw::gateway
