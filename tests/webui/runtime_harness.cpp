// The real emsgw runtime (control loop, station and meter workers, SQLite storage, the web server
// with its configuration and device-test services) on a simulated site of the project's own
// simulators over loopback: a grid meter, one Alfen Eve Double with an EV at each socket, and a PV
// inverter. The browser tests drive the dashboard of this process and check the effect of their
// clicks in the Alfen simulator through its control port. Try it by hand:
//   runtime_harness --listen 127.0.0.1:8080 --password 'secret pass'
// With --circuits the station hangs from a tree of two unmetered circuits: "garage-board"
// (16 A per phase, 9 kW) below "house" (20 A per phase), and an empty "workshop" (10 A) beside it.
// With --p1 the grid meter is a DSMR 4 P1 port over TCP (a telegram a second, whole amperes) that
// shows the same simulated site, in place of the Modbus meter.
// Prints "listening on http://HOST:PORT" and "station garage control 127.0.0.1:PORT" once ready;
// stops on SIGINT/SIGTERM (writing the safe currents, as emsgw does).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "drivers/dsmr/sim/p1_emitter.hpp"
#include "drivers/system_clock.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/runtime/runtime.hpp"
#include "webui/password_store.hpp"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace emsgw;
  namespace fs = std::filesystem;
  CLI::App app{"Runs emsgw with its dashboard on a simulated site (browser tests, trying the dashboard)."};
  std::string listen = "127.0.0.1:0";
  std::string password;
  std::string state_dir;
  std::string log_level = "warn";
  bool circuits = false;
  bool p1 = false;
  app.add_option("--listen", listen, "HOST:PORT of the dashboard (port 0: any free port)");
  app.add_option("--password", password, "Dashboard password (stored as an Argon2 hash in the state directory)");
  app.add_option("--state-dir", state_dir, "Where the configuration, database and password go (default: a temp dir)");
  app.add_option("--log-level", log_level, "emsgw log level (default warn)");
  app.add_flag("--circuits", circuits, "Hang the station from nested [[circuit]] nodes");
  app.add_flag("--p1", p1, "Read the grid from a DSMR 4 P1 port (whole amperes) instead of the Modbus meter");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  const bool own_dir = state_dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/emsgw-harness-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("runtime_harness: mkdtemp");
      return 1;
    }
    state_dir = tmpl;
  }
  const fs::path dir(state_dir);
  fs::create_directories(dir);

  gateway::SimulatedSiteOptions o;
  o.site_name = "home";
  o.grid_max_current_a = 25;
  o.with_pv = true;
  o.household_a = {4, 3, 2};
  o.stations = {{"garage", 32, 60, false, {{1, 16, 6, "L1L2L3", "now"}, {2, 16, 6, "L3L1L2", "now"}}}};
  gateway::SimulatedSite site(o);
  site.start();
  site.set_pv_power(1500);
  (void)site.station(0).command("plug 1");
  (void)site.station(0).command("plug 2 phases=1");

  if (!password.empty()) {
    webui::PasswordStore store((dir / "web-password").string());
    if (auto r = store.set(password); !r) {
      std::cerr << "runtime_harness: " << r.error() << "\n";
      return 2;
    }
  }
  const std::string extra = "\n[web]\nlisten = \"" + listen + "\"\npassword_file = \"" +
                            (dir / "web-password").string() + "\"\n\n[storage]\npath = \"" +
                            (dir / "emsgw.sqlite").string() + "\"\nflush_interval_s = 1\n" +
                            "\n[tariff]\ncurrency = \"EUR\"\nimport_price_per_kwh = 0.30\nexport_price_per_kwh = 0.08\n"
                            "\n[[tariff.window]]\nname = \"off-peak\"\nstart = \"23:00\"\nend = \"07:00\"\n"
                            "import_price_per_kwh = 0.22\n";
  std::string toml = site.config_toml(extra);
  if (circuits) {
    const std::string station = "[[station]]\nname = \"garage\"\n";
    if (const auto at = toml.find(station); at != std::string::npos)
      toml.insert(at + station.size(), "circuit = \"garage-board\"\n");
    toml +=
        "\n[[circuit]]\nname = \"house\"\nmax_current_a = 20\nmargin_a = 0.5\n"
        "\n[[circuit]]\nname = \"garage-board\"\nparent = \"house\"\nmax_current_a = 16\nmax_power_w = 9000\n"
        "margin_a = 0.5\n"
        "\n[[circuit]]\nname = \"workshop\"\nmax_current_a = 10\nmargin_a = 0.5\n";
  }
  // The P1 port shows the site's grid currents as a DSMR 4 meter does (F3(0,0) A, every second).
  drivers::SystemClock p1_clock;
  std::unique_ptr<drivers::sim::P1Emitter> p1_port;
  if (p1) {
    p1_port = std::make_unique<drivers::sim::P1Emitter>(
        p1_clock, drivers::sim::P1EmitterOptions{1000, drivers::sim::P1Flavour::Dsmr4IntegerAmps, 0, 0, 0});
    p1_port->set_currents(site.grid_current());
    const auto port = p1_port->start_tcp("127.0.0.1", 0);
    if (!port) {
      std::cerr << "runtime_harness: P1 port: " << port.error() << "\n";
      return 1;
    }
    const auto from = toml.find("[meter.grid]");
    const auto to = toml.find("\n[", from + 1);
    toml.replace(from, to - from,
                 "[meter.grid]\nkind = \"dsmr-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(*port) + "\n");
  }
  gateway::Config config;
  try {
    config = gateway::load_config_text(toml, (dir / "emsgw.toml").string());
  } catch (const gateway::ConfigLoadError& e) {
    for (const auto& err : e.errors()) std::cerr << err.format() << "\n";
    return 1;
  }
  drivers::SystemClock clock;
  gateway::Runtime runtime(std::move(config), clock);
  runtime.start();
  if (runtime.web_port() == 0) {
    std::cerr << "runtime_harness: the dashboard did not start (see the log above)\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("station garage control 127.0.0.1:%d\n", site.station_control_port(0));
  std::printf("listening on http://127.0.0.1:%d\n", runtime.web_port());
  std::fflush(stdout);
  // The household load breathes a little, so that live values move on the dashboard.
  double t = 0;
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    t += 0.25;
    site.set_household({4 + 1.5 * std::sin(t / 3), 3 + std::sin(t / 5), 2 + 0.5 * std::sin(t / 7)});
    if (p1_port) p1_port->set_currents(site.grid_current());
  }
  runtime.stop();
  site.stop();
  if (own_dir) fs::remove_all(dir);
  return 0;
}
