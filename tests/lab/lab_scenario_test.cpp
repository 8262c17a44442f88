// Every scenario in tests/lab/scenarios runs as its own test case: the closed loop on virtual time,
// with each KPI held to its bound (design.md §4). The KPI row is printed for the log.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tests/lab/lab_site.hpp"

namespace emsgw::lab {
namespace {

std::string scenario_dir() {
  return std::string(EMSGW_SOURCE_DIR) + "/tests/lab/scenarios";
}

class LabScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(LabScenario, MeetsEveryKpiBound) {
  const auto path = scenario_dir() + "/" + GetParam() + ".json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const auto j = nlohmann::json::parse(in);
  const auto r = run_lab_scenario(j, GetParam());
  std::printf("%s", kpi_table({r}).c_str());
  for (const auto& v : r.violations) ADD_FAILURE() << v << "\n  " << r.notes;
  EXPECT_GT(r.kpis.energy_kwh, 0) << "a lab scenario in which no car charges proves nothing";
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& f : lab_scenario_files(scenario_dir())) {
    auto n = f.substr(f.find_last_of('/') + 1);
    out.push_back(n.substr(0, n.size() - 5));
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, LabScenario, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param;
                           for (auto& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

TEST(LabScenarioFiles, AtLeastTwentyScenariosShip) {
  EXPECT_GE(names().size(), 20U);
}

TEST(LabScenarioFiles, AMalformedCarIsRefusedWithKeyValueAndRule) {
  const auto j = nlohmann::json::parse(R"({
    "site": {"grid_max_current_a": 25, "grid_phases": 3},
    "stations": [{"name": "A", "max_current_a": 32, "sockets": [{"id": 1, "max_current_a": 16, "phase_mapping": "L1L2L3"}]}],
    "duration_s": 10,
    "events": [{"t": 1, "plug": {"socket": 1, "car": {"phases": 4}}}]})");
  try {
    (void)run_lab_scenario(j, "bad");
    FAIL() << "accepted a 4-phase car";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("plug.car.phases = 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace emsgw::lab
