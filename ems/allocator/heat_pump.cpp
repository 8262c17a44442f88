#include "ems/allocator/heat_pump.hpp"

namespace emsgw::ems::allocator {

SgReadyState heat_pump(const StepInputs& in, const Surplus& surplus, const std::vector<SocketWork>& work,
                       const std::vector<SocketAllocation>& allocs, HeatPumpState& hp) {
  const auto& cfg = in.site.heatpump;
  if (!cfg.enabled) return hp.state;
  double hp_avail_w = surplus.raw_w + surplus.hp_draw_w;
  if (cfg.priority == HeatPumpPriority::EvFirst)
    for (std::size_t k = 0; k < work.size(); ++k)
      if (work[k].admitted && work[k].surplus_member) hp_avail_w -= allocs[k].current_a * work[k].load_count * in.volts;
  SgReadyState want = SgReadyState::Normal;
  if (surplus.pv_ok && cfg.force_surplus_w > 0 && hp_avail_w >= cfg.force_surplus_w)
    want = SgReadyState::Forced;
  else if (surplus.pv_ok && hp_avail_w >= cfg.boost_surplus_w)
    want = SgReadyState::Boost;
  const bool may_switch =
      !hp.changed_at || seconds(in.now - *hp.changed_at) >= cfg.min_switch_interval_s || !surplus.pv_ok;
  if (want != hp.state && may_switch) {
    hp.state = want;
    hp.changed_at = in.now;
  }
  return hp.state;
}

}  // namespace emsgw::ems::allocator
