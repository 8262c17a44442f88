#include "ems/site_status.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace emsgw::ems {
namespace {

TEST(SiteStatus, EverySocketStateHasAUniqueCodeAndWords) {
  std::set<std::string> codes;
  for (int i = 0; i <= static_cast<int>(SocketState::Fault); ++i) {
    const auto s = static_cast<SocketState>(i);
    EXPECT_TRUE(codes.insert(std::string(to_string(s))).second) << to_string(s);
    EXPECT_FALSE(describe(s).empty());
  }
  EXPECT_EQ(describe(SocketState::ChargingReduced), "charging at reduced current");
  EXPECT_EQ(to_string(SocketState::FallbackSafe), "fallback_safe");
}

}  // namespace
}  // namespace emsgw::ems
