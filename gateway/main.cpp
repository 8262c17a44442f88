// emsgw: energy-management gateway for Alfen charging stations.
#include <cstdio>
#include <iostream>

#include "emsgw/version.hpp"
#include "gateway/commands/commands.hpp"

int main(int argc, char** argv) {
  using namespace emsgw::gateway;
  CLI::App app{
      "emsgw reads the grid meter, PV and heat pump, decides how much current every Alfen charging socket may "
      "draw on each phase, and writes those limits into the stations over Modbus TCP before they expire.\n"
      "It never lets the point of interconnection overload because of it, and falls back to a safe state when "
      "anything it depends on fails.",
      "emsgw"};
  app.set_version_flag("-V,--version", std::string("emsgw ") + emsgw::kVersion + " (" + emsgw::kGitDescribe + ")");
  app.require_subcommand(0, 1);
  app.footer(
      "Examples:\n"
      "  emsgw demo                               run on simulated devices and open the dashboard\n"
      "  emsgw check-config /etc/emsgw/emsgw.toml  validate a configuration and explain it\n"
      "  emsgw run --config /etc/emsgw/emsgw.toml  control a real site\n"
      "  emsgw probe-station 192.0.2.10            read an Alfen station once (commissioning)\n"
      "  emsgw check-site --config /etc/emsgw/emsgw.toml  read every meter and station once, compare with the file\n"
      "\nRun 'emsgw COMMAND --help' for the options of one command.");

  std::string config_path;
  app.add_option("-c,--config", config_path, "Run with this configuration file (same as 'emsgw run --config FILE')")
      ->check(CLI::ExistingFile);

  add_run_command(app);
  add_check_config_command(app);
  add_demo_command(app);
  add_probe_station_command(app);
  add_probe_meter_command(app);
  add_check_site_command(app);
  add_set_password_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  } catch (const CommandExit& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "emsgw: " << e.what() << "\n";
    return kExitFailure;
  }
  if (app.get_subcommands().empty()) {
    if (!config_path.empty()) return run_gateway(config_path);
    std::cout << app.help();
    return kExitUsage;
  }
  return kExitOk;
}
