#include "gateway/control/schedule_windows.hpp"

#include <chrono>
#include <cstdio>

#include "ems/bound_words.hpp"

namespace emsgw::gateway {

bool window_open(const ScheduleWindow& w, storage::LocalMinute at) {
  const auto days = schedule_days(w.days);
  const auto from = storage::parse_clock(w.from);
  const auto until = storage::parse_clock(w.until);
  return days && from && until && storage::weekly_window_covers(*from, *until, *days, at);
}

std::string window_limit_text(const ScheduleWindow& w) {
  char buf[64];
  std::string out;
  if (w.max_current_a > 0) {
    std::snprintf(buf, sizeof buf, "%g A", w.max_current_a);
    out = buf;
  }
  if (w.max_power_w > 0) {
    std::snprintf(buf, sizeof buf, "%.1f kW", w.max_power_w / 1000);
    out += (out.empty() ? "" : ", ") + std::string(buf);
  }
  return out;
}

std::optional<int> window_node(const ScheduleWindow& w, const ems::SiteConfig& site) {
  if (w.node.empty()) return 0;
  for (std::size_t i = 0; i < site.circuits.size(); ++i)
    if (site.circuits[i].name == w.node) return static_cast<int>(i) + 1;
  return std::nullopt;
}

std::vector<ems::NodeLimit> node_limits_at(const std::vector<ScheduleWindow>& windows, const ems::SiteConfig& site,
                                           storage::LocalMinute at) {
  std::vector<ems::NodeLimit> out;
  for (const auto& w : windows) {
    const auto node = window_node(w, site);
    if (!node || !window_open(w, at)) continue;
    ems::NodeLimit l;
    l.node = *node;
    if (w.max_current_a > 0) {
      l.current = ems::Amps(w.max_current_a);
      l.current_text = ems::schedule_current_words(w.name, w.max_current_a);
    }
    if (w.max_power_w > 0) {
      l.power = ems::Watts(w.max_power_w);
      l.power_text = ems::schedule_power_words(w.name, w.max_power_w);
    }
    if (l.current || l.power) out.push_back(std::move(l));
  }
  return out;
}

std::optional<ems::WallTime> window_next_change(const ScheduleWindow& w, ems::WallTime now,
                                                const storage::LocalTimeFn& local) {
  using std::chrono::minutes;
  const bool open = window_open(w, local(now));
  // Minute by minute, so that every clock change on the way is taken as it comes.
  auto t = std::chrono::floor<minutes>(now) + minutes(1);
  for (int i = 0; i < 8 * 24 * 60; ++i, t += minutes(1))
    if (window_open(w, local(t)) != open) return t;
  return std::nullopt;
}

}  // namespace emsgw::gateway
