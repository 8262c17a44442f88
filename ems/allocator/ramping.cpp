#include "ems/allocator/ramping.hpp"

#include <algorithm>

namespace emsgw::ems::allocator {

std::vector<SocketAllocation> ramp(const StepInputs& in, const std::vector<SocketWork>& work,
                                   std::vector<Session>& sessions) {
  const auto& site = in.site;
  const MonoTime now = in.now;
  const std::size_t n = in.size();
  std::vector<SocketAllocation> allocs(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto& w = work[k];
    auto& ses = sessions[k];
    auto& a = allocs[k];
    const auto& ref = in.index.sockets[k];
    a.id = ref.id;
    a.phases = ref.phase_switching ? ses.phases_set : in.config(k).phase_mapping.count;
    a.reason = w.reason;
    if (w.detail) a.detail = *w.detail;
    a.other_socket = w.other_socket;
    a.other_minimum_a = w.other_minimum_a;
    a.shared_bound = w.shared_bound;
    a.shared_detail = w.shared_detail;
    a.until = w.until;
    a.current_a = w.value;
    for (int i = 0; i < w.load_count; ++i) a.grid_phases[w.loads[static_cast<std::size_t>(i)]] = true;
    if (!w.fresh || !w.known) continue;  // keep reserving what it was last told
    const int prev = ses.setpoint_a;
    if (w.admitted && prev >= w.min && a.current_a > prev && a.current_a - prev < site.raise_deadband_a - kEps) {
      a.current_a = prev;
      a.held_by_deadband = true;
    }
    if (prev >= 0 && a.current_a < prev) ses.cut_at = now;
    ses.setpoint_a = a.current_a;
  }
  // A rise of the EVs the non-EV load takes on trust (their stations have not reported it) holds
  // raises like an unconfirmed cut: a household step may hide in it — on the grid phases that
  // rose. A raise that loads none of them and answers to no power budget (all phases together: a
  // flexible limit, PV surplus, a circuit's or a schedule's power limit) has nothing hidden from
  // it: it need not wait (the EV lab: a car that fitted waited 7 s for another's ramp on L3).
  const bool rise = in.snap.ev_rise_unconfirmed();
  const bool power_budget = rise && (in.snap.flex_limit.has_value() ||
                                     std::any_of(in.snap.node_limits.begin(), in.snap.node_limits.end(),
                                                 [](const NodeLimit& l) { return l.power.has_value(); }) ||
                                     std::any_of(in.site.circuits.begin(), in.site.circuits.end(),
                                                 [](const CircuitConfig& c) { return c.max_power_w > 0; }));
  const auto rise_holds = [&](const SocketWork& w) {
    if (!rise) return false;
    if (power_budget || w.surplus_member || w.load_count == 0) return true;
    for (int i = 0; i < w.load_count; ++i)
      if (in.snap.ev_rise_unconfirmed_on[w.loads[static_cast<std::size_t>(i)]]) return true;
    return false;
  };
  bool cut_pending = false;
  // A socket kept at its minimum for cuts still to show (admit) may not fit once they do: no raise
  // goes out beside it until the next step decides on the settled estimate.
  for (const auto& w : work) cut_pending = cut_pending || w.held_for_cuts;
  for (std::size_t k = 0; k < n; ++k) {
    auto& ses = sessions[k];
    if (!ses.cut_at) continue;
    const auto& w = work[k];
    const bool confirmed = seconds(now - *ses.cut_at) >= site.ev_response_time_s ||
                           (w.fresh && w.max_measured <= ses.setpoint_a + kConfirmToleranceA);
    if (confirmed)
      ses.cut_at.reset();
    else
      cut_pending = true;
  }
  // A raise waits while any cut is unconfirmed, on every step until then (not only the first).
  for (std::size_t k = 0; k < n; ++k) {
    if (!work[k].fresh || !work[k].known) continue;
    auto& ses = sessions[k];
    const int v = allocs[k].current_a;
    if (!(cut_pending || rise_holds(work[k])) || ses.settled_a < 0) {
      ses.settled_a = v;
    } else if (v > ses.settled_a) {
      allocs[k].wait_for_confirmation = true;
    } else {
      ses.settled_a = v;
    }
  }
  return allocs;
}

}  // namespace emsgw::ems::allocator
