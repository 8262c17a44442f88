#include <cstdio>
#include <iostream>

#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/config_summary.hpp"

namespace emsgw::gateway {

void add_check_config_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("check-config", "Validate a configuration file and explain what it sets up");
  cmd->footer(
      "Parses FILE, checks every rule (ranges, Alfen SCN rules, phase mappings, safe currents against the grid "
      "limit per phase), and prints either a summary of the site or every problem found, each with file:line, "
      "the key, its value and the rule it breaks. Exit code 0 when valid, 1 when not.");
  static std::string path;
  static bool quiet = false;
  cmd->add_option("FILE", path, "Configuration file (TOML)")->required();
  cmd->add_flag("-q,--quiet", quiet, "Print nothing on success");
  cmd->callback([] {
    try {
      const auto cfg = load_config_file(path);
      if (!quiet) std::cout << describe_config(cfg);
    } catch (const ConfigLoadError& e) {
      for (const auto& err : e.errors()) std::cerr << err.format() << "\n";
      std::cerr << path << ": " << e.errors().size() << (e.errors().size() == 1 ? " problem" : " problems")
                << " found; nothing was changed.\n";
      throw CommandExit{kExitFailure};
    }
  });
}

}  // namespace emsgw::gateway
