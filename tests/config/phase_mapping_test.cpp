#include <gtest/gtest.h>

#include "ems/phase.hpp"

namespace emsgw::ems {
namespace {

TEST(PhaseMapping, ParsesEveryAlfenMappingAndKeepsItsCode) {
  const char* names[] = {"L1", "L2", "L3", "L1L2L3", "L1L3L2", "L2L1L3", "L2L3L1", "L3L1L2", "L3L2L1"};
  for (int code = 1; code <= 9; ++code) {
    const auto m = parse_phase_mapping(names[code - 1]);
    ASSERT_TRUE(m) << names[code - 1];
    EXPECT_EQ(m->alfen_code(), code);
    EXPECT_EQ(to_string(*m), names[code - 1]);
  }
}

TEST(PhaseMapping, TranslatesStationPhasesToGridPhases) {
  const auto m = *parse_phase_mapping("L2L3L1");
  EXPECT_EQ(m.count, 3);
  EXPECT_EQ(m.grid[0], Phase::L2);  // station L1 is on grid L2
  EXPECT_EQ(m.grid[1], Phase::L3);
  EXPECT_EQ(m.grid[2], Phase::L1);
  EXPECT_EQ(m.first(), Phase::L2);  // a 1-phase car on this socket loads grid L2
  EXPECT_EQ(parse_phase_mapping("L3")->count, 1);
  EXPECT_EQ(parse_phase_mapping("L3")->first(), Phase::L3);
}

TEST(PhaseMapping, RefusesAnythingElse) {
  for (const char* bad : {"", "L4", "L1L1L2", "l1l2l3", "L1L2", "L1L2L3L1", "1"})
    EXPECT_FALSE(parse_phase_mapping(bad)) << bad;
}

TEST(PhaseMapping, RecommendedRotationFollowsTheGuide) {
  EXPECT_EQ(to_string(recommended_mapping(0, false)), "L1");
  EXPECT_EQ(to_string(recommended_mapping(1, false)), "L2");
  EXPECT_EQ(to_string(recommended_mapping(2, false)), "L3");
  EXPECT_EQ(to_string(recommended_mapping(3, false)), "L1");
  EXPECT_EQ(to_string(recommended_mapping(0, true)), "L1L2L3");
  EXPECT_EQ(to_string(recommended_mapping(1, true)), "L3L1L2");
  EXPECT_EQ(to_string(recommended_mapping(2, true)), "L2L3L1");
  EXPECT_EQ(to_string(recommended_mapping(3, true)), "L1L2L3");
}

}  // namespace
}  // namespace emsgw::ems
