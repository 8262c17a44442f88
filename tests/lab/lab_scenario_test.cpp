// Every scenario in tests/lab/scenarios runs as its own test case: the closed loop on virtual time.
// The safety KPI (no overload beyond the EV response window, design.md §2.1) is enforced on every
// scenario; the control-quality bounds (utilisation, on/off transitions, writes, waits, fairness,
// cars giving up; design.md §4) are enforced by MeetsEveryKpiBound on the scenarios listed in
// within_bounds(), and checked by the disabled DISABLED_MeetsEveryKpiBound on the others — the KPI
// row of every scenario is printed for the log either way.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "tests/lab/lab_site.hpp"

namespace emsgw::lab {
namespace {

std::string scenario_dir() {
  return std::string(EMSGW_SOURCE_DIR) + "/tests/lab/scenarios";
}

class LabScenario : public ::testing::TestWithParam<std::string> {};

LabResult run_named(const std::string& name) {
  const auto path = scenario_dir() + "/" + name + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return run_lab_scenario(nlohmann::json::parse(in), name);
}

TEST_P(LabScenario, NeverOverloadsTheConnection) {
  const auto r = run_named(GetParam());
  std::printf("%s", kpi_table({r}).c_str());
  EXPECT_EQ(r.kpis.overload_as, 0.0) << r.notes;
  EXPECT_GT(r.kpis.energy_kwh, 0) << "a lab scenario in which no car charges proves nothing";
}

/// Scenarios within every KPI bound: enforced, so that none of them can silently regress. A
/// scenario joins this list when the controller meets every bound on it.
const std::vector<std::string>& within_bounds() {
  static const std::vector<std::string> names{"cars-draw-less-than-offered", "demo-fast-probing", "equal-cars-sharing",
                                              "station-drops-off", "three-cars-plugged-in-together"};
  return names;
}

bool is_within_bounds(const std::string& name) {
  const auto& w = within_bounds();
  return std::find(w.begin(), w.end(), name) != w.end();
}

TEST_P(LabScenario, MeetsEveryKpiBound) {
  if (!is_within_bounds(GetParam())) GTEST_SKIP() << "not yet within every bound: see DISABLED_MeetsEveryKpiBound";
  const auto r = run_named(GetParam());
  std::printf("%s", kpi_table({r}).c_str());
  for (const auto& v : r.violations) ADD_FAILURE() << v << "\n  " << r.notes;
}

// The scenarios the controller does not meet every bound on yet (run with
// --gtest_also_run_disabled_tests to see the violations).
TEST_P(LabScenario, DISABLED_MeetsEveryKpiBound) {
  if (is_within_bounds(GetParam())) GTEST_SKIP() << "enforced by MeetsEveryKpiBound";
  const auto r = run_named(GetParam());
  std::printf("%s", kpi_table({r}).c_str());
  for (const auto& v : r.violations) ADD_FAILURE() << v << "\n  " << r.notes;
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

TEST(LabScenarioFiles, EveryScenarioHeldToItsBoundsExists) {
  const auto all = names();
  for (const auto& n : within_bounds()) EXPECT_NE(std::find(all.begin(), all.end(), n), all.end()) << n;
}

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
