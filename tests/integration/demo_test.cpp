// `emsgw demo` as a newcomer runs it: it starts the simulated site, says where to look, plays the
// script, controls the sockets, and stops cleanly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

TEST(Demo, RunsTheScriptedDayAndStopsCleanly) {
  const auto r = run_command(built("gateway/emsgw") + " demo --duration 50 --status-every 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("configuration  "));
  EXPECT_THAT(r.output, HasSubstr("emsgw probe-station 127.0.0.1:"));
  EXPECT_THAT(r.output, HasSubstr("[07:00] a 3-phase car (16 A) arrives at carport socket 0"));
  EXPECT_THAT(r.output, HasSubstr("grid L1"));
  // After its probing time the 3-phase car charges at its maximum: the demo is really controlling.
  EXPECT_THAT(r.output, HasSubstr("#0 16 A charging"));
  EXPECT_THAT(r.output, HasSubstr("stopping"));
}

}  // namespace
}  // namespace emsgw::test
