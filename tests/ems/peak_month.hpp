#pragma once
// A simulated month for the quarter-hour capacity peak (reference/grid-rules.md): a household with
// a seeded daily profile (base load, morning and evening cooking, kettles, a dishwasher, a washing
// machine), two cars that come home in the evening (a three-phase 11 kW car and a one-phase 3.7 kW
// car, more at the weekend), and the allocator with the quarter's budget as its flexible-power
// limit (ems::QuarterPeak → ems::peak_flex_limit, as the control loop feeds it) — once with the
// target and once without any (the unconstrained controller), on the same household and the same
// plug-in windows. Cars draw what they are offered (up to their own maximum) one step later, and
// stop when their energy for the night is delivered.

#include <string>

namespace emsgw::ems::test {

struct PeakMonthOptions {
  int days = 30;
  double step_s = 5;
  double target_kw = 5.0;
  double margin_kw = 0.2;
  bool follow_month_peak = false;
  unsigned seed = 1;
};

struct PeakMonthRun {
  double month_peak_kw = 0;            ///< highest quarter-hour average import
  double ev_kwh = 0;                   ///< energy delivered to both cars in the windows that ended in the month
  double ev_kwh_asked = 0;             ///< energy the cars wanted in their windows
  int quarters_over_target = 0;        ///< quarters whose average import exceeded the target
  int quarters_over_household_ok = 0;  ///< of those, quarters in which the household alone stayed below it
  int sessions_short = 0;              ///< plug-in windows that ended before the car had its energy
  double cpu_s = 0;
};

struct PeakMonthResult {
  PeakMonthRun with_peak;        ///< the allocator with the quarter's budget
  PeakMonthRun unconstrained;    ///< the allocator without it
  double household_peak_kw = 0;  ///< highest quarter-hour average of the household alone
  int steps = 0;
};

[[nodiscard]] PeakMonthResult simulate_peak_month(const PeakMonthOptions& options);

/// The result as a small table for people.
[[nodiscard]] std::string describe(const PeakMonthOptions& options, const PeakMonthResult& result);

}  // namespace emsgw::ems::test
