#include "gateway/devices/dimming_input_worker.hpp"

#include <chrono>

namespace emsgw::gateway {

DimmingInputWorker::DimmingInputWorker(std::unique_ptr<drivers::ModbusTransport> bus,
                                       drivers::RelayContactSettings settings, ems::Millis period, Sink sink)
    : bus_(std::move(bus)), contact_(*bus_, settings), period_(period), sink_(std::move(sink)) {}

DimmingInputWorker::~DimmingInputWorker() {
  stop();
}

void DimmingInputWorker::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { loop(); });
}

void DimmingInputWorker::stop() {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DimmingInputWorker::poll_once() {
  auto r = contact_.read();
  if (!r) r = contact_.read();  // one garbled reply or lost link is not yet a lost module
  if (r)
    sink_(r->dim, {});
  else
    sink_(std::nullopt, r.error());
}

void DimmingInputWorker::loop() {
  // Paced on the steady clock: I/O timing, not control time.
  auto next = std::chrono::steady_clock::now();
  while (running_) {
    poll_once();
    next += period_;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // a slow read: do not try to catch up
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, next, [this] { return !running_.load(); });
  }
}

}  // namespace emsgw::gateway
