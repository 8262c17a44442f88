#include "ems/allocator/bounds.hpp"

#include <algorithm>
#include <cmath>

#include "ems/allocator/phase_switching.hpp"

namespace emsgw::ems::allocator {

void socket_bounds(const StepInputs& in, const Surplus& surplus, std::vector<Session>& sessions,
                   std::vector<SocketWork>& work) {
  const MonoTime now = in.now;
  const double min_a = in.min_a;
  for (std::size_t k = 0; k < in.size(); ++k) {
    auto& w = work[k];
    auto& ses = sessions[k];
    const auto& cfg = in.config(k);
    if (!w.fresh || !w.known) continue;
    if (!w.occupied) {
      w.reason = w.snap->state == ConnectorState::Fault ? Reason::Fault : Reason::NotConnected;
      ses.rotation = Rotation::None;
      continue;
    }
    if (w.mode == ChargeMode::Off) {
      w.reason = Reason::ModeOff;
      ses.rotation = Rotation::None;
      ses.pv_on = false;
      continue;
    }
    if (ses.not_asking) {
      w.reason = Reason::EvNotAsking;
      // A car parked asleep while paused keeps its place among the waiting (judge_not_asking).
      if (!ses.parked_unoffered_at) ses.rotation = Rotation::None;
      continue;
    }
    if (in.index.sockets[k].phase_switching && switch_phases(in, surplus.pv_ok, surplus.ev_w, ses, w)) continue;
    const int phases = loaded_phases(in, k, ses);
    const double own_min_w = min_a * phases * in.volts;
    if (w.mode == ChargeMode::Pv && !pv_start_stop(in, surplus, own_min_w, ses, w)) continue;
    // Socket-level upper bound and the constraint it comes from.
    double upper = cfg.max_current_a;
    Reason own = Reason::SocketMax;
    if (w.snap->limit && w.snap->limit->value() < upper) {
      upper = w.snap->limit->value();
      own = Reason::SocketLimit;
    }
    if (const auto sched = w.snap->schedule.limit_at(now); sched && sched->value() < upper) {
      upper = sched->value();
      own = Reason::Schedule;
    }
    if (w.snap->ev_max_current && w.snap->ev_max_current->value() < upper) {
      upper = w.snap->ev_max_current->value();
      own = Reason::EvMax;
    }
    if (ses.ev_cap_a > 0 && ses.ev_cap_a < upper) {  // learned from an EV drawing clearly less
      upper = ses.ev_cap_a;
      own = Reason::EvMax;
    }
    upper = std::floor(upper + kEps);
    const double minimum = ses.needs_probing_current ? in.probing_a : min_a;
    if (upper < min_a) {
      w.reason = own;  // cannot offer less than the IEC minimum: paused
      continue;
    }
    w.candidate = true;
    w.own = own;
    w.max = upper;
    w.min = std::min(minimum, upper);
    w.probing_fallback_min = w.min;
    w.normal_max = w.max;
    if (ses.probing_until) {
      w.probing = true;
      w.min = w.max = std::min(in.probing_a, upper);
    }
    w.load_count = phases;
    if (phases == 1) {
      w.loads[0] = index(cfg.phase_mapping.first());
    } else if (phases == 2 && two_phase_car(ses)) {
      std::size_t i = 0;
      for (std::size_t j = 0; j < cfg.phase_mapping.count; ++j)
        if (ses.ev_phase_mask & (1U << j)) w.loads[i++] = index(cfg.phase_mapping.grid[j]);
    } else {
      for (std::size_t j = 0; j < cfg.phase_mapping.count; ++j) w.loads[j] = index(cfg.phase_mapping.grid[j]);
    }
    w.surplus_member = w.mode == ChargeMode::Pv || w.mode == ChargeMode::MinPv;
  }
}

}  // namespace emsgw::ems::allocator
