// Commands from MQTT and HTTP go through the same validator as the config file: nothing out of
// range ever takes effect, and a refusal says why.
#include "ems/command.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "gateway/config/installer_limits.hpp"
#include "tests/support/process.hpp"

namespace emsgw::ems {
namespace {

using ::testing::HasSubstr;

SiteConfig example_site() {
  const auto text = test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
  return gateway::load_config_text(text, "example.toml").site;
}

TEST(Command, SetSocketModeTakesEffect) {
  auto site = example_site();
  EXPECT_TRUE(apply_command(site, SetSocketMode{1, ChargeMode::Pv}).empty());
  EXPECT_EQ(site.stations[0].sockets[1].mode, ChargeMode::Pv);
}

TEST(Command, UnknownSocketIsRefusedAndChangesNothing) {
  auto site = example_site();
  const auto before = site.stations[0].sockets[0].mode;
  const auto issues = apply_command(site, SetSocketMode{42, ChargeMode::Off});
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].value, "42");
  EXPECT_THAT(issues[0].rule, HasSubstr("no socket has this id"));
  EXPECT_EQ(site.stations[0].sockets[0].mode, before);
}

TEST(Command, SocketMaximumAboveTheStationIsRefusedAndNothingChanges) {
  auto site = example_site();
  const auto issues = apply_command(site, SetSocketMaxCurrent{0, 40});
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "station[0].socket[0].max_current_a");
  EXPECT_THAT(issues[0].rule, HasSubstr("station's max_current_a (32 A)"));
  EXPECT_EQ(site.stations[0].sockets[0].max_current_a, 16);
}

TEST(Command, SocketMaximumBelowItsSafeCurrentIsRefused) {
  auto site = example_site();  // safe current 6 A
  EXPECT_FALSE(apply_command(site, SetSocketMaxCurrent{0, 5}).empty());
  EXPECT_TRUE(apply_command(site, SetSocketMaxCurrent{0, 10}).empty());
  EXPECT_EQ(site.stations[0].sockets[0].max_current_a, 10);
}

TEST(Command, SiteLimitThatTheSafeCurrentsWouldOverloadIsRefused) {
  auto site = example_site();  // safe currents draw 12 A per phase
  const auto issues = apply_command(site, SetSiteLimit{10});
  ASSERT_FALSE(issues.empty());
  EXPECT_THAT(issues.back().rule, HasSubstr("overload grid phase"));
  EXPECT_EQ(site.grid_max_current_a, 25);
  EXPECT_TRUE(apply_command(site, SetSiteLimit{20}).empty());
  EXPECT_EQ(site.grid_max_current_a, 20);
}

TEST(Command, NaNIsRefused) {
  auto site = example_site();
  EXPECT_FALSE(apply_command(site, SetSiteLimit{std::numeric_limits<double>::quiet_NaN()}).empty());
  EXPECT_FALSE(apply_command(site, SetSocketMaxCurrent{0, std::numeric_limits<double>::infinity()}).empty());
  EXPECT_EQ(site.grid_max_current_a, 25);
}

TEST(Command, SuspendAndResumeAlwaysPass) {
  auto site = example_site();
  EXPECT_TRUE(apply_command(site, Suspend{}).empty());
  EXPECT_TRUE(apply_command(site, Resume{}).empty());
}

// Safety rule 8: the file's limits are a ceiling for run-time commands; lowering is allowed and a
// lowered limit may go back to the file's value, never above it.
TEST(InstallerLimits, RunTimeCommandsMayOnlyLowerTheFilesLimits) {
  const auto file = example_site();  // grid 25 A, socket 0 at 16 A
  auto site = file;
  for (const double raise : {25.5, 40.0, 5000.0}) {
    const auto issues = apply_command(site, SetSiteLimit{raise}, file);
    ASSERT_EQ(issues.size(), 1u) << raise;
    EXPECT_EQ(issues[0].key, "site.grid_max_current_a");
    EXPECT_THAT(issues[0].rule, HasSubstr("safety rule 8"));
    EXPECT_THAT(issues[0].rule, HasSubstr("25 A"));
    EXPECT_EQ(site.grid_max_current_a, 25);
  }
  EXPECT_TRUE(apply_command(site, SetSiteLimit{20}, file).empty());
  EXPECT_EQ(site.grid_max_current_a, 20);
  EXPECT_FALSE(apply_command(site, SetSiteLimit{30}, file).empty());
  EXPECT_EQ(site.grid_max_current_a, 20);
  EXPECT_TRUE(apply_command(site, SetSiteLimit{25}, file).empty()) << "back to the file's value";
  EXPECT_EQ(site.grid_max_current_a, 25);

  const auto socket = apply_command(site, SetSocketMaxCurrent{0, 20}, file);  // station allows 32 A
  ASSERT_EQ(socket.size(), 1u);
  EXPECT_EQ(socket[0].key, "station[0].socket[0].max_current_a");
  EXPECT_THAT(socket[0].rule, HasSubstr("16 A"));
  EXPECT_EQ(site.stations[0].sockets[0].max_current_a, 16);
  EXPECT_TRUE(apply_command(site, SetSocketMaxCurrent{0, 10}, file).empty());
  EXPECT_TRUE(apply_command(site, SetSocketMaxCurrent{0, 16}, file).empty());
  EXPECT_EQ(site.stations[0].sockets[0].max_current_a, 16);
}

TEST(InstallerLimits, NotANumberIsNeverBelowTheCeiling) {
  const auto file = example_site();
  EXPECT_FALSE(check_installer_limits(file, SetSiteLimit{std::numeric_limits<double>::quiet_NaN()}).empty());
  EXPECT_FALSE(check_installer_limits(file, SetSocketMaxCurrent{1, std::numeric_limits<double>::infinity()}).empty());
  EXPECT_TRUE(check_installer_limits(file, SetSocketMode{1, ChargeMode::Pv}).empty());
  EXPECT_TRUE(check_installer_limits(file, Suspend{}).empty());
}

TEST(InstallerLimits, TheDashboardsRaisesAreNamedAgainstTheFile) {
  const auto file = example_site();
  auto site = file;
  EXPECT_TRUE(gateway::installer_raises(file, site).empty());
  site.grid_max_current_a = 32;
  site.safety_margin_a = 0.5;
  site.stations[0].max_current_a = 40;
  site.stations[0].sockets[1].safe_current_a = 8;
  site.stations[0].sockets[1].phase_mapping = *parse_phase_mapping("L1L2L3");
  site.stations[0].sockets[0].max_current_a = 10;  // lower: no confirmation needed
  std::vector<std::string> keys;
  for (const auto& i : gateway::installer_raises(file, site)) {
    keys.push_back(i.key);
    EXPECT_THAT(i.rule, HasSubstr("safety rule 8")) << i.key;
  }
  EXPECT_THAT(keys,
              ::testing::ElementsAre("site.grid_max_current_a", "site.safety_margin_a", "station[0].max_current_a",
                                     "station[0].socket[1].safe_current_a", "station[0].socket[1].phase_mapping"));
  EXPECT_TRUE(gateway::installer_locked("station[0].socket[1].phase_mapping"));
  EXPECT_TRUE(gateway::installer_locked("socket[3].max_current_a"));
  EXPECT_FALSE(gateway::installer_locked("socket[3].mode"));
  EXPECT_FALSE(gateway::installer_locked("surplus.start_delay_s"));
}

TEST(Command, DescribesItselfForRepliesAndLogs) {
  EXPECT_EQ(describe(SetSocketMode{3, ChargeMode::MinPv}), "set socket 3 mode to minpv");
  EXPECT_EQ(describe(SetSocketMaxCurrent{1, 13}), "set socket 1 maximum current to 13 A");
  EXPECT_EQ(describe(SetSiteLimit{20}), "set the site limit to 20 A per phase");
  EXPECT_EQ(describe(Suspend{}), "suspend charging");
}

}  // namespace
}  // namespace emsgw::ems
