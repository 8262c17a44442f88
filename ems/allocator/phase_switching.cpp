#include "ems/allocator/phase_switching.hpp"

namespace emsgw::ems::allocator {

bool switch_phases(const StepInputs& in, bool pv_ok, double ev_surplus_w, Session& ses, SocketWork& w) {
  const auto& site = in.site;
  const MonoTime now = in.now;
  int want = ses.phases_set;
  const double three_min_w = 3 * in.min_a * in.volts;
  if (w.mode == ChargeMode::Now) {
    want = 3;
  } else if (pv_ok) {
    if (ses.phases_set == 3 && ev_surplus_w < three_min_w) want = 1;
    if (ses.phases_set == 1 && ev_surplus_w >= three_min_w + site.phase_switch.hysteresis_w) want = 3;
  }
  if (ses.switch_stage == SwitchStage::None) {
    if (want != ses.phases_set) {
      if (!ses.switch_condition_since) ses.switch_condition_since = now;
      const double delay = w.mode == ChargeMode::Now ? 0.0
                           : want == 1               ? site.surplus.stop_delay_s
                                                     : site.surplus.start_delay_s;
      const bool interval_ok =
          !ses.last_switch_at || seconds(now - *ses.last_switch_at) >= site.phase_switch.min_interval_s;
      if (interval_ok && seconds(now - *ses.switch_condition_since) >= delay) {
        ses.switch_stage = SwitchStage::Pausing;
        ses.switch_target = want;
        ses.switch_stage_until = after(now, site.phase_switch.pause_s);
        ses.switch_condition_since.reset();
      }
    } else {
      ses.switch_condition_since.reset();
    }
  }
  if (ses.switch_stage == SwitchStage::Pausing && now >= ses.switch_stage_until) {
    ses.phases_set = ses.switch_target;
    ses.last_switch_at = now;
    if (ses.phases_set == 3) {  // seen on one phase only: count all three until re-detected
      ses.ev_phases = 0;
      ses.ev_phase_mask = 0;
    }
    ses.switch_stage = SwitchStage::Settling;
    ses.switch_stage_until = after(now, site.phase_switch.settle_s);
  }
  if (ses.switch_stage == SwitchStage::Settling && now >= ses.switch_stage_until) ses.switch_stage = SwitchStage::None;
  if (ses.switch_stage != SwitchStage::None) {
    w.reason = Reason::PhaseSwitching;
    w.until = ses.switch_stage_until;
    return true;
  }
  return false;
}

}  // namespace emsgw::ems::allocator
