// check-config says where the solar surplus comes from, so that a site with `pv` sockets and only
// a smart meter is not accepted silently.
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

}  // namespace
}  // namespace emsgw::test
