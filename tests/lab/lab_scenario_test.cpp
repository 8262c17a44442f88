// Every scenario in tests/lab/scenarios runs as its own test case: the closed loop on virtual time.
// The safety KPI (no overload beyond the EV response window, design.md §2.1) is enforced on every
// scenario; the control-quality bounds (utilisation, on/off transitions, writes, waits, fairness,
// cars giving up; design.md §4) are enforced by MeetsEveryKpiBound on the scenarios listed in
// within_bounds(), and checked by the disabled DISABLED_MeetsEveryKpiBoundNotYet on the others — the KPI
// row of every scenario is printed for the log either way.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <random>
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
  static const std::vector<std::string> names{
      "a-14a-car-whose-charger-takes-10a",
      "a-car-that-sleeps-while-paused",
      "alternating-24a-six-sockets",
      "battery-taper-to-full",
      "cars-draw-less-than-offered",
      "cars-limited-by-own-charger",
      "cars-plugged-before-start",
      "demo-fast-probing",
      "dsmr4-meter-every-10s",
      "equal-cars-sharing",
      "full-car-and-return",
      "guide-1phase-20a-bca",
      "guide-1phase-20a-bca-stations-read-apart",
      "hair-dryer-test",
      "household-cycling-64-stations",
      "household-steps-two-cars",
      "meter-delayed-sampling",
      "meter-silent-failsafe",
      "newcomers-one-after-another",
      "one-phase-cars-rotated-mappings",
      "phase-switching-cars",
      "probing-14a-car-at-the-edge",
      "probing-14a-car-joins-two",
      "pv-clouds-now-mode",
      "random-site-1",
      "random-site-2",
      "rotation-eight-cars-32a",
      "station-drops-off",
      "three-cars-plugged-in-together",
  };
  return names;
}

bool is_within_bounds(const std::string& name) {
  const auto& w = within_bounds();
  return std::find(w.begin(), w.end(), name) != w.end();
}

TEST_P(LabScenario, MeetsEveryKpiBound) {
  if (!is_within_bounds(GetParam()))
    GTEST_SKIP() << "not yet within every bound: see DISABLED_MeetsEveryKpiBoundNotYet";
  const auto r = run_named(GetParam());
  std::printf("%s", kpi_table({r}).c_str());
  for (const auto& v : r.violations) ADD_FAILURE() << v << "\n  " << r.notes;
}

// The scenarios the controller does not meet every bound on yet (run with
// --gtest_also_run_disabled_tests to see the violations). Its name must differ from the enforced
// test's once CTest strips "DISABLED_": CTest disables by name, and a shared name disabled both.
TEST_P(LabScenario, DISABLED_MeetsEveryKpiBoundNotYet) {
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

// The hair dryer site's three cars plugged in at every order and moment (seeded: offsets up to 14 s,
// EV dead times 0.5–3 s, ramps 0.05–1.5 s). A car whose probing window passes while another probes
// has unknown phases and counts on all three; it must still get current within a few probing windows
// where its own phase has room — not only at the end of an alternating period (900 s).
TEST(LabSweep, ThreeCarsPluggedInAtAnyMomentNoneWaitsForAnAlternatingPeriod) {
  std::ifstream in(scenario_dir() + "/three-cars-plugged-in-together.json");
  ASSERT_TRUE(in);
  const auto base = nlohmann::json::parse(in);
  std::mt19937 rng(20261201);
  const std::array<double, 9> offsets{0, 0.3, 1, 2, 3, 5, 9, 11, 14};
  const std::array<double, 4> dead{0.5, 1, 2, 3};
  const std::array<double, 3> tau{0.05, 0.5, 1.5};
  const auto pick = [&](const auto& v) { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
  constexpr int kVariants = 100;
  int waited_long = 0;
  double worst = 0;
  std::string worst_case;
  for (int i = 0; i < kVariants; ++i) {
    auto s = base;
    s["duration_s"] = 300;
    const double d = pick(dead), t = pick(tau);
    std::string plugs;
    for (auto& e : s["events"]) {
      if (!e.contains("plug")) continue;
      e["t"] = 1 + pick(offsets);
      auto& car = e["plug"]["car"];
      car["dead_s"] = d;
      car["tau_up_s"] = car["tau_down_s"] = t;
      plugs += std::to_string(e["t"].get<double>()).substr(0, 4) + " ";
    }
    const auto r = run_lab_scenario(s, "sweep-" + std::to_string(i));
    EXPECT_EQ(r.kpis.overload_as, 0.0) << "variant " << i << ": " << r.notes;
    if (r.kpis.wait_any_s > 60) ++waited_long;
    if (r.kpis.wait_any_s > worst) {
      worst = r.kpis.wait_any_s;
      worst_case = "variant " + std::to_string(i) + " (plugs at " + plugs + "s, dead " + std::to_string(d) +
                   " s, ramp " + std::to_string(t) + " s): " + r.notes;
    }
  }
  std::printf("%d variants: longest wait of a car asking %.1f s\n", kVariants, worst);
  EXPECT_EQ(waited_long, 0) << waited_long << " of " << kVariants
                            << " variants left a car waiting over 60 s; the longest: " << worst_case;
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
