// The emsgw binary itself, as an installer uses it: exit codes and what it prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "gateway/storage/sqlite_store.hpp"
#include "tests/config/config_test_util.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

std::string emsgw() {
  return built("gateway/emsgw");
}
std::string example() {
  return std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml";
}

TEST(Cli, CheckConfigAcceptsTheExampleAndExplainsIt) {
  const auto r = run_command(emsgw() + " check-config " + example());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("valid"));
  EXPECT_THAT(r.output, HasSubstr("socket id 1 (unit 2): max 16 A, safe 6 A, wired L2L3L1 -> grid L2/L3/L1"));
  EXPECT_THAT(r.output, HasSubstr("L1 12 A, L2 12 A, L3 12 A (limit 25 A)"));
}

TEST(Cli, CheckConfigRefusesABadFileWithFileLineKeyValueRuleAndExit1) {
  const auto path = write_temp_file("bad.toml", replace(replace(issue_example(), "unit = 2\n", "unit = 7\n"),
                                                        "alternating_period_s = 900", "alternating_period_s = 30"));
  const auto r = run_command(emsgw() + " check-config " + path);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr(path + ":8: site.alternating_period_s = 30: must be between 60 and 36000 s"));
  EXPECT_THAT(r.output, HasSubstr(path + ":35: station[0].socket[1].unit = 7: must be 1"));
  EXPECT_THAT(r.output, HasSubstr("2 problems found"));
}

TEST(Cli, CheckConfigQuietPrintsNothingOnSuccess) {
  const auto r = run_command(emsgw() + " check-config --quiet " + example());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "");
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const std::string sub : {"", "run", "check-config", "demo", "probe-station", "probe-meter"}) {
    const auto r = run_command(emsgw() + " " + sub + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("Usage:")) << sub;
  }
}

TEST(Cli, VersionPrintsTheVersion) {
  const auto r = run_command(emsgw() + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("emsgw 0."));
}

TEST(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(run_command(emsgw() + " no-such-command").exit_code, 2);
  EXPECT_EQ(run_command(emsgw() + " check-config").exit_code, 2);  // FILE missing
  EXPECT_EQ(run_command(emsgw()).exit_code, 2);                    // nothing to do: prints help
}

TEST(Cli, RunRefusesAnInvalidConfigurationAndSaysWhy) {
  const auto path = write_temp_file("run-bad.toml", replace(issue_example(), "grid_phases = 3", "grid_phases = 2"));
  const auto r = run_command(emsgw() + " run --config " + path);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("site.grid_phases = 2: must be 1 or 3"));
  EXPECT_THAT(r.output, HasSubstr("not started"));
}

}  // namespace
}  // namespace emsgw::test

namespace emsgw::test {
namespace {

// check-config shows the overrides set at run time that the [storage] database holds, and which of
// them the next start would skip (an MQTT raise of the grid limit, safety rule 8).
TEST(Cli, CheckConfigShowsTheOverridesInForce) {
  const auto db = write_temp_file("overrides.sqlite", "");
  std::remove(db.c_str());
  {
    gateway::storage::StorageSettings s;
    s.path = db;
    auto store = gateway::storage::SqliteStore::open(s);
    ASSERT_TRUE(store);
    const auto now = std::chrono::system_clock::now();
    ASSERT_TRUE(store->set_override({"site.grid_max_current_a", "40", "mqtt", now}));
    ASSERT_TRUE(store->set_override({"socket[1].mode", "pv", "web", now}));
  }
  const auto path = write_temp_file("with-storage.toml", issue_example() + "\n[storage]\npath = \"" + db + "\"\n");
  const auto r = run_command(emsgw() + " check-config " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Overrides in " + db));
  EXPECT_THAT(r.output, HasSubstr("socket[1].mode = pv (set by web): in force"));
  EXPECT_THAT(r.output, HasSubstr("site.grid_max_current_a = 40 (set by mqtt): skipped"));
  EXPECT_THAT(r.output, HasSubstr("safety rule 8"));
  std::remove(db.c_str());
  const auto none = run_command(emsgw() + " check-config " + path);
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_THAT(none.output, ::testing::Not(HasSubstr("Overrides")));
  EXPECT_NE(::access(db.c_str(), F_OK), 0) << "check-config never creates the database";
}

}  // namespace
}  // namespace emsgw::test
