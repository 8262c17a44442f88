#pragma once
// Test doubles around the control loop (gateway/control): an actuator that drops what it is told,
// and an observer that keeps every step report. Header-only: the test links emsgw_gateway.
#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "gateway/control/control_loop.hpp"

namespace emsgw::test {

class NullActuator : public gateway::Actuator {
 public:
  void set_desired(std::size_t, int, double, int) override {}
  void set_desired_scn(std::size_t, const std::array<double, 3>&) override {}
  void affirm() override {}
};

/// Keeps every step report; `last` is the newest.
class ReportLog : public gateway::StepObserver {
 public:
  void on_step(const std::shared_ptr<const gateway::StepReport>& r) override {
    reports.push_back(r);
    last = r;
  }
  std::vector<std::shared_ptr<const gateway::StepReport>> reports;
  std::shared_ptr<const gateway::StepReport> last;
};

}  // namespace emsgw::test
