#include "ems/allocator/fail_safe.hpp"

#include <algorithm>

namespace emsgw::ems::allocator {

void override_all(const StepInputs& in, const std::vector<SocketWork>& work, AllocatorState& state, Allocation& out) {
  const bool suspended = in.snap.suspended;
  state.rotation_until.reset();
  for (std::size_t k = 0; k < in.size(); ++k) {
    auto& ses = state.sessions[k];
    const auto& ref = in.index.sockets[k];
    const auto& cfg = in.config(k);
    SocketAllocation a;
    a.id = ref.id;
    a.phases = ref.phase_switching ? ses.phases_set : cfg.phase_mapping.count;
    a.current_a = suspended ? 0 : floor_a(cfg.safe_current_a);
    a.reason = suspended ? Reason::Suspended : Reason::FailSafe;
    // Losing the meter never raises a socket (design.md §2.9): min(its set-point, its safe
    // current). A raise still waiting for a cut's confirmation never reached the station, so the
    // set-point in force is at most the settled one.
    if (!suspended && ses.setpoint_a >= 0) {
      const int in_force = ses.settled_a >= 0 ? std::min(ses.setpoint_a, ses.settled_a) : ses.setpoint_a;
      a.current_a = std::min(a.current_a, in_force);
    }
    if (work[k].fresh && work[k].known) {  // a silent station keeps counting at what it was last told
      if (ses.setpoint_a >= 0 && a.current_a < ses.setpoint_a) ses.cut_at = in.now;
      ses.setpoint_a = a.current_a;
      ses.settled_a = a.current_a;
    }
    ses.rotation = Rotation::None;
    ses.switch_stage = SwitchStage::None;
    out.sockets.push_back(a);
  }
  if (in.site.heatpump.enabled) state.heatpump.state = SgReadyState::Normal;
  out.heatpump = state.heatpump.state;
}

}  // namespace emsgw::ems::allocator
