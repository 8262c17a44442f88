#include "ems/allocator/surplus.hpp"

#include <algorithm>
#include <cmath>

namespace emsgw::ems::allocator {

Surplus measure_surplus(const StepInputs& in, const std::vector<SocketWork>& work, const std::vector<Session>& sessions,
                        SgReadyState heatpump, Allocation& out) {
  const auto& site = in.site;
  const auto& snap = in.snap;
  const double volts = in.volts;
  Surplus s;
  // The grid reading is fresh here: a stale one took the fail-safe path.
  s.pv_meter_ok = snap.pv_configured && snap.pv.valid &&
                  seconds(in.now - snap.pv.measured_at) <= site.pv_stale_after_s &&
                  std::isfinite(snap.pv.power.value()) && snap.pv.power.value() >= -100;
  s.pv_ok = s.pv_meter_ok || !snap.pv_configured;
  bool uses_surplus = site.heatpump.enabled;
  double export_w = 0;
  for (std::size_t p = 0; p < static_cast<std::size_t>(site.grid_phases); ++p)
    export_w -= snap.grid.current[p].value() * volts;
  double ev_surplus_draw_w = 0;
  for (const auto& w : work) {
    if (!w.occupied || (w.mode != ChargeMode::Pv && w.mode != ChargeMode::MinPv)) continue;
    uses_surplus = true;
    if (!site.meter_includes_chargers) continue;
    for (std::size_t j = 0; j < kPhaseCount; ++j)
      ev_surplus_draw_w += std::max(0.0, w.snap->current[j].value()) * volts;
  }
  const bool hp_running = site.heatpump.enabled && heatpump >= SgReadyState::Boost && snap.heatpump.valid &&
                          seconds(in.now - snap.heatpump.measured_at) <= site.pv_stale_after_s &&
                          std::isfinite(snap.heatpump.power.value());
  s.hp_draw_w = hp_running ? std::max(0.0, snap.heatpump.power.value()) : 0.0;
  s.raw_w = s.pv_ok ? export_w + ev_surplus_draw_w : 0.0;
  s.ev_w = s.raw_w;
  if (site.heatpump.enabled && site.heatpump.priority == HeatPumpPriority::EvFirst) {
    s.ev_w += s.hp_draw_w;
  } else if (site.heatpump.enabled && !hp_running && s.raw_w >= site.heatpump.boost_surplus_w) {
    s.ev_w -= site.heatpump.boost_surplus_w;  // heat pump first: leave it room to start
  }
  if (s.pv_meter_ok) s.ev_w = std::min(s.ev_w, std::max(0.0, snap.pv.power.value()) + s.hp_draw_w);
  if (!s.pv_ok && uses_surplus) add_degraded(out, Degradation::PvStale);
  out.surplus = Watts(std::max(0.0, s.ev_w));

  // Minimum power already committed to surplus sockets (previous states), for the pv start/stop rule.
  for (std::size_t k = 0; k < work.size(); ++k) {
    const auto& w = work[k];
    if (!w.occupied) continue;
    if (w.mode == ChargeMode::MinPv || (w.mode == ChargeMode::Pv && sessions[k].pv_on))
      s.committed_min_w += in.min_a * loaded_phases(in, k, sessions[k]) * volts;
  }
  return s;
}

bool pv_start_stop(const StepInputs& in, const Surplus& surplus, double own_min_w, Session& ses, SocketWork& w) {
  const auto& cfg = in.site.surplus;
  if (!surplus.pv_ok) {
    ses.pv_on = false;
    ses.pv_condition_since.reset();
    w.reason = Reason::PvStale;
    return false;
  }
  const double mine_w = surplus.ev_w - (surplus.committed_min_w - (ses.pv_on ? own_min_w : 0.0));
  const bool flip = ses.pv_on ? mine_w < cfg.stop_surplus_w : mine_w >= cfg.start_surplus_w;
  const double delay = ses.pv_on ? cfg.stop_delay_s : cfg.start_delay_s;
  if (flip) {
    if (!ses.pv_condition_since) ses.pv_condition_since = in.now;
    if (seconds(in.now - *ses.pv_condition_since) >= delay) {
      ses.pv_on = !ses.pv_on;
      ses.pv_condition_since.reset();
    }
  } else {
    ses.pv_condition_since.reset();
  }
  if (!ses.pv_on) {
    w.reason = Reason::PvWaiting;
    if (ses.pv_condition_since) w.until = after(*ses.pv_condition_since, delay);
    ses.rotation = Rotation::None;
    return false;
  }
  return true;
}

}  // namespace emsgw::ems::allocator
