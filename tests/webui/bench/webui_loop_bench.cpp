// Does the HTTP server delay the control loop? A stand-in control loop (the simulated site's step,
// 100 Hz) times every step while wrk hits GET /api/status on loopback, and the same without load.
// Reports p50/p99/max of the step duration and of the wake-up lateness (scheduling delay) for both.
//   webui_loop_bench --seconds 10 [--connections 32] [--threads 2] [--wrk-nice 19]
// Needs `wrk` (Debian package) for the loaded phase; prints only the idle phase without it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "drivers/system_clock.hpp"
#include "tests/webui/scripted_site.hpp"
#include "webui/web_server.hpp"

namespace {
using Clock = std::chrono::steady_clock;

struct Samples {
  std::vector<double> step_us;
  std::vector<double> late_us;
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

Samples run_loop(emsgw::test::ScriptedSite& site, const emsgw::ems::Clock& clock, double seconds) {
  Samples s;
  const auto period = std::chrono::milliseconds(10);
  const auto t0 = Clock::now();
  auto next = t0;
  while (Clock::now() - t0 < std::chrono::duration<double>(seconds)) {
    next += period;
    std::this_thread::sleep_until(next);
    const auto begin = Clock::now();
    site.step(clock.wall_now(), std::chrono::duration<double>(begin - t0).count());
    const auto end = Clock::now();
    s.step_us.push_back(std::chrono::duration<double, std::micro>(end - begin).count());
    s.late_us.push_back(std::chrono::duration<double, std::micro>(begin - next).count());
  }
  return s;
}

void report(const char* name, const Samples& s) {
  std::printf(
      "%-10s steps %6zu | step duration p50 %7.1f us  p99 %7.1f us  max %8.1f us | wake-up lateness p50 %7.1f us  p99 "
      "%7.1f us  max %8.1f us\n",
      name, s.step_us.size(), pct(s.step_us, 0.5), pct(s.step_us, 0.99), pct(s.step_us, 1.0), pct(s.late_us, 0.5),
      pct(s.late_us, 0.99), pct(s.late_us, 1.0));
}
}  // namespace

int main(int argc, char** argv) {
  using namespace emsgw;
  CLI::App app{"Control-step latency with and without HTTP load on /api/status."};
  double seconds = 10;
  int connections = 32;
  int wrk_threads = 2;
  int wrk_nice = 0;
  app.add_option("--seconds", seconds, "Length of each phase")->check(CLI::Range(1.0, 120.0));
  app.add_option("--connections", connections, "wrk connections");
  app.add_option("--threads", wrk_threads, "wrk threads");
  app.add_option("--wrk-nice", wrk_nice,
                 "Run wrk at this nice level: 19 approximates clients on other machines (the box only serves)");
  CLI11_PARSE(app, argc, argv);

  drivers::SystemClock clock;
  test::ScriptedSite site(
      gateway::load_config_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
      clock.wall_now());
  site.step(clock.wall_now(), 0);
  webui::WebSettings settings;
  settings.listen = {"127.0.0.1", 0};
  settings.password_file = "";
  webui::WebServer server(settings, {&site.board(), &site, &site, &site, &site, &clock});
  if (auto r = server.start(); !r) {
    std::cerr << "webui_loop_bench: " << r.error() << "\n";
    return 1;
  }
  std::printf("server on 127.0.0.1:%d, %g s per phase, loop period 10 ms\n", server.port(), seconds);
  const auto idle = run_loop(site, clock, seconds);
  report("no load", idle);

  if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
    std::printf("wrk not found: install the Debian package 'wrk' for the loaded phase\n");
    return 0;
  }
  std::string wrk_output;
  std::thread load([&] {
    const std::string cmd = "nice -n " + std::to_string(wrk_nice) + " wrk -t" + std::to_string(wrk_threads) + " -c" +
                            std::to_string(connections) + " -d" + std::to_string(static_cast<int>(seconds)) +
                            "s --latency http://127.0.0.1:" + std::to_string(server.port()) + "/api/status 2>&1";
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p)) wrk_output += buf;
      ::pclose(p);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let wrk connect
  const auto loaded = run_loop(site, clock, seconds - 0.6);
  load.join();
  report("wrk load", loaded);
  std::printf("--- wrk ---\n%s", wrk_output.c_str());
  server.stop();
  return 0;
}
