#pragma once
// `emsgw demo`: emsgw on a simulated site (a grid meter, a double and a single Alfen station, a PV
// inverter, all on loopback) through a scripted day: cars arriving and leaving, household load with
// a hair-dryer step, PV rising and a passing cloud.

#include <string>

namespace emsgw::gateway {

struct DemoOptions {
  bool real_time = false;  ///< false: the day in about six minutes; true: one day in 24 hours
  int duration_s = 0;      ///< stop after this many seconds (0: run until Ctrl-C, repeating the day)
  std::string state_dir;   ///< where the config, database and logs go (default: a fresh temp dir)
  int status_every_s = 5;  ///< one status line this often
  int web_port = 8080;     ///< the dashboard; a free port is taken when this one is busy
  double hour_s = 0;       ///< seconds one simulated hour lasts (0: 15, or 3600 with real_time)
  bool mqtt = true;        ///< start a mosquitto on loopback (when installed) and publish to it
};

int run_demo(const DemoOptions& options);

}  // namespace emsgw::gateway
