#pragma once
// The production clock (style.md "Seams"): the only place outside tests that reads the time.

#include "ems/time.hpp"

namespace emsgw::drivers {

class SystemClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace emsgw::drivers
