// The tree of limits (ems/circuits.hpp): validation with every finding at once, the resolved tree,
// and the safe-current rule per node and phase.
#include "ems/circuits.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace emsgw::ems {
namespace {

SiteConfig site_with_stations(int n, double safe_a = 6) {
  SiteConfig s;
  s.name = "t";
  s.grid_max_current_a = 40;
  for (int i = 0; i < n; ++i) {
    StationConfig st;
    st.name = "st" + std::to_string(i);
    st.max_current_a = 32;
    SocketConfig so;
    so.id = i + 1;
    so.max_current_a = 32;
    so.safe_current_a = safe_a;
    so.phase_mapping = *parse_phase_mapping(i % 2 == 0 ? "L1L2L3" : "L2");
    st.sockets.push_back(so);
    s.stations.push_back(st);
  }
  return s;
}

bool has(const std::vector<ConfigIssue>& issues, const std::string& key, const std::string& needle) {
  return std::any_of(issues.begin(), issues.end(),
                     [&](const auto& i) { return i.key == key && i.rule.find(needle) != std::string::npos; });
}

TEST(Circuits, ANestedTreeResolvesAndEachStationKnowsItsPath) {
  const std::vector<CircuitConfig> c = {{"house", "", 35, 0, 0.5, "sub"}, {"garage", "house", 16, 0, 0.5, ""}};
  const auto site = site_with_stations(3);
  const std::vector<std::string> at = {"garage", "house", ""};
  EXPECT_TRUE(validate_circuits(c, at, site).empty());
  const auto t = resolve_circuits(c, at);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->station_node, (std::vector<int>{2, 1, 0}));
  EXPECT_EQ(t->path(2), (std::vector<int>{2, 1}));
  EXPECT_TRUE(t->path(0).empty());
  EXPECT_TRUE(t->below(2, 1));
  EXPECT_FALSE(t->below(1, 2));
  EXPECT_TRUE(t->below(1, 0));
}

TEST(Circuits, EveryMistakeIsNamedAtOnce) {
  const std::vector<CircuitConfig> c = {{"", "", 16, 0, 0.5, ""},
                                        {"a", "nowhere", 16, 0, 0.5, ""},
                                        {"a", "", -1, 0, 0.5, ""},
                                        {"b", "", 0, 0, 0, ""},
                                        {"m", "", 10, 0, 12, ""}};
  const auto site = site_with_stations(1);
  const auto issues = validate_circuits(c, {"missing"}, site);
  EXPECT_TRUE(has(issues, "circuit[0].name", "must not be empty"));
  EXPECT_TRUE(has(issues, "circuit[1].parent", "names no [[circuit]]"));
  EXPECT_TRUE(has(issues, "circuit[2].name", "already used by circuit[1]"));
  EXPECT_TRUE(has(issues, "circuit[2].max_current_a", "between 0"));
  EXPECT_TRUE(has(issues, "circuit[3].max_current_a", "needs max_current_a or max_power_w"));
  EXPECT_TRUE(has(issues, "circuit[4].margin_a", "below max_current_a"));
  EXPECT_TRUE(has(issues, "station[0].circuit", "names no [[circuit]]"));
  EXPECT_FALSE(resolve_circuits(c, {"missing"}));
}

TEST(Circuits, ACycleIsRefused) {
  const std::vector<CircuitConfig> c = {{"a", "b", 16, 0, 0.5, ""}, {"b", "a", 16, 0, 0.5, ""}};
  const auto issues = validate_circuits(c, {""}, site_with_stations(1));
  EXPECT_TRUE(has(issues, "circuit[0].parent", "makes a cycle"));
  const std::vector<CircuitConfig> self = {{"a", "a", 16, 0, 0.5, ""}};
  EXPECT_TRUE(has(validate_circuits(self, {""}, site_with_stations(1)), "circuit[0].parent", "the circuit itself"));
}

TEST(Circuits, SafeCurrentsThatAloneOverloadANodeAreRefusedWithNodePhaseAndAmperes) {
  // Three stations under "board": two three-phase sockets (L1L2L3) and one on L2, 8 A safe each:
  // L1 16 A, L2 24 A, L3 16 A against 20 A − 0.5 A.
  const std::vector<CircuitConfig> c = {{"board", "", 20, 0, 0.5, ""}};
  const auto site = site_with_stations(3, 8);
  const auto issues = validate_circuits(c, {"board", "board", "board"}, site);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_EQ(issues[0].key, "circuit[0].max_current_a");
  EXPECT_NE(issues[0].rule.find("circuit board L2"), std::string::npos) << issues[0].rule;
  EXPECT_NE(issues[0].rule.find("24 A"), std::string::npos) << issues[0].rule;
  // A nested node counts the sockets of its children too.
  const std::vector<CircuitConfig> nested = {{"top", "", 20, 0, 0.5, ""}, {"leaf", "top", 32, 0, 0.5, ""}};
  EXPECT_FALSE(validate_circuits(nested, {"leaf", "leaf", "top"}, site).empty());
  // A power limit: 16+24+16 A × 230 V = 12 880 W.
  const std::vector<CircuitConfig> power = {{"p", "", 0, 11000, 0.5, ""}};
  EXPECT_TRUE(has(validate_circuits(power, {"p", "p", "p"}, site), "circuit[0].max_power_w", "12880 W"));
  const std::vector<CircuitConfig> ok = {{"p", "", 0, 13000, 0.5, ""}};
  EXPECT_TRUE(validate_circuits(ok, {"p", "p", "p"}, site).empty());
}

}  // namespace
}  // namespace emsgw::ems
