#include "ems/flex_limit.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "ems/bound_words.hpp"

namespace emsgw::ems {

FlexLimit peak_flex_limit(const QuarterBudget& budget, double net_power_w, double ev_power_w) {
  FlexLimit f;
  const double others = std::isfinite(net_power_w) && std::isfinite(ev_power_w) ? net_power_w - ev_power_w : 0.0;
  const double w = budget.allowed_import_w - others;
  f.power = Watts(std::isfinite(w) ? std::max(0.0, w) : 0.0);
  f.reason = Reason::PeakLimit;
  f.text = quarter_peak_words(budget.target_w);
  return f;
}

std::optional<FlexLimit> dimming_flex_limit(const DimmingLimit& limit, double pv_w) {
  if (!limit.limit_w) return std::nullopt;
  FlexLimit f;
  const double pv = std::isfinite(pv_w) ? std::max(0.0, pv_w) : 0.0;
  f.power = Watts(std::max(0.0, *limit.limit_w) + pv);
  f.reason = Reason::Dimming;
  f.text = dimming_words(*limit.limit_w);
  return f;
}

std::optional<FlexLimit> tighter(std::optional<FlexLimit> a, std::optional<FlexLimit> b) {
  if (!a) return b;
  if (!b) return a;
  return b->power.value() < a->power.value() ? std::move(b) : std::move(a);
}

}  // namespace emsgw::ems
