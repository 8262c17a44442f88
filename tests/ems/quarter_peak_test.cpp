// The quarter-hour peak budget (ems/quarter_peak.hpp): energy so far from grid samples or the
// meter's running average, clock-aligned quarters, the month's peak, and the allowed import.
#include "ems/quarter_peak.hpp"

#include <gtest/gtest.h>

namespace emsgw::ems {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-30 10:00:00 UTC, a quarter boundary.
const WallTime kQ0 = WallTime(seconds(1'796'032'800));

/// Samples every second from `from` (inclusive) to `to` (exclusive) at `w`.
void feed(QuarterPeak& q, WallTime from, WallTime to, double w) {
  for (auto t = from; t < to; t += seconds(1)) q.observe(t, w);
}

TEST(QuarterPeak, QuartersAreClockAligned) {
  EXPECT_EQ(QuarterPeak::quarter_start(kQ0 + minutes(14) + seconds(59)), kQ0);
  EXPECT_EQ(QuarterPeak::quarter_start(kQ0 + minutes(15)), kQ0 + minutes(15));
  EXPECT_EQ(QuarterPeak::quarter_start(kQ0 - seconds(1)), kQ0 - minutes(15));
}

TEST(QuarterPeak, TheBudgetIsWhatIsLeftOfTheTargetOverTheTimeLeft) {
  QuarterPeak q({4000, false, 200});
  feed(q, kQ0, kQ0 + minutes(5), 3000);
  const auto b = q.budget(kQ0 + minutes(5));
  EXPECT_NEAR(b.energy_wh, 250.0, 1.0);  // 3 kW for 5 minutes
  EXPECT_NEAR(b.elapsed_s, 300.0, 1e-9);
  EXPECT_NEAR(b.left_s, 600.0, 1e-9);
  EXPECT_DOUBLE_EQ(b.target_w, 4000);
  // (3.8 kW × 15 min − 250 Wh) over 10 min = 700 Wh / (1/6 h) = 4200 W.
  EXPECT_NEAR(b.allowed_import_w, 4200.0, 10.0);
  EXPECT_NEAR(b.projected_average_w, 3000.0, 10.0);
  EXPECT_FALSE(b.energy_from_meter);
}

TEST(QuarterPeak, ExportDoesNotBuyImportAndAnExhaustedBudgetIsZeroNotNegative) {
  QuarterPeak q({2500, false, 0});
  feed(q, kQ0, kQ0 + minutes(2), -5000);  // exporting
  EXPECT_NEAR(q.budget(kQ0 + minutes(2)).energy_wh, 0.0, 1e-9);
  feed(q, kQ0 + minutes(2), kQ0 + minutes(12), 4000);  // 667 Wh > 625 Wh allowed
  const auto b = q.budget(kQ0 + minutes(12));
  EXPECT_GT(b.energy_wh, 625.0);
  EXPECT_DOUBLE_EQ(b.allowed_import_w, 0.0);
}

TEST(QuarterPeak, AClosedQuarterCarriesItsAverageAndTheMonthPeakFollowsIt) {
  QuarterPeak q({2500, true, 0});
  feed(q, kQ0, kQ0 + minutes(15), 6000);
  q.observe(kQ0 + minutes(15), 1000);  // first sample of the next quarter closes the first
  const auto closed = q.take_closed();
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_EQ(closed[0].start, kQ0);
  EXPECT_NEAR(closed[0].average_w, 6000.0, 1.0);
  EXPECT_NEAR(closed[0].covered_s, 900.0, 1e-6);
  EXPECT_TRUE(q.take_closed().empty());
  EXPECT_NEAR(q.month_peak_w(), 6000.0, 1.0);
  // Following the month's peak: 6 kW is billed anyway, so it is the target now.
  const auto b = q.budget(kQ0 + minutes(15));
  EXPECT_NEAR(b.target_w, 6000.0, 1.0);
  EXPECT_NEAR(b.energy_wh, 0.0, 1e-9);
  // Not following it: the setting stays the target.
  q.set_settings({2500, false, 0});
  EXPECT_DOUBLE_EQ(q.budget(kQ0 + minutes(15)).target_w, 2500);
  // A new month: the peak starts again.
  q.set_month_peak(0);
  q.set_settings({2500, true, 0});
  EXPECT_DOUBLE_EQ(q.budget(kQ0 + minutes(15)).target_w, 2500);
}

TEST(QuarterPeak, AnIntervalAcrossTheBoundaryIsSplitBetweenTheTwoQuarters) {
  QuarterPeak q({2500, false, 0});
  q.observe(kQ0 + minutes(14) + seconds(50), 3600);
  q.observe(kQ0 + minutes(15) + seconds(10), 3600);  // 10 s in each quarter
  const auto closed = q.take_closed();
  ASSERT_EQ(closed.size(), 1U);
  EXPECT_NEAR(closed[0].energy_wh, 10.0, 1e-6);
  EXPECT_NEAR(q.budget(kQ0 + minutes(15) + seconds(10)).energy_wh, 10.0, 1e-6);
}

TEST(QuarterPeak, AMeterThatWentQuietIsHeldForThirtySecondsOnly) {
  QuarterPeak q({2500, false, 0});
  q.observe(kQ0, 3600);
  EXPECT_NEAR(q.budget(kQ0 + seconds(10)).energy_wh, 10.0, 1e-6);
  EXPECT_NEAR(q.budget(kQ0 + minutes(5)).energy_wh, 30.0, 1e-6);
  q.observe(kQ0 + minutes(5), 0);
  const auto b = q.budget(kQ0 + minutes(5));
  EXPECT_NEAR(b.energy_wh, 30.0, 1e-6);
}

TEST(QuarterPeak, TheMetersRunningAverageIsTheBetterFigureForItsQuarter) {
  QuarterPeak q({4000, false, 0});
  feed(q, kQ0, kQ0 + minutes(6), 1000);             // our integration: 100 Wh
  q.observe_meter_average(kQ0 + minutes(6), 2000);  // the meter: 2 kW over 6 min = 200 Wh
  auto b = q.budget(kQ0 + minutes(6));
  EXPECT_TRUE(b.energy_from_meter);
  EXPECT_NEAR(b.energy_wh, 200.0, 1e-6);
  // A minute later without a new meter value the figure is too old: back to the samples.
  feed(q, kQ0 + minutes(6), kQ0 + minutes(7), 1000);
  b = q.budget(kQ0 + minutes(7));
  EXPECT_FALSE(b.energy_from_meter);
  EXPECT_NEAR(b.energy_wh, 116.7, 0.5);
  // The previous quarter's average never counts for the new one.
  q.observe_meter_average(kQ0 + minutes(14) + seconds(59), 3000);
  feed(q, kQ0 + minutes(7), kQ0 + minutes(15) + seconds(5), 0);
  EXPECT_FALSE(q.budget(kQ0 + minutes(15) + seconds(5)).energy_from_meter);
}

TEST(QuarterPeak, TheMetersMonthPeakRaisesTheTargetWhenFollowed) {
  QuarterPeak q({2500, true, 100});
  q.observe_meter_month_peak(5200);
  q.observe(kQ0, 0);
  const auto b = q.budget(kQ0 + minutes(1));
  EXPECT_DOUBLE_EQ(b.month_peak_w, 5200);
  EXPECT_DOUBLE_EQ(b.target_w, 5200);
  EXPECT_NEAR(b.allowed_import_w, (5100.0 * 0.25) * 3600.0 / 840.0, 1e-6);
}

}  // namespace
}  // namespace emsgw::ems
