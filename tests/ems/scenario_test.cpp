// Every tests/ems/scenarios/*.json is one test case (found at run time under EMSGW_SOURCE_DIR).
#include "tests/ems/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace emsgw::ems::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> scenario_files() {
  std::vector<std::string> out;
  const fs::path dir = fs::path(EMSGW_SOURCE_DIR) / "tests" / "ems" / "scenarios";
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, MatchesExpectedSetPoints) {
  std::ifstream in(GetParam());
  ASSERT_TRUE(in) << "cannot open " << GetParam();
  const auto j = nlohmann::json::parse(in, nullptr, true, true);
  const auto report = run_scenario(j);
  EXPECT_GT(report.checks, 0) << "scenario checks nothing";
  if (!report.differences.empty()) {
    std::string list;
    for (const auto& d : report.differences) list += "  " + d + "\n";
    ADD_FAILURE() << GetParam() << ": " << report.differences.size() << " difference(s)\n"
                  << list << "\nexpected vs actual per step (!! = differs):\n"
                  << report.trace;
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = fs::path(info.param).stem().string();
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Golden, Scenario, ::testing::ValuesIn(scenario_files()), test_name);

TEST(ScenarioFolder, HoldsTheRequiredScenarios) {
  EXPECT_GE(scenario_files().size(), 8u);
}

}  // namespace
}  // namespace emsgw::ems::test
