#include "gateway/devices/meter_worker.hpp"

#include <chrono>

namespace emsgw::gateway {

MeterWorker::MeterWorker(std::string role, std::unique_ptr<drivers::EnergyMeter> meter, ems::Millis interval, Sink sink)
    : role_(std::move(role)), meter_(std::move(meter)), interval_(interval), sink_(std::move(sink)) {}

MeterWorker::~MeterWorker() {
  stop();
}

void MeterWorker::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { loop(); });
}

void MeterWorker::stop() {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MeterWorker::loop() {
  // The worker paces itself on the steady clock: it is I/O timing, not control time.
  auto next = std::chrono::steady_clock::now();
  ems::Millis backoff{0};
  while (running_) {
    const auto started = std::chrono::steady_clock::now();
    bool failed = false;
    if (!paused_) {
      auto r = meter_->poll();
      failed = !r.has_value();
      sink_(role_, std::move(r));
    }
    // A meter that paces itself (DSMR, TIC) and fails at once (serial device missing, P1 adapter
    // refusing) is retried with exponential back-off, so a dead link does not turn into a tight
    // loop of errors, each one a control step. A poll that waited its full timeout has waited
    // enough. Polled meters keep their interval (their transport backs off its reconnects).
    failed = failed && interval_.count() == 0;
    backoff = failed ? std::min(kMaxBackoff, backoff.count() == 0 ? kFirstBackoff : backoff * 2) : ems::Millis{0};
    if (interval_.count() > 0 || paused_ || failed) {
      next += interval_.count() > 0 ? interval_ : ems::Millis(100);
      const auto now = std::chrono::steady_clock::now();
      if (next < now) next = now;  // a slow poll: do not try to catch up
      if (failed && next < started + backoff) next = started + backoff;
      std::unique_lock lock(mutex_);
      cv_.wait_until(lock, next, [this] { return !running_.load(); });
    } else {
      next = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace emsgw::gateway
