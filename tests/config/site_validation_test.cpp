// Every refusal the validator owes the installer (design.md §2.7, Alfen guide §2), one by one,
// through the same path the file takes: TOML text → loader → validator → file:line messages.
#include <gtest/gtest.h>

#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

TEST(SiteValidation, AcceptsTheBriefExampleAsItIs) {
  const auto errors = errors_of(issue_example());
  for (const auto& e : errors) ADD_FAILURE() << e.format();
  const auto cfg = gateway::load_config_text(issue_example(), "example.toml");
  EXPECT_EQ(cfg.site.name, "home");
  EXPECT_EQ(cfg.site.grid_max_current_a, 25);
  EXPECT_EQ(cfg.site.control, ems::ControlMode::Sockets);
  ASSERT_EQ(cfg.site.stations.size(), 1u);
  ASSERT_EQ(cfg.site.stations[0].sockets.size(), 2u);
  EXPECT_EQ(ems::to_string(cfg.site.stations[0].sockets[1].phase_mapping), "L2L3L1");
  EXPECT_EQ(cfg.station_links[0].port, 1503);
  EXPECT_EQ(cfg.meters.at("grid").preset, "eastron-sdm630");
  EXPECT_EQ(cfg.meters.at("grid").poll_interval_ms, 250);
}

TEST(SiteValidation, AcceptsTheDocumentedExampleFile) {
  const auto text = read_file(std::string(EMSGW_SOURCE_DIR) + "/deploy/emsgw.example.toml");
  ASSERT_FALSE(text.empty());
  for (const auto& e : errors_of(text)) ADD_FAILURE() << e.format();
}

std::string scn_site(const std::string& name) {
  auto t = replace(issue_example(), "control = \"sockets\"",
                   "control = \"scn\"\nscn_name = \"" + name + "\"\nscn_station = \"carport\"");
  return t;
}

TEST(SiteValidation, RefusesScnNameWithCharactersOutsideAtoZ0to9) {
  const auto e = error_for(errors_of(scn_site("home-1")), "site.scn_name");
  EXPECT_EQ(e.value, "\"home-1\"");
  EXPECT_THAT(e.rule, HasSubstr("A-Z and 0-9"));
  EXPECT_GT(e.line, 0);
  EXPECT_TRUE(errors_of(scn_site("HOME1")).empty());
  EXPECT_EQ(error_for(errors_of(scn_site("home")), "site.scn_name").value, "\"home\"");  // lower case too
}

TEST(SiteValidation, RefusesScnNameLongerThanSevenCharacters) {
  const auto e = error_for(errors_of(scn_site("ABCDEFGH")), "site.scn_name");
  EXPECT_THAT(e.rule, HasSubstr("1 to 7 characters"));
  EXPECT_TRUE(errors_of(scn_site("ABCDEFG")).empty());
}

TEST(SiteValidation, ScnModeNeedsANameAndAnExistingStation) {
  auto t = replace(issue_example(), "control = \"sockets\"", "control = \"scn\"\nscn_station = \"garage\"");
  const auto errors = errors_of(t);
  EXPECT_THAT(error_for(errors, "site.scn_name").rule, HasSubstr("required when site.control = \"scn\""));
  EXPECT_THAT(error_for(errors, "site.scn_station").rule, HasSubstr("must name one of the [[station]]"));
}

TEST(SiteValidation, RefusesDuplicateSocketIds) {
  const auto t = replace(issue_example(), "id = 1\n", "id = 0\n");
  const auto e = error_for(errors_of(t), "station[0].socket[1].id");
  EXPECT_EQ(e.value, "0");
  EXPECT_THAT(e.rule, HasSubstr("already used by station[0].socket[0]"));
  EXPECT_EQ(e.line, 34);  // the line of "id = 0" in the second [[station.socket]]
}

TEST(SiteValidation, RefusesSocketIdsOutside0To128) {
  for (const std::string id : {"129", "-1"}) {
    const auto e =
        error_for(errors_of(replace(issue_example(), "id = 1\n", "id = " + id + "\n")), "station[0].socket[1].id");
    EXPECT_EQ(e.value, id);
    EXPECT_THAT(e.rule, HasSubstr("between 0 and 128"));
  }
  EXPECT_TRUE(errors_of(replace(issue_example(), "id = 1\n", "id = 128\n")).empty());
}

TEST(SiteValidation, RefusesMoreThan128Sockets) {
  std::string t = replace(issue_example(), "grid_max_current_a = 25", "grid_max_current_a = 2000");
  // 64 more double stations (safe current 0) → 130 sockets.
  for (int s = 0; s < 64; ++s) {
    t += "\n[[station]]\nname = \"s" + std::to_string(s) + "\"\nhost = \"127.0.0.1\"\nmax_current_a = 32\n";
    for (int u = 1; u <= 2; ++u)
      t += "[[station.socket]]\nid = " + std::to_string(2 + 2 * s + u - 1) + "\nunit = " + std::to_string(u) +
           "\nmax_current_a = 16\nsafe_current_a = 0\nphase_mapping = \"L1L2L3\"\n";
  }
  const auto errors = errors_of(t);
  const auto e = error_for(errors, "station");
  EXPECT_EQ(e.value, "130 sockets");
  EXPECT_THAT(e.rule, HasSubstr("at most 128 sockets"));
}

TEST(SiteValidation, RefusesAlternatingPeriodOutside60To36000) {
  for (const std::string v : {"59", "36001", "0"}) {
    const auto e =
        error_for(errors_of(replace(issue_example(), "alternating_period_s = 900", "alternating_period_s = " + v)),
                  "site.alternating_period_s");
    EXPECT_EQ(e.value, v);
    EXPECT_THAT(e.rule, HasSubstr("between 60 and 36000 s"));
  }
  EXPECT_TRUE(errors_of(replace(issue_example(), "alternating_period_s = 900", "alternating_period_s = 60")).empty());
  EXPECT_TRUE(
      errors_of(replace(issue_example(), "alternating_period_s = 900", "alternating_period_s = 36000")).empty());
}

TEST(SiteValidation, RefusesSafeCurrentBelowZero) {
  const auto e = error_for(errors_of(replace(issue_example(), "safe_current_a = 6", "safe_current_a = -1")),
                           "station[0].socket[0].safe_current_a");
  EXPECT_EQ(e.value, "-1");
  EXPECT_THAT(e.rule, HasSubstr("between 0 and the socket's max_current_a (16 A)"));
}

TEST(SiteValidation, RefusesSafeCurrentAboveItsSocketMaximum) {
  const auto e = error_for(errors_of(replace(issue_example(), "safe_current_a = 6", "safe_current_a = 17")),
                           "station[0].socket[0].safe_current_a");
  EXPECT_EQ(e.value, "17");
  EXPECT_THAT(e.rule, HasSubstr("socket's max_current_a (16 A)"));
  // 0 (stop when emsgw is gone) is a legitimate choice.
  EXPECT_TRUE(errors_of(replace(issue_example(), "safe_current_a = 6", "safe_current_a = 0")).empty());
}

TEST(SiteValidation, RefusesSafeCurrentBetweenZeroAndSixAmps) {
  const auto e = error_for(errors_of(replace(issue_example(), "safe_current_a = 6", "safe_current_a = 3")),
                           "station[0].socket[0].safe_current_a");
  EXPECT_THAT(e.rule, HasSubstr("IEC 61851"));
}

TEST(SiteValidation, RefusesSocketMaximumAboveItsStationMaximum) {
  auto t = replace(issue_example(), "max_current_a = 32", "max_current_a = 16");
  t = replace(t, "id = 1\nunit = 2\nmax_current_a = 16", "id = 1\nunit = 2\nmax_current_a = 20");
  const auto e = error_for(errors_of(t), "station[0].socket[1].max_current_a");
  EXPECT_EQ(e.value, "20");
  EXPECT_THAT(e.rule, HasSubstr("must not exceed its station's max_current_a (16 A)"));
}

TEST(SiteValidation, RefusesUnknownPhaseMapping) {
  const auto e =
      error_for(errors_of(replace(issue_example(), "\"L2L3L1\"", "\"L1L1L2\"")), "station[0].socket[1].phase_mapping");
  EXPECT_EQ(e.value, "\"L1L1L2\"");
  EXPECT_THAT(e.rule, HasSubstr("must be one of: L1, L2, L3, L1L2L3"));
  EXPECT_EQ(e.line, 38);
}

TEST(SiteValidation, RefusesUnknownMode) {
  const auto e =
      error_for(errors_of(replace(issue_example(), "mode = \"now\"                 # off", "mode = \"fast\"  # off")),
                "station[0].socket[0].mode");
  EXPECT_EQ(e.value, "\"fast\"");
  EXPECT_THAT(e.rule, HasSubstr("off, now, minpv, pv"));
}

TEST(SiteValidation, RefusesUnitOtherThan1Or2) {
  const auto e =
      error_for(errors_of(replace(issue_example(), "unit = 2\n", "unit = 3\n")), "station[0].socket[1].unit");
  EXPECT_EQ(e.value, "3");
  EXPECT_THAT(e.rule, HasSubstr("must be 1 (single or left socket) or 2"));
  EXPECT_EQ(e.line, 35);
}

TEST(SiteValidation, RefusesTwoSocketsOnTheSameStationAndUnit) {
  const auto e =
      error_for(errors_of(replace(issue_example(), "unit = 2\n", "unit = 1\n")), "station[0].socket[1].unit");
  EXPECT_EQ(e.value, "1");
  EXPECT_THAT(e.rule, HasSubstr("already used by station[0].socket[0] on the same station"));
}

TEST(SiteValidation, RefusesSafeCurrentsThatAloneOverloadAGridPhaseAndSaysWhichAndByHowMuch) {
  // Two sockets at 16 A safe, one single-phase on L1 each plus a 3-phase one: L1 carries 16 + 16 = 32 > 25.
  std::string t = replace(issue_example(), "safe_current_a = 6", "safe_current_a = 16");
  t = replace(t, "safe_current_a = 6", "safe_current_a = 16");
  t = replace(t, "\"L2L3L1\"", "\"L1\"");
  const auto errors = errors_of(t);
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "" : errors[0].format());
  EXPECT_EQ(errors[0].key, "station[*].socket[*].safe_current_a");
  EXPECT_EQ(errors[0].value, "32 A on grid phase L1");
  EXPECT_THAT(errors[0].rule, HasSubstr("overload grid phase L1 by 7 A"));
  EXPECT_THAT(errors[0].rule, HasSubstr("carport 32 A"));
}

TEST(SiteValidation, SafeCurrentCheckUsesThePhaseMappingsNotASingleNumber) {
  // Three single-phase stations at 16 A safe on a 25 A grid: fine when rotated L1/L2/L3, not when all on L2.
  std::string base = replace(issue_example(), "[[station]]", "#");
  base = base.substr(0, base.find("#\nname = \"carport\""));
  auto station = [](int n, const std::string& mapping) {
    return "[[station]]\nname = \"s" + std::to_string(n) +
           "\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(1510 + n) +
           "\nmax_current_a = 16\n"
           "[[station.socket]]\nid = " +
           std::to_string(n) +
           "\nunit = 1\nmax_current_a = 16\nsafe_current_a = 16\n"
           "phase_mapping = \"" +
           mapping + "\"\n";
  };
  EXPECT_TRUE(errors_of(base + station(0, "L1") + station(1, "L2") + station(2, "L3")).empty());
  const auto errors = errors_of(base + station(0, "L2") + station(1, "L2") + station(2, "L3"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].rule, HasSubstr("overload grid phase L2 by 7 A"));
}

TEST(SiteValidation, AStationNeverDrawsMoreThanItsMaximumWhateverItsSafeCurrents) {
  // Double station, max 16 A, both sockets safe 16 A on the same phases: it draws at most 16 A.
  std::string t = replace(issue_example(), "max_current_a = 32", "max_current_a = 16");
  t = replace(t, "safe_current_a = 6", "safe_current_a = 16");
  t = replace(t, "safe_current_a = 6", "safe_current_a = 16");
  EXPECT_TRUE(errors_of(t).empty());
}

TEST(SiteValidation, ValidatorIsUsableOnItsOwnForRuntimeChanges) {
  // The web UI and MQTT change a copy of the running site and ask the same validator.
  auto site = gateway::load_config_text(issue_example(), "example.toml").site;
  EXPECT_TRUE(ems::validate(site).empty());
  site.stations[0].sockets[0].max_current_a = 40;  // above the station's 32 A
  const auto issues = ems::validate(site);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "station[0].socket[0].max_current_a");
  EXPECT_EQ(issues[0].value, "40");
}

TEST(SiteValidation, NaNIsNeverAccepted) {
  auto site = gateway::load_config_text(issue_example(), "example.toml").site;
  site.grid_max_current_a = std::numeric_limits<double>::quiet_NaN();
  const auto issues = ems::validate(site);
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].key, "site.grid_max_current_a");
}

}  // namespace
}  // namespace emsgw::test
