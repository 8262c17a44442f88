// Serves the real web server on a scripted site whose values move over time (tests/webui/
// simulated_site.hpp). Used by the browser tests and the load bench, and to try the dashboard:
//   webui_harness --listen 127.0.0.1:8080 --password 'secret pass'
// Prints "listening on http://HOST:PORT" once ready; stops on SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "tests/webui/simulated_site.hpp"
#include "webui/web_server.hpp"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace emsgw;
  CLI::App app{"Serves the emsgw dashboard on a simulated site (tests and demos)."};
  std::string config_path = std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml";
  std::string listen = "127.0.0.1:0";
  std::string password;
  std::string password_file;
  bool read_requires_login = false;
  int step_ms = 500;
  app.add_option("--config", config_path, "Site configuration (TOML)");
  app.add_option("--listen", listen, "HOST:PORT (port 0: any free port)");
  app.add_option("--password", password, "Dashboard password (kept in memory); empty: first-run page");
  app.add_option("--password-file", password_file, "Argon2 hash file (as written by emsgw set-password)");
  app.add_flag("--read-requires-login", read_requires_login, "Require a login to read the dashboard");
  app.add_option("--step-ms", step_ms, "Control step period")->check(CLI::Range(10, 10000));
  CLI11_PARSE(app, argc, argv);

  auto address = webui::parse_listen_address(listen);
  if (!address) {
    std::cerr << "webui_harness: --listen " << listen << ": must be HOST:PORT\n";
    return 2;
  }
  test::SystemClockForTests clock;
  std::unique_ptr<test::SimulatedSite> site;
  try {
    site = std::make_unique<test::SimulatedSite>(gateway::load_config_file(config_path), clock.wall_now());
  } catch (const std::exception& e) {
    std::cerr << "webui_harness: " << e.what() << "\n";
    return 1;
  }
  site->step(clock.wall_now(), 0);
  webui::WebSettings settings;
  settings.listen = *address;
  settings.read_requires_login = read_requires_login;
  settings.password_file = password_file;
  webui::WebServer server(settings, {&site->board(), site.get(), site.get(), site.get(), site.get(), &clock});
  if (!password.empty()) {
    if (auto r = server.passwords().set(password); !r) {
      std::cerr << "webui_harness: " << r.error() << "\n";
      return 2;
    }
  }
  if (auto r = server.start(); !r) {
    std::cerr << "webui_harness: " << r.error() << "\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("listening on http://%s:%d\n", address->host.c_str(), server.port());
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  auto next = t0;
  while (!g_stop) {
    next += std::chrono::milliseconds(step_ms);
    std::this_thread::sleep_until(next);
    site->step(clock.wall_now(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  server.stop();
  return 0;
}
