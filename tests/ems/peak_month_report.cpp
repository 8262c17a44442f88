// The simulated month under the quarter-hour peak, as a table (tests/ems/peak_month.hpp).
//   emsgw_peak_month [--target-kw K] [--margin-kw M] [--days N] [--seed S] [--follow]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/ems/peak_month.hpp"

int main(int argc, char** argv) {
  emsgw::ems::test::PeakMonthOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "emsgw_peak_month: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--target-kw") {
      o.target_kw = std::atof(value());
    } else if (a == "--margin-kw") {
      o.margin_kw = std::atof(value());
    } else if (a == "--days") {
      o.days = std::atoi(value());
    } else if (a == "--seed") {
      o.seed = static_cast<unsigned>(std::atoi(value()));
    } else if (a == "--follow") {
      o.follow_month_peak = true;
    } else {
      std::fprintf(stderr,
                   "usage: emsgw_peak_month [--target-kw K] [--margin-kw M] [--days N] [--seed S] [--follow]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (o.days < 1 || o.target_kw <= 0 || o.margin_kw < 0) {
    std::fprintf(stderr, "emsgw_peak_month: --days must be ≥ 1, --target-kw > 0, --margin-kw ≥ 0\n");
    return 2;
  }
  std::fputs(emsgw::ems::test::describe(o, emsgw::ems::test::simulate_peak_month(o)).c_str(), stdout);
  return 0;
}
