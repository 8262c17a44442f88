#include "gateway/commands/commands.hpp"
#include "gateway/demo/demo.hpp"

namespace emsgw::gateway {

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "Run emsgw on simulated devices (grid meter, two Alfen stations, PV) with a scripted day");
  cmd->footer(
      "Starts simulators of an Eastron grid meter, an Alfen Eve Double and an Eve Single and a SunSpec PV inverter "
      "on 127.0.0.1, writes a configuration for them, and runs emsgw against them through a scripted day: cars "
      "arriving and leaving, a hair dryer cut, a car charging from the sun and a passing cloud. When mosquitto is "
      "installed it also starts one on 127.0.0.1 and publishes MQTT telemetry with Home Assistant discovery to it. "
      "It prints where to look, then one status line every few seconds.");
  static DemoOptions options;
  static bool real_time = false;
  cmd->add_flag("--real-time", real_time, "Play the day in real time (default: a day in six minutes)");
  cmd->add_option("--duration", options.duration_s, "Stop after this many seconds (default: run until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--state-dir", options.state_dir, "Where the generated configuration goes (default: a temp dir)");
  cmd->add_option("--web-port", options.web_port,
                  "Dashboard port on 127.0.0.1 (default 8080; a free one if busy; 0: any free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--hour-s", options.hour_s, "Seconds one simulated hour lasts (default 15: a day in six minutes)")
      ->check(CLI::Range(2.0, 3600.0));
  cmd->add_flag("!--no-mqtt", options.mqtt,
                "Do not start a mosquitto broker for the demo (default: start one if installed)");
  cmd->add_option("--status-every", options.status_every_s, "Seconds between status lines (default 5)")
      ->check(CLI::PositiveNumber);
  cmd->callback([] {
    options.real_time = real_time;
    throw CommandExit{run_demo(options)};
  });
}

}  // namespace emsgw::gateway
