#pragma once
// Where the web server reads the live site state. The control loop publishes one immutable
// ems::SiteStatus per step; readers share it without copying and without blocking the loop.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "ems/site_status.hpp"

namespace emsgw::webui {

using StatusPtr = std::shared_ptr<const ems::SiteStatus>;

class StatusSource {
 public:
  virtual ~StatusSource() = default;
  /// The newest snapshot, or nullptr before the first control step.
  [[nodiscard]] virtual StatusPtr latest() const = 0;
  /// Blocks until a snapshot with sequence > `after_sequence` exists or `timeout` passes; returns
  /// the newest snapshot then (which may still be the old one on timeout, or nullptr).
  [[nodiscard]] virtual StatusPtr wait_next(std::uint64_t after_sequence, std::chrono::milliseconds timeout) const = 0;
};

/// The ready-made StatusSource: the control thread calls publish() once per step (a pointer swap
/// under a mutex and a notify; it never waits for a reader).
class StatusBoard final : public StatusSource {
 public:
  void publish(StatusPtr status);
  [[nodiscard]] StatusPtr latest() const override;
  [[nodiscard]] StatusPtr wait_next(std::uint64_t after_sequence, std::chrono::milliseconds timeout) const override;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  StatusPtr latest_;
};

}  // namespace emsgw::webui
