#pragma once
// How the allocator's decisions reach the stations (design.md §2.3, §2.5):
// - cut fast, raise slow: a raise the allocator marks as waiting for unconfirmed cuts is not
//   handed over yet; the value in force stays (and keeps being refreshed by the station worker);
// - every step renews the lease of every set-point handed over (Actuator::affirm), so that the
//   workers refresh them before they expire, and stop when the control loop stops;
// - a set-point still handed over that a station reports expired was not refreshed in time: a
//   missed refresh, found here and only here (the worker only rewrites it).
// - small raises wait after a cut (anti-dither): a raise of at most kSmallRaiseA, to no more than
//   the value the last cut came from, on a socket cut less than its hold time ago keeps the lower
//   value; the hold doubles (up to kMaxRaiseHoldS)
//   each time a raise is undone by a cut soon after, and falls back once raises last. Cuts are
//   never held; larger raises (a rotation, a probing car) are not held, nor small ones when the
//   allocation raises more than kDitherRaiseTotalA in all on one of the socket's phases (a load
//   that went away: on a large site every socket's share rises by an ampere or two only);
// - the fail-safe never raises a socket above the value in force (design.md §2.9).
// The allocator's deadband stays in ems/.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/site_config.hpp"
#include "ems/site_snapshot.hpp"
#include "ems/time.hpp"
#include "gateway/control/site_inputs.hpp"
#include "gateway/control/step_report.hpp"

namespace emsgw::gateway {

/// Where set-points go: the station workers in production, a recorder in tests.
class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual void set_desired(std::size_t station, int unit, double amps, int phases) = 0;
  virtual void set_desired_scn(std::size_t station, const std::array<double, 3>& amps) = 0;
  /// Renews the lease of every desired value (called once per step).
  virtual void affirm() = 0;
};

/// A socket's set-point as a station sample shows it.
struct RefreshCheck {
  int unit = 1;
  int socket_id = 0;
  bool lapsed = false;  ///< true: expired before it was refreshed; false: in force
};

class ActuationPolicy {
 public:
  using DecisionSink = std::function<void(Decision)>;

  /// Hands the allocation to `actuator` (holding raises that wait for confirmation) and renews
  /// every lease; each changed set-point becomes a decision.
  void actuate(const ems::SiteConfig& site, const std::vector<SocketRef>& sockets, const ems::Allocation& a,
               Actuator& actuator, ems::WallTime now, const DecisionSink& decide);

  /// The set-points of one station's sample that emsgw still hands over: lapsed (a missed refresh)
  /// or in force. A socket never seen valid (before the first write lands) is not lapsed.
  std::vector<RefreshCheck> check_refresh(std::size_t station, const StationSample& sample,
                                          const std::vector<SocketRef>& sockets);

  /// Per socket id, the set-point handed over.
  [[nodiscard]] const std::map<int, double>& desired() const { return desired_; }
  /// Per grid phase, how far the EVs may rise for the raises the last actuate() handed over (A; 0
  /// where none): each from the lower of the value in force and what its socket draws in `snap`. A
  /// car that stopped at an offer below what it needs (14 A) rises from nothing, not from the offer.
  [[nodiscard]] std::array<double, 3> raised(const ems::SiteSnapshot& snap) const;

 private:
  /// The value to hand over instead of `amps` (fail-safe, small raises after a cut unless
  /// `site_raise`: the allocation raises much on one of its phases).
  double hold_small_raise(const ems::SocketAllocation& sa, double in_force, double amps, ems::MonoTime now,
                          bool site_raise);

  std::map<int, double> desired_;
  struct Raise {
    int id = 0;
    double from = 0, to = 0;
    std::array<bool, 3> grid_phases{};
  };
  std::vector<Raise> raises_;  ///< handed over at the last actuate()
  std::optional<std::array<double, 3>> scn_desired_;
  std::map<int, std::string> last_reason_;
  std::map<int, bool> was_valid_;  ///< per socket id: the station last reported a valid set-point
  struct RaiseHold {
    std::optional<ems::MonoTime> cut_at;    ///< last cut handed over
    double cut_from = 0;                    ///< the value in force before that cut
    std::optional<ems::MonoTime> raise_at;  ///< last raise handed over
    double hold_s = 0;                      ///< small raises wait this long after a cut
  };
  std::map<int, RaiseHold> holds_;  ///< per socket id
};

/// A raise of at most this much is small: the dither of a noisy or lagging measurement.
inline constexpr double kSmallRaiseA = 2;
/// How long a small raise waits after a cut; doubled while raises are undone within
/// kRaiseUndoneS, up to kMaxRaiseHoldS.
inline constexpr double kRaiseHoldS = 10;
inline constexpr double kMaxRaiseHoldS = 60;
inline constexpr double kRaiseUndoneS = 60;
/// A measurement's dither moves a phase's headroom by an ampere or two: an allocation that raises
/// more than this on a phase in all follows a load that went away.
inline constexpr double kDitherRaiseTotalA = 2 * kSmallRaiseA;

}  // namespace emsgw::gateway
