#include "ems/allocator/admission.hpp"

#include <algorithm>

namespace emsgw::ems::allocator {

namespace {

/// What the admitted minimums take so far, per grid phase, per station, per circuit and of the
/// flexible-power limit.
class Room {
 public:
  Room(const StepInputs& in, const Capacity& cap)
      : in_(in),
        cap_(cap),
        station_used_(cap.station_reserved),
        circuit_used_(cap.circuits.size()),
        circuit_used_w_(cap.circuits.size(), 0.0) {}

  /// Whether `m` more fit; on the grid phases `grid_slack` less will do (see at_the_edge in admit).
  [[nodiscard]] bool fits(const SocketWork& w, std::size_t k, double m, double grid_slack = 0) const {
    for (int i = 0; i < w.load_count; ++i)
      if (used_[w.loads[static_cast<std::size_t>(i)]] + m - grid_slack >
          cap_.phase[w.loads[static_cast<std::size_t>(i)]] + kEps)
        return false;
    const auto& ref = in_.index.sockets[k];
    const double watts = m * w.load_count * in_.volts;
    if (flex_used_w_ + watts > cap_.flex_w + kEps) return false;
    for (std::size_t d = 0; d < ref.circuit_count && !cap_.circuits.empty(); ++d) {
      const auto c = ref.circuits[d];
      for (int i = 0; i < w.load_count; ++i) {
        const auto p = w.loads[static_cast<std::size_t>(i)];
        if (circuit_used_[c][p] + m > cap_.circuits[c].phase[p] + kEps) return false;
      }
      if (circuit_used_w_[c] + watts > cap_.circuits[c].power_w + kEps) return false;
    }
    return station_used_[ref.station] + m <= in_.site.stations[ref.station].max_current_a + kEps;
  }

  void take(SocketWork& w, std::size_t k, double m) {
    for (int i = 0; i < w.load_count; ++i) used_[w.loads[static_cast<std::size_t>(i)]] += m;
    const auto& ref = in_.index.sockets[k];
    const double watts = m * w.load_count * in_.volts;
    flex_used_w_ += watts;
    for (std::size_t d = 0; d < ref.circuit_count && !cap_.circuits.empty(); ++d) {
      const auto c = ref.circuits[d];
      for (int i = 0; i < w.load_count; ++i) circuit_used_[c][w.loads[static_cast<std::size_t>(i)]] += m;
      circuit_used_w_[c] += watts;
    }
    station_used_[ref.station] += m;
    w.admitted = true;
  }

  /// Tries the probing current, then the ordinary minimum (the probing EV then charges normally);
  /// `grid_slack` less room will do on the grid phases.
  void try_admit(SocketWork& w, std::size_t k, double grid_slack) {
    if (fits(w, k, w.min, grid_slack)) {
      take(w, k, w.min);
    } else if (w.probing && fits(w, k, w.probing_fallback_min, grid_slack)) {
      keep_at_minimum(w, k);
    }
  }

  /// Admits it at its ordinary minimum (a probing socket then charges normally), fitting or not.
  void keep_at_minimum(SocketWork& w, std::size_t k) {
    if (w.probing) {
      w.probing = false;
      w.min = w.probing_fallback_min;
      w.max = w.normal_max;
    }
    take(w, k, w.min);
  }

 private:
  const StepInputs& in_;
  const Capacity& cap_;
  std::array<double, kPhaseCount> used_{};
  std::vector<double> station_used_;
  std::vector<std::array<double, kPhaseCount>> circuit_used_;
  std::vector<double> circuit_used_w_;
  double flex_used_w_ = 0;
};

/// The order in which the rotation admits: probing first (earliest end of probing), then the
/// unprobed (phases still to be learned, at their minimum); at the end of
/// a period the longest waiting, then those charging (longest pauses served first), then new
/// ones; mid-period those charging (the longest charging last), new ones, then the waiting. Of
/// those charging, a car at risk of giving up (recently interrupted) first. Lowest ids last among
/// equals.
std::vector<std::size_t> rotation_order(const StepInputs& in, const std::vector<std::size_t>& candidates,
                                        const std::vector<SocketWork>& work, const std::vector<Session>& sessions,
                                        bool period_over) {
  const auto id_of = [&](std::size_t k) { return in.index.sockets[k].id; };
  std::vector<std::size_t> probing, learning, active, fresh_ones, waiting;
  for (auto k : candidates) {
    if (work[k].probing)
      probing.push_back(k);
    else if (sessions[k].unprobed)
      learning.push_back(k);
    else if (sessions[k].rotation == Rotation::Active)
      active.push_back(k);
    else if (sessions[k].rotation == Rotation::Waiting)
      waiting.push_back(k);
    else
      fresh_ones.push_back(k);
  }
  std::sort(probing.begin(), probing.end(), [&](auto a, auto b) {
    const auto ta = *sessions[a].probing_until, tb = *sessions[b].probing_until;
    return ta != tb ? ta < tb : id_of(a) > id_of(b);
  });
  std::sort(waiting.begin(), waiting.end(), [&](auto a, auto b) {
    const auto ta = sessions[a].waiting_since.value_or(sessions[a].rotation_since);
    const auto tb = sessions[b].waiting_since.value_or(sessions[b].rotation_since);
    return ta != tb ? ta < tb : id_of(a) > id_of(b);
  });
  // Of those charging, a car left out kInterruptionsAtRisk times in the last kInterruptionWindowS
  // is kept before the others, the most often left out first: many EVs end a session after a few
  // interruptions, and the same car was left out for every newcomer's probing minute (the EV lab:
  // four times in ten minutes, and it gave up).
  const auto since =
      in.now - std::chrono::duration_cast<MonoTime::duration>(std::chrono::duration<double>(kInterruptionWindowS));
  std::vector<int> at_risk(sessions.size(), 0);  // counted once, not in every comparison
  for (auto k : candidates) {
    const int n = sessions[k].interruptions_since(since);
    at_risk[k] = n >= kInterruptionsAtRisk ? n : 0;
  }
  const auto risk = [&](std::size_t k) { return at_risk[k]; };
  // Then those whose current is in force are kept before those whose raise has not gone out yet
  // (pausing those interrupts nobody); lowest ids paused first among equals. So a rotation that
  // starts as a car arrives pauses the newcomer rather than a car that is charging.
  const auto in_force = [&](std::size_t k) { return sessions[k].settled_a >= in.min_a; };
  std::sort(fresh_ones.begin(), fresh_ones.end(), [&](auto a, auto b) {
    if (risk(a) != risk(b)) return risk(a) > risk(b);
    if (in_force(a) != in_force(b)) return in_force(a);
    return id_of(a) > id_of(b);
  });
  // At the end of a period, served longest pauses first; mid-period, when not all who charge fit
  // any longer (a load step, a newcomer's probing, an EV's ramp the meter shows before its station
  // does), the one that has charged longest since its last pause pauses first — not one whose turn
  // just began, even if its current has not gone out yet. Lowest ids first among equals.
  std::sort(active.begin(), active.end(), [&](auto a, auto b) {
    if (risk(a) != risk(b)) return risk(a) > risk(b);
    const auto ta = sessions[a].rotation_since, tb = sessions[b].rotation_since;
    return ta != tb ? ta > tb : id_of(a) > id_of(b);
  });
  std::sort(learning.begin(), learning.end(), [&](auto a, auto b) { return id_of(a) > id_of(b); });
  std::vector<std::size_t> order;
  order.insert(order.end(), probing.begin(), probing.end());
  order.insert(order.end(), learning.begin(), learning.end());
  if (period_over) {
    order.insert(order.end(), waiting.begin(), waiting.end());
    order.insert(order.end(), active.begin(), active.end());
    order.insert(order.end(), fresh_ones.begin(), fresh_ones.end());
  } else {
    // Mid-period: keep who charges; waiting sockets only join where there is room.
    order.insert(order.end(), active.begin(), active.end());
    order.insert(order.end(), fresh_ones.begin(), fresh_ones.end());
    order.insert(order.end(), waiting.begin(), waiting.end());
  }
  return order;
}

/// Why a socket left out waits: Alternating when it would fit alone (next to the reserved
/// sockets), otherwise the limit it does not fit (a circuit's named in w.detail).
void waiting_reason(const StepInputs& in, const Capacity& cap, const std::array<PhaseBudget, kPhaseCount>& phases,
                    SocketWork& w, std::size_t k) {
  Reason why = Reason::Alternating;
  const std::string* detail = nullptr;
  const double m = w.probing_fallback_min;
  for (int i = 0; i < w.load_count; ++i) {
    const auto p = w.loads[static_cast<std::size_t>(i)];
    if (m > cap.phase[p] + kEps) {
      why = phases[p].bound_by;
      detail = cap.phase_words[p];
    }
  }
  const auto& ref = in.index.sockets[k];
  if (why == Reason::Alternating &&
      cap.station_reserved[ref.station] + m > in.site.stations[ref.station].max_current_a + kEps)
    why = Reason::StationMax;
  const double watts = m * w.load_count * in.volts;
  for (std::size_t d = 0; d < ref.circuit_count && why == Reason::Alternating && !cap.circuits.empty(); ++d) {
    const auto c = ref.circuits[d];
    for (int i = 0; i < w.load_count && why == Reason::Alternating; ++i) {
      const auto p = w.loads[static_cast<std::size_t>(i)];
      if (m > cap.circuits[c].phase[p] + kEps) {
        const auto* window = cap.circuits[c].phase_words[p];
        why = window != nullptr ? Reason::Schedule : circuit_reason(p);
        detail = window != nullptr ? window : &in.index.circuits[c].phase_words[p];
      }
    }
    if (why == Reason::Alternating && watts > cap.circuits[c].power_w + kEps) {
      const auto* window = cap.circuits[c].power_words;
      why = window != nullptr ? Reason::Schedule : Reason::CircuitPower;
      detail = window != nullptr ? window : &in.index.circuits[c].power_words;
    }
  }
  if (why == Reason::Alternating && watts > cap.flex_w + kEps) {
    why = cap.flex_reason;
    detail = cap.flex_words;
  }
  w.reason = why;
  w.detail = detail;
}

}  // namespace

void admit(const StepInputs& in, const Capacity& cap, const std::array<PhaseBudget, kPhaseCount>& phases,
           std::vector<Session>& sessions, std::optional<MonoTime>& rotation_until, std::vector<SocketWork>& work) {
  const MonoTime now = in.now;
  std::vector<std::size_t> candidates;
  for (std::size_t k = 0; k < work.size(); ++k)
    if (work[k].candidate) candidates.push_back(k);
  // An exact fit is a fit (kFitToleranceA): after a household step that leaves room for exactly
  // the cars' minimums, the estimate's ramp tail kept a paused car waiting 30 s in the EV lab. Only
  // while the grid meter's own newest reading shows every phase the socket loads within its limit
  // (a lack the grid shows is real), and not for a probing current: it pauses others, their ramps
  // read as household for a moment, the probing current no longer fits, and the others resume,
  // again and again (the EV lab: a socket switched every 4 s for half a minute).
  // Whether the grid meter's own newest reading shows every grid phase `w` loads within its limit
  // (the margin included) with `more` amperes added on each.
  const auto grid_shows_room = [&](const SocketWork& w, double more) {
    if (!in.snap.grid.valid || !in.snap.grid.measured) return false;
    for (int i = 0; i < w.load_count; ++i) {
      const auto p = w.loads[static_cast<std::size_t>(i)];
      if ((*in.snap.grid.measured)[p].value() + more > phases[p].limit.value() + kEps) return false;
    }
    return true;
  };
  const double exact = std::min(kFitToleranceA, in.site.safety_margin_a / 10);
  const double edge = std::min(kEdgeToleranceA, in.site.safety_margin_a / 2);
  // A probing current already in force is kept like any minimum at the edge (at_the_edge below):
  // the car's ramp up to it reads as household for a moment, and cut back to its ordinary minimum
  // it was probed again a second later, pausing the others each time (the EV lab: a car paused
  // three times in 42 s gave up). A lack the grid shows, or more than the edge, cuts it at once.
  const auto exact_fit_slack = [&](const SocketWork& w, const Session& ses) {
    if (w.probing) return ses.settled_a >= w.min - kEps && edge > 0 && grid_shows_room(w, 0) ? edge : 0.0;
    return exact > 0 && grid_shows_room(w, 0) ? exact : 0.0;
  };
  Room everyone(in, cap);
  bool all_fit = true;
  for (auto k : candidates) {
    if (!everyone.fits(work[k], k, work[k].min, exact_fit_slack(work[k], sessions[k]))) {
      all_fit = false;
      break;
    }
    everyone.take(work[k], k, work[k].min);
  }
  if (all_fit) {
    // A car parked asleep in its pause still waits for its turn (judge_not_asking): the rotation
    // goes on, so that the turn it takes goes to the car that has charged longest — not always
    // to the lowest id, while a higher one never pauses.
    const bool asleep_waiting =
        std::any_of(sessions.begin(), sessions.end(), [](const Session& ses) { return ses.parked_asleep_waiting(); });
    if (!asleep_waiting) rotation_until.reset();
    for (auto k : candidates) {
      auto& ses = sessions[k];
      if (!asleep_waiting) {
        ses.rotation = Rotation::None;
      } else if (ses.rotation != Rotation::Active) {
        ses.rotation = Rotation::Active;
        ses.rotation_since = now;
      }
    }
    return;
  }
  for (auto k : candidates) work[k].admitted = false;
  const bool period_over = !rotation_until || now >= *rotation_until;
  Room room(in, cap);
  const auto order = rotation_order(in, candidates, work, sessions, period_over);
  // A socket at its minimum that lacks a little room is not paused while the grid meter's own
  // newest reading keeps every phase it loads within its limit (the margin included), nor left out
  // while that reading has room for its minimum beside the others: the non-EV estimate is
  // conservative, and an exact fit (a 14 A probing car and a 6 A minimum in a 20 A budget) is
  // otherwise lost to a car's ramp tail or a tenth of an ampere of meter noise, and the car paused
  // and resumed again and again. Only a lack of at most kEdgeToleranceA (and half the safety
  // margin) on the grid phases, none at a circuit, the station or a power limit, and never for a
  // car the rotation paused less than a period ago (it rejoins with kResumeMarginA); a larger lack,
  // or one the grid shows, pauses it at once (design.md §2.1, §3).
  const auto at_the_edge = [&](std::size_t k) {
    const auto& w = work[k];
    const auto& ses = sessions[k];
    const double m = w.probing ? w.probing_fallback_min : w.min;  // a probing socket keeps its ordinary minimum
    const bool recently_paused = ses.paused_at && seconds(now - *ses.paused_at) < in.site.alternating_period_s;
    if ((ses.rotation == Rotation::Waiting && recently_paused) || edge <= 0) return false;
    // Its minimum in force is in the reading; one not yet out must fit beside it.
    return grid_shows_room(w, ses.settled_a >= m ? 0.0 : m) && room.fits(w, k, m, edge);
  };
  // A socket admitted at the last step whose minimum is not out yet (its raise waits for the cuts
  // made for it) is not dropped for a lack of room on its grid phases while a cut on one of them
  // is in flight (unconfirmed, younger than the EV response time): a car ramping down between two
  // samples is set against its lower one, so the household reads high until the ramp is done, and
  // the socket was dropped and admitted again, over and over, without ever getting current (the EV
  // lab: a fitting car waited 500 s). Nothing is raised by it: the ramping stage holds its raise
  // until the cuts show, and then the ordinary test decides. Station, circuit and power limits
  // must still fit (design.md §2.3).
  std::array<bool, kPhaseCount> cut_in_flight{};
  for (std::size_t j = 0; j < work.size(); ++j) {
    const auto& cut = sessions[j].cut_at;
    if (!cut || seconds(now - *cut) >= in.site.ev_response_time_s) continue;
    for (int b = 0; b < work[j].load_count; ++b) cut_in_flight[work[j].loads[static_cast<std::size_t>(b)]] = true;
  }
  const auto cut_on_its_phases = [&](const SocketWork& w) {
    bool in_flight = false;
    for (int a = 0; a < w.load_count; ++a) in_flight = in_flight || cut_in_flight[w.loads[static_cast<std::size_t>(a)]];
    return in_flight;
  };
  const auto awaiting_cuts = [&](std::size_t k) {
    const auto& w = work[k];
    const auto& ses = sessions[k];
    const double m = w.probing ? w.probing_fallback_min : w.min;
    if (ses.setpoint_a < m || ses.settled_a >= m || ses.rotation == Rotation::Waiting) return false;
    return cut_on_its_phases(w) && room.fits(w, k, m, kInf);
  };
  // A socket whose minimum is in force is not paused for a lack of room on its grid phases while a
  // cut on one of them is unconfirmed and the grid meter's own newest reading shows every phase it
  // loads within its limit: the non-EV load is grid − stations, and while cars ramp down between
  // two station samples (a rotation's hand-over, a household step's cuts) it reads up to an ampere
  // high per car; the EV lab's six-socket rotation paused a fourth car on it at every boundary
  // (three charged instead of four, Jain 0.93). Holding it adds no current (it stays at or below
  // what is in force), every raise waits while one is held (held_for_cuts), and once the cuts show
  // the ordinary test decides on the settled estimate. Station, circuit and power limits must fit
  // (design.md §2.1, §2.3).
  const auto held_through_cuts = [&](std::size_t k) {
    const auto& w = work[k];
    const auto& ses = sessions[k];
    const double m = w.probing ? w.probing_fallback_min : w.min;
    if (ses.rotation == Rotation::Waiting || ses.settled_a < m || ses.setpoint_a < m) return false;
    return cut_on_its_phases(w) && grid_shows_room(w, 0) && room.fits(w, k, m, kInf);
  };

  // What every candidate's minimum takes on each grid phase. A socket whose phases have room for
  // every minimum on them is not what the rotation is about: it waits only because a phase it does
  // not load is short (a 1-phase car on L2 beside a 14 A car short of room on L1).
  std::array<double, kPhaseCount> minimums{};
  for (auto k : candidates)
    for (int i = 0; i < work[k].load_count; ++i) minimums[work[k].loads[static_cast<std::size_t>(i)]] += work[k].min;
  const auto uncontended = [&](const SocketWork& w) {
    for (int i = 0; i < w.load_count; ++i) {
      const auto p = w.loads[static_cast<std::size_t>(i)];
      if (minimums[p] > cap.phase[p] + kEps) return false;
    }
    return true;
  };
  bool anyone = false;
  for (auto k : order) {
    // Mid-period a waiting socket that was paused while charging less than a period ago joins
    // beside others only where the probing current (what an EV may need to start again) fits, and
    // at least its minimum with kResumeMarginA to spare: no resume that the next small load change
    // would undo. (Relaxed for all cars seen charging below the probing current, more resumes were
    // undone at the period's end: the EV lab's rotation of eight cars lost 16 % utilisation.) A car
    // seen charging below the probing current whose phases are uncontended needs only its minimum
    // with the margin: nobody on its phases waits for it (the EV lab: a 1-phase car on L2 waited
    // 215 s while a 14 A car and three 3-phase cars took turns on L1). With nobody charging, its
    // minimum will do: never are all paused while a minimum fits.
    const auto& ses = sessions[k];
    const bool recently_paused = ses.paused_at && seconds(now - *ses.paused_at) < in.site.alternating_period_s;
    const double to_start = ses.drew_below_probing && uncontended(work[k]) ? 0.0 : in.probing_a;
    if (anyone && !period_over && ses.rotation == Rotation::Waiting && !work[k].probing && recently_paused &&
        !room.fits(work[k], k, std::max(work[k].min + kResumeMarginA, to_start)))
      continue;
    room.try_admit(work[k], k, exact_fit_slack(work[k], ses));
    if (!work[k].admitted && (at_the_edge(k) || awaiting_cuts(k))) {
      room.keep_at_minimum(work[k], k);
    } else if (!work[k].admitted && held_through_cuts(k)) {
      room.keep_at_minimum(work[k], k);
      work[k].held_for_cuts = true;
    }
    anyone = anyone || work[k].admitted;
  }
  if (period_over) rotation_until = after(now, in.site.alternating_period_s);
  // A socket left out for another car's probing phase (or for a car whose phases are being learned)
  // is not paused by the rotation: it rejoins as soon as its minimum fits again.
  const bool probing_admitted = std::any_of(candidates.begin(), candidates.end(), [&](auto k) {
    return (work[k].probing || sessions[k].unprobed) && work[k].admitted;
  });
  for (auto k : candidates) {
    auto& ses = sessions[k];
    auto& w = work[k];
    auto state = w.admitted ? Rotation::Active : Rotation::Waiting;
    // Left out mid-period before its current went out (a budget dip while cuts settle): it keeps
    // its turn and is admitted again, before the waiting ones, as soon as its minimum fits.
    if (!w.admitted && !period_over && ses.rotation == Rotation::Active && ses.settled_a < in.min_a)
      state = Rotation::Active;
    const bool drawing = w.max_measured >= kDrawThresholdA;
    if (ses.rotation != state) {
      if (state == Rotation::Waiting && ses.settled_a >= in.min_a) {
        if (!probing_admitted) ses.paused_at = now;
        if (drawing) {
          std::erase_if(ses.interrupted_at, [&](MonoTime t) { return seconds(now - t) >= kInterruptionWindowS; });
          ses.interrupted_at.push_back(now);
        }
      }
      // A turn in which the car never drew (offered its 6 A, it turned out to need 14 A to start)
      // does not end its wait: it keeps its place among the waiting, not behind those who charged
      // meanwhile (the EV lab: such a car waited 3378 s while 1-phase cars took their turns).
      const bool turn_gave_nothing = ses.rotation == Rotation::Active && !ses.drew_in_turn && !drawing;
      if (state == Rotation::Waiting && !(turn_gave_nothing && ses.waiting_since)) ses.waiting_since = now;
      if (state == Rotation::Active) ses.drew_in_turn = false;
      ses.rotation = state;
      ses.rotation_since = now;
    }
    if (ses.rotation == Rotation::Active && drawing) ses.drew_in_turn = true;
    if (w.admitted) continue;
    waiting_reason(in, cap, phases, w, k);
    if (w.reason == Reason::Alternating) w.until = rotation_until;
  }
}

}  // namespace emsgw::ems::allocator
