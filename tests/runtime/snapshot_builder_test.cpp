// The snapshot builder: what the allocator sees of the site at one step, from the newest readings
// and samples, with the grid made conservative against EV currents read at other times.
#include "gateway/control/snapshot_builder.hpp"

#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Config example_config() {
  return load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                          "example.toml");
}

const ems::MonoTime t0 = ems::MonoTime{} + std::chrono::hours(1);

drivers::MeterReading grid(std::array<double, 3> a, ems::MonoTime at) {
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(a[p]);
  r.mono = at;
  return r;
}

StationSample station(double unit1_a, ems::MonoTime at, std::optional<double> energy_wh = std::nullopt) {
  StationSample s;
  s.ok = true;
  s.at = at;
  s.started = at;
  SocketSample a;
  a.unit = 1;
  a.valid = true;
  a.state = unit1_a > 0 ? ems::ConnectorState::Charging : ems::ConnectorState::Available;
  a.current_a = {unit1_a, unit1_a, unit1_a};
  a.energy_wh = energy_wh;
  SocketSample b;
  b.unit = 2;
  b.valid = true;
  b.state = ems::ConnectorState::Available;
  b.current_a = {0.0, 0.0, 0.0};
  s.sockets = {a, b};
  return s;
}

struct Inputs {
  Config config = example_config();
  SiteInputs in;
  SessionTracker sessions;
  /// The example site, with `stations` copies of its station (socket ids renumbered).
  explicit Inputs(std::size_t stations = 1) {
    const auto one = config.site.stations.front();
    for (std::size_t i = 1; i < stations; ++i) {
      auto copy = one;
      copy.name += std::to_string(i);
      for (auto& so : copy.sockets) so.id += static_cast<int>(10 * i);
      config.site.stations.push_back(copy);
    }
    in.sockets = SiteInputs::index_sockets(config.site);
    in.stations.resize(config.site.stations.size());
  }
  void add_grid(std::array<double, 3> a, ems::MonoTime at) {
    in.grid_history.push_back(grid(a, at));
    in.meters["grid"] = in.grid_history.back();
  }
  /// A raise by `a` handed over at `at` (on all three phases).
  void add_raise(double a, ems::MonoTime at) { in.raise_history.emplace_back(at, std::array<double, 3>{a, a, a}); }
  void add_station(const StationSample& s, std::size_t i = 0) {
    in.stations[i].online = true;
    in.stations[i].last_ok = s;
    in.record_ev(config.site, i);
  }
};

TEST(SnapshotBuilder, GridAndSocketsComeFromTheNewestReadingsAndSamples) {
  Inputs x;
  x.add_station(station(10, t0));
  x.add_grid({14, 13, 12}, t0);
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(100));
  EXPECT_EQ(s.now, t0 + milliseconds(100));
  ASSERT_TRUE(s.grid.valid);
  EXPECT_DOUBLE_EQ(s.grid.current[0].value(), 14);
  EXPECT_DOUBLE_EQ(s.grid.current[2].value(), 12);
  ASSERT_EQ(s.sockets.size(), 2u);
  EXPECT_EQ(s.sockets[0].id, 0);
  EXPECT_TRUE(s.sockets[0].reachable);
  EXPECT_TRUE(s.sockets[0].measured_valid);
  EXPECT_EQ(s.sockets[0].state, ems::ConnectorState::Charging);
  EXPECT_DOUBLE_EQ(s.sockets[0].current[1].value(), 10);
  EXPECT_FALSE(s.pv_configured);
}

TEST(SnapshotBuilder, WithoutAGridReadingTheGridIsInvalidAndAnOfflineStationUnreachable) {
  Inputs x;
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0);
  EXPECT_FALSE(s.grid.valid);
  ASSERT_EQ(s.sockets.size(), 2u);
  EXPECT_FALSE(s.sockets[0].reachable);
  EXPECT_FALSE(s.sockets[0].measured_valid);
}

TEST(SnapshotBuilder, AGridReadingMissingAPhaseIsInvalid) {
  Inputs x;
  auto r = grid({5, 5, 5}, t0);
  r.current_a[1] = drivers::Measurement{};
  x.in.meters["grid"] = r;
  EXPECT_FALSE(build_snapshot(x.config, x.in, x.sessions, t0).grid.valid);
}

TEST(SnapshotBuilder, TheSessionEnergyComesFromTheSessionTracker) {
  Inputs x;
  x.add_station(station(10, t0, 1500));
  x.sessions.observe(ems::WallTime{}, {{0, true, true, 1000.0, "C2", 10}});
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0);
  EXPECT_DOUBLE_EQ(s.sockets[0].energy_wh, 500);
  EXPECT_DOUBLE_EQ(s.sockets[1].energy_wh, 0);
}

TEST(SnapshotBuilder, AnEvThatDroppedAfterTheStationSampleDoesNotHideHouseholdLoad) {
  // The station sample (EV at 10 A) is older than the newest grid reading, which no longer shows
  // the EV: the grid taken is the highest since the station sample.
  Inputs x;
  x.add_grid({20, 20, 20}, t0);
  x.add_station(station(10, t0 + milliseconds(100)));
  x.add_grid({22, 22, 22}, t0 + milliseconds(500));
  x.add_grid({12, 12, 12}, t0 + milliseconds(900));
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + seconds(1));
  EXPECT_DOUBLE_EQ(s.grid.current[0].value(), 22);
}

TEST(SnapshotBuilder, AnEvThatRampedDownIsNotCountedAsHouseholdLoad) {
  // Household 10 A. The car drew 16 A (sampled at t0 and t0 + 0.6 s, seen by the grid meter at
  // t0 + 0.5 s), then ramped down to 12 A (sampled at t0 + 0.9 s, seen at t0 + 1.1 s). The older,
  // higher reading lies between two samples of 16 A, so it is set against 16 A: it does not make
  // the household 4 A larger than it is (the grid taken is household + the EVs now).
  Inputs x;
  x.add_station(station(16, t0));
  x.add_grid({26, 26, 26}, t0 + milliseconds(500));
  x.add_station(station(16, t0 + milliseconds(600)));
  x.add_station(station(12, t0 + milliseconds(900)));
  x.add_grid({22, 22, 22}, t0 + milliseconds(1100));
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(1200));
  EXPECT_DOUBLE_EQ(s.grid.current[0].value(), 10 + 12);
}

TEST(SnapshotBuilder, AReadingTakenWhileACarRampsDownIsSetAgainstTheLowerOfTheSamplesAroundIt) {
  // Household 19 A (a hair dryer on). The car was cut from 13 A to 0 A: sampled at 13 A just before
  // it began to ramp down, the grid meter saw it at 8 A, the next sample 4 A, the next reading 1 A.
  // The reading lies between the 13 A and the 4 A samples: what the car drew then is not known
  // beyond "at least 4 A", so the household is never read below 19 A (set against 13 A it would
  // be 14 A, and 5 A would be handed out that are not there).
  Inputs x;
  x.add_station(station(13, t0));
  x.add_grid({27, 27, 27}, t0 + milliseconds(700));
  x.add_station(station(4, t0 + milliseconds(1000)));
  x.add_grid({20, 20, 20}, t0 + milliseconds(1700));
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(1800));
  EXPECT_GE(s.grid.current[0].value() - 4, 19) << "household read below the truth";
}

// Two stations read at their own times. The carport's car is cut and ramps down 14 → 6 A between two
// of its samples, while a 4 A kettle goes on (household 4 → 8 A); the driveway's car draws 10 A
// throughout and is read in between. The reading taken during the ramp is set against the carport's
// own samples around it (the lower, 6 A), not against what the site-wide total said at the
// driveway's sample: that total still carried the carport's 14 A, and read so the household would
// be 6 A, not 8 A, until the next grid reading (10 s on a DSMR 4 meter).
TEST(SnapshotBuilder, AReadingDuringOneStationsRampIsSetAgainstThatStationsOwnSamples) {
  Inputs x(2);
  x.add_station(station(14, t0 - seconds(1)), 0);
  x.add_station(station(10, t0 - milliseconds(500)), 1);
  x.add_station(station(14, t0), 0);
  x.add_grid({28, 28, 28}, t0 - milliseconds(100));  // household 4 A + carport 14 A + driveway 10 A
  x.add_grid({30, 30, 30}, t0 + milliseconds(300));  // household 8 A + carport 12 A (ramping) + 10 A
  x.add_station(station(10, t0 + milliseconds(500)), 1);
  x.add_station(station(6, t0 + seconds(1)), 0);
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(1050));
  EXPECT_GE(s.grid.current[0].value() - 16, 8) << "household read below the truth";
}

TEST(SnapshotBuilder, AnEvRiseTheGridMeterDoesNotShowYetIsAddedBack) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({10, 10, 10}, t0);
  x.add_station(station(8, t0 + milliseconds(500)));
  x.add_grid({12, 12, 12}, t0 + milliseconds(600));  // the meter shows 2 A of the 8 A rise so far
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(700));
  EXPECT_DOUBLE_EQ(s.grid.current[0].value(), 12 + 6);
}

// A car raised from 0 A to 7 A ramps up: the grid meter shows the rise a moment before its station
// reports it. Read as household, the rise would take the room the car was given, and the car would
// be cut again (a resume and a pause within a second, on every turn of a rotation).
TEST(SnapshotBuilder, AGridRiseOfARaisedCarItsStationHasNotReportedYetIsTheCars) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({6, 6, 6}, t0);
  x.add_raise(7, t0 + milliseconds(500));             // the raise goes out
  x.add_grid({11, 11, 11}, t0 + milliseconds(2500));  // the car at 5 A, its station not read since
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(2600));
  EXPECT_DOUBLE_EQ(s.grid.current[0].value(), 6) << "household 6 A, the car's 5 A are its own";
  EXPECT_TRUE(s.ev_rise_unconfirmed()) << "raises wait until the station reports the rise";
  EXPECT_EQ(s.ev_rise_unconfirmed_on, (std::array<bool, 3>{true, true, true}));
  // Its station reports it, and so does every reading in use.
  x.add_station(station(5, t0 + milliseconds(3000)));
  x.add_grid({11, 11, 11}, t0 + milliseconds(3500));
  x.add_station(station(5, t0 + milliseconds(4000)));
  x.add_grid({11, 11, 11}, t0 + milliseconds(4500));
  const auto reported = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(4600));
  EXPECT_DOUBLE_EQ(reported.grid.current[0].value(), 11);
  EXPECT_FALSE(reported.ev_rise_unconfirmed());
  EXPECT_EQ(reported.ev_rise_unconfirmed_on, (std::array<bool, 3>{}));
}

// The rise is taken on trust on the grid phases it shows on only (a 1-phase car raised on L3): a
// raise on the others has nothing hidden from it and need not wait (ramp).
TEST(SnapshotBuilder, ARiseOnTrustIsFlaggedOnThePhasesItShowsOnOnly) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({6, 6, 6}, t0);
  x.in.raise_history.emplace_back(t0 + milliseconds(500), std::array<double, 3>{0, 0, 7});
  x.add_grid({6, 6, 11}, t0 + milliseconds(2500));  // the car at 5 A on L3, its station not read since
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(2600));
  EXPECT_DOUBLE_EQ(s.grid.current[2].value(), 6) << "the car's 5 A are its own";
  EXPECT_TRUE(s.ev_rise_unconfirmed());
  EXPECT_EQ(s.ev_rise_unconfirmed_on, (std::array<bool, 3>{false, false, true}));
}

// The same car's rise reported by its station after the grid meter showed it: the station's rise is
// in the grid reading already and is not added back as a rise the meter has yet to show.
TEST(SnapshotBuilder, ARaisedCarsRiseTheGridShowedBeforeItsStationIsNotAddedBack) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({6, 6, 6}, t0);
  x.add_raise(13, t0 + milliseconds(100));
  x.add_grid({19, 19, 19}, t0 + seconds(2));            // the car at 13 A on the grid
  x.add_station(station(7, t0 + milliseconds(2500)));   // its station half way up
  x.add_station(station(13, t0 + milliseconds(3500)));  // and at 13 A
  x.add_grid({19, 19, 19}, t0 + seconds(4));
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(4100));
  EXPECT_DOUBLE_EQ(s.grid.current[0].value() - 13, 6) << "household 6 A";
}

// What the raises cannot explain stays household: a kettle switched on while the car ramps, and a
// rise long after the raise (the car had its EV response time to follow).
TEST(SnapshotBuilder, AGridRiseBeyondTheRaisesOrAfterTheResponseTimeIsHousehold) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({6, 6, 6}, t0);
  x.add_raise(7, t0 + milliseconds(500));
  x.add_grid({17, 17, 17}, t0 + milliseconds(2500));  // the car at 7 A and a 4 A kettle
  EXPECT_DOUBLE_EQ(build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(2600)).grid.current[0].value(), 10);

  Inputs y;
  y.add_station(station(0, t0));
  y.add_grid({6, 6, 6}, t0);
  y.add_raise(7, t0 + milliseconds(500));
  y.add_station(station(0, t0 + seconds(9)));                     // the car never took its 7 A
  y.add_grid({11, 11, 11}, t0 + seconds(9) + milliseconds(500));  // 5 A more: household
  EXPECT_DOUBLE_EQ(build_snapshot(y.config, y.in, y.sessions, t0 + seconds(10)).grid.current[0].value(), 11);
}

// A grid rise is the raised cars' only as far as the raises reach above what the stations report
// now: measured from the EV total at the raise, a cut elsewhere since (its station reports the car
// going down) would make room for a household step to be taken as the raised car's (the EV lab: a
// 2.9 A step read 1.7 A low while one car was raised by 1 A and another cut).
TEST(SnapshotBuilder, AGridRiseIsARaisedCarsOnlyUpToTheRaiseAboveWhatTheStationsReportNow) {
  Inputs x(2);
  for (int i = 0; i <= 3; ++i) {
    x.add_station(station(10, t0 + seconds(i)), 0);
    x.add_station(station(10, t0 + seconds(i)), 1);
    if (i == 0) x.add_grid({26, 26, 26}, t0 + milliseconds(900));  // household 6 A
    if (i == 2) x.add_grid({26, 26, 26}, t0 + milliseconds(2100));
    if (i == 3) x.add_grid({29, 29, 29}, t0 + seconds(3));  // a 3 A kettle at t0 + 2.5 s
  }
  x.add_raise(1, t0 + milliseconds(1500));            // station 0's car: 10 -> 11 A
  x.add_grid({27, 27, 27}, t0 + milliseconds(3900));  // 9 + 11 + 7: station 1's car cut at t0 + 3.05 s
  x.add_station(station(10, t0 + seconds(4)), 0);
  x.add_station(station(6, t0 + seconds(4)), 1);
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(4100));
  EXPECT_GE(s.grid.current[0].value() - 16, 9 - 1e-9) << "household 9 A (the raise is at most 1 A of the rise)";
}

// What a raised car's station has shown of its rise is in the stations' total already: only the
// rest of the raise may still be on its way. Another station's cut lowers that total, and bounded
// only by the raise above the EV total at the raise, the car's shown rise was counted twice and a
// kettle switched on meanwhile read as the car's (the EV lab: 5.1 A of household read 3.7 A).
TEST(SnapshotBuilder, ARaiseItsStationHasShownIsNotTakenForTheCarAgain) {
  Inputs x(2);
  const auto at = [](double s) { return t0 + milliseconds(static_cast<int>(s * 1000 + 0.5)); };
  // Household 4 A. Station 0's car at 8 A is raised by 2 A at 1 s and reports 9 A at 3 s; station
  // 1's car at 10 A is cut and reports 9.2 A at 3 s; a 3 A kettle at 2.9 s.
  const std::array<std::array<double, 3>, 4> samples{{{0, 8, 10}, {1, 8, 10}, {2, 8.5, 10}, {3, 9, 9.2}}};
  for (const auto& [t, a, b] : samples) {
    x.add_station(station(a, at(t)), 0);
    x.add_station(station(b, at(t)), 1);
    if (t == 1) x.add_raise(2, at(1.05));
    const double g = 4 + a + b + (t >= 3 ? 3 : 0);
    x.add_grid({g, g, g}, at(t + 0.05));
  }
  const auto s = build_snapshot(x.config, x.in, x.sessions, at(3.1));
  // The 1 A of the raise not shown yet is the car's on trust (raises wait meanwhile): 6 A of 7 A.
  EXPECT_GE(s.grid.current[0].value() - 18.2, 6 - 1e-9) << "household 7 A with the kettle";
  EXPECT_TRUE(s.ev_rise_unconfirmed());
}

// A car at 16 A is cut, and raised to 6 A while it still draws its old current (within its dead
// time); it falls to 0 A and rises to its 6 A, the grid meter a moment ahead of its station. The
// rise is measured from the trough, not from the grid at the raise (when the car drew 16 A): its
// return is the car's, not 3 A of household that would cut it again. A kettle switched on as it
// returns is still household.
TEST(SnapshotBuilder, ACarThatFellAfterItsRaiseAndRoseAgainIsNotReadAsHousehold) {
  const auto run = [](double kettle_a) {
    Inputs x;
    x.add_station(station(16, t0));
    x.add_grid({26, 26, 26}, t0);  // household 10 A
    x.add_raise(6, t0 + milliseconds(500));
    x.add_station(station(8, t0 + seconds(1)));
    x.add_grid({14, 14, 14}, t0 + milliseconds(1500));  // the car at 4 A
    x.add_station(station(0, t0 + seconds(2)));
    x.add_grid({10, 10, 10}, t0 + milliseconds(2500));
    x.add_station(station(0, t0 + seconds(3)));
    x.add_grid({13 + kettle_a, 13 + kettle_a, 13 + kettle_a}, t0 + milliseconds(3500));  // the car at 3 A
    x.add_station(station(3, t0 + seconds(4)));
    x.add_grid({16 + kettle_a, 16 + kettle_a, 16 + kettle_a}, t0 + milliseconds(4200));  // the car at 6 A
    return build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(4300)).grid.current[0].value() - 3;
  };
  EXPECT_DOUBLE_EQ(run(0), 10) << "household";
  EXPECT_DOUBLE_EQ(run(4), 14) << "household with the kettle";
}

// A grid meter whose readings show the site as it was 2 s earlier (a P1 telegram of the previous
// period, a meter that refreshes its registers late). A car cut to 0 A falls to 0.7 A and is raised
// again with another beside it; while they ramp up, each reading shows less of their rise than their
// stations report. Set against the stations' currents at its own arrival, a reading of the trough
// (6.76 A, the cars at 0.76 A two seconds before) looked like household 4.4 A, and the rise since
// was measured from it: household 6 A read 2.8 A, 2.2 A beyond the safety margin (the EV lab's
// meter-delayed-sampling scenario). A reading is set against the least EV current of the meter's
// lag before it, and the EVs' rise the grid has not shown is counted from their current at the raise.
TEST(SnapshotBuilder, ALaggingMetersReadingIsSetAgainstTheLeastEvCurrentOfItsLag) {
  Inputs x;
  const auto at = [](double s) { return t0 + milliseconds(static_cast<int>(s * 1000 + 0.5)); };
  // The station's samples (both cars) and the grid readings, one a second each; household 6 A.
  const std::array<std::pair<double, double>, 8> ev{
      {{0.1, 8.49}, {1.1, 3.69}, {2.1, 1.60}, {3.1, 0.70}, {4.1, 1.58}, {5.1, 2.97}, {6.1, 6.02}, {7.1, 9.31}}};
  const std::array<std::pair<double, double>, 9> meter{
      {{0, 20}, {1, 20}, {2, 15.23}, {3, 10.01}, {4, 7.74}, {5, 6.76}, {6, 7.42}, {7, 8.85}, {8, 11.62}}};
  std::size_t e = 0;
  for (const auto& [t, a] : meter) {
    while (e < ev.size() && ev[e].first < t) {
      x.add_station(station(ev[e].second, at(ev[e].first)));
      ++e;
    }
    if (t == 2) x.add_raise(6, at(2));   // the second car, from 0 A to 6 A
    if (t == 4) x.add_raise(14, at(4));  // both to 7 A
    x.add_grid({a, a, a}, at(t));
  }
  const auto s = build_snapshot(x.config, x.in, x.sessions, at(8.05));
  EXPECT_GE(s.grid.current[0].value() - 9.31, 6 - 0.1) << "household 6 A";
}

// A car raised from 0 A ramps up, and a meter 1.5 s late shows 2 A of it when its station reports
// 6.3 A. The rise the grid has yet to show is the car's rise since its raise (6.3 A) less the grid's
// rise since (2 A); taken from its lowest sample of the meter's lag instead (2.5 A, after the raise),
// it was 1.8 A, and the household read 3.5 A for 6 A.
TEST(SnapshotBuilder, AnEvRiseTheGridHasNotShownIsCountedFromTheEvCurrentAtTheRaise) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({6, 6, 6}, t0);
  x.add_raise(16, t0 + milliseconds(100));
  x.add_station(station(0, t0 + milliseconds(600)));  // within its dead time
  x.add_grid({6, 6, 6}, t0 + seconds(1));
  x.add_station(station(2.5, t0 + milliseconds(1600)));
  x.add_grid({6, 6, 6}, t0 + seconds(2));
  x.add_station(station(6.3, t0 + milliseconds(2600)));
  x.add_grid({8, 8, 8}, t0 + seconds(3));  // the car at 2 A, 1.5 s ago
  x.add_station(station(7, t0 + milliseconds(3050)));
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(3100));
  EXPECT_GE(s.grid.current[0].value() - 7, 6 - 1e-9) << "household 6 A";
}

// A meter that reports whole amperes (DSMR F3(0,0) A, TIC) may cut them off towards zero: 10 A
// reported may be 10.9 A drawn. In the EV lab a DSMR 4 meter read the household 1.4 A low and the
// fuse was overloaded beyond the EV response window. A current drawn is counted one step more; an
// exported one as reported (it is at least that much export). Where the meter has decimals, as is.
TEST(SnapshotBuilder, AMeterReportingWholeAmperesIsCountedOneAmpereMoreWhereItDraws) {
  const auto run = [](double step) {
    Inputs x;
    auto r = grid({10, -3, 0}, t0);
    r.current_step_a = step;
    x.in.grid_history.push_back(r);
    x.in.meters["grid"] = r;
    x.add_station(station(0, t0));
    return build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(100)).grid.current;
  };
  const auto whole = run(1);
  EXPECT_DOUBLE_EQ(whole[0].value(), 11);
  EXPECT_DOUBLE_EQ(whole[1].value(), -3) << "exporting: at least 3 A of export";
  EXPECT_DOUBLE_EQ(whole[2].value(), 1);
  const auto exact = run(0);
  EXPECT_DOUBLE_EQ(exact[0].value(), 10);
  EXPECT_DOUBLE_EQ(exact[2].value(), 0);
}

TEST(SnapshotBuilder, AMeterThatExcludesTheChargersIsTakenAsIs) {
  Inputs x;
  x.config.site.meter_includes_chargers = false;
  x.add_station(station(0, t0));
  x.add_grid({10, 10, 10}, t0);
  x.add_station(station(8, t0 + milliseconds(500)));
  x.add_grid({12, 12, 12}, t0 + milliseconds(600));
  EXPECT_DOUBLE_EQ(build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(700)).grid.current[0].value(), 12);
}

TEST(SnapshotBuilder, EvCurrentsAreSummedPerGridPhaseThroughThePhaseMapping) {
  Inputs x;
  auto s = station(0, t0);
  s.sockets[1].current_a = {3.0, 5.0, 7.0};  // socket 1 is wired L2L3L1
  x.add_station(s);
  const auto sum = ev_per_phase(x.config.site, x.in);
  EXPECT_DOUBLE_EQ(sum[0], 7);
  EXPECT_DOUBLE_EQ(sum[1], 3);
  EXPECT_DOUBLE_EQ(sum[2], 5);
}

}  // namespace
}  // namespace emsgw::gateway
