#pragma once
// [tariff]: what a kWh costs, to price charging sessions. One flat import price and one export
// (feed-in) price, optionally overridden by time-of-use windows in local time. Sessions are
// metered per quarter hour from the station's energy register (SessionSlice); each quarter hour is
// priced in the window it starts in, so a session across a tariff boundary pays each window's
// price for the energy charged in it. Energy from solar surplus is valued at the export price
// (the feed-in given up), energy from the grid at the import price.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::gateway::storage {

struct SessionSlice;

/// A time-of-use window: [start, end) in minutes after local midnight; end ≤ start wraps past
/// midnight ("23:00" to "07:00"). Both on a quarter hour.
struct TariffWindow {
  std::string name;          ///< shown with the price ("off-peak")
  int start_min = 0;         ///< 0..1425, multiple of 15
  int end_min = 0;           ///< 0..1425, multiple of 15
  std::uint8_t days = 0x7f;  ///< bit 0 = Monday … bit 6 = Sunday (of the window's start day)
  double import_price_per_kwh = 0;
  std::optional<double> export_price_per_kwh;  ///< nullopt: the flat export price
};

struct Tariff {
  bool configured = false;  ///< false without a [tariff] section: sessions carry no cost
  std::string currency = "EUR";
  double import_price_per_kwh = 0;  ///< outside every window
  double export_price_per_kwh = 0;
  std::vector<TariffWindow> windows;  ///< the first window that covers a time applies
};

/// Local wall-clock position of a time: minutes after local midnight and weekday (0 = Monday).
struct LocalMinute {
  int minute = 0;
  int weekday = 0;
};
using LocalTimeFn = std::function<LocalMinute(ems::WallTime)>;
/// The box's time zone (localtime_r).
[[nodiscard]] LocalMinute local_minute(ems::WallTime t);
/// UTC (for tests and for boxes that keep UTC).
[[nodiscard]] LocalMinute utc_minute(ems::WallTime t);

/// Whether a weekly window covers `at`: from start_min to end_min (minutes after local midnight) on
/// the days of `days` (bit 0 = Monday … bit 6 = Sunday); end ≤ start runs past midnight, and the
/// part after midnight belongs to the day the window started on (end = start: a whole day).
[[nodiscard]] bool weekly_window_covers(int start_min, int end_min, std::uint8_t days, LocalMinute at);

struct AppliedPrice {
  double import_per_kwh = 0;
  double export_per_kwh = 0;
  std::string window;  ///< name of the window, empty for the flat price
};
[[nodiscard]] AppliedPrice price_at(const Tariff& t, LocalMinute at);

/// Cost of metered quarter hours: Σ grid kWh × import price + solar kWh × export price, each slice
/// at the price of its start. nullopt when the tariff is not configured.
[[nodiscard]] std::optional<double> price_slices(const Tariff& t, const std::vector<SessionSlice>& slices,
                                                 const LocalTimeFn& local = local_minute);

/// "HH:MM" → minutes after midnight; nullopt unless 00:00..23:59.
[[nodiscard]] std::optional<int> parse_clock(const std::string& s);

}  // namespace emsgw::gateway::storage
