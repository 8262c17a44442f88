// The automatic wiring check: a vehicle's single-phase current steps must show on the grid phase the
// socket's phase_mapping names; steps that keep showing elsewhere are reported with the evidence,
// and steps spoiled by other loads moving at the same time are not counted at all.
#include "ems/wiring_check.hpp"

#include <gtest/gtest.h>

#include <random>

namespace emsgw::ems {
namespace {

MonoTime at_ms(long ms) {
  return MonoTime{} + Millis{ms};
}

/// A site replayed every 250 ms: the household per grid phase, a few sockets, and a grid meter that
/// follows the EV currents through the real wiring with a 1.5 s ramp.
struct Replay {
  WiringCheck check;
  std::mt19937 noise{7};
  long t_ms = 0;
  std::array<double, 3> household{5, 5, 5};
  struct Socket {
    int id;
    PhaseMapping configured;
    PhaseMapping real;
    std::array<double, 3> current{};  ///< station phases
    std::array<double, 3> seen_by_grid{};
  };
  std::vector<Socket> sockets;

  void run_for(long ms) {
    std::uniform_real_distribution<double> jitter(-0.2, 0.2);
    for (long end = t_ms + ms; t_ms < end; t_ms += 250) {
      std::array<double, 3> grid = household;
      std::vector<WiringSocketSample> samples;
      for (auto& s : sockets) {
        for (std::size_t j = 0; j < 3; ++j) {
          s.seen_by_grid[j] += (s.current[j] - s.seen_by_grid[j]) * 0.25;  // the meter lags the ramp
          if (j < s.real.count) grid[index(s.real.grid[j])] += s.seen_by_grid[j];
        }
        samples.push_back({s.id, s.configured, s.current, true});
      }
      for (auto& g : grid) g += jitter(noise);
      check.observe(at_ms(t_ms), grid, samples);
    }
  }
};

PhaseMapping mapping(const char* text) {
  return *parse_phase_mapping(text);
}

TEST(WiringCheck, ACarWhoseStepsShowOnAnotherPhaseIsReportedWithTheEvidence) {
  Replay r;
  r.sockets = {{2, mapping("L1"), mapping("L3"), {}, {}}};
  r.run_for(12000);
  for (int i = 0; i < 4; ++i) {
    r.sockets[0].current = {i % 2 == 0 ? 10.0 : 0.0, 0, 0};
    r.run_for(14000);
  }
  const auto f = r.check.findings();
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].socket_id, 2);
  EXPECT_EQ(f[0].configured, Phase::L1);
  EXPECT_EQ(f[0].observed, Phase::L3);
  EXPECT_GE(f[0].steps_on_observed, 3);
  EXPECT_NE(f[0].text.find("socket 2 appears to load grid L3, configured L1"), std::string::npos) << f[0].text;
}

TEST(WiringCheck, ARightlyWiredSocketBehindARotatedMappingIsNotReported) {
  Replay r;
  r.sockets = {{1, mapping("L2L3L1"), mapping("L2L3L1"), {}, {}}};
  r.run_for(12000);
  for (int i = 0; i < 6; ++i) {
    r.sockets[0].current = {i % 2 == 0 ? 8.0 : 0.0, 0, 0};  // a 1-phase car: station L1 = grid L2
    r.run_for(14000);
  }
  EXPECT_TRUE(r.check.findings().empty());
}

TEST(WiringCheck, StepsSpoiledByHouseholdLoadAtTheSameMomentAreNotCounted) {
  Replay r;
  r.sockets = {{1, mapping("L1"), mapping("L1"), {}, {}}};
  r.run_for(12000);
  for (int i = 0; i < 6; ++i) {
    // Socket 1 steps by 10 A while a 12 A heater switches on L3 at the same moment (L3 moves most).
    r.sockets[0].current = {i % 2 == 0 ? 10.0 : 0.0, 0, 0};
    r.household[2] = i % 2 == 0 ? 17.0 : 5.0;
    r.run_for(14000);
  }
  EXPECT_TRUE(r.check.findings().empty());
}

TEST(WiringCheck, StepsOfTwoSocketsAtOnceAreNotCounted) {
  Replay r;
  r.sockets = {{1, mapping("L1"), mapping("L1"), {}, {}}, {2, mapping("L2"), mapping("L2"), {}, {}}};
  r.run_for(12000);
  for (int i = 0; i < 6; ++i) {
    // Both step together, socket 2 by more (L2 moves most).
    r.sockets[0].current = {i % 2 == 0 ? 10.0 : 0.0, 0, 0};
    r.sockets[1].current = {i % 2 == 0 ? 12.0 : 0.0, 0, 0};
    r.run_for(14000);
  }
  EXPECT_TRUE(r.check.findings().empty());
}

TEST(WiringCheck, ThreePhaseStepsAreNotEvidence) {
  Replay r;
  r.sockets = {{1, mapping("L1L2L3"), mapping("L3L1L2"), {}, {}}};
  r.run_for(12000);
  for (int i = 0; i < 6; ++i) {
    const double a = i % 2 == 0 ? 10.0 : 0.0;
    r.sockets[0].current = {a, a, a};
    r.run_for(14000);
  }
  EXPECT_TRUE(r.check.findings().empty());
}

}  // namespace
}  // namespace emsgw::ems
