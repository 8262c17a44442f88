#include "ems/allocator/admission.hpp"

#include <algorithm>

namespace emsgw::ems::allocator {

void admit(const StepInputs& in, const Capacity& cap, const std::array<PhaseBudget, kPhaseCount>& phases,
           std::vector<Session>& sessions, std::optional<MonoTime>& rotation_until, std::vector<SocketWork>& work) {
  const auto& site = in.site;
  const auto& sockets = in.index.sockets;
  const MonoTime now = in.now;
  std::array<double, kPhaseCount> used{};
  std::vector<double> station_used = cap.station_reserved;
  const auto fits = [&](const SocketWork& w, std::size_t k, double m) {
    for (int i = 0; i < w.load_count; ++i)
      if (used[w.loads[static_cast<std::size_t>(i)]] + m > cap.phase[w.loads[static_cast<std::size_t>(i)]] + kEps)
        return false;
    const auto st = sockets[k].station;
    return station_used[st] + m <= site.stations[st].max_current_a + kEps;
  };
  const auto take = [&](SocketWork& w, std::size_t k, double m) {
    for (int i = 0; i < w.load_count; ++i) used[w.loads[static_cast<std::size_t>(i)]] += m;
    station_used[sockets[k].station] += m;
    w.admitted = true;
  };
  // Tries the probing current, then the ordinary minimum (the probing EV then charges normally).
  const auto try_admit = [&](std::size_t k) {
    auto& w = work[k];
    if (fits(w, k, w.min)) {
      take(w, k, w.min);
      return true;
    }
    if (w.probing && fits(w, k, w.probing_fallback_min)) {
      w.probing = false;
      w.min = w.probing_fallback_min;
      w.max = w.normal_max;
      take(w, k, w.min);
      return true;
    }
    return false;
  };
  std::vector<std::size_t> candidates;
  for (std::size_t k = 0; k < work.size(); ++k)
    if (work[k].candidate) candidates.push_back(k);
  bool all_fit = true;
  for (auto k : candidates) {
    if (!fits(work[k], k, work[k].min)) {
      all_fit = false;
      break;
    }
    take(work[k], k, work[k].min);
  }
  if (all_fit) {
    rotation_until.reset();
    for (auto k : candidates) sessions[k].rotation = Rotation::None;
    return;
  }
  used = {};
  station_used = cap.station_reserved;
  for (auto k : candidates) work[k].admitted = false;
  const bool period_over = !rotation_until || now >= *rotation_until;
  const auto id_of = [&](std::size_t k) { return sockets[k].id; };
  std::vector<std::size_t> probing, active, fresh_ones, waiting;
  for (auto k : candidates) {
    if (work[k].probing)
      probing.push_back(k);
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
    const auto ta = sessions[a].rotation_since, tb = sessions[b].rotation_since;
    return ta != tb ? ta < tb : id_of(a) > id_of(b);
  });
  std::sort(fresh_ones.begin(), fresh_ones.end(), [&](auto a, auto b) { return id_of(a) > id_of(b); });
  if (period_over) {
    // Served longest pauses first (lowest ids first among equals).
    std::sort(active.begin(), active.end(), [&](auto a, auto b) {
      const auto ta = sessions[a].rotation_since, tb = sessions[b].rotation_since;
      return ta != tb ? ta > tb : id_of(a) > id_of(b);
    });
  } else {
    std::sort(active.begin(), active.end(), [&](auto a, auto b) { return id_of(a) > id_of(b); });
  }
  std::vector<std::size_t> order;
  order.insert(order.end(), probing.begin(), probing.end());
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
  for (auto k : order) try_admit(k);
  if (period_over) rotation_until = after(now, site.alternating_period_s);
  for (auto k : candidates) {
    auto& ses = sessions[k];
    auto& w = work[k];
    if (w.admitted) {
      if (ses.rotation != Rotation::Active) {
        ses.rotation = Rotation::Active;
        ses.rotation_since = now;
      }
      continue;
    }
    if (ses.rotation != Rotation::Waiting) {
      ses.rotation = Rotation::Waiting;
      ses.rotation_since = now;
    }
    // Would it fit alone (next to the reserved sockets)? Then it waits its turn; otherwise the
    // binding limit is the reason.
    Reason why = Reason::Alternating;
    for (int i = 0; i < w.load_count; ++i) {
      const auto p = w.loads[static_cast<std::size_t>(i)];
      if (w.probing_fallback_min > cap.phase[p] + kEps) why = phases[p].bound_by;
    }
    const auto st = sockets[k].station;
    if (why == Reason::Alternating &&
        cap.station_reserved[st] + w.probing_fallback_min > site.stations[st].max_current_a + kEps)
      why = Reason::StationMax;
    w.reason = why;
    if (why == Reason::Alternating) w.until = rotation_until;
  }
}

}  // namespace emsgw::ems::allocator
