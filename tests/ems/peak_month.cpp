#include "tests/ems/peak_month.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <vector>

#include "ems/flex_limit.hpp"
#include "ems/quarter_peak.hpp"
#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {
namespace {

constexpr double kVolts = 230;
constexpr double kDayS = 86400;

/// One appliance run: a power on one grid phase from `from` to `to` (seconds of the month).
struct Load {
  double from = 0, to = 0;
  std::size_t phase = 0;
  double watts = 0;
};

/// One plug-in window of one car: it wants `kwh` between `from` and `to`.
struct Window {
  double from = 0, to = 0;
  double kwh = 0;
};

struct Household {
  std::vector<Load> loads;  ///< sorted by start
  [[nodiscard]] std::array<double, 3> amps(double t) const {
    std::array<double, 3> a{250 / 3.0 / kVolts, 250 / 3.0 / kVolts, 250 / 3.0 / kVolts};  // base load
    for (const auto& l : loads) {
      if (l.from > t) break;
      if (t < l.to) a[l.phase] += l.watts / kVolts;
    }
    return a;
  }
};

struct Month {
  Household household;
  std::array<std::vector<Window>, 2> cars;  ///< car 0: three phases 16 A; car 1: one phase 16 A
};

Month make_month(const PeakMonthOptions& o) {
  std::mt19937 rng(o.seed);
  const auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  const auto hour = [](int day, double h) { return day * kDayS + h * 3600; };
  Month m;
  auto& loads = m.household.loads;
  for (int d = 0; d < o.days; ++d) {
    const bool weekend = d % 7 >= 5;
    loads.push_back({hour(d, uniform(6.5, 7.5)), 0, 0, 800});  // breakfast
    loads.back().to = loads.back().from + 1800;
    const double cooking = hour(d, uniform(17.5, 19.0));  // induction hob and oven
    loads.push_back({cooking, cooking + uniform(2400, 3600), 1, 2000});
    for (int k = 0; k < 4; ++k) {  // kettles
      const double t = hour(d, uniform(7, 22));
      loads.push_back({t, t + 180, 0, 2000});
    }
    if (uniform(0, 1) < 0.6) {  // dishwasher heating
      const double t = hour(d, uniform(19.5, 21.5));
      loads.push_back({t, t + 1800, 2, 1800});
    }
    if (weekend) {  // washing machine
      const double t = hour(d, uniform(9, 12));
      loads.push_back({t, t + 1200, 2, 2000});
    }
    // The cars: evenings and nights on weekdays, an afternoon at the weekend.
    if (!weekend) {
      m.cars[0].push_back({hour(d, uniform(17.25, 18.75)), hour(d + 1, uniform(6.75, 7.75)), uniform(14, 28)});
      m.cars[1].push_back({hour(d, uniform(18, 20)), hour(d + 1, uniform(7.25, 8.25)), uniform(6, 12)});
    } else {
      m.cars[0].push_back({hour(d, uniform(11, 12)), hour(d, uniform(16, 18)), 10});
      m.cars[1].push_back({hour(d, uniform(13, 14)), hour(d, uniform(19, 20)), 6});
    }
  }
  std::sort(loads.begin(), loads.end(), [](const Load& a, const Load& b) { return a.from < b.from; });
  return m;
}

SiteConfig month_site() {
  // Two single stations on a 25 A connection: the three-phase car on socket 1, the one-phase car on
  // socket 2 (station phase L1 on grid L2).
  auto s = site_cfg(25, 3,
                    {station_cfg("drive", 16, {socket_cfg(1, 16, "L1L2L3", 6)}),
                     station_cfg("garage", 16, {socket_cfg(2, 16, "L2L3L1", 6)})});
  return s;
}

/// Quarter-hour averages of an import power, as the meter bills them.
struct QuarterMeter {
  double energy_ws = 0;
  long quarter = -1;
  std::vector<double> averages_w;
  void add(double t, double import_w, double dt) {
    const long q = static_cast<long>(std::floor(t / QuarterPeak::kQuarterS));
    if (q != quarter) {
      if (quarter >= 0) averages_w.push_back(energy_ws / QuarterPeak::kQuarterS);
      quarter = q;
      energy_ws = 0;
    }
    energy_ws += std::max(0.0, import_w) * dt;
  }
  void finish() {
    if (quarter >= 0) averages_w.push_back(energy_ws / QuarterPeak::kQuarterS);
    quarter = -1;
  }
};

PeakMonthRun run(const PeakMonthOptions& o, const Month& m, bool with_peak, std::vector<double>* household_quarters) {
  const auto started = std::chrono::steady_clock::now();
  PeakMonthRun r;
  Allocator alloc(month_site());
  QuarterPeak peak({o.target_kw * 1000, o.follow_month_peak, o.margin_kw * 1000});
  // A month that starts on a quarter boundary (UTC): quarters of the simulation are the meter's.
  const WallTime month_start = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2};
  QuarterMeter grid_q, house_q;
  std::array<std::size_t, 2> window{0, 0};
  std::array<double, 2> delivered_wh{0, 0};  // in the present window
  std::array<double, 2> offer{0, 0};
  std::array<bool, 2> plugged{false, false};
  constexpr std::array<int, 2> kPhases{3, 1};
  const double end = o.days * kDayS;
  Allocation out;
  for (double t = 0; t < end; t += o.step_s) {
    // The cars: plug-in, the energy they still want, what they draw of last step's offer.
    std::array<double, 3> grid = m.household.amps(t);
    const auto house = grid;
    std::vector<SocketSnapshot> sockets;
    double ev_w = 0;
    for (std::size_t c = 0; c < 2; ++c) {
      const auto& ws = m.cars[c];
      while (window[c] < ws.size() && ws[window[c]].to <= t) {
        if (plugged[c]) {  // a window that ended: what the car wanted and what it got
          r.ev_kwh_asked += ws[window[c]].kwh;
          r.ev_kwh += delivered_wh[c] / 1000;
          if (delivered_wh[c] + 1 < ws[window[c]].kwh * 1000) ++r.sessions_short;
        }
        plugged[c] = false;
        ++window[c];
        delivered_wh[c] = 0;
        offer[c] = 0;
      }
      const bool in_window = window[c] < ws.size() && ws[window[c]].from <= t;
      plugged[c] = in_window;
      const int id = static_cast<int>(c) + 1;
      if (!in_window) {
        sockets.push_back(socket_in(id, ConnectorState::Available, {0, 0, 0}, t));
        continue;
      }
      const bool wants = delivered_wh[c] < ws[window[c]].kwh * 1000;
      const double draw = wants && offer[c] >= 6 ? std::min(offer[c], 16.0) : 0.0;
      std::array<double, 3> station{0, 0, 0};
      for (int p = 0; p < kPhases[c]; ++p) station[static_cast<std::size_t>(p)] = draw;
      sockets.push_back(socket_in(id, wants ? ConnectorState::Charging : ConnectorState::Connected, station, t));
      // Socket 1 L1L2L3, socket 2 L2L3L1: station phase j loads grid phase (j + c) mod 3.
      for (std::size_t j = 0; j < 3; ++j) grid[(j + c) % 3] += station[j];
      const double w = draw * kPhases[c] * kVolts;
      ev_w += w;
      delivered_wh[c] += w * o.step_s / 3600;
    }
    double net_w = 0, house_w = 0;
    for (std::size_t p = 0; p < 3; ++p) {
      net_w += grid[p] * kVolts;
      house_w += house[p] * kVolts;
    }
    grid_q.add(t, net_w, o.step_s);
    if (household_quarters) house_q.add(t, house_w, o.step_s);

    auto snap = snapshot_at(t, grid, std::move(sockets));
    if (with_peak) {
      const WallTime wall = month_start + std::chrono::milliseconds(static_cast<std::int64_t>(t * 1000));
      peak.observe(wall, net_w);
      (void)peak.take_closed();
      snap.flex_limit = peak_flex_limit(peak.budget(wall), net_w, ev_w);
    }
    out = alloc.step(snap);
    for (std::size_t c = 0; c < 2; ++c) {
      const auto* a = out.find(static_cast<int>(c) + 1);
      offer[c] = a ? a->current_a : 0;
    }
  }
  grid_q.finish();
  const double target_w = o.target_kw * 1000;
  for (double w : grid_q.averages_w) r.month_peak_kw = std::max(r.month_peak_kw, w / 1000);
  if (household_quarters) {
    house_q.finish();
    *household_quarters = house_q.averages_w;
  }
  for (std::size_t q = 0; q < grid_q.averages_w.size(); ++q) {
    if (grid_q.averages_w[q] <= target_w + 1e-6) continue;
    ++r.quarters_over_target;
    if (household_quarters && q < household_quarters->size() && (*household_quarters)[q] < target_w)
      ++r.quarters_over_household_ok;
  }
  r.cpu_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace

PeakMonthResult simulate_peak_month(const PeakMonthOptions& o) {
  const Month m = make_month(o);
  PeakMonthResult res;
  std::vector<double> household;
  res.unconstrained = run(o, m, false, &household);
  for (double w : household) res.household_peak_kw = std::max(res.household_peak_kw, w / 1000);
  res.with_peak = run(o, m, true, &household);
  res.steps = static_cast<int>(o.days * kDayS / o.step_s);
  return res;
}

std::string describe(const PeakMonthOptions& o, const PeakMonthResult& r) {
  char buf[1024];
  const auto row = [](const char* name, const PeakMonthRun& x) {
    char b[256];
    std::snprintf(b, sizeof b, "%-22s %9.2f %9.1f %9.1f %7.1f%% %6d %6d %7.2f\n", name, x.month_peak_kw, x.ev_kwh,
                  x.ev_kwh_asked, x.ev_kwh_asked > 0 ? 100 * x.ev_kwh / x.ev_kwh_asked : 100.0, x.quarters_over_target,
                  x.sessions_short, x.cpu_s);
    return std::string(b);
  };
  std::snprintf(buf, sizeof buf,
                "simulated month: %d days, %.0f s steps, target %.1f kW (margin %.1f kW, follow month peak %s), seed "
                "%u; household alone peaks at %.2f kW\n%-22s %9s %9s %9s %8s %6s %6s %7s\n",
                o.days, o.step_s, o.target_kw, o.margin_kw, o.follow_month_peak ? "on" : "off", o.seed,
                r.household_peak_kw, "controller", "peak_kW", "EV_kWh", "asked", "EV_%", "q>tgt", "short", "cpu_s");
  return buf + row("quarter-hour peak", r.with_peak) + row("unconstrained", r.unconstrained);
}

}  // namespace emsgw::ems::test
