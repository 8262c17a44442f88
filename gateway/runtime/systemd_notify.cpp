#include "gateway/runtime/systemd_notify.hpp"

#include <cstdint>
#include <cstdlib>

#ifdef EMSGW_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace emsgw::gateway {

SystemdNotifier::SystemdNotifier() {
#ifdef EMSGW_HAVE_SYSTEMD
  enabled_ = std::getenv("NOTIFY_SOCKET") != nullptr;
  std::uint64_t usec = 0;
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) interval_ = std::chrono::microseconds(usec / 2);
#endif
}

void SystemdNotifier::ready() {
#ifdef EMSGW_HAVE_SYSTEMD
  if (enabled_) sd_notify(0, "READY=1\nSTATUS=running");
#endif
}

void SystemdNotifier::stopping() {
#ifdef EMSGW_HAVE_SYSTEMD
  if (enabled_) sd_notify(0, "STOPPING=1");
#endif
}

void SystemdNotifier::status(const std::string& text) {
#ifdef EMSGW_HAVE_SYSTEMD
  if (enabled_) sd_notifyf(0, "STATUS=%s", text.c_str());
#else
  (void)text;
#endif
}

void SystemdNotifier::watchdog() {
#ifdef EMSGW_HAVE_SYSTEMD
  if (!enabled_ || interval_.count() == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval_) return;
  last_ = now;
  sd_notify(0, "WATCHDOG=1");
#endif
}

}  // namespace emsgw::gateway
