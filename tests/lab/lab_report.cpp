// Runs lab scenarios and prints the KPI table: emsgw_lab_report [DIR | FILE…]
// (default tests/lab/scenarios). Exit code 1 when a KPI is beyond its bound.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/lab/lab_site.hpp"

int main(int argc, char** argv) {
  using namespace emsgw::lab;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.size() > 5 && a.substr(a.size() - 5) == ".json")
      files.push_back(a);
    else
      for (const auto& f : lab_scenario_files(a)) files.push_back(f);
  }
  if (argc < 2) files = lab_scenario_files(std::string(EMSGW_SOURCE_DIR) + "/tests/lab/scenarios");
  std::vector<LabResult> results;
  double cpu = 0, site = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    const auto j = nlohmann::json::parse(in);
    auto name = f.substr(f.find_last_of('/') + 1);
    name = name.substr(0, name.size() - 5);
    try {
      results.push_back(run_lab_scenario(j, name));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", f.c_str(), e.what());
      return 2;
    }
    cpu += results.back().cpu_s;
    site += results.back().site_s;
  }
  std::printf("%s", kpi_table(results).c_str());
  int failed = 0;
  for (const auto& r : results) {
    for (const auto& v : r.violations) std::printf("  beyond bound: %s\n", v.c_str());
    if (!r.violations.empty() && !r.notes.empty()) std::printf("    (%s)\n", r.notes.c_str());
    failed += r.violations.empty() ? 0 : 1;
  }
  std::printf("%zu scenarios, %.1f h of site time in %.1f s of CPU; %d beyond a bound\n", results.size(), site / 3600.0,
              cpu, failed);
  return failed == 0 ? 0 : 1;
}
