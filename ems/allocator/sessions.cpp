#include "ems/allocator/sessions.hpp"

#include <algorithm>
#include <cmath>

namespace emsgw::ems::allocator {

namespace {

/// What a session hands on to the next one: what the station is set to, not what the EV taught.
Session carried_over(const Session& ses) {
  Session next;
  next.setpoint_a = ses.setpoint_a;
  next.phases_set = ses.phases_set;
  next.last_switch_at = ses.last_switch_at;
  next.cut_at = ses.cut_at;
  next.settled_a = ses.settled_a;
  return next;
}

/// EV phase use: told, or detected from the measured currents and remembered for the session.
void detect_ev_phases(const SocketConfig& cfg, const SocketSnapshot& s, double max_measured, Session& ses) {
  if (cfg.phase_mapping.count == 1) {
    ses.ev_phases = 1;
  } else if (s.ev_phases && (*s.ev_phases == 1 || *s.ev_phases == 3)) {
    ses.ev_phases = *s.ev_phases;
    ses.ev_phase_mask = 0;  // told by the station: its count, on the mapping's phases
  } else if (max_measured >= 2 * kDrawThresholdA) {
    int used = 0;
    for (std::size_t j = 0; j < cfg.phase_mapping.count; ++j)
      if (s.current[j].value() >= std::max(kDrawThresholdA, kPhaseShare * max_measured)) {
        ++used;
        ses.ev_phase_mask |= 1U << j;  // never forgotten in the session: counted on every phase seen
      }
    ses.ev_phases = std::max(ses.ev_phases, used >= 2 ? 3 : 1);
  }
}

/// An EV that draws nothing when offered less than the probing current needs the probing current
/// (guide §3.2). One that drew while probing is judged once the low offer has been in force for the
/// EV response time (IEC 61851: time enough to follow a lower limit; a car that follows ramps to the
/// offer and never through zero) and it draws nothing; one that only asks for current (state C) after
/// a whole probing time without a draw; a full battery (state B, never drew) is not flagged.
void judge_probing_need(const StepInputs& in, const SocketSnapshot& s, double max_measured, Session& ses) {
  const auto& site = in.site;
  const bool low_offer = ses.settled_a >= in.min_a && ses.settled_a < in.probing_a;
  const bool asks = s.state == ConnectorState::Charging;
  const bool drawing = max_measured >= kDrawThresholdA;
  // Drew steadily (not only while ramping down from a higher offer) while offered less than the
  // probing current: this EV does not need it.
  if (!ses.probing_until && low_offer && drawing) {
    if (!ses.below_probing_draw_since) ses.below_probing_draw_since = in.now;
    if (seconds(in.now - *ses.below_probing_draw_since) >= 2 * site.ev_response_time_s) ses.drew_below_probing = true;
  } else {
    ses.below_probing_draw_since.reset();
  }
  const bool judged = !ses.probing_until && low_offer && !ses.drew_below_probing;
  // A car that drew at its probing current after its window (held back by another car's probing
  // minute until its own was nearly over) and stops at the low offer while it asks is judged the
  // same way (the EV lab: a car that needs 14 A drew one second of its minute and waited 65 s).
  if (judged && (ses.drew_while_probing || (ses.drew_at_probing_current && asks))) {
    // The low offer in force since (a draw does not restart it: the car ramps down through it).
    if (!ses.low_offer_since) ses.low_offer_since = in.now;
    if (!drawing && seconds(in.now - *ses.low_offer_since) >= site.ev_response_time_s) ses.needs_probing_current = true;
  } else if (judged && (asks || ses.probe_owed) && !drawing) {
    // Drawing nothing at the low offer since. A car whose probing minute could not offer it the
    // probing current (no room for it then) and that never drew is judged so even while it does
    // not ask: some cars fall asleep (B1) and wake only to an offer they can use (the EV lab: a car
    // that needs 14 A, offered 6–9 A at every turn, waited 3378 s). A car that has its probe
    // later and still does not ask is done, and parked (judge_not_asking).
    if (!ses.low_offer_since) ses.low_offer_since = in.now;
    if (seconds(in.now - *ses.low_offer_since) >= std::max(2 * site.ev_response_time_s, site.probing_time_s))
      ses.needs_probing_current = true;
  } else {
    ses.low_offer_since.reset();
  }
}

/// A connected EV that draws nothing and does not ask (Mode 3 B) although offered what it needs
/// is full or done: after ev_response_time_s it is parked at 0 A (its share goes to the others)
/// until it asks again (C1/C2) or draws.
void judge_not_asking(const StepInputs& in, const SocketSnapshot& s, double max_measured, Session& ses) {
  const bool drawing = max_measured >= kDrawThresholdA;
  const bool paused = ses.settled_a < in.min_a;
  if (s.state == ConnectorState::Charging || drawing) {
    // Parked and asking again of its own accord: it was done, not asleep, and queues afresh.
    if (ses.parked_asleep_waiting()) ses.rotation = Rotation::None;
    ses.not_asking = false;
    ses.not_asking_since.reset();
    ses.parked_unoffered_at.reset();
    // Asking while paused (Mode 3 C1): a later B is the car saying it wants no more.
    ses.asked_while_paused = paused && s.state == ConnectorState::Charging && !drawing;
    if (s.state == ConnectorState::Charging && drawing) ses.drew_asking_at = in.now;
    return;
  }
  const double own_minimum = ses.needs_probing_current ? in.probing_a : in.min_a;
  const bool offered_enough = ses.settled_a >= own_minimum &&
                              (ses.settled_a >= in.probing_a || ses.drew_below_probing || ses.needs_probing_current);
  // A car that asked while paused (C1) and no longer does (B) is done too, offered or not: it
  // would otherwise hold its place in the rotation until its turn showed it (the EV lab: a car
  // that fitted waited 146 s beside one that no longer asked). Some cars fall asleep in B1 and
  // wake only to current: parked without ever being offered any, it keeps its place in the
  // rotation and rejoins when its turn comes, one alternating period after its pause (or after
  // it was parked, outside a rotation), to be offered current (then parked only if it takes none).
  // Counted from when it was parked, a car asleep 300 s into its pause waited 2117 s (EV lab).
  const bool stopped_asking = paused && ses.asked_while_paused;
  const auto turn_from = [&] {
    return ses.rotation == Rotation::Waiting ? std::min(ses.rotation_since, *ses.parked_unoffered_at)
                                             : *ses.parked_unoffered_at;
  };
  if (ses.not_asking && ses.parked_unoffered_at && seconds(in.now - turn_from()) > in.site.alternating_period_s) {
    ses.not_asking = false;
    ses.not_asking_since.reset();
    ses.parked_unoffered_at.reset();
    ses.asked_while_paused = false;
    return;
  }
  if (ses.not_asking || ses.probing_until || !(offered_enough || stopped_asking)) {
    if (!ses.not_asking) ses.not_asking_since.reset();
    return;
  }
  if (!ses.not_asking_since) ses.not_asking_since = in.now;
  // A car that drew while asking until its draw faded (within the EV response time of its last
  // draw) stopped of its own accord (Mode 3 C2 → B: full or done): its share goes to the others
  // after kDoneConfirmS, not the EV response time later (the EV lab: a car whose minimum fitted
  // waited 12.7 s beside a full one). One that has not asked yet may still ask for its offer.
  const bool stopped_drawing =
      ses.drew_asking_at && seconds(*ses.not_asking_since - *ses.drew_asking_at) <= in.site.ev_response_time_s;
  const double confirm_s =
      stopped_drawing ? std::min(kDoneConfirmS, in.site.ev_response_time_s) : in.site.ev_response_time_s;
  if (seconds(in.now - *ses.not_asking_since) >= confirm_s) {
    ses.not_asking = true;
    if (!offered_enough) ses.parked_unoffered_at = in.now;
  }
}

/// An EV that draws clearly less than offered (its own charger, taper) gets a learned limit just
/// above its draw, and the rest goes to others: judged on a steady draw (within kSteadyDrawA over
/// at least kLearnSamples steps and kLearnConfirmFactor × the EV response time; a draw that moves
/// restarts it). A draw up to the learned limit lifts it (the EV may take more). For a car that
/// needs the probing current (guide §3.2) the limit is never below it.
void learn_ev_limit(const StepInputs& in, const SocketSnapshot& s, double max_measured, Session& ses) {
  const bool drawing = max_measured >= kDrawThresholdA;
  // A car that drew what its own charger takes at a higher offer and stops altogether when its
  // learned limit below the probing current comes into force (while it still asks) needs the
  // probing current: at once, or it is offered the higher current again when the limit is
  // forgotten, draws, is limited, stops — every ~20 s.
  if (ses.ev_cap_a > 0 && !drawing && s.state == ConnectorState::Charging && ses.ev_cap_a < in.probing_a &&
      ses.settled_a == ses.ev_cap_a && !ses.drew_below_probing)
    ses.needs_probing_current = true;
  if (ses.ev_cap_a > 0 && (!drawing || max_measured >= ses.ev_cap_a - kEvCapLiftA)) ses.ev_cap_a = 0;
  const bool under =
      !ses.probing_until && drawing && ses.settled_a >= in.min_a && max_measured < ses.settled_a - kUnusedA;
  if (!under) {
    ses.under_draw_since.reset();
    return;
  }
  if (ses.under_draw_since &&
      (std::max(ses.under_draw_high, max_measured) - std::min(ses.under_draw_low, max_measured) > kSteadyDrawA))
    ses.under_draw_since.reset();
  if (!ses.under_draw_since) {
    ses.under_draw_since = in.now;
    ses.under_draw_low = ses.under_draw_high = max_measured;
    ses.under_draw_samples = 0;
  }
  ses.under_draw_low = std::min(ses.under_draw_low, max_measured);
  ses.under_draw_high = std::max(ses.under_draw_high, max_measured);
  ++ses.under_draw_samples;
  if (ses.under_draw_samples >= kLearnSamples &&
      seconds(in.now - *ses.under_draw_since) >= kLearnConfirmFactor * in.site.ev_response_time_s) {
    const double floor_a = ses.needs_probing_current ? std::max(in.min_a, in.probing_a) : in.min_a;
    ses.ev_cap_a = static_cast<int>(std::max(floor_a, std::ceil(ses.under_draw_high + kEvCapHeadroomA - kEps)));
    ses.under_draw_since.reset();
  }
}

}  // namespace

std::vector<SocketWork> track_sessions(const StepInputs& in, std::vector<Session>& sessions, Allocation& out) {
  const auto& site = in.site;
  const MonoTime now = in.now;
  const std::size_t n = in.size();
  std::vector<SocketWork> work(n);
  for (const auto& s : in.snap.sockets) {
    const int k = in.index.find(s.id);
    if (k >= 0) work[static_cast<std::size_t>(k)].snap = &s;
  }

  for (std::size_t k = 0; k < n; ++k) {
    auto& w = work[k];
    auto& ses = sessions[k];
    const auto& cfg = in.config(k);
    const SocketSnapshot* s = w.snap;
    w.mode = s && s->mode ? *s->mode : cfg.mode;
    w.fresh = s && s->reachable && s->measured_valid && seconds(now - s->measured_at) <= site.station_stale_after_s;
    if (w.fresh) {
      for (std::size_t j = 0; j < kPhaseCount; ++j) {
        const double a = s->current[j].value();
        if (!std::isfinite(a) || a < -kConfirmToleranceA || a > kPlausibleSocketA) w.fresh = false;
        if (j < cfg.phase_mapping.count) w.max_measured = std::max(w.max_measured, a);
      }
    }
    if (!w.fresh) {
      add_degraded(out, Degradation::StationStale);
      continue;
    }
    w.known = s->state != ConnectorState::Unknown;
    if (!w.known) {
      add_degraded(out, Degradation::SocketStateUnknown);
      continue;
    }
    w.occupied = s->state == ConnectorState::Connected || s->state == ConnectorState::Charging;
    const bool session_began = w.occupied && !ses.occupied;
    if (session_began) {
      // A new session: forget what the previous EV taught us; keep what the station is set to.
      Session fresh_session = carried_over(ses);
      if (ses.seen_free && site.probing_time_s > 0) fresh_session.probing_until = after(now, site.probing_time_s);
      fresh_session.seen_free = ses.seen_free;
      ses = fresh_session;
    } else if (!w.occupied && ses.occupied) {
      ses = carried_over(ses);
    }
    if (s->state == ConnectorState::Available) ses.seen_free = true;
    ses.occupied = w.occupied;
    if (!w.occupied) continue;
    const bool probing_ended = ses.probing_until && now >= *ses.probing_until;
    if (probing_ended) ses.probing_until.reset();
    detect_ev_phases(cfg, *s, w.max_measured, ses);
    // Its probing window passed and it never drew (another car probed, three plugged in together),
    // or it has no window (plugged in before emsgw started or its station was first seen) and does
    // not draw: its phases are unknown and counted on all three, so it might wait a whole
    // alternating period although its own phase has room. It is admitted before the others at its
    // minimum until it has drawn (its phases learned) or stood at its minimum for twice the EV
    // response time without.
    const bool window_gone = probing_ended || (session_began && !ses.probing_until);
    if (window_gone && ses.ev_phases == 0 && !ses.drew_while_probing && w.max_measured < kDrawThresholdA)
      ses.unprobed = true;
    if (ses.unprobed && ses.settled_a >= in.min_a) {
      if (!ses.in_force_since) ses.in_force_since = now;
    } else {
      ses.in_force_since.reset();
    }
    if (ses.ev_phases != 0 || w.max_measured >= kDrawThresholdA ||
        (ses.in_force_since && seconds(now - *ses.in_force_since) >= 2 * site.ev_response_time_s))
      ses.unprobed = false;
    if (probing_ended && !ses.drew_while_probing && !ses.probing_offer_at) ses.probe_owed = true;
    if (w.max_measured >= kDrawThresholdA) ses.probe_owed = false;
    if (ses.probing_until && w.max_measured >= kDrawThresholdA) ses.drew_while_probing = true;
    // Drew while its probing current was in force, or within the EV response time after (the
    // station samples the car's start a moment after the offer that made it).
    if (ses.settled_a >= in.probing_a) ses.probing_offer_at = now;
    if (!ses.drew_below_probing && w.max_measured >= kDrawThresholdA && ses.probing_offer_at &&
        seconds(now - *ses.probing_offer_at) <= site.ev_response_time_s)
      ses.drew_at_probing_current = true;
    judge_probing_need(in, *s, w.max_measured, ses);
    judge_not_asking(in, *s, w.max_measured, ses);
    learn_ev_limit(in, *s, w.max_measured, ses);
  }
  return work;
}

}  // namespace emsgw::ems::allocator
