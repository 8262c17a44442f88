#include "ems/wiring_check.hpp"

#include <algorithm>
#include <cmath>

namespace emsgw::ems {

namespace {
struct Window {
  std::array<double, kPhaseCount> grid_mean{};
  std::map<int, std::array<double, kPhaseCount>> socket_mean;
  bool steady = true;
  int n = 0;
};
}  // namespace

void WiringCheck::observe(MonoTime t, const std::array<double, kPhaseCount>& grid_a,
                          const std::vector<WiringSocketSample>& sockets) {
  Sample s{t, grid_a, {}};
  for (const auto& so : sockets) {
    if (!so.valid) continue;
    s.sockets[so.id] = so.current_a;
    auto& v = votes_[so.id];
    if (v.mapping != so.mapping) v = Votes{so.mapping, {}, 0};  // rewired in the file: start again
  }
  samples_.push_back(std::move(s));
  const auto horizon = options_.window * 2 + options_.gap;
  while (!samples_.empty() && t - samples_.front().t > horizon) samples_.pop_front();
  evaluate(t);
}

void WiringCheck::evaluate(MonoTime t) {
  if (quiet_until_ && t < *quiet_until_) return;
  if (samples_.empty() || t - samples_.front().t < options_.window * 2 + options_.gap - Millis{500}) return;
  const auto before_end = samples_.front().t + options_.window;
  const auto after_start = t - options_.window;
  const auto summarize = [&](MonoTime from, MonoTime to) {
    Window w;
    std::array<double, kPhaseCount> gmin{}, gmax{};
    std::map<int, std::array<double, kPhaseCount>> smin, smax;
    for (const auto& s : samples_) {
      if (s.t < from || s.t > to) continue;
      for (std::size_t p = 0; p < kPhaseCount; ++p) {
        w.grid_mean[p] += s.grid[p];
        gmin[p] = w.n ? std::min(gmin[p], s.grid[p]) : s.grid[p];
        gmax[p] = w.n ? std::max(gmax[p], s.grid[p]) : s.grid[p];
      }
      for (const auto& [id, c] : s.sockets)
        for (std::size_t j = 0; j < kPhaseCount; ++j) {
          w.socket_mean[id][j] += c[j];
          smin[id][j] = smin.contains(id) && w.n ? std::min(smin[id][j], c[j]) : c[j];
          smax[id][j] = smax.contains(id) && w.n ? std::max(smax[id][j], c[j]) : c[j];
        }
      ++w.n;
    }
    if (w.n == 0) {
      w.steady = false;
      return w;
    }
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
      w.grid_mean[p] /= w.n;
      // The household may move a little; a large swing inside a window spoils the comparison.
      if (gmax[p] - gmin[p] > 2 * options_.steady_a) w.steady = false;
    }
    for (auto& [id, m] : w.socket_mean)
      for (std::size_t j = 0; j < kPhaseCount; ++j) {
        m[j] /= w.n;
        if (smax[id][j] - smin[id][j] > options_.steady_a) w.steady = false;
      }
    return w;
  };
  const auto before = summarize(samples_.front().t, before_end);
  const auto after = summarize(after_start, t);
  if (!before.steady || !after.steady) return;

  // Exactly one socket stepped, on its first station phase only.
  std::optional<int> stepped;
  double step = 0;
  for (const auto& [id, a] : after.socket_mean) {
    const auto b = before.socket_mean.find(id);
    if (b == before.socket_mean.end()) return;
    std::array<double, kPhaseCount> d{};
    for (std::size_t j = 0; j < kPhaseCount; ++j) d[j] = a[j] - b->second[j];
    const double biggest = std::max({std::fabs(d[0]), std::fabs(d[1]), std::fabs(d[2])});
    if (biggest < options_.steady_a) continue;
    if (stepped) return;  // two sockets moved: no evidence
    if (std::fabs(d[0]) < options_.min_step_a || std::fabs(d[1]) >= options_.steady_a ||
        std::fabs(d[2]) >= options_.steady_a)
      return;  // small, or a multi-phase step
    stepped = id;
    step = d[0];
  }
  if (!stepped) return;
  std::array<double, kPhaseCount> dg{};
  for (std::size_t p = 0; p < kPhaseCount; ++p)
    dg[p] = (after.grid_mean[p] - before.grid_mean[p]) * (step > 0 ? 1 : -1);
  const auto best = static_cast<std::size_t>(std::max_element(dg.begin(), dg.end()) - dg.begin());
  const double size = std::fabs(step);
  if (dg[best] < 0.6 * size) return;
  for (std::size_t p = 0; p < kPhaseCount; ++p)
    if (p != best && std::fabs(dg[p]) > 0.4 * size) return;
  auto& v = votes_[*stepped];
  ++v.on[best];
  ++v.steps;
  quiet_until_ = t + options_.window + options_.gap;
}

std::vector<WiringFinding> WiringCheck::findings() const {
  std::vector<WiringFinding> out;
  for (const auto& [id, v] : votes_) {
    if (v.steps == 0) continue;
    const auto best = static_cast<std::size_t>(std::max_element(v.on.begin(), v.on.end()) - v.on.begin());
    const auto configured = v.mapping.first();
    if (static_cast<std::size_t>(index(configured)) == best) continue;
    if (v.on[best] < options_.steps_needed || v.on[best] < options_.share_needed * v.steps) continue;
    WiringFinding f;
    f.socket_id = id;
    f.configured = configured;
    f.observed = static_cast<Phase>(best);
    f.steps_seen = v.steps;
    f.steps_on_observed = v.on[best];
    f.text = "socket " + std::to_string(id) + " appears to load grid " + std::string(to_string(f.observed)) +
             ", configured " + std::string(to_string(configured)) + " (" + std::to_string(f.steps_on_observed) +
             " of " + std::to_string(f.steps_seen) + " single-phase current steps of its vehicle showed on grid " +
             std::string(to_string(f.observed)) + "): check the feeder's wiring or phase_mapping";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace emsgw::ems
