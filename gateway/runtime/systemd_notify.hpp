#pragma once
// systemd readiness and watchdog (deploy/emsgw.service: Type=notify, WatchdogSec). No-ops when not
// started by systemd (NOTIFY_SOCKET unset) or built without libsystemd.

#include <chrono>
#include <string>

namespace emsgw::gateway {

class SystemdNotifier {
 public:
  SystemdNotifier();
  void ready();
  void stopping();
  void status(const std::string& text);
  /// Feeds the watchdog, at most every half of WATCHDOG_USEC. Called by the control loop: if the
  /// loop hangs, systemd restarts emsgw.
  void watchdog();

 private:
  bool enabled_ = false;
  std::chrono::steady_clock::duration interval_{};
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace emsgw::gateway
