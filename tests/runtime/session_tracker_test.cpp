// The session tracker: plug-in, unplug and a full EV as events with the energy counter at start and
// stop; silent stations and missing counters open nothing.
#include "gateway/control/session_tracker.hpp"

#include <gtest/gtest.h>

namespace emsgw::gateway {
namespace {

using std::chrono::seconds;
using Kind = SessionEventKind;

ems::WallTime wall(int s) {
  return ems::WallTime{} + seconds(1'700'000'000 + s);
}

SocketObservation socket(int id, bool ev, std::optional<double> counter, std::string mode3 = {}, double offered = 0,
                         bool online = true) {
  return {id, online, ev, counter, std::move(mode3), offered};
}

TEST(SessionTracker, APlugInStartsASessionAtTheCounterAndAnUnplugEndsItAtTheNewestCounter) {
  SessionTracker t;
  EXPECT_TRUE(t.observe(wall(0), {socket(0, false, 1000)}).empty());
  const auto started = t.observe(wall(1), {socket(0, true, 1000, "B1")});
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].kind, Kind::Started);
  EXPECT_EQ(started[0].socket_id, 0);
  EXPECT_EQ(started[0].at, wall(1));
  EXPECT_TRUE(started[0].seen_arriving);
  EXPECT_DOUBLE_EQ(started[0].start_energy_wh, 1000);
  EXPECT_TRUE(t.observe(wall(2), {socket(0, true, 1400, "C2", 16)}).empty());
  ASSERT_EQ(t.open().size(), 1u);
  EXPECT_EQ(t.open().at(0).start, wall(1));
  EXPECT_DOUBLE_EQ(*t.energy_wh(0, 1400), 400);
  const auto ended = t.observe(wall(3), {socket(0, false, 1500, "A1")});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Kind::Ended);
  EXPECT_DOUBLE_EQ(ended[0].start_energy_wh, 1000);
  EXPECT_DOUBLE_EQ(*ended[0].energy_wh, 1500);
  EXPECT_TRUE(t.open().empty());
  EXPECT_FALSE(t.energy_wh(0, 1500)) << "no session, no session energy";
}

TEST(SessionTracker, AnEvConnectedWhenTheSocketIsFirstSeenWasNotSeenArriving) {
  SessionTracker t;
  const auto e = t.observe(wall(0), {socket(3, true, 200, "C2", 10)});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].kind, Kind::Started);
  EXPECT_FALSE(e[0].seen_arriving);
}

TEST(SessionTracker, ASessionResumedFromStorageGoesOnWithItsStartAndItsEnergyNeverRestartsAtZero) {
  SessionTracker t;
  t.resume(3, wall(-600), 5000);  // open when emsgw stopped, 5 kWh on the counter at plug-in
  EXPECT_TRUE(t.observe(wall(0), {socket(3, true, 7500, "C2", 16)}).empty()) << "the same session, no new start";
  EXPECT_DOUBLE_EQ(*t.energy_wh(3, 7500), 2500);
  EXPECT_EQ(t.open().at(3).start, wall(-600));
  const auto ended = t.observe(wall(10), {socket(3, false, 7600, "A1")});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, Kind::Ended);
  EXPECT_DOUBLE_EQ(ended[0].start_energy_wh, 5000);

  SessionTracker gone;
  gone.resume(4, wall(-600), 100);
  const auto e = gone.observe(wall(0), {socket(4, false, 900, "A1")});
  ASSERT_EQ(e.size(), 1u) << "the EV left while emsgw was stopped";
  EXPECT_EQ(e[0].kind, Kind::Ended);
}

TEST(SessionTracker, ASessionWaitsForTheEnergyCounterAndUsesTheLastOneKnown) {
  SessionTracker t;
  EXPECT_TRUE(t.observe(wall(0), {socket(0, true, std::nullopt)}).empty());
  EXPECT_TRUE(t.open().empty());
  const auto e = t.observe(wall(1), {socket(0, true, 700)});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_DOUBLE_EQ(e[0].start_energy_wh, 700);
  EXPECT_TRUE(e[0].seen_arriving);
  // The counter missing from one sample: the session ends at the last one known.
  const auto end = t.observe(wall(2), {socket(0, false, std::nullopt)});
  ASSERT_EQ(end.size(), 1u);
  EXPECT_DOUBLE_EQ(*end[0].energy_wh, 700);
}

TEST(SessionTracker, ASilentStationNeitherOpensNorEndsASession) {
  SessionTracker t;
  t.observe(wall(0), {socket(0, true, 100)});
  EXPECT_TRUE(t.observe(wall(1), {socket(0, false, std::nullopt, {}, 0, false)}).empty());
  EXPECT_EQ(t.open().size(), 1u);
  EXPECT_TRUE(t.observe(wall(2), {socket(1, true, 100, {}, 0, false)}).empty());
  EXPECT_FALSE(t.open().contains(1));
}

TEST(SessionTracker, AnEvThatStopsAskingWhileCurrentIsOfferedIsFull) {
  SessionTracker t;
  t.observe(wall(0), {socket(0, true, 0, "B1")});
  EXPECT_TRUE(t.observe(wall(1), {socket(0, true, 500, "C2", 16)}).empty());
  const auto full = t.observe(wall(2), {socket(0, true, 900, "B2", 16)});
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(full[0].kind, Kind::EvFull);
  EXPECT_DOUBLE_EQ(*full[0].energy_wh, 900);
  // C → B with nothing offered is emsgw pausing it, not the EV.
  t.observe(wall(3), {socket(0, true, 900, "C2", 16)});
  EXPECT_TRUE(t.observe(wall(4), {socket(0, true, 900, "B2", 0)}).empty());
}

TEST(SessionTracker, SocketsAreFollowedIndependently) {
  SessionTracker t;
  t.observe(wall(0), {socket(0, false, 10), socket(1, false, 20)});
  const auto e = t.observe(wall(1), {socket(0, true, 10), socket(1, false, 20)});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].socket_id, 0);
  EXPECT_FALSE(t.energy_wh(1, 20));
  EXPECT_DOUBLE_EQ(*t.energy_wh(0, 15), 5);
}

}  // namespace
}  // namespace emsgw::gateway
