// `emsgw check-site` against the project's simulators: a site whose devices match the file passes;
// a station whose own safe current (1212) differs from the file is named with both values and the
// fix, and the command exits 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/demo/simulated_site.hpp"
#include "tests/support/process.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

gateway::SimulatedSiteOptions site() {
  gateway::SimulatedSiteOptions o;
  o.site_name = "check";
  o.with_pv = true;
  o.household_a = {3, 4, 5};
  o.stations = {gateway::SimStationSpec{
      "carport",
      32,
      60,
      false,
      {gateway::SimSocketSpec{0, 16, 6, "L1L2L3", "now"}, gateway::SimSocketSpec{1, 16, 6, "L1L2L3", "now"}}}};
  return o;
}

std::string replace_first(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(CheckSite, ASiteThatMatchesItsFilePasses) {
  gateway::SimulatedSite sim(site());
  sim.start();
  const auto path = write_temp_file("check-site-ok.toml", sim.config_toml());
  const auto r = run_command(built("gateway/emsgw") + " check-site --config " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("meter grid"));
  EXPECT_THAT(r.output, HasSubstr("current per phase: L1 3 A L2 4 A L3 5 A"));
  EXPECT_THAT(r.output, HasSubstr("station carport"));
  EXPECT_THAT(r.output, HasSubstr("socket id 1 (unit 2): safe current 6 A as in the file"));
  EXPECT_THAT(r.output, HasSubstr("site check: everything answers and matches the file"));
}

TEST(CheckSite, AStationWhoseSafeCurrentDiffersFromTheFileIsNamedWithTheFix) {
  gateway::SimulatedSite sim(site());
  sim.start();
  // The file says 8 A for socket 0; the station keeps its own 6 A.
  const auto text = replace_first(sim.config_toml(), "safe_current_a = 6", "safe_current_a = 8");
  const auto r =
      run_command(built("gateway/emsgw") + " check-site --config " + write_temp_file("check-site-bad.toml", text));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(
      r.output,
      HasSubstr("socket id 0 (unit 1): the station's safe current (1212) is 6 A, the file says safe_current_a = 8 A"));
  EXPECT_THAT(r.output, HasSubstr("fix: set the same safe current on the station and in the file"));
  EXPECT_THAT(r.output, HasSubstr("site check: 1 problem found"));
}

TEST(CheckSite, AnUnreachableStationIsAProblem) {
  auto o = site();
  gateway::SimulatedSite sim(o);
  sim.start();
  const auto text = replace_first(sim.config_toml(), "port = " + std::to_string(sim.station_port(0)),
                                  "port = " + std::to_string(free_loopback_port()));
  const auto r =
      run_command(built("gateway/emsgw") + " check-site --config " + write_temp_file("check-site-gone.toml", text));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("PROBLEM  no answer"));
}

}  // namespace
}  // namespace emsgw::test
