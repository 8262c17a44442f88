#pragma once
// The quarter-hour capacity peak (Flanders' capacity tariff, monthly kW maxima of business
// contracts; reference/grid-rules.md): how much was imported so far in the running quarter hour,
// and from it the average import power still allowed for the rest of the quarter so that the
// quarter's average stays under the target. Pure: the caller passes every time in.
//
// Quarters are clock-aligned (:00, :15, :30, :45). Every time-zone offset in use is a whole
// multiple of 15 minutes, so local quarters start where UTC quarters start.

#include <optional>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::ems {

struct PeakSettings {
  double target_w = 2500;  ///< quarter-hour average import target (W); Flanders bills at least 2.5 kW
  /// A peak already set this month is billed anyway: use up to it (the target becomes the month's peak).
  bool follow_month_peak = true;
  double margin_w = 200;  ///< kept below the target
};

/// One quarter hour that ended, for the month's record and storage.
struct ClosedQuarter {
  WallTime start{};
  double energy_wh = 0;
  double average_w = 0;
  double covered_s = 0;  ///< seconds of the quarter with a grid reading
};

/// The state of the running quarter and the budget that follows from it.
struct QuarterBudget {
  WallTime quarter_start{};
  double elapsed_s = 0;
  double left_s = 0;
  double energy_wh = 0;            ///< imported so far in this quarter
  bool energy_from_meter = false;  ///< from the meter's running average (DSMR 1-0:1.4.0)
  double target_w = 0;             ///< in force: the setting, or the month's peak when following it
  double month_peak_w = 0;         ///< highest quarter average of the month (own record or the meter's 1-0:1.6.0)
  double projected_average_w = 0;  ///< if the present import went on until the quarter ends
  double present_import_w = 0;     ///< the last grid sample (import ≥ 0)
  /// Average import power allowed from now to the quarter's end for everything together
  /// ((target − margin) × 15 min − energy so far) / time left; never negative.
  double allowed_import_w = 0;
};

class QuarterPeak {
 public:
  static constexpr double kQuarterS = 900;
  /// Longer gaps between grid samples are not integrated beyond this (a meter that went quiet).
  static constexpr double kMaxGapS = 30;

  explicit QuarterPeak(PeakSettings settings) : settings_(settings) {}

  /// A grid sample: net power at the connection (W, positive = import) at `t`. Samples must come in
  /// time order; an older one is ignored. The power is held until the next sample.
  void observe(WallTime t, double net_power_w);
  /// The meter's running average demand of the present quarter (DSMR 1-0:1.4.0, W) at `t`.
  void observe_meter_average(WallTime t, double average_w);
  /// The meter's own month maximum (DSMR 1-0:1.6.0, W).
  void observe_meter_month_peak(double peak_w);
  /// The month's peak from storage at start (W), or a new month: the month's peak starts again.
  void set_month_peak(double peak_w) { month_peak_w_ = peak_w; }
  void set_settings(const PeakSettings& s) { settings_ = s; }
  [[nodiscard]] const PeakSettings& settings() const { return settings_; }

  [[nodiscard]] QuarterBudget budget(WallTime now) const;
  /// Quarters that ended since the last call, oldest first (for storage and the month's peak).
  [[nodiscard]] std::vector<ClosedQuarter> take_closed();
  [[nodiscard]] double month_peak_w() const { return month_peak_w_; }

  [[nodiscard]] static WallTime quarter_start(WallTime t);

 private:
  void integrate_until(WallTime t);
  void close_quarter();

  PeakSettings settings_;
  std::optional<WallTime> last_t_;
  double last_w_ = 0;
  WallTime quarter_{};
  bool started_ = false;
  double energy_wh_ = 0;
  double covered_s_ = 0;
  std::optional<WallTime> meter_t_;
  double meter_average_w_ = 0;
  double month_peak_w_ = 0;
  std::vector<ClosedQuarter> closed_;
};

}  // namespace emsgw::ems
