#include "ems/quarter_peak.hpp"

#include <algorithm>

namespace emsgw::ems {

namespace {
double seconds_between(WallTime a, WallTime b) {
  return std::chrono::duration<double>(b - a).count();
}
constexpr auto kQuarter = std::chrono::minutes(15);
}  // namespace

WallTime QuarterPeak::quarter_start(WallTime t) {
  const auto since = t.time_since_epoch();
  auto q = std::chrono::floor<std::chrono::minutes>(since);
  q -= std::chrono::minutes(q.count() % 15 < 0 ? q.count() % 15 + 15 : q.count() % 15);
  return WallTime(std::chrono::duration_cast<WallTime::duration>(q));
}

void QuarterPeak::close_quarter() {
  const double average = energy_wh_ * 3600.0 / kQuarterS;
  closed_.push_back({quarter_, energy_wh_, average, covered_s_});
  month_peak_w_ = std::max(month_peak_w_, average);
  energy_wh_ = 0;
  covered_s_ = 0;
  quarter_ += kQuarter;
}

void QuarterPeak::integrate_until(WallTime t) {
  if (!started_) {
    quarter_ = quarter_start(t);
    started_ = true;
  }
  // The held power counts from the last sample for at most kMaxGapS; quarters that end on the way
  // are closed with what they got.
  WallTime from = last_t_.value_or(t);
  const WallTime held_until =
      from + std::chrono::duration_cast<WallTime::duration>(std::chrono::duration<double>(kMaxGapS));
  while (true) {
    const WallTime end = quarter_ + kQuarter;
    const WallTime stop = std::min({t, end});
    const WallTime counted = std::min(stop, held_until);
    if (counted > from) {
      const double dt = seconds_between(from, counted);
      energy_wh_ += std::max(0.0, last_w_) * dt / 3600.0;
      covered_s_ += dt;
    }
    from = std::max(from, stop);
    if (t < end) break;
    close_quarter();
  }
}

void QuarterPeak::observe(WallTime t, double net_power_w) {
  if (last_t_ && t < *last_t_) return;
  integrate_until(t);
  last_t_ = t;
  last_w_ = net_power_w;
}

void QuarterPeak::observe_meter_average(WallTime t, double average_w) {
  if (average_w < 0) return;
  meter_t_ = t;
  meter_average_w_ = average_w;
}

void QuarterPeak::observe_meter_month_peak(double peak_w) {
  if (peak_w > 0) month_peak_w_ = std::max(month_peak_w_, peak_w);
}

QuarterBudget QuarterPeak::budget(WallTime now) const {
  QuarterBudget b;
  b.quarter_start = quarter_start(now);
  b.elapsed_s = seconds_between(b.quarter_start, now);
  b.left_s = kQuarterS - b.elapsed_s;
  b.present_import_w = last_t_ ? std::max(0.0, last_w_) : 0.0;
  // Energy so far: integrated samples of this quarter, plus the held power up to now.
  double energy = started_ && quarter_ == b.quarter_start ? energy_wh_ : 0.0;
  if (last_t_) {
    const double from = std::max(seconds_between(b.quarter_start, *last_t_), 0.0);
    const double to = std::min(b.elapsed_s, seconds_between(b.quarter_start, *last_t_) + kMaxGapS);
    if (to > from) energy += b.present_import_w * (to - from) / 3600.0;
  }
  // The meter's running average, when it speaks of this quarter, is the better figure.
  if (meter_t_ && quarter_start(*meter_t_) == b.quarter_start && seconds_between(*meter_t_, now) <= kMaxGapS) {
    energy = meter_average_w_ * seconds_between(b.quarter_start, *meter_t_) / 3600.0;
    b.energy_from_meter = true;
  }
  b.energy_wh = energy;
  b.month_peak_w = month_peak_w_;
  b.target_w = settings_.follow_month_peak ? std::max(settings_.target_w, month_peak_w_) : settings_.target_w;
  b.projected_average_w = (energy + b.present_import_w * b.left_s / 3600.0) * 3600.0 / kQuarterS;
  const double allowed_wh = (b.target_w - settings_.margin_w) * kQuarterS / 3600.0 - energy;
  b.allowed_import_w = std::max(0.0, allowed_wh * 3600.0 / std::max(b.left_s, 1.0));
  return b;
}

std::vector<ClosedQuarter> QuarterPeak::take_closed() {
  std::vector<ClosedQuarter> out;
  out.swap(closed_);
  return out;
}

}  // namespace emsgw::ems
