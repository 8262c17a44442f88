#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/config_summary.hpp"
#include "gateway/runtime/runtime_config_service.hpp"
#include "gateway/storage/sqlite_store.hpp"

namespace emsgw::gateway {

namespace {
/// The settings overrides kept in [storage] path (set at run time by MQTT and the dashboard), and
/// whether each is applied on top of this file at the next start. Nothing when the database does
/// not exist yet; it is never created here.
void print_overrides(const Config& cfg) {
  const auto& path = cfg.storage.path;
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return;
  auto store = storage::SqliteStore::open(cfg.storage);
  if (!store) {
    std::cout << "\nOverrides: cannot read " << path << ": " << store.error().message << "\n";
    return;
  }
  const auto items = store->overrides();
  if (!items) {
    std::cout << "\nOverrides: cannot read " << path << ": " << items.error().message << "\n";
    return;
  }
  std::cout << "\nOverrides in " << path << " (set at run time; on top of this file at the next start):";
  if (items->empty()) std::cout << " none\n";
  std::cout << (items->empty() ? "" : "\n");
  Config copy = cfg;
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);  // the outcomes are printed here, not logged
  const auto outcomes = apply_config_overrides(copy, *items);
  spdlog::set_level(level);
  for (const auto& o : outcomes) {
    const auto& k = o.item.key;
    const bool secret = k == "mqtt.password" || k == "influx.password" || k == "influx.token";
    std::cout << "  " << k << " = " << (secret ? "(hidden)" : o.item.value) << " (set by " << o.item.source
              << "): " << (o.applied ? "in force" : "skipped, " + o.message) << "\n";
  }
}
}  // namespace

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
      if (!quiet) {
        std::cout << describe_config(cfg);
        print_overrides(cfg);
      }
    } catch (const ConfigLoadError& e) {
      for (const auto& err : e.errors()) std::cerr << err.format() << "\n";
      std::cerr << path << ": " << e.errors().size() << (e.errors().size() == 1 ? " problem" : " problems")
                << " found; nothing was changed.\n";
      throw CommandExit{kExitFailure};
    }
  });
}

}  // namespace emsgw::gateway
