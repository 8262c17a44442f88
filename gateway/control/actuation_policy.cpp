#include "gateway/control/actuation_policy.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "gateway/control/status_builder.hpp"

namespace emsgw::gateway {

namespace {
std::string amps_text(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g A", a);
  return buf;
}
}  // namespace

void ActuationPolicy::actuate(const ems::SiteConfig& site, const std::vector<SocketRef>& sockets,
                              const ems::Allocation& a, Actuator& actuator, ems::WallTime now,
                              const DecisionSink& decide) {
  if (a.scn) {
    for (std::size_t i = 0; i < site.stations.size(); ++i) {
      if (site.stations[i].name != site.scn_station) continue;
      std::array<double, 3> amps{};
      for (std::size_t p = 0; p < 3; ++p) amps[p] = a.scn->current_a[p];
      if (!scn_desired_ || *scn_desired_ != amps)
        spdlog::info("SCN budget: L1 {} A, L2 {} A, L3 {} A ({})", amps[0], amps[1], amps[2],
                     ems::to_string(a.scn->reason));
      scn_desired_ = amps;
      actuator.set_desired_scn(i, amps);
    }
  }
  raises_.clear();
  // Per grid phase, what this allocation raises in all: more than kDitherRaiseTotalA is a load that
  // went away (a household step back, the sun out), not the dither of a measurement, and no small
  // raise on that phase is held.
  std::array<double, 3> asked_raise{};
  for (const auto& sa : a.sockets) {
    const auto prev = desired_.find(sa.id);
    if (prev == desired_.end() || sa.current_a <= prev->second) continue;
    for (std::size_t p = 0; p < asked_raise.size(); ++p)
      if (sa.grid_phases[p]) asked_raise[p] += sa.current_a - prev->second;
  }
  for (std::size_t k = 0; k < a.sockets.size(); ++k) {
    const auto& sa = a.sockets[k];
    // Both lists are in the configuration's order: the k-th reference is the socket's, unless a
    // caller passed them otherwise (then it is searched for).
    auto ref = k < sockets.size() && sockets[k].id == sa.id
                   ? sockets.begin() + static_cast<std::ptrdiff_t>(k)
                   : std::find_if(sockets.begin(), sockets.end(), [&](const SocketRef& r) { return r.id == sa.id; });
    if (ref == sockets.end()) continue;
    double amps = sa.current_a;
    const auto prev = desired_.find(sa.id);
    // Cut fast, raise slow (design.md §2.3): a raise that must wait for unconfirmed cuts is not
    // handed over yet; the previous value stays in force (and keeps being refreshed).
    if (sa.wait_for_confirmation && prev != desired_.end()) amps = std::min(amps, prev->second);
    bool site_raise = false;
    for (std::size_t p = 0; p < asked_raise.size(); ++p)
      site_raise = site_raise || (sa.grid_phases[p] && asked_raise[p] > kDitherRaiseTotalA);
    if (prev != desired_.end()) amps = hold_small_raise(sa, prev->second, amps, a.at, site_raise);
    const std::string reason(ems::to_string(sa.reason));
    if (prev == desired_.end() || prev->second != amps) {
      const auto& st = site.stations[ref->station];
      const double old_a = prev == desired_.end() ? -1 : prev->second;
      spdlog::info("socket {} ({} unit {}): {} -> {} ({})", sa.id, st.name, ref->unit,
                   old_a < 0 ? std::string("-") : amps_text(old_a), amps_text(amps), reason_words(sa.reason));
      if (decide) decide({now, sa.id, std::max(0.0, old_a), amps, reason, reason_words(sa.reason)});
    } else if (last_reason_[sa.id] != reason) {
      spdlog::info("socket {}: {} ({})", sa.id, amps_text(amps), reason_words(sa.reason));
    }
    last_reason_[sa.id] = reason;
    if (prev != desired_.end() && amps > prev->second) raises_.push_back({sa.id, prev->second, amps, sa.grid_phases});
    desired_[sa.id] = amps;
    // 1215 is written only on stations that allow switching; elsewhere the phase count is left alone.
    const int phases = site.stations[ref->station].phase_switching ? sa.phases : 0;
    actuator.set_desired(ref->station, ref->unit, amps, phases);
  }
  actuator.affirm();
}

std::array<double, 3> ActuationPolicy::raised(const ems::SiteSnapshot& snap) const {
  std::array<double, 3> rise{};
  for (const auto& r : raises_) {
    double from = r.from;
    const auto so = std::find_if(snap.sockets.begin(), snap.sockets.end(),
                                 [&](const ems::SocketSnapshot& x) { return x.id == r.id; });
    if (so != snap.sockets.end() && so->measured_valid) {
      double draw = 0;
      for (const auto& c : so->current) draw = std::max(draw, c.value());
      from = std::min(from, draw);
    }
    for (std::size_t p = 0; p < rise.size(); ++p)
      if (r.grid_phases[p]) rise[p] += std::max(0.0, r.to - from);
  }
  return rise;
}

double ActuationPolicy::hold_small_raise(const ems::SocketAllocation& sa, double in_force, double amps,
                                         ems::MonoTime now, bool site_raise) {
  auto& h = holds_[sa.id];
  if (h.hold_s <= 0) h.hold_s = kRaiseHoldS;
  const auto since = [&](const std::optional<ems::MonoTime>& t) {
    return t ? std::chrono::duration<double>(now - *t).count() : std::numeric_limits<double>::infinity();
  };
  // Losing the meter never raises a socket above the value in force (design.md §2.9).
  if (sa.reason == ems::Reason::FailSafe) amps = std::min(amps, in_force);
  if (amps < in_force) {
    // A raise undone soon after: the measurement dithers, hold longer; raises that lasted: less.
    if (since(h.raise_at) < kRaiseUndoneS)
      h.hold_s = std::min(2 * h.hold_s, kMaxRaiseHoldS);
    else if (since(h.cut_at) > kMaxRaiseHoldS + kRaiseUndoneS)
      h.hold_s = kRaiseHoldS;
    h.cut_at = now;
    h.cut_from = in_force;
    return amps;
  }
  // Only a raise back towards the level a cut came from is the dither of a measurement; a level the
  // socket never had since (the end of a probing phase after a brief cut) goes out at once.
  if (!site_raise && amps > in_force && in_force > 0 && amps - in_force <= kSmallRaiseA && amps <= h.cut_from &&
      since(h.cut_at) < h.hold_s)
    return in_force;
  if (amps > in_force) h.raise_at = now;
  return amps;
}

std::vector<RefreshCheck> ActuationPolicy::check_refresh(std::size_t station, const StationSample& sample,
                                                         const std::vector<SocketRef>& sockets) {
  std::vector<RefreshCheck> out;
  for (const auto& so : sample.sockets) {
    const auto ref = std::find_if(sockets.begin(), sockets.end(),
                                  [&](const SocketRef& r) { return r.station == station && r.unit == so.unit; });
    if (ref == sockets.end() || !desired_.contains(ref->id) || !so.validity_s) continue;
    auto& was_valid = was_valid_[ref->id];
    if (*so.validity_s <= 0 && was_valid)
      out.push_back({so.unit, ref->id, true});
    else if (*so.validity_s > 0)
      out.push_back({so.unit, ref->id, false});
    was_valid = *so.validity_s > 0;
  }
  return out;
}

}  // namespace emsgw::gateway
