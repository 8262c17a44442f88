#include "gateway/runtime/meter_worker.hpp"

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
  while (running_) {
    if (!paused_) sink_(role_, meter_->poll());
    if (interval_.count() > 0 || paused_) {
      next += interval_.count() > 0 ? interval_ : ems::Millis(100);
      const auto now = std::chrono::steady_clock::now();
      if (next < now) next = now;  // a slow poll: do not try to catch up
      std::unique_lock lock(mutex_);
      cv_.wait_until(lock, next, [this] { return !running_.load(); });
    }
  }
}

}  // namespace emsgw::gateway
