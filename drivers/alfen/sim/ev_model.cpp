#include "drivers/alfen/sim/ev_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace emsgw::drivers::alfen {

namespace {
constexpr double kPwmMinimumA = 6.0;  // IEC 61851: no PWM below 6 A
constexpr double kSettledA = 0.05;    // a draw this close to zero is zero
/// Longest integration slice: the taper limit follows the state of charge at this pace.
constexpr double kMaxSliceS = 1.0;

double secs(ems::MonoTime::duration d) {
  return std::chrono::duration<double>(d).count();
}
ems::MonoTime::duration dur(double s) {
  return std::chrono::duration_cast<ems::MonoTime::duration>(std::chrono::duration<double>(s));
}
}  // namespace

EvModel::EvModel(EvParams params, ems::MonoTime now) : p_(params), t_(now) {
  p_.phases = std::clamp(p_.phases, 1, 3);
  p_.soc = std::clamp(p_.soc, 0.0, 1.0);
  full_ = p_.battery_kwh > 0 && p_.soc >= 1.0;
}

double EvModel::minimum_a() const {
  return std::max(kPwmMinimumA, p_.start_current_a);
}

bool EvModel::asking() const {
  return wants_charge() && !asleep_;
}

void EvModel::sleep_or_wake() {
  if (p_.sleep_after_s <= 0 || !wants_charge()) {
    paused_since_.reset();
    wake_at_.reset();
    return;
  }
  const bool usable = seen_offer_a_ >= minimum_a() && seen_phases_ > 0;
  if (!asleep_) {
    if (usable || draw_a_ > 0) {
      paused_since_.reset();
    } else if (!paused_since_) {
      paused_since_ = t_;
    } else if (secs(t_ - *paused_since_) >= p_.sleep_after_s) {
      asleep_ = true;
      paused_since_.reset();
    }
  } else if (!usable) {
    wake_at_.reset();
  } else if (!wake_at_) {
    wake_at_ = t_ + dur(p_.wake_s);
  } else if (t_ >= *wake_at_) {
    asleep_ = false;
    wake_at_.reset();
  }
}

double EvModel::potential_a() const {
  if (!asking()) return 0;
  double own = p_.max_current_a;
  if (p_.battery_kwh > 0 && p_.soc > p_.taper_from_soc && p_.taper_from_soc < 1.0) {
    const double left = (1.0 - p_.soc) / (1.0 - p_.taper_from_soc);
    own = std::max(1.0, p_.max_current_a * left);
  }
  return std::max(0.0, own - p_.draw_offset_a);
}

int EvModel::phases_for(int phases_allowed, double offer_a) const {
  int n = std::min(p_.phases, std::max(0, phases_allowed));
  if (p_.one_phase_below_a > 0 && offer_a < p_.one_phase_below_a) n = std::min(n, 1);
  return n;
}

double EvModel::target() const {
  if (!asking() || seen_offer_a_ < minimum_a() || seen_phases_ <= 0) return 0;
  const double own = potential_a() + p_.draw_offset_a;
  return std::max(0.0, std::min(seen_offer_a_, own) - p_.draw_offset_a);
}

void EvModel::see(const Offer& o) {
  // An interruption: the offer falls below what the EV needs while it asks and draws.
  if (asking() && draw_a_ >= 1.0 && o.amps < minimum_a() && seen_offer_a_ >= minimum_a()) {
    ++interruptions_;
    recent_interruptions_.push_back(o.at);
    const auto from = o.at - dur(p_.give_up_window_s);
    std::erase_if(recent_interruptions_, [&](ems::MonoTime t) { return t < from; });
    if (p_.give_up_after > 0 && static_cast<int>(recent_interruptions_.size()) >= p_.give_up_after) gave_up_ = true;
  }
  seen_offer_a_ = o.amps;
  seen_phases_ = phases_for(o.phases, o.amps);
}

void EvModel::integrate(ems::MonoTime until) {
  while (t_ < until) {
    ems::MonoTime end = until;
    if (!pending_.empty() && pending_.front().at < end) end = pending_.front().at;
    end = std::min(end, t_ + dur(kMaxSliceS));
    const double dt = secs(end - t_);
    if (dt > 0) {
      const double goal = target();
      const double tau = std::max(1e-3, goal >= draw_a_ ? p_.tau_up_s : p_.tau_down_s);
      const double decay = std::exp(-dt / tau);
      // Exact mean of the first-order response over the slice, for the energy.
      const double mean = goal + (draw_a_ - goal) * tau * (1 - decay) / dt;
      const int phases = draw_a_ > 0 || goal > 0 ? seen_phases_ : 0;
      const double wh = mean * phases * p_.voltage_v * dt / 3600.0;
      energy_wh_ += wh;
      if (p_.battery_kwh > 0) {
        p_.soc = std::min(1.0, p_.soc + wh / (p_.battery_kwh * 1000.0));
        if (p_.soc >= 1.0) full_ = true;
      }
      draw_a_ = goal + (draw_a_ - goal) * decay;
      if (goal == 0 && draw_a_ < kSettledA) draw_a_ = 0;
      drawn_phases_ = phases;
    }
    t_ = end;
    while (!pending_.empty() && pending_.front().at <= t_) {
      see(pending_.front());
      pending_.pop_front();
    }
    sleep_or_wake();
  }
}

void EvModel::update(ems::MonoTime now, double offer_a, int phases_allowed) {
  if (now > t_) integrate(now);
  if (offer_a != last_offer_a_ || phases_allowed != last_phases_) {
    last_offer_a_ = offer_a;
    last_phases_ = phases_allowed;
    pending_.push_back({t_ + dur(p_.dead_time_s), offer_a, phases_allowed});
    if (p_.dead_time_s <= 0) integrate(t_);
  }
}

void EvModel::wants_energy(ems::MonoTime now, bool want) {
  if (now > t_) integrate(now);
  wants_ = want;
  asleep_ = false;      // plugged in again, or told to charge: awake
  if (want && full_) {  // a full battery asks again (climate, or the level dropped)
    full_ = false;
    p_.soc = std::min(p_.soc, p_.taper_from_soc);
  }
}

void EvModel::set_phases(ems::MonoTime now, int phases) {
  if (now > t_) integrate(now);
  p_.phases = std::clamp(phases, 1, 3);
  seen_phases_ = phases_for(last_phases_ < 0 ? 3 : last_phases_, seen_offer_a_);
}

std::string EvModel::mode3(double offer_a) const {
  const bool pwm = offer_a >= kPwmMinimumA;
  if (asking() || draw_a_ > 0) return pwm ? "C2" : "C1";
  return pwm ? "B2" : "B1";
}

}  // namespace emsgw::drivers::alfen
