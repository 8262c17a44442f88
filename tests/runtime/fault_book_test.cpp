// The fault book: named faults raised once with their first-seen time, texts updated in place,
// cleared by name, every transition handed on as a decision; lingering faults expire.
#include "gateway/control/fault_book.hpp"

#include <gtest/gtest.h>

namespace emsgw::gateway {
namespace {

using std::chrono::seconds;

struct Book {
  std::vector<Decision> decisions;
  FaultBook book{[this](Decision d) { decisions.push_back(std::move(d)); }};
};

ems::WallTime wall(int s) {
  return ems::WallTime{} + seconds(1'700'000'000 + s);
}

TEST(FaultBook, ARaisedFaultKeepsItsFirstSeenTimeAndIsHandedOnOnce) {
  Book b;
  EXPECT_TRUE(b.book.raise("meter_stale", "grid meter silent", wall(0)));
  EXPECT_FALSE(b.book.raise("meter_stale", "grid meter silent again", wall(5)));
  const auto list = b.book.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].code, "meter_stale");
  EXPECT_EQ(list[0].text, "grid meter silent") << "raise() leaves a raised fault as it is";
  EXPECT_EQ(list[0].since, wall(0));
  ASSERT_EQ(b.decisions.size(), 1u);
  EXPECT_EQ(b.decisions[0].reason, "fault_raised:meter_stale");
  EXPECT_EQ(b.decisions[0].socket_id, -1);
  EXPECT_EQ(b.decisions[0].at, wall(0));
}

TEST(FaultBook, RaiseOrUpdateChangesTheTextButNotTheFirstSeenTime) {
  Book b;
  b.book.raise_or_update("meter_rejected:grid", "NaN on L1", wall(0));
  b.book.raise_or_update("meter_rejected:grid", "NaN on L2", wall(3));
  const auto list = b.book.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].text, "NaN on L2");
  EXPECT_EQ(list[0].since, wall(0));
  EXPECT_EQ(b.decisions.size(), 1u) << "an update is not a new fault";
}

TEST(FaultBook, ClearingRemovesTheFaultOnceWithItsText) {
  Book b;
  b.book.raise("station_offline:carport", "station carport does not answer", wall(0));
  b.book.raise("pv_stale", "PV reading stale", wall(1));
  b.book.clear("station_offline:carport", wall(2));
  b.book.clear("station_offline:carport", wall(3));
  b.book.clear("never_raised", wall(3));
  EXPECT_FALSE(b.book.contains("station_offline:carport"));
  EXPECT_TRUE(b.book.contains("pv_stale"));
  ASSERT_EQ(b.decisions.size(), 3u);
  EXPECT_EQ(b.decisions[2].reason, "fault_cleared:station_offline:carport");
  EXPECT_EQ(b.decisions[2].text, "station carport does not answer");
  EXPECT_EQ(b.decisions[2].at, wall(2));
}

TEST(FaultBook, TheListIsOrderedByCode) {
  Book b;
  b.book.raise("wiring:1", "b", wall(0));
  b.book.raise("meter_stale", "a", wall(1));
  b.book.raise("reload_refused", "c", wall(2));
  const auto list = b.book.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].code, "meter_stale");
  EXPECT_EQ(list[1].code, "reload_refused");
  EXPECT_EQ(list[2].code, "wiring:1");
}

TEST(FaultBook, ALingeringFaultStaysUntilItWasNotSeenForTheLingerTime) {
  Book b;
  const ems::MonoTime t0 = ems::MonoTime{} + std::chrono::hours(1);
  b.book.raise_lingering("foreign_setpoint:carport:1", "1210 reads 20 A", t0, wall(0));
  b.book.raise_lingering("foreign_setpoint:carport:1", "1210 reads 20 A", t0 + seconds(30), wall(30));
  b.book.expire(t0 + seconds(80), seconds(60), wall(80));
  EXPECT_TRUE(b.book.contains("foreign_setpoint:carport:1")) << "seen again 50 s ago";
  b.book.expire(t0 + seconds(91), seconds(60), wall(91));
  EXPECT_FALSE(b.book.contains("foreign_setpoint:carport:1"));
  ASSERT_EQ(b.decisions.size(), 2u);
  EXPECT_EQ(b.decisions[1].reason, "fault_cleared:foreign_setpoint:carport:1");
}

}  // namespace
}  // namespace emsgw::gateway
