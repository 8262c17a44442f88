// The quarter-hour peak over a simulated month (tests/ems/peak_month.hpp), held to the targets:
// the quarter's average never exceeds the target when the household alone stays below it, and the
// cars get at least 95 % of the energy an unconstrained controller gives them in the same windows.
#include "tests/ems/peak_month.hpp"

#include <gtest/gtest.h>

namespace emsgw::ems::test {
namespace {

TEST(PeakMonth, TheQuarterStaysUnderTheTargetAndTheCarsStillGetTheirEnergy) {
  PeakMonthOptions o;
  const auto r = simulate_peak_month(o);
  std::printf("%s", describe(o, r).c_str());
  ASSERT_LT(r.household_peak_kw, o.target_kw) << "the month's household must stay below the target for this claim";
  EXPECT_GT(r.unconstrained.month_peak_kw, o.target_kw + 3) << "without the controller the cars set a high peak";
  EXPECT_EQ(r.with_peak.quarters_over_household_ok, 0);
  EXPECT_LE(r.with_peak.month_peak_kw, o.target_kw);
  EXPECT_GE(r.with_peak.ev_kwh, 0.95 * r.unconstrained.ev_kwh);
  EXPECT_GT(r.unconstrained.ev_kwh, 0.9 * r.unconstrained.ev_kwh_asked) << "the cars are charged at all";
}

}  // namespace
}  // namespace emsgw::ems::test
