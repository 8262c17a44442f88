// A station's settings against the file as one list of findings (what, station value, file value,
// fix): what check-site prints, the dashboard's "Test station" shows and the control loop raises.
#include "gateway/devices/station_findings.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace emsgw::gateway {
namespace {

ems::SiteConfig double_site() {
  ems::SiteConfig site;
  site.name = "home";
  ems::StationConfig st;
  st.name = "carport";
  st.max_current_a = 32;
  ems::SocketConfig left;
  left.id = 0;
  left.unit = 1;
  left.max_current_a = 16;
  left.safe_current_a = 6;
  left.phase_mapping = *ems::parse_phase_mapping("L1L2L3");
  ems::SocketConfig right = left;
  right.id = 1;
  right.unit = 2;
  st.sockets = {left, right};
  site.stations = {st};
  return site;
}

drivers::SocketSample socket(int unit, double safe_a, int live) {
  drivers::SocketSample s;
  s.unit = unit;
  s.valid = true;
  s.mode3 = "A";
  s.safe_current_a = safe_a;
  for (std::size_t p = 0; p < 3; ++p) s.voltage_v[p] = static_cast<int>(p) < live ? 230.0 : 0.0;
  return s;
}

drivers::StationSample sample(double max_a, std::vector<drivers::SocketSample> sockets) {
  drivers::StationSample s;
  s.ok = true;
  s.station_max_a = max_a;
  s.sockets = std::move(sockets);
  return s;
}

const StationFinding* find(const std::vector<StationFinding>& all, const std::string& code) {
  const auto it = std::find_if(all.begin(), all.end(), [&](const StationFinding& f) { return f.code == code; });
  return it == all.end() ? nullptr : &*it;
}

TEST(StationFindings, AStationThatMatchesItsFileGivesOnlyMatchingFindingsInAFixedOrder) {
  const auto all = station_findings(double_site(), 0, sample(32, {socket(1, 6, 3), socket(2, 6, 3)}));
  std::vector<std::string> codes;
  for (const auto& f : all) {
    codes.push_back(f.code);
    EXPECT_TRUE(f.matches) << f.code;
    EXPECT_TRUE(f.fix.empty()) << f.code;
  }
  EXPECT_EQ(codes,
            (std::vector<std::string>{"max_current", "1:safe_current", "1:phases", "2:safe_current", "2:phases"}));
  EXPECT_EQ(match_words(*find(all, "2:safe_current")), "safe current 6 A as in the file");
  EXPECT_EQ(finding_subject(*find(all, "2:safe_current")), "socket id 1 (unit 2)");
  EXPECT_EQ(finding_subject(*find(all, "max_current")), "");
}

TEST(StationFindings, EachMismatchNamesTheStationValueTheFileValueAndTheFix) {
  const auto all = station_findings(double_site(), 0, sample(25, {socket(1, 10, 1), socket(2, 6, 3)}));
  const auto* max = find(all, "max_current");
  ASSERT_NE(max, nullptr);
  EXPECT_FALSE(max->matches);
  EXPECT_EQ(max->station_value, "25 A");
  EXPECT_EQ(max->file_value, "32 A");
  EXPECT_EQ(mismatch_words(*max), "the station's maximum (1100) is 25 A, the file says max_current_a = 32 A");
  EXPECT_EQ(max->meanwhile, "emsgw uses the lower 25 A");
  EXPECT_FALSE(max->fix.empty());

  const auto* safe = find(all, "1:safe_current");
  ASSERT_NE(safe, nullptr);
  EXPECT_FALSE(safe->matches);
  EXPECT_EQ(mismatch_words(*safe), "the station's safe current (1212) is 10 A, the file says safe_current_a = 6 A");
  EXPECT_EQ(mismatch_words(*safe, true),
            "the station's safe current (1212) is 10 A, the file says station[0].socket[0].safe_current_a = 6 A");
  EXPECT_EQ(safe->meanwhile, "emsgw counts the higher 10 A");
  EXPECT_EQ(safe->fix.rfind("set the same safe current on the station and in the file", 0), 0u);

  const auto* phases = find(all, "1:phases");
  ASSERT_NE(phases, nullptr);
  EXPECT_FALSE(phases->matches);
  EXPECT_EQ(mismatch_words(*phases),
            "the station's number of live phases (voltage on 306/308/310) is 1, the file says phase_mapping = L1L2L3 "
            "(3 phases)");
  EXPECT_NE(phases->fix.find("phase_mapping"), std::string::npos);
  EXPECT_TRUE(find(all, "2:safe_current")->matches);
  EXPECT_TRUE(find(all, "2:phases")->matches);
}

TEST(StationFindings, AConfiguredUnitTheStationDoesNotAnswerForIsAFinding) {
  auto right_missing = socket(2, 6, 3);
  right_missing.valid = false;
  const auto all = station_findings(double_site(), 0, sample(32, {socket(1, 6, 3), right_missing}));
  const auto* unit = find(all, "2:unit");
  ASSERT_NE(unit, nullptr);
  EXPECT_FALSE(unit->matches);
  EXPECT_EQ(mismatch_words(*unit), "the station does not answer for unit 2");
  EXPECT_EQ(find(all, "2:safe_current"), nullptr) << "nothing is compared for a unit that does not answer";
}

TEST(StationFindings, UnreportedValuesGiveNoFindingAndAFailedSampleNone) {
  auto quiet = socket(1, 6, 3);
  quiet.safe_current_a.reset();
  quiet.voltage_v[1].reset();
  auto s = sample(32, {quiet, socket(2, 6, 3)});
  s.station_max_a.reset();
  const auto all = station_findings(double_site(), 0, s);
  EXPECT_EQ(find(all, "max_current"), nullptr);
  EXPECT_EQ(find(all, "1:safe_current"), nullptr);
  EXPECT_EQ(find(all, "1:phases"), nullptr);
  s.ok = false;
  EXPECT_TRUE(station_findings(double_site(), 0, s).empty());
}

TEST(StationFindings, InScnModeTheStationThatSpeaksForTheScnMustHaveItEnabled) {
  auto site = double_site();
  auto s = sample(32, {socket(1, 6, 3), socket(2, 6, 3)});
  drivers::ScnSample scn;
  scn.enabled = false;
  s.scn = scn;
  EXPECT_EQ(find(station_findings(site, 0, s), "scn"), nullptr) << "socket mode: the SCN is not compared";
  site.control = ems::ControlMode::Scn;
  site.scn_station = "carport";
  auto all = station_findings(site, 0, s);
  const auto* f = find(all, "scn");
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->matches);
  EXPECT_EQ(mismatch_words(*f), "Smart Charging Network is not enabled (1431 = 0), the file says control = \"scn\"");
  EXPECT_NE(f->fix.find("ACE Service Installer"), std::string::npos);
  s.scn->enabled = true;
  all = station_findings(site, 0, s);
  ASSERT_NE(find(all, "scn"), nullptr);
  EXPECT_TRUE(find(all, "scn")->matches);
  EXPECT_EQ(match_words(*find(all, "scn")), "Smart Charging Network enabled as in the file");
  site.scn_station = "other";
  EXPECT_EQ(find(station_findings(site, 0, s), "scn"), nullptr) << "only the station that speaks for the SCN";
}

}  // namespace
}  // namespace emsgw::gateway
