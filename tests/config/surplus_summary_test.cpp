// check-config says where the solar surplus comes from, so that a site with `pv` sockets and only
// a smart meter is not accepted silently, and warns of what a valid file may still get wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CheckConfigSurplus, SaysTheGridMetersExportIsTheSurplusWithoutAPvMeter) {
  const auto path =
      write_temp_file("pv-no-meter.toml", replace(issue_example(), "mode = \"now\"  ", "mode = \"pv\"   "));
  const auto r = run_command(built("gateway/emsgw") + " check-config " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Solar surplus: the grid meter's export (no PV meter configured)"));
}

TEST(CheckConfigSurplus, SaysNothingAboutSurplusWhenNoSocketUsesIt) {
  const auto r = run_command(built("gateway/emsgw") + " check-config " + std::string(EMSGW_SOURCE_DIR) +
                             "/tests/config/data/issue-example.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("Solar surplus")));
}

TEST(CheckConfigWarnings, ADoublesSocketsWiredDifferentlyAreNamedWithTheRemedy) {
  // The reference example wires the Double's sockets L1L2L3 and L2L3L1.
  const auto r = run_command(built("gateway/emsgw") + " check-config " + std::string(EMSGW_SOURCE_DIR) +
                             "/tests/config/data/issue-example.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output << "a warning is not a refusal";
  EXPECT_THAT(r.output, HasSubstr("1 warning:"));
  EXPECT_THAT(r.output, HasSubstr("station \"carport\": socket id 0 is wired L1L2L3 but socket id 1 is wired L2L3L1"));
  EXPECT_THAT(r.output, HasSubstr("set the same phase_mapping on both"));

  const auto same = write_temp_file(
      "same-feeder.toml", replace(issue_example(), "phase_mapping = \"L2L3L1\"", "phase_mapping = \"L1L2L3\""));
  const auto ok = run_command(built("gateway/emsgw") + " check-config " + same);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, Not(HasSubstr("warning")));
}

TEST(CheckConfigWarnings, PerSocketModesInScnModeAreSaidNotToApply) {
  auto text = replace(issue_example(), "control = \"sockets\"",
                      "control = \"scn\"\nscn_name = \"HOME\"\nscn_station = \"carport\"");
  text = replace(text, "mode = \"now\"  ", "mode = \"pv\"   ");
  const auto r = run_command(built("gateway/emsgw") + " check-config " + write_temp_file("scn-pv.toml", text));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("per-socket modes do not apply: socket id 0 (pv) charge as \"now\""));
}

TEST(CheckConfigSummary, AShortAlternatingPeriodIsNotedWithWhatItDoesToCars) {
  const auto path = write_temp_file(
      "short-period.toml", replace(issue_example(), "alternating_period_s = 900", "alternating_period_s = 60"));
  const auto r = run_command(built("gateway/emsgw") + " check-config " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output << "allowed by the stations (60..36000 s)";
  EXPECT_THAT(r.output, HasSubstr("note: an alternating period of 60 s pauses each car every few minutes"));
  const auto normal = run_command(built("gateway/emsgw") + " check-config " + std::string(EMSGW_SOURCE_DIR) +
                                  "/tests/config/data/issue-example.toml");
  EXPECT_THAT(normal.output, Not(HasSubstr("note: an alternating period"))) << normal.output;
}

TEST(CheckConfigWarnings, TheDocumentedExampleFileHasNone) {
  const auto r = run_command(built("gateway/emsgw") + " check-config " + std::string(EMSGW_SOURCE_DIR) +
                             "/deploy/emsgw.example.toml");
  EXPECT_THAT(r.output, Not(HasSubstr("warning"))) << r.output;
}

}  // namespace
}  // namespace emsgw::test
