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
  Inputs() {
    in.sockets = SiteInputs::index_sockets(config.site);
    in.stations.resize(1);
  }
  void add_grid(std::array<double, 3> a, ems::MonoTime at) {
    in.grid_history.push_back(grid(a, at));
    in.meters["grid"] = in.grid_history.back();
  }
  void add_station(const StationSample& s) {
    in.stations[0].online = true;
    in.stations[0].last_ok = s;
    in.ev_history.emplace_back(s.at, ev_per_phase(config.site, in));
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

TEST(SnapshotBuilder, AnEvRiseTheGridMeterDoesNotShowYetIsAddedBack) {
  Inputs x;
  x.add_station(station(0, t0));
  x.add_grid({10, 10, 10}, t0);
  x.add_station(station(8, t0 + milliseconds(500)));
  x.add_grid({12, 12, 12}, t0 + milliseconds(600));  // the meter shows 2 A of the 8 A rise so far
  const auto s = build_snapshot(x.config, x.in, x.sessions, t0 + milliseconds(700));
  EXPECT_DOUBLE_EQ(s.grid.current[0].value(), 12 + 6);
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
