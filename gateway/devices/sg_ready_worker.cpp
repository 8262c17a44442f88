#include "gateway/devices/sg_ready_worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace emsgw::gateway {

using ems::Millis;
using ems::MonoTime;

SgReadyWorker::SgReadyWorker(std::unique_ptr<drivers::ModbusTransport> bus, drivers::SgReadySettings settings,
                             const ems::Clock& clock, Options options)
    : bus_(std::move(bus)),
      clock_(clock),
      options_(options),
      // The allocator keeps the heat pump's minimum switching interval; the outputs follow at once.
      controller_(*bus_, clock_, std::move(settings), Millis{0}) {}

SgReadyWorker::~SgReadyWorker() {
  stop();
}

void SgReadyWorker::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { loop(); });
}

void SgReadyWorker::stop() {
  if (!running_.exchange(false)) return;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // emsgw is leaving: no boost without it (reducing is always allowed).
  if (auto r = controller_.request(drivers::SgReadyState::Normal); !r)
    spdlog::warn("SG-Ready: could not set the outputs to normal on the way out: {}", r.error().message);
}

void SgReadyWorker::on_status(const std::shared_ptr<const ems::SiteStatus>& status) {
  if (!status || !status->heatpump.configured) return;
  const auto s = static_cast<drivers::SgReadyState>(status->heatpump.sg_ready_requested);
  if (s < drivers::SgReadyState::Blocked || s > drivers::SgReadyState::Forced) return;
  {
    std::lock_guard lock(mutex_);
    if (wanted_ == s) return;
    wanted_ = s;
  }
  wake_.notify_all();
}

SgReadyApplied SgReadyWorker::applied() const {
  std::lock_guard lock(mutex_);
  SgReadyApplied a;
  if (in_force_) a.state = static_cast<int>(*in_force_);
  a.error = error_;
  return a;
}

SgReadyWorkerStats SgReadyWorker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void SgReadyWorker::loop() {
  while (running_) {
    const auto next = run_once(clock_.mono_now());
    std::unique_lock lock(mutex_);
    if (!running_) break;
    const auto wait = std::clamp(std::chrono::duration_cast<Millis>(next - clock_.mono_now()), Millis(0), Millis(250));
    wake_.wait_for(lock, wait);
  }
}

MonoTime SgReadyWorker::run_once(MonoTime now) {
  std::optional<drivers::SgReadyState> wanted;
  std::optional<drivers::SgReadyState> in_force;
  {
    std::lock_guard lock(mutex_);
    if (now < retry_at_) return retry_at_;
    wanted = wanted_;
    in_force = in_force_;
  }
  const auto failed = [&](const drivers::MeterError& e) {
    std::lock_guard lock(mutex_);
    ++stats_.failures;
    if (error_ != e.message) spdlog::warn("SG-Ready outputs: {}", e.message);
    error_ = e.message;
    in_force_.reset();
    backoff_ = std::min(options_.retry_max, std::max(options_.retry_min, backoff_ * 2));
    retry_at_ = now + backoff_;
    return retry_at_;
  };
  const auto succeeded = [&] {
    if (!error_.empty()) spdlog::info("SG-Ready outputs: answering again");
    error_.clear();
    backoff_ = Millis{0};
  };
  if (wanted && in_force != wanted) {
    auto r = controller_.request(*wanted);
    if (!r) return failed(r.error());
    std::lock_guard lock(mutex_);
    succeeded();
    if (*r == drivers::SgReadyOutcome::Applied) {
      ++stats_.writes;
      spdlog::info("SG-Ready outputs: {}", drivers::to_string(*wanted));
    }
    in_force_ = wanted;
    next_read_ = std::min(next_read_, now + Millis{1000});  // confirm soon
  }
  if (now >= next_read_) {
    auto rb = controller_.read_back();
    if (!rb) return failed(rb.error());
    std::lock_guard lock(mutex_);
    succeeded();
    next_read_ = now + options_.read_back_every;
    if (wanted_ && *rb != *wanted_) {
      ++stats_.corrections;
      spdlog::warn("SG-Ready outputs read back as {}, wanted {}: writing them again", drivers::to_string(*rb),
                   drivers::to_string(*wanted_));
      in_force_ = *rb;
      return now;  // rewrite at once
    }
    in_force_ = *rb;
  }
  std::lock_guard lock(mutex_);
  return std::min(next_read_, now + Millis{250});
}

}  // namespace emsgw::gateway
