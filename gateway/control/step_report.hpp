#pragma once
// What the control loop publishes after each step, and who hears of it. The loop builds one
// immutable StepReport per step and hands the same pointer to every output (storage, MQTT, the
// dashboard, the SG-Ready outputs); outputs take what they need from it and never reach back into
// the loop.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/quarter_peak.hpp"
#include "ems/site_snapshot.hpp"
#include "ems/site_status.hpp"
#include "ems/time.hpp"
#include "gateway/control/session_tracker.hpp"

namespace emsgw::gateway {

/// A set-point change or another decision, for logs, storage and the dashboard.
struct Decision {
  ems::WallTime at{};
  int socket_id = -1;  ///< -1: site level
  double old_a = 0;
  double new_a = 0;
  std::string reason;
  std::string text;
  ems::Message message{};  ///< the text as code and parameters (faults, configuration), if it has one
};

struct StepReport {
  std::string trigger;  ///< "grid sample", "station change", "command", "reload", "timer"
  ems::SiteSnapshot snapshot;
  ems::Allocation allocation;
  std::shared_ptr<const ems::SiteStatus> status;
  std::vector<ems::Fault> faults;  ///< raised at the end of the step (as in status->faults)
  /// Set-point changes, faults raised and cleared, commands and reloads since the previous report.
  std::vector<Decision> decisions;
  std::vector<SessionEvent> session_events;  ///< of this step, in order
  std::map<int, Session> sessions;           ///< open after this step, by socket id
  /// Quarter hours of the quarter-hour peak control ([peak]) that ended since the previous report.
  std::vector<ems::ClosedQuarter> closed_quarters;
};

class StepObserver {
 public:
  virtual ~StepObserver() = default;
  /// Called on the control thread after every step; must not block.
  virtual void on_step(const std::shared_ptr<const StepReport>& report) = 0;
};

/// An output that needs only the status of each step.
class StatusObserver : public StepObserver {
 public:
  void on_step(const std::shared_ptr<const StepReport>& report) override { on_status(report->status); }
  /// Called on the control thread after every step; must not block.
  virtual void on_status(const std::shared_ptr<const ems::SiteStatus>& status) = 0;
};

}  // namespace emsgw::gateway
