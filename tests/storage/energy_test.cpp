// Energy per local day and month (SqliteStore::energy): grid import and export from the 10 s means of
// the net grid power, PV and heat pump from theirs, each socket from the station's register through
// the session slices, home consumption and self-consumption derived from them.
#include <gtest/gtest.h>

#include "gateway/storage/sqlite_store.hpp"

namespace emsgw::gateway::storage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-29 23:00:00 UTC.
const WallTime kT0 = from_unix_ms(1'795'993'200'000);

SqliteStore memory_store() {
  StorageSettings s;
  s.path = ":memory:";
  auto st = SqliteStore::open(s);
  EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().message);
  return std::move(st).value();
}

/// One sample every 10 s from `from` for `span`, each phase at `phase_w`, PV at `pv_w`.
void feed(SqliteStore& store, WallTime from, seconds span, double phase_w, std::optional<double> pv_w) {
  for (auto t = from; t < from + span; t += seconds(10)) {
    HistorySample h;
    h.time = t;
    h.grid_power_w = {phase_w, phase_w, phase_w};
    h.pv_w = pv_w;
    h.heatpump_w = 600.0;
    store.add_sample(h);
  }
  ASSERT_TRUE(store.flush(true));
}

const EnergyPeriod* find(const std::vector<EnergyPeriod>& v, const std::string& name) {
  for (const auto& p : v)
    if (p.period == name) return &p;
  return nullptr;
}

TEST(Energy, DaysSplitAtLocalMidnightWithImportExportPvAndEachSocket) {
  auto store = memory_store();
  // 23:00–24:00: 3 × 1000 W import, no sun. 00:00–01:00: 3 × 500 W export with 2000 W of PV.
  feed(store, kT0, hours(1), 1000.0, 0.0);
  feed(store, kT0 + hours(1), hours(1), -500.0, 2000.0);
  // A car on socket 2 from 23:30 to 00:30: 400 Wh before midnight, 300 Wh after (register readings).
  ASSERT_TRUE(store.start_session({2, kT0 + minutes(30), 10'000}));
  ASSERT_TRUE(store.meter_session(2, kT0 + minutes(59), 10'400, 0.0));
  ASSERT_TRUE(store.meter_session(2, kT0 + minutes(89), 10'700, 1.0));

  ASSERT_TRUE(store.flush(true));

  const auto days = store.energy(kT0 - hours(1), kT0 + hours(3), EnergyPeriodKind::Day, utc_date);
  ASSERT_TRUE(days) << days.error().message;
  ASSERT_EQ(days->size(), 2U);
  const auto* d1 = find(*days, "2026-11-29");
  const auto* d2 = find(*days, "2026-11-30");
  ASSERT_TRUE(d1 && d2);
  EXPECT_NEAR(d1->grid_import_wh, 3000.0, 1e-6);
  EXPECT_NEAR(d1->grid_export_wh, 0.0, 1e-6);
  EXPECT_NEAR(d1->pv_wh.value(), 0.0, 1e-6);
  EXPECT_NEAR(d1->heatpump_wh.value(), 600.0, 1e-6);
  EXPECT_NEAR(d1->ev_wh, 400.0, 1e-6);
  EXPECT_NEAR(d1->socket_wh.at(2), 400.0, 1e-6);
  EXPECT_NEAR(d1->home_wh.value(), 2600.0, 1e-6);  // 3000 import − 400 EV
  EXPECT_EQ(d1->covered_s, 3600);

  EXPECT_NEAR(d2->grid_import_wh, 0.0, 1e-6);
  EXPECT_NEAR(d2->grid_export_wh, 1500.0, 1e-6);
  EXPECT_NEAR(d2->pv_wh.value(), 2000.0, 1e-6);
  EXPECT_NEAR(d2->ev_wh, 300.0, 1e-6);
  EXPECT_NEAR(d2->ev_pv_wh.value(), 300.0, 1e-6);
  EXPECT_NEAR(d2->home_wh.value(), 200.0, 1e-6);           // −1500 + 2000 − 300
  EXPECT_NEAR(d2->self_consumed_wh.value(), 500.0, 1e-6);  // 2000 PV − 1500 exported
}

TEST(Energy, MonthsFollowTheLocalDateNotUtc) {
  auto store = memory_store();
  feed(store, kT0 + minutes(30), minutes(30), 1000.0, std::nullopt);  // 23:30–24:00 UTC = 00:30–01:00 at UTC+1
  const LocalDateFn utc_plus_one = [](WallTime t) { return utc_date(t + hours(1)); };
  const auto local = store.energy(kT0, kT0 + hours(2), EnergyPeriodKind::Month, utc_plus_one);
  ASSERT_TRUE(local);
  ASSERT_EQ(local->size(), 1U);
  EXPECT_EQ(local->front().period, "2026-11");  // 2026-11-30 00:30 local: still November
  const auto utc = store.energy(kT0, kT0 + hours(2), EnergyPeriodKind::Month, utc_date);
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->front().period, "2026-11");
  // One more hour at UTC+1 crosses into December: 2026-11-30 23:30 UTC.
  auto store2 = memory_store();
  feed(store2, kT0 + hours(24) + minutes(30), minutes(30), 1000.0, std::nullopt);
  const auto dec = store2.energy(kT0, kT0 + hours(48), EnergyPeriodKind::Month, utc_plus_one);
  ASSERT_TRUE(dec);
  ASSERT_EQ(dec->size(), 1U);
  EXPECT_EQ(dec->front().period, "2026-12");
  EXPECT_NEAR(dec->front().grid_import_wh, 1500.0, 1e-6);
  EXPECT_FALSE(dec->front().pv_wh.has_value());
  EXPECT_NEAR(dec->front().home_wh.value(), 1500.0, 1e-6);  // nothing exported: no hidden generation
}

TEST(Energy, WithoutAPvReadingHomeConsumptionIsUnknownOnceEnergyWasExported) {
  auto store = memory_store();
  feed(store, kT0, minutes(15), -300.0, std::nullopt);
  const auto days = store.energy(kT0, kT0 + hours(1), EnergyPeriodKind::Day, utc_date);
  ASSERT_TRUE(days);
  ASSERT_EQ(days->size(), 1U);
  EXPECT_NEAR(days->front().grid_export_wh, 225.0, 1e-6);
  EXPECT_FALSE(days->front().home_wh.has_value());
  EXPECT_FALSE(days->front().self_consumed_wh.has_value());
}

TEST(Energy, EmptyRangesGiveNoPeriods) {
  auto store = memory_store();
  feed(store, kT0, minutes(15), 100.0, 0.0);
  const auto none = store.energy(kT0 + hours(5), kT0 + hours(6), EnergyPeriodKind::Day, utc_date);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace emsgw::gateway::storage
