#include "gateway/demo/demo.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "drivers/system_clock.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::gateway {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void demo_signal(int) {
  g_stop = true;
}

using drivers::alfen::SimEv;

SimEv car(int phases, double max_a, double min_a = 6) {
  SimEv e;
  e.phases = phases;
  e.max_current_a = max_a;
  e.min_current_a = min_a;
  return e;
}

/// One event of the scripted day; `at` is the time of day in hours.
struct DemoEvent {
  double at;
  std::string what;
  std::function<void(SimulatedSite&)> apply;
};

std::vector<DemoEvent> script() {
  return {
      {6.0, "morning: household 4 A per phase, no sun yet",
       [](SimulatedSite& s) {
         s.set_household({4, 4, 4});
         s.set_pv_power(0);
       }},
      {7.0, "a 3-phase car (16 A) arrives at carport socket 0, mode now",
       [](SimulatedSite& s) { s.station(0).station().plug(1, car(3, 16)); }},
      {8.0, "a 1-phase car arrives at carport socket 1, mode pv: it waits for sun",
       [](SimulatedSite& s) { s.station(0).station().plug(2, car(1, 16)); }},
      {8.5, "hair dryer on: +9 A on L1 (the guide's commissioning test): socket 0 is cut to 11 A at once",
       [](SimulatedSite& s) {
         s.set_household({13, 4, 4});
       }},
      {9.0, "hair dryer off: socket 0 goes back up to 16 A; the sun comes up: PV 2 kW",
       [](SimulatedSite& s) {
         s.set_household({4, 4, 4});
         s.set_pv_power(2000);
       }},
      {10.0, "PV 4.5 kW", [](SimulatedSite& s) { s.set_pv_power(4500); }},
      {11.5, "the 3-phase car at carport socket 0 leaves", [](SimulatedSite& s) { s.station(0).station().unplug(1); }},
      {12.0, "noon: PV 7 kW: the house exports, the pv car at socket 1 starts from the sun",
       [](SimulatedSite& s) { s.set_pv_power(7000); }},
      {13.0, "a passing cloud: PV drops to 1 kW (the stop delay rides through it)",
       [](SimulatedSite& s) { s.set_pv_power(1000); }},
      {13.5, "the cloud has passed: PV 6.5 kW", [](SimulatedSite& s) { s.set_pv_power(6500); }},
      {14.0, "a 1-phase car that needs 14 A arrives at driveway socket 2, mode minpv",
       [](SimulatedSite& s) { s.station(1).station().plug(1, car(1, 16, 14)); }},
      {16.0, "afternoon: PV 3 kW, household 8 A",
       [](SimulatedSite& s) {
         s.set_pv_power(3000);
         s.set_household({8, 8, 8});
       }},
      {18.5, "sunset: PV 0 W; cooking: household 12 A on L2",
       [](SimulatedSite& s) {
         s.set_pv_power(0);
         s.set_household({8, 12, 8});
       }},
      {20.0, "the car at carport socket 1 leaves", [](SimulatedSite& s) { s.station(0).station().unplug(2); }},
      {22.0, "the car at driveway socket 2 leaves; night",
       [](SimulatedSite& s) {
         s.station(1).station().unplug(1);
         s.set_household({3, 3, 3});
       }},
  };
}

/// The demo's site. `hour_s` is how long one simulated hour lasts; in fast mode the probing time and
/// the surplus delays shrink with it so that they keep their meaning on the scripted day.
SimulatedSiteOptions demo_site(double hour_s, bool real_time) {
  SimulatedSiteOptions o;
  o.site_name = "demo";
  o.grid_max_current_a = 25;
  o.safety_margin_a = 1;
  o.alternating_period_s = real_time ? 900 : std::max(60, static_cast<int>(4 * hour_s));
  if (!real_time) o.site_extra = "probing_time_s = " + std::to_string(std::max(5, static_cast<int>(hour_s)));
  o.with_pv = true;
  o.household_a = {4, 4, 4};
  o.stations = {
      SimStationSpec{"carport",
                     32,
                     60,
                     false,
                     {SimSocketSpec{0, 16, 6, "L1L2L3", "now"}, SimSocketSpec{1, 16, 6, "L1L2L3", "pv"}}},
      SimStationSpec{"driveway", 16, 60, false, {SimSocketSpec{2, 16, 6, "L3L1L2", "minpv"}}},
  };
  return o;
}

/// [surplus] for the fast demo: start after 40 simulated minutes of export, stop after 80 minutes
/// without (a passing cloud of 30 minutes does not stop a pv car).
std::string surplus_section(double hour_s, bool real_time) {
  if (real_time) return "";
  const auto secs = [](double s) { return std::to_string(std::max(1, static_cast<int>(s))); };
  return "\n[surplus]\nstart_delay_s = " + secs(hour_s * 2 / 3) + "\nstop_delay_s = " + secs(hour_s * 4 / 3) + "\n";
}

/// Runs `op` on a fresh TCP socket with 127.0.0.1:`port` (0: any port); false if no socket could be had.
template <class Op>
bool with_loopback_socket(int port, Op op) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = op(fd, a);
  ::close(fd);
  return ok;
}

/// A mosquitto broker on loopback, when mosquitto is installed, so that the MQTT telemetry and Home
/// Assistant discovery can be watched. Stopped by the destructor.
class DemoBroker {
 public:
  DemoBroker(const std::filesystem::path& dir, int port) : port_(port) {
    const char* const candidates[] = {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"};
    std::string exe;
    for (const char* c : candidates)
      if (::access(c, X_OK) == 0) exe = c;
    if (exe.empty() || port_ <= 0) return;
    const auto conf = (dir / "mosquitto.conf").string();
    std::ofstream(conf) << "# Generated by emsgw demo: loopback only, anonymous, nothing kept on disk.\n"
                        << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\npersistence false\n";
    const auto log = (dir / "mosquitto.log").string();
    const pid_t pid = ::fork();
    if (pid < 0) return;
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(exe.c_str(), "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pid_ = pid;
    for (int i = 0; i < 300 && !port_open(port_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!port_open(port_)) stop();
  }
  ~DemoBroker() { stop(); }
  DemoBroker(const DemoBroker&) = delete;
  DemoBroker& operator=(const DemoBroker&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] int port() const { return port_; }

 private:
  static bool port_open(int port) {
    return with_loopback_socket(
        port, [](int fd, sockaddr_in& a) { return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0; });
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  int port_ = 0;
  pid_t pid_ = -1;
};

/// A loopback port that is free now (0 if none could be had).
int free_port() {
  int port = 0;
  with_loopback_socket(0, [&](int fd, sockaddr_in& a) {
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return false;
    port = ntohs(a.sin_port);
    return true;
  });
  return port;
}

bool port_free(int port) {
  return with_loopback_socket(
      port, [](int fd, sockaddr_in& a) { return ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0; });
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

std::string clock_text(double hours) {
  char buf[16];
  const int h = static_cast<int>(hours) % 24;
  const int m = static_cast<int>((hours - static_cast<int>(hours)) * 60);
  std::snprintf(buf, sizeof buf, "%02d:%02d", h, m);
  return buf;
}

std::string status_line(const ems::SiteStatus& st, double hours) {
  char buf[256];
  std::string line = "[" + clock_text(hours) + "] grid";
  for (std::size_t p = 0; p < 3; ++p) {
    std::snprintf(buf, sizeof buf, " L%zu %5.1f", p + 1, st.grid.current_a[p].value_or(0));
    line += buf;
  }
  std::snprintf(buf, sizeof buf, " / %.0f A | PV %4.0f W |", st.grid_max_current_a, st.pv.power_w.value_or(0));
  line += buf;
  for (const auto& so : st.sockets) {
    std::snprintf(buf, sizeof buf, " #%d %2.0f A %s;", so.id, so.setpoint_a,
                  std::string(ems::describe(so.state)).c_str());
    line += buf;
  }
  if (st.degraded) line += " DEGRADED";
  return line;
}
}  // namespace

int run_demo(const DemoOptions& options) {
  namespace fs = std::filesystem;
  const fs::path dir = options.state_dir.empty()
                           ? fs::temp_directory_path() / ("emsgw-demo-" + std::to_string(::getpid()))
                           : fs::path(options.state_dir);
  fs::create_directories(dir);
  spdlog::set_level(spdlog::level::warn);

  const double seconds_per_hour = options.real_time ? 3600.0 : (options.hour_s > 0 ? options.hour_s : 15.0);
  const auto site_options = demo_site(seconds_per_hour, options.real_time);
  SimulatedSite site(site_options);
  site.start();
  std::optional<DemoBroker> broker;
  if (options.mqtt) broker.emplace(dir, free_port());
  const bool with_mqtt = broker && broker->running();
  const auto config_path = (dir / "emsgw.toml").string();
  const int web_port = port_free(options.web_port) ? options.web_port : 0;
  std::string extra = "\n[web]\nlisten = \"127.0.0.1:" + std::to_string(web_port) + "\"\npassword_file = \"" +
                      (dir / "web-password").string() + "\"\n\n[storage]\npath = \"" + (dir / "emsgw.sqlite").string() +
                      "\"\nflush_interval_s = 5\nsynchronous = \"normal\"\n" +
                      surplus_section(seconds_per_hour, options.real_time);
  if (with_mqtt)
    extra += "\n[mqtt]\nenabled = true\nurl = \"tcp://127.0.0.1:" + std::to_string(broker->port()) + "\"\n";
  std::ofstream(config_path) << site.config_toml(extra);
  Config cfg;
  try {
    cfg = load_config_file(config_path);
  } catch (const ConfigLoadError& e) {
    std::cerr << "emsgw demo: the generated configuration is invalid:\n" << e.what() << "\n";
    return 1;
  }
  drivers::SystemClock clock;
  Runtime runtime(cfg, clock);
  runtime.start();

  const std::string dashboard = "http://127.0.0.1:" + std::to_string(runtime.web_port()) + "/";
  std::cout << "emsgw demo: a simulated site on this machine ("
            << (options.real_time          ? std::string("real time")
                : seconds_per_hour == 15.0 ? std::string("a day in 6 minutes")
                                           : "one hour in " + format_seconds(seconds_per_hour))
            << ")\n\n"
            << "  dashboard      "
            << (runtime.web_port() ? dashboard + "   (first visit: choose the admin password)"
                                   : std::string("not available"))
            << "\n"
            << "  configuration  " << config_path << "   (emsgw check-config " << config_path << ")\n"
            << "  grid meter     Eastron SDM630 simulator, 127.0.0.1:" << site.meter_port()
            << "   (emsgw probe-meter --kind modbus-tcp --host 127.0.0.1 --port " << site.meter_port()
            << " --preset eastron-sdm630)\n"
            << "  PV inverter    SunSpec simulator, 127.0.0.1:" << site.pv_port()
            << "   (emsgw probe-meter --kind sunspec-tcp --host 127.0.0.1 --port " << site.pv_port() << ")\n";
  for (std::size_t i = 0; i < site.station_count(); ++i)
    std::cout << "  station        " << site.options().stations[i].name
              << ", Alfen simulator 127.0.0.1:" << site.station_port(i)
              << "   (emsgw probe-station 127.0.0.1:" << site.station_port(i)
              << "; control port 127.0.0.1:" << site.station_control_port(i) << ", try: echo status | nc 127.0.0.1 "
              << site.station_control_port(i) << ")\n";
  if (with_mqtt)
    std::cout << "  MQTT broker    mosquitto on 127.0.0.1:" << broker->port()
              << "   (watch: mosquitto_sub -h 127.0.0.1 -p " << broker->port()
              << " -t 'emsgw/#' -t 'homeassistant/#' -v; or point Home Assistant's MQTT integration at it)\n";
  else if (options.mqtt)
    std::cout << "  MQTT broker    not started: install mosquitto to try MQTT and Home Assistant discovery\n";
  std::cout << "\n  site: 3 x " << site_options.grid_max_current_a << " A, " << site_options.safety_margin_a
            << " A margin";
  for (const auto& st : site_options.stations) {
    std::cout << ";\n        " << st.name;
    for (std::size_t i = 0; i < st.sockets.size(); ++i)
      std::cout << (i == 0 ? " socket " : ", socket ") << st.sockets[i].id << " (" << st.sockets[i].phase_mapping
                << ", mode " << st.sockets[i].mode << ")";
  }
  std::cout << ". Press Ctrl-C to stop.\n\n";

  std::signal(SIGINT, demo_signal);
  std::signal(SIGTERM, demo_signal);
  const auto events = script();
  const auto start = std::chrono::steady_clock::now();
  std::size_t next = 0;
  double day_offset = 0;
  auto last_status = start;
  while (!g_stop) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.duration_s > 0 && elapsed >= options.duration_s) break;
    const double hours = 6.0 + elapsed / seconds_per_hour - day_offset;
    while (next < events.size() && events[next].at <= hours) {
      std::cout << "[" << clock_text(events[next].at) << "] " << events[next].what << "\n";
      events[next].apply(site);
      ++next;
    }
    if (next == events.size() && hours >= 30.0) {  // the next morning: start the day again
      next = 0;
      day_offset += 24.0;
    }
    if (std::chrono::steady_clock::now() - last_status >= std::chrono::seconds(options.status_every_s)) {
      last_status = std::chrono::steady_clock::now();
      if (const auto st = runtime.loop().status()) std::cout << status_line(*st, hours) << "\n" << std::flush;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "\nemsgw demo: stopping (every socket back to its safe current)\n";
  runtime.stop();
  site.stop();
  return 0;
}

}  // namespace emsgw::gateway
