#include <iostream>

#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::gateway {

int run_gateway(const std::string& config_path) {
  return run_until_signalled(config_path);
}

void add_run_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("run", "Control a site: read meters and stations, write set-points (runs until stopped)");
  cmd->footer(
      "Loads and validates the configuration, then runs the control loop until SIGTERM. SIGHUP reloads the "
      "configuration (a bad file keeps the running one and says why).");
  static std::string path;
  cmd->add_option("-c,--config,CONFIG", path, "Configuration file (TOML)")->required()->check(CLI::ExistingFile);
  cmd->callback([] { throw CommandExit{run_gateway(path)}; });
}

}  // namespace emsgw::gateway
