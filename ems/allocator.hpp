#pragma once
// The allocation core (design.md §3): one deterministic step from a SiteSnapshot to an
// Allocation. Session memory (probing, detected phase use, the EV's minimum, the alternating
// rotation, PV start/stop timers, phase-switch timers, previous set-points for cut-fast /
// raise-slow) lives inside and depends only on the inputs: two allocators fed the same snapshots
// produce the same allocations.
//
// Contract of step(), in the order it is applied:
//  1. SCN mode: returns only a per-phase ScnBudget (grid headroom; minus SCN consumption when the
//     meter includes it). Suspended → 0; meter stale → Σ safe currents.
//  2. Suspended → every socket 0 A (Reason::Suspended).
//  3. Grid meter stale/implausible → every socket its safe current (Reason::FailSafe).
//  4. Stale/unreachable stations and unknown Mode 3 states: the socket is offered its safe current
//     and max(last set-point while it was heard, safe current) stays reserved on all its grid
//     phases. A silent station's draw cannot be told apart from the non-EV load in the meter, so
//     it is counted twice (in the meter and reserved): conservative by design (design.md §2.2).
//  5. Per-phase available = min(grid limit − margin − non-EV load, external site limit/schedule)
//     − reserved. Non-EV load = meter − measured EV currents when the meter includes the chargers,
//     never below 0 (PV export never raises the grid budget).
//  6. Occupied sockets are admitted with their minimum (min current, or probing current while
//     probing or for EVs that drew nothing at the minimum); when not all fit, the alternating
//     rotation picks the set (probing first, then the longest waiting, lowest ids paused first).
//     A socket paused while charging rejoins mid-period only where the probing current fits; an
//     EV that does not ask (Mode 3 B) although offered enough is parked at 0 A (EvNotAsking)
//     until it asks again or draws; an EV drawing steadily well below its offer gets a learned
//     limit just above its draw (EvMax).
//  7. Admitted sockets share by max-min fairness (water-filling) within phase, station, socket,
//     EV, external and surplus limits; set-points are rounded down to whole amperes and spare whole
//     amperes handed out where every limit allows.
//  8. Raises below raise_deadband_a are held; raises while a cut is unconfirmed are flagged on
//     every step until the cut shows in the measurements or ev_response_time_s has passed.
// Modes: `off` 0 A; `now` the grid share; `minpv` the minimum at once, more from surplus; `pv`
// surplus only, started/stopped by SurplusConfig thresholds and delays. Surplus = export at the
// meter + what surplus-mode EVs draw (+ the boosting heat pump's draw when EVs come first), at
// most the PV production. Stations with phase_switching go to one phase in surplus modes when the
// surplus cannot carry three minimums (back with hysteresis_w), never more often than
// min_interval_s, pausing pause_s before and settle_s after the switch (Reason::PhaseSwitching).
// Allocation::phases (the per-phase explanation) is left zero in the suspend and fail-safe cases.
// Invariant (design.md §2.1): for every grid phase, non-EV load + reserved + Σ set-points ≤ limit.
// Each stage is a function in ems/allocator/ (one file each); step() is their list.

#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/site_config.hpp"
#include "ems/site_snapshot.hpp"

namespace emsgw::ems {

class Allocator {
 public:
  /// Throws std::invalid_argument if validate(site) reports issues. Never throws afterwards.
  explicit Allocator(const SiteConfig& site);

  /// One control step. Snapshots must come with non-decreasing `now`.
  [[nodiscard]] Allocation step(const SiteSnapshot& snapshot);

  /// Replaces the configuration if it validates; returns the issues otherwise (and keeps the old
  /// one). Session state of sockets whose id still exists is kept; the rotation restarts.
  [[nodiscard]] std::vector<ConfigIssue> update_config(const SiteConfig& site);

  [[nodiscard]] const SiteConfig& config() const { return site_; }

 private:
  void index_config();

  SiteConfig site_;
  allocator::SocketIndex index_;
  allocator::AllocatorState state_;
};

}  // namespace emsgw::ems
