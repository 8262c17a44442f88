// `emsgw set-password`: sets the dashboard password (stored as an Argon2id hash, webui/password_store.hpp).
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "webui/password_store.hpp"

namespace emsgw::gateway {

namespace {
/// Reads one line from stdin; without echo when stdin is a terminal.
std::string read_secret(const char* prompt, bool tty) {
  if (tty) std::cerr << prompt << std::flush;
  termios old{};
  if (tty && ::tcgetattr(STDIN_FILENO, &old) == 0) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}
}  // namespace

void add_set_password_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("set-password", "Set the dashboard password (stored as an Argon2 hash)");
  cmd->footer(
      "Asks for the new password twice on a terminal, or reads one line from standard input otherwise\n"
      "(echo 'new password' | emsgw set-password --config /etc/emsgw/emsgw.toml). The hash goes to\n"
      "[web] password_file of the configuration, or to --file. Every open dashboard session keeps\n"
      "running until it expires or emsgw restarts.");
  static std::string config_path;
  static std::string file;
  cmd->add_option("-c,--config", config_path, "Configuration file whose [web] password_file is used")
      ->check(CLI::ExistingFile);
  cmd->add_option("-f,--file", file, "Write the hash to this file instead");
  cmd->callback([] {
    std::string path = file;
    if (path.empty()) {
      webui::WebSettings defaults;
      path = defaults.password_file;
      if (!config_path.empty()) {
        try {
          path = load_config_file(config_path).web.password_file;
        } catch (const ConfigLoadError& e) {
          std::cerr << e.what() << "\n";
          throw CommandExit{kExitFailure};
        }
      }
    }
    if (path.empty()) {
      std::cerr << "set-password: [web] password_file is empty; pass --file PATH\n";
      throw CommandExit{kExitUsage};
    }
    const bool tty = ::isatty(STDIN_FILENO) != 0;
    const std::string password = read_secret("New dashboard password: ", tty);
    if (tty && read_secret("Repeat it: ", tty) != password) {
      std::cerr << "set-password: the two passwords differ; nothing was changed\n";
      throw CommandExit{kExitFailure};
    }
    webui::PasswordStore store(path);
    if (auto r = store.set(password); !r) {
      std::cerr << "set-password: " << r.error() << "; nothing was changed\n";
      throw CommandExit{kExitFailure};
    }
    std::cout << "dashboard password set (Argon2id hash in " << path << ")\n";
  });
}

}  // namespace emsgw::gateway
