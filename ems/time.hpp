#pragma once
// Time as a value. ems/ never reads a clock: callers pass these in (style.md "Habits" 1).

#include <chrono>
#include <cstdint>

namespace emsgw::ems {

using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;
/// Monotonic instant, for ages, timeouts and periods.
using MonoTime = std::chrono::steady_clock::time_point;
/// Wall-clock instant, for timestamps people and databases see.
using WallTime = std::chrono::system_clock::time_point;

/// The clock seam. Production: drivers/system_clock.hpp; tests: ManualClock below.
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual MonoTime mono_now() const = 0;
  [[nodiscard]] virtual WallTime wall_now() const = 0;
};

/// A clock that moves only when told to. Pure: it holds values, it reads nothing.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonoTime start = MonoTime{}, WallTime wall_start = WallTime{})
      : mono_(start), wall_(wall_start) {}
  [[nodiscard]] MonoTime mono_now() const override { return mono_; }
  [[nodiscard]] WallTime wall_now() const override { return wall_; }
  void advance(Millis d) {
    mono_ += d;
    wall_ += d;
  }

 private:
  MonoTime mono_;
  WallTime wall_;
};

}  // namespace emsgw::ems
