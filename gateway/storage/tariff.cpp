#include "gateway/storage/tariff.hpp"

#include <algorithm>
#include <ctime>

#include "gateway/storage/records.hpp"

namespace emsgw::gateway::storage {

namespace {
LocalMinute of_tm(const std::tm& tm) {
  // tm_wday: 0 = Sunday; here 0 = Monday.
  return {tm.tm_hour * 60 + tm.tm_min, (tm.tm_wday + 6) % 7};
}
std::time_t seconds_of(ems::WallTime t) {
  return static_cast<std::time_t>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}
bool covers(const TariffWindow& w, LocalMinute at) {
  return w.start_min != w.end_min && weekly_window_covers(w.start_min, w.end_min, w.days, at);
}
}  // namespace

bool weekly_window_covers(int start_min, int end_min, std::uint8_t days, LocalMinute at) {
  if (start_min < end_min) return at.minute >= start_min && at.minute < end_min && ((days >> at.weekday) & 1) != 0;
  // Past midnight: the part after midnight belongs to the window that started the day before.
  if (at.minute >= start_min) return ((days >> at.weekday) & 1) != 0;
  if (at.minute < end_min) return ((days >> ((at.weekday + 6) % 7)) & 1) != 0;
  return false;
}

LocalMinute local_minute(ems::WallTime t) {
  const std::time_t s = seconds_of(t);
  std::tm tm{};
  localtime_r(&s, &tm);
  return of_tm(tm);
}

LocalMinute utc_minute(ems::WallTime t) {
  const std::time_t s = seconds_of(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return of_tm(tm);
}

AppliedPrice price_at(const Tariff& t, LocalMinute at) {
  for (const auto& w : t.windows)
    if (covers(w, at)) return {w.import_price_per_kwh, w.export_price_per_kwh.value_or(t.export_price_per_kwh), w.name};
  return {t.import_price_per_kwh, t.export_price_per_kwh, {}};
}

std::optional<double> price_slices(const Tariff& t, const std::vector<SessionSlice>& slices, const LocalTimeFn& local) {
  if (!t.configured) return std::nullopt;
  double cost = 0;
  for (const auto& s : slices) {
    const auto p = price_at(t, local(s.start));
    const double pv_wh = std::min(s.energy_wh, std::max(0.0, s.pv_energy_wh.value_or(0)));
    cost += (s.energy_wh - pv_wh) / 1000 * p.import_per_kwh + pv_wh / 1000 * p.export_per_kwh;
  }
  return cost;
}

std::optional<int> parse_clock(const std::string& s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

}  // namespace emsgw::gateway::storage
