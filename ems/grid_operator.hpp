#pragma once
// The grid operator's dimming of controllable consumers (German §14a EnWG, BNetzA BK6-22-300;
// reference/grid-rules.md): a relay contact of the operator's control box, or an LPC-like limit
// with a heartbeat from an EEBus gateway over MQTT/HTTP. Pure: the caller passes every time in.
//
// Rules kept here, each a bug a peer shipped:
//   - never below the guaranteed floor: 4.2 kW for one device; for n devices behind one EMS
//     4.2 kW + (n − 1) × GZF(n) × 4.2 kW; a lower or negative limit is raised to the floor;
//   - failsafe only after the heartbeat is missing for failsafe_after_s (120 s), not sooner;
//   - failsafe left as soon as a heartbeat brings a new command, not held for its full duration;
//   - no heartbeat for longer than the failsafe duration does not make the site unlimited: the
//     failsafe limit stays until the gateway speaks again.
// Own PV production may be added on top of the limit (the allocator does that).

#include <optional>
#include <string>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::ems {

inline constexpr double kDimmingFloorPerDeviceW = 4200;

/// BK6-22-300 Anlage 1 simultaneity factor for n controllable devices behind one EMS (n ≥ 2).
[[nodiscard]] double simultaneity_factor(int devices);
/// The guaranteed minimum for n controllable devices (W); 0 devices: 0.
[[nodiscard]] double dimming_floor_w(int devices);

struct GridOperatorSettings {
  int controllable_devices = 1;       ///< charge points above 4.2 kW, and the heat pumps as one
  double relay_limit_w = 0;           ///< limit while the relay contact says "dim"; 0 = the floor
  double failsafe_limit_w = 0;        ///< limit in failsafe; 0 = the floor
  double failsafe_after_s = 120;      ///< heartbeat missing this long → failsafe
  double failsafe_duration_s = 7200;  ///< failsafe lasts at least this long unless a command ends it
};

enum class DimmingState { Unlimited, Limited, Failsafe };
[[nodiscard]] const char* to_string(DimmingState s);

/// A change of the dimming state, for the log (SQLite) and the events list.
struct DimmingEvent {
  WallTime time{};
  DimmingState state = DimmingState::Unlimited;
  std::optional<double> limit_w;
  std::string source;  ///< "relay", "api", "failsafe"
  std::string text;
};

/// The limit in force for the controllable consumers together.
struct DimmingLimit {
  DimmingState state = DimmingState::Unlimited;
  std::optional<double> limit_w;  ///< nullopt: not limited
  std::string source;
  std::optional<WallTime> until;  ///< end of an API limit's duration
};

class GridOperator {
 public:
  explicit GridOperator(GridOperatorSettings s) : settings_(s) {}

  /// New settings (a reloaded configuration), in force from the next update(): what the operator
  /// said (relay, API limit, heartbeat, a failsafe running) stays.
  void set_settings(const GridOperatorSettings& s) { settings_ = s; }
  [[nodiscard]] const GridOperatorSettings& settings() const { return settings_; }

  /// The relay contact (true = dim), read at `t`.
  void relay(WallTime t, bool dim);
  /// An API command: a limit (W) for `duration_s` (0 = until changed), or nullopt to lift it.
  /// Refused (false, with the reason) when the limit is not a finite number ≥ 0.
  bool command(WallTime t, std::optional<double> limit_w, double duration_s, std::string* why = nullptr);
  /// The gateway's heartbeat. A command counts as a heartbeat too.
  void heartbeat(WallTime t);
  /// True once an API gateway has spoken: from then on a missing heartbeat means failsafe.
  [[nodiscard]] bool api_in_use() const { return last_heartbeat_.has_value(); }

  /// Advances to `now` (failsafe entry, expiry of limits) and returns the limit in force.
  DimmingLimit update(WallTime now);
  [[nodiscard]] std::vector<DimmingEvent> take_events();
  [[nodiscard]] double floor_w() const { return dimming_floor_w(settings_.controllable_devices); }

 private:
  [[nodiscard]] double at_least_floor(double w) const;
  void transition(WallTime t, DimmingState s, std::optional<double> w, std::string source, std::string text);

  GridOperatorSettings settings_;
  bool relay_dim_ = false;
  std::optional<WallTime> last_heartbeat_;
  std::optional<double> api_limit_w_;
  std::optional<WallTime> api_until_;
  std::optional<WallTime> failsafe_since_;
  bool command_since_failsafe_ = false;
  DimmingLimit current_;
  std::vector<DimmingEvent> events_;
};

}  // namespace emsgw::ems
