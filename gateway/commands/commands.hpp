#pragma once
// The emsgw command line. Each subcommand lives in its own file and registers itself here.
// Exit codes: 0 success, 1 the work failed (bad config, device unreachable…), 2 usage errors.

#include <CLI/CLI.hpp>

namespace emsgw::gateway {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
/// A capability that this build does not offer yet.
inline constexpr int kExitUnavailable = 3;

/// Thrown from a subcommand callback to end with an exit code after printing its own message.
struct CommandExit {
  int code;
};

void add_run_command(CLI::App& app);
void add_check_config_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_probe_station_command(CLI::App& app);
void add_probe_meter_command(CLI::App& app);
void add_check_site_command(CLI::App& app);
void add_set_password_command(CLI::App& app);

/// Implements `emsgw run` (also used by `emsgw --config FILE`).
int run_gateway(const std::string& config_path);

}  // namespace emsgw::gateway
