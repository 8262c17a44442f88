#pragma once
// What the stages of one allocator step share: the step's inputs (configuration, socket index,
// snapshot, a few derived figures), the per-socket working record filled in stage by stage, and
// the small numeric helpers and thresholds every stage uses.

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/site_config.hpp"
#include "ems/site_snapshot.hpp"

namespace emsgw::ems::allocator {

inline constexpr double kEps = 1e-9;
inline constexpr double kInf = std::numeric_limits<double>::infinity();
/// Below this an EV "draws nothing" (probing, needs-probing detection, phase detection).
inline constexpr double kDrawThresholdA = 1.0;
/// A phase counts as used by the EV when it carries at least this share of the largest phase.
inline constexpr double kPhaseShare = 0.3;
/// A cut is confirmed when the socket draws at most its new set-point plus this.
inline constexpr double kConfirmToleranceA = 1.0;
/// Socket readings beyond this are implausible (no Alfen socket goes above 80 A).
inline constexpr double kPlausibleSocketA = 100;
/// An EV drawing this much less than offered, for kLearnConfirmFactor × the EV response time,
/// leaves the rest unused: it gets a learned limit kEvCapHeadroomA above its draw.
inline constexpr double kUnusedA = 2.0;
inline constexpr double kLearnConfirmFactor = 2.0;
inline constexpr double kEvCapHeadroomA = 1.0;
/// A socket paused while charging rejoins mid-period only when its minimum fits with this to spare.
inline constexpr double kResumeMarginA = 1.0;
/// An exact fit is a fit: admission lets a minimum lack this much room on a grid phase (at most a
/// tenth of the safety margin). The non-EV estimate reads a car's ramp tail between two station
/// samples as household, and it converges on an exact fit only after tens of seconds.
inline constexpr double kFitToleranceA = 0.1;
/// A car left out with its current in force this many times within kInterruptionWindowS is paused
/// again only where no other car will do: many EVs end a session after a few interruptions.
inline constexpr int kInterruptionsAtRisk = 2;
inline constexpr double kInterruptionWindowS = 600;
/// A car that drew while asking and stops asking (Mode 3 C → B) is done once it has drawn nothing
/// for this long: it said so itself (a car that has not asked yet gets the EV response time).
inline constexpr double kDoneConfirmS = 2.0;
/// A socket at its minimum is not paused for a lack of room of at most this (and at most half the
/// safety margin) while the grid meter shows every phase it loads within its limit with it.
inline constexpr double kEdgeToleranceA = 0.5;
/// The draw counts as steady while it stays within this range, over at least this many steps.
inline constexpr double kSteadyDrawA = 1.0;
inline constexpr int kLearnSamples = 10;
/// A learned limit is lifted when the EV draws within this of it.
inline constexpr double kEvCapLiftA = 0.5;

inline double seconds(MonoTime::duration d) {
  return std::chrono::duration<double>(d).count();
}
inline MonoTime after(MonoTime t, double s) {
  return t + std::chrono::duration_cast<MonoTime::duration>(std::chrono::duration<double>(s));
}
/// Rounded down to whole amperes, never below 0.
inline int floor_a(double a) {
  return a > 0 ? static_cast<int>(std::floor(a + kEps)) : 0;
}
inline Reason grid_reason(std::size_t p) {
  return p == 0 ? Reason::GridL1 : (p == 1 ? Reason::GridL2 : Reason::GridL3);
}
inline Reason circuit_reason(std::size_t p) {
  return p == 0 ? Reason::CircuitL1 : (p == 1 ? Reason::CircuitL2 : Reason::CircuitL3);
}
inline void add_degraded(Allocation& out, Degradation d) {
  if (!out.is_degraded(d)) out.degraded.push_back(d);
}

/// The read-only inputs of one step.
struct StepInputs {
  const SiteConfig& site;
  const SocketIndex& index;
  const SiteSnapshot& snap;
  MonoTime now{};
  double volts = 0;      ///< Nominal voltage for power ↔ current.
  double min_a = 0;      ///< The IEC minimum, whole amperes (rounded up).
  double probing_a = 0;  ///< The probing current, whole amperes (rounded up).

  [[nodiscard]] std::size_t size() const { return index.sockets.size(); }
  [[nodiscard]] const SocketConfig& config(std::size_t k) const {
    const auto& ref = index.sockets[k];
    return site.stations[ref.station].sockets[ref.socket];
  }
};
[[nodiscard]] inline StepInputs step_inputs(const SiteConfig& site, const SocketIndex& index,
                                            const SiteSnapshot& snap) {
  return StepInputs{site,
                    index,
                    snap,
                    snap.now,
                    site.surplus.nominal_voltage_v,
                    std::ceil(site.min_current_a - kEps),
                    std::ceil(site.probing_current_a - kEps)};
}

/// One socket's record within a step, filled in by the stages in order.
struct SocketWork {
  const SocketSnapshot* snap = nullptr;
  bool fresh = false;
  bool known = false;
  bool occupied = false;
  double max_measured = 0;
  ChargeMode mode = ChargeMode::Now;
  int value = 0;  ///< Set-point decided this step.
  Reason reason = Reason::NotConnected;
  const std::string* detail = nullptr;  ///< Names the bound where the reason alone does not.
  std::string detail_text;              ///< Words made for this step (detail points here then).
  std::optional<int> other_socket;      ///< Reason::OtherMinimum: whose minimum took the current.
  int other_minimum_a = 0;
  Reason shared_bound = Reason::NotConnected;  ///< Reason::OtherMinimum: the bound both share.
  std::string shared_detail;
  std::optional<MonoTime> until;
  bool candidate = false;
  bool admitted = false;
  /// Kept at its minimum in force while cuts on its phases are unconfirmed (see admit): every
  /// raise waits this step.
  bool held_for_cuts = false;
  double min = 0, max = 0;
  double probing_fallback_min = 0;  ///< Minimum if the probing current does not fit.
  double normal_max = 0;            ///< Upper bound when not probing.
  bool probing = false;
  Reason own = Reason::SocketMax;
  int load_count = 0;  ///< Grid phases loaded: 1, 2 (a 2-phase car) or the mapping count.
  std::array<std::size_t, kPhaseCount> loads{};
  bool surplus_member = false;
};

/// A car seen drawing on exactly two of a 3-phase socket's phases (a 2-phase on-board charger).
[[nodiscard]] inline bool two_phase_car(const Session& ses) {
  return ses.ev_phases == 3 && std::popcount(ses.ev_phase_mask) == 2;
}

/// Grid phases socket k loads: the EV's detected phases on a 3-phase socket (all three while
/// unknown; two for a 2-phase car), at most the phases a switching station is set to.
[[nodiscard]] inline int loaded_phases(const StepInputs& in, std::size_t k, const Session& ses) {
  const auto& cfg = in.config(k);
  int count = ses.ev_phases > 0 ? ses.ev_phases : cfg.phase_mapping.count;
  if (count == 3 && two_phase_car(ses)) count = 2;
  if (in.index.sockets[k].phase_switching) count = std::min(count, ses.phases_set);
  return cfg.phase_mapping.count == 1 ? 1 : count;
}

}  // namespace emsgw::ems::allocator
