#include "ems/allocator/heat_pump.hpp"

#include <algorithm>

namespace emsgw::ems::allocator {

HeatPumpStep heat_pump(const StepInputs& in, const Surplus& surplus, const std::vector<SocketWork>& work,
                       const std::vector<SocketAllocation>& allocs, HeatPumpState& hp) {
  const auto& cfg = in.site.heatpump;
  if (!cfg.enabled) return {hp.state};
  double hp_avail_w = surplus.raw_w + surplus.hp_draw_w;
  if (cfg.priority == HeatPumpPriority::EvFirst)
    for (std::size_t k = 0; k < work.size(); ++k)
      if (work[k].admitted && work[k].surplus_member) hp_avail_w -= allocs[k].current_a * work[k].load_count * in.volts;
  SgReadyState want = SgReadyState::Normal;
  if (surplus.pv_ok && cfg.force_surplus_w > 0 && hp_avail_w >= cfg.force_surplus_w)
    want = SgReadyState::Forced;
  else if (surplus.pv_ok && hp_avail_w >= cfg.boost_surplus_w)
    want = SgReadyState::Boost;
  // The flex limit (the quarter-hour peak's budget, the grid operator's dimming) bounds the boost
  // too: its extra draw, the surplus its state asks for, must fit beside the EVs' set-points. What
  // a boosting heat pump draws is in the limit's other loads already, up to that extra draw.
  const std::string* held_by = nullptr;
  if (want != SgReadyState::Normal && in.snap.flex_limit) {
    const auto extra_w = [&cfg](SgReadyState s) {
      return s == SgReadyState::Forced ? cfg.force_surplus_w : s == SgReadyState::Boost ? cfg.boost_surplus_w : 0.0;
    };
    double ev_w = 0;
    for (std::size_t k = 0; k < work.size(); ++k)
      if (work[k].admitted) ev_w += allocs[k].current_a * work[k].load_count * in.volts;
    const double room_w = in.snap.flex_limit->power.value() - ev_w + std::min(surplus.hp_draw_w, extra_w(hp.state));
    if (want == SgReadyState::Forced && room_w < extra_w(want)) want = SgReadyState::Boost;
    if (want == SgReadyState::Boost && room_w < extra_w(want)) {
      want = SgReadyState::Normal;
      held_by = &in.snap.flex_limit->text;
    }
  }
  const bool may_switch = !hp.changed_at || seconds(in.now - *hp.changed_at) >= cfg.min_switch_interval_s ||
                          !surplus.pv_ok || held_by != nullptr;
  if (want != hp.state && may_switch) {
    hp.state = want;
    hp.changed_at = in.now;
  }
  return {hp.state, held_by};
}

}  // namespace emsgw::ems::allocator
