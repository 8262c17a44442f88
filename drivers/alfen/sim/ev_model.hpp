#pragma once
// EvModel: an electric vehicle as a charging station sees it, for the station simulator and for
// closed-loop tests. Pure: time is passed in, nothing is read from a clock; two models fed the same
// calls behave the same.
//
// Behaviour (per phase, amperes):
//  - The EV sees a new offer (the station's PWM duty cycle, i.e. 1206 "applied max current") after
//    its dead time, then moves its draw towards its target as a first-order lag: up with tau_up_s,
//    down with tau_down_s (IEC 61851 gives an EV 5 s to follow a lower limit).
//  - Target = min(offer, own maximum, taper limit) − draw_offset_a, or nothing when the offer is
//    below 6 A (no PWM) or below start_current_a (some EVs need 14 A, alfen-smart-charging.md §3.1).
//  - Phases drawn = min(the EV's phases, what the socket allows); an EV with one_phase_below_a
//    switches itself to one phase while the offer is below that value.
//  - With a battery (battery_kwh > 0) the state of charge integrates the energy; above
//    taper_from_soc the EV's own limit falls linearly towards 1 A at 100 %, then it is full: Mode 3
//    state B2 (connected, not asking, draws nothing).
//  - wants_energy(false) / (true): the EV stops asking (B) and asks again later (C1 without PWM,
//    C2 with it).
//  - An interruption is an offer falling below the EV's minimum while it asks and draws. With
//    give_up_after > 0 the EV gives up after that many interruptions within give_up_window_s: it
//    stops asking for the rest of the session and reports it.
//  - With sleep_after_s > 0 an EV kept below its minimum that long while it asks falls asleep:
//    it stops asking (B1) without giving up, and asks again (C2) wake_s after it sees an offer it
//    can charge with (some EVs sleep while paused and wake only to current).

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::drivers::alfen {

struct EvParams {
  int phases = 3;                ///< 1, 2 or 3
  double max_current_a = 16;     ///< The EV's own maximum per phase (its on-board charger).
  double start_current_a = 6;    ///< Offers below this are not used (14 for EVs that need 14 A).
  double tau_up_s = 1.5;         ///< First-order time constant when the draw rises.
  double tau_down_s = 1.0;       ///< … when it falls.
  double dead_time_s = 0.5;      ///< Delay before a new offer is seen.
  double draw_offset_a = 0;      ///< Draws this much less than offered (0.5–1 A for some EVs).
  double one_phase_below_a = 0;  ///< > 0: uses one phase while the offer is below this.
  double battery_kwh = 0;        ///< 0: never full.
  double soc = 0.5;              ///< State of charge at plug-in, 0..1.
  double taper_from_soc = 0.8;
  double voltage_v = 230;
  int give_up_after = 0;  ///< Interruptions that make the EV give up (0: never).
  double give_up_window_s = 600;
  double sleep_after_s = 0;  ///< Paused this long while asking, the EV falls asleep (0: never).
  double wake_s = 2;         ///< An asleep EV asks again this long after it sees a usable offer.
};

class EvModel {
 public:
  EvModel() = default;
  EvModel(EvParams params, ems::MonoTime now);

  /// Integrates up to `now` (non-decreasing), then takes the offer (per phase) and the phases the
  /// socket allows; the EV sees them after its dead time.
  void update(ems::MonoTime now, double offer_a, int phases_allowed);

  /// The EV stops asking (false) or asks for energy again (true).
  void wants_energy(ems::MonoTime now, bool want);
  /// The EV changes the number of phases it uses (cars that switch phases during a session).
  void set_phases(ems::MonoTime now, int phases);

  [[nodiscard]] double current_a() const { return draw_a_; }  ///< per phase drawn
  [[nodiscard]] int phases() const { return draw_a_ > 0 ? drawn_phases_ : 0; }
  /// The EV asks for energy (Mode 3 state C): not full, not told to stop, not given up.
  [[nodiscard]] bool asking() const;
  /// The EV wants energy: asking, or asleep until it is offered current.
  [[nodiscard]] bool wants_charge() const { return wants_ && !full_ && !gave_up_; }
  [[nodiscard]] bool asleep() const { return asleep_; }
  [[nodiscard]] bool full() const { return full_; }
  [[nodiscard]] bool gave_up() const { return gave_up_; }
  [[nodiscard]] int interruptions() const { return interruptions_; }
  [[nodiscard]] double energy_wh() const { return energy_wh_; }
  [[nodiscard]] double soc() const { return p_.soc; }
  [[nodiscard]] const EvParams& params() const { return p_; }
  /// The lowest offer the EV charges with (max of 6 A and start_current_a).
  [[nodiscard]] double minimum_a() const;
  /// What it would draw per phase now with an unlimited offer (own maximum, taper), 0 if not asking.
  [[nodiscard]] double potential_a() const;
  /// Phases it would draw on with `phases_allowed`.
  [[nodiscard]] int phases_for(int phases_allowed, double offer_a) const;
  /// IEC 61851 state with the current offer: "B1", "B2", "C1" or "C2".
  [[nodiscard]] std::string mode3(double offer_a) const;

 private:
  struct Offer {
    ems::MonoTime at{};
    double amps = 0;
    int phases = 0;
  };
  void integrate(ems::MonoTime until);
  void sleep_or_wake();
  void see(const Offer& o);
  [[nodiscard]] double target() const;

  EvParams p_;
  ems::MonoTime t_{};
  std::deque<Offer> pending_;
  double seen_offer_a_ = 0;
  int seen_phases_ = 0;
  double draw_a_ = 0;
  int drawn_phases_ = 0;
  double energy_wh_ = 0;
  bool wants_ = true;
  bool full_ = false;
  bool gave_up_ = false;
  bool asleep_ = false;
  std::optional<ems::MonoTime> paused_since_;  ///< below its minimum while asking, since
  std::optional<ems::MonoTime> wake_at_;       ///< asleep, offered current: asks again then
  int interruptions_ = 0;
  std::vector<ems::MonoTime> recent_interruptions_;
  double last_offer_a_ = -1;
  int last_phases_ = -1;
};

}  // namespace emsgw::drivers::alfen
