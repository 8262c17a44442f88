#pragma once
// The named faults in force. A fault is raised once (its first-seen time kept), its text (and its
// message, the same as code and parameters) may be updated while it stays raised, and it is cleared by name. Every
// raise and clear is logged once and handed to the decision sink ("fault_raised:<code>", "fault_cleared:<code>"), so
// storage keeps the transitions. Some faults (a corrected foreign set-point) stay visible for a while after their last
// occurrence: seen() and expire() keep them up that long.
//
// Pure apart from logging: the caller passes the time.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ems/site_status.hpp"
#include "ems/time.hpp"
#include "gateway/control/step_report.hpp"

namespace emsgw::gateway {

class FaultBook {
 public:
  using DecisionSink = std::function<void(Decision)>;

  explicit FaultBook(DecisionSink sink = {}) : sink_(std::move(sink)) {}

  /// Raises `code` unless it is raised already (its text then stays as it is). True if new.
  bool raise(const std::string& code, const std::string& text, ems::WallTime now, ems::Message message = {});
  /// Raises `code`, or updates its text when it is raised already (logged when the text changes).
  void raise_or_update(const std::string& code, const std::string& text, ems::WallTime now, ems::Message message = {});
  void clear(const std::string& code, ems::WallTime now);
  [[nodiscard]] bool contains(const std::string& code) const { return faults_.contains(code); }

  /// Raises or updates `code` and keeps it up for as long as expire()'s `linger` after `at`.
  void raise_lingering(const std::string& code, const std::string& text, ems::MonoTime at, ems::WallTime now,
                       ems::Message message = {});
  /// Clears the lingering faults not seen again for longer than `linger`.
  void expire(ems::MonoTime at, std::chrono::seconds linger, ems::WallTime now);

  /// The faults in force, ordered by code.
  [[nodiscard]] std::vector<ems::Fault> list() const;

 private:
  DecisionSink sink_;
  std::map<std::string, ems::Fault> faults_;
  std::map<std::string, ems::MonoTime> lingering_;  ///< code → last seen
};

}  // namespace emsgw::gateway
