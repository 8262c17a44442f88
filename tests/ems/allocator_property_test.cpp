// Properties over thousands of random sites, seeded and reproducible (a failure names its seed):
// the per-phase budget is never exceeded; no socket goes above any of its limits; when demand
// exceeds supply the headroom is used (≥ 95 % or limits forbid more); equal EVs get equal current
// within 1 A; nobody waits longer than one alternating period when rotation can serve them; the
// step is deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <sstream>

#include "ems/allocator.hpp"
#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {
namespace {

constexpr double kTol = 1e-6;

using Rng = std::mt19937_64;

double uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int uniform_int(Rng& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
bool chance(Rng& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}

const char* kThreePhase[] = {"L1L2L3", "L1L3L2", "L2L1L3", "L2L3L1", "L3L1L2", "L3L2L1"};
const char* kOnePhase[] = {"L1", "L2", "L3"};

SiteConfig random_site(Rng& rng) {
  SiteConfig s;
  s.name = "random";
  s.grid_phases = chance(rng, 0.8) ? 3 : 1;
  s.grid_max_current_a = std::floor(uniform(rng, 16, 120));
  s.safety_margin_a = std::floor(uniform(rng, 0, 3));
  const int stations = uniform_int(rng, 1, 12);
  std::vector<int> ids(128);
  for (int i = 0; i < 128; ++i) ids[static_cast<std::size_t>(i)] = i;
  std::shuffle(ids.begin(), ids.end(), rng);
  std::size_t next_id = 0;
  for (int i = 0; i < stations; ++i) {
    StationConfig st;
    st.name = "st" + std::to_string(i);
    st.max_current_a = std::floor(uniform(rng, 16, 40));
    const int sockets = chance(rng, 0.5) ? 2 : 1;
    for (int j = 0; j < sockets; ++j) {
      SocketConfig so;
      so.id = ids[next_id++];
      so.unit = j + 1;
      so.max_current_a = std::floor(uniform(rng, 6, std::min(32.0, st.max_current_a) + 0.999));
      so.safe_current_a = chance(rng, 0.3) ? 6 : 0;
      if (s.grid_phases == 1)
        so.phase_mapping = parse_phase_mapping("L1").value();
      else if (chance(rng, 0.5))
        so.phase_mapping = parse_phase_mapping(kThreePhase[uniform_int(rng, 0, 5)]).value();
      else
        so.phase_mapping = parse_phase_mapping(kOnePhase[uniform_int(rng, 0, 2)]).value();
      st.sockets.push_back(so);
    }
    s.stations.push_back(st);
  }
  // Keep the configuration valid: drop safe currents until they fit (design.md §2.7).
  while (!validate(s).empty()) {
    bool changed = false;
    for (auto& st : s.stations)
      for (auto& so : st.sockets)
        if (!changed && so.safe_current_a > 0) {
          so.safe_current_a = 0;
          changed = true;
        }
    if (!changed) break;
  }
  return s;
}

struct SocketInfo {
  const SocketConfig* cfg = nullptr;
  const StationConfig* station = nullptr;
  int ev_phases = 3;  ///< The EV's phase use for the whole run (given to the allocator).
  std::optional<Amps> limit;
  std::optional<Amps> ev_max;
};

/// Independent checker of one allocation against the snapshot it came from.
class Checker {
 public:
  Checker(const SiteConfig& site, std::map<int, SocketInfo> info) : site_(site), info_(std::move(info)) {}

  int fail_safe_steps = 0;

  /// Returns "" when every property holds, else a description.
  std::string check(const SiteSnapshot& snap, const Allocation& out) {
    std::ostringstream err;
    std::map<int, const SocketSnapshot*> by_id;
    for (const auto& s : snap.sockets) by_id[s.id] = &s;
    const auto fresh_and_known = [&](int id) {
      const auto it = by_id.find(id);
      return it != by_id.end() && it->second->reachable && it->second->measured_valid &&
             it->second->state != ConnectorState::Unknown;
    };
    if (out.is_degraded(Degradation::MeterImplausible) || out.is_degraded(Degradation::MeterStale)) {
      // design.md §2.4, §2.9: every socket at most at its safe current (the validator proved those
      // fit the grid), and never above what it was last told: losing the meter never raises.
      ++fail_safe_steps;
      for (const auto& [id, inf] : info_) {
        const auto* a = out.find(id);
        const int safe = static_cast<int>(inf.cfg->safe_current_a);
        const auto prev = last_known_.find(id);
        if (!a || a->reason != Reason::FailSafe || a->current_a < 0 || a->current_a > safe ||
            (prev == last_known_.end() && a->current_a != safe))
          err << "socket " << id << " not at its safe current in fail-safe; ";
        if (a && prev != last_known_.end() && a->current_a > prev->second)
          err << "socket " << id << " raised from " << prev->second << " A to " << a->current_a
              << " A by the fail-safe; ";
        // A silent station keeps counting at what it was last told before.
        if (a && fresh_and_known(id)) last_known_[id] = a->current_a;
      }
      return err.str();
    }
    std::array<double, 3> non_ev{}, reserved{}, load{};
    std::map<const StationConfig*, double> station_load, station_reserved;
    for (std::size_t p = 0; p < 3; ++p) non_ev[p] = snap.grid.current[p].value();
    struct Row {
      int id;
      const SocketAllocation* a;
      bool active;
      std::vector<std::size_t> loads;
      double upper;
    };
    std::vector<Row> rows;
    for (const auto& [id, inf] : info_) {
      const auto* a = out.find(id);
      if (!a) {
        err << "socket " << id << " missing from the allocation; ";
        continue;
      }
      const auto it = by_id.find(id);
      const SocketSnapshot* s = it == by_id.end() ? nullptr : it->second;
      const bool fresh = s && s->reachable && s->measured_valid;
      const auto& map = inf.cfg->phase_mapping;
      if (fresh)
        for (std::size_t j = 0; j < map.count; ++j) non_ev[index(map.grid[j])] -= s->current[j].value();
      if (!fresh || s->state == ConnectorState::Unknown) {
        const auto known = last_known_.find(id);
        const double r = std::max<double>(known == last_known_.end() ? 0 : known->second, inf.cfg->safe_current_a);
        for (std::size_t j = 0; j < map.count; ++j) reserved[index(map.grid[j])] += r;
        station_reserved[inf.station] += r;
        continue;
      }
      last_known_[id] = a->current_a;
      Row row{id, a, a->current_a > 0, {}, inf.cfg->max_current_a};
      if (inf.limit) row.upper = std::min(row.upper, inf.limit->value());
      if (inf.ev_max) row.upper = std::min(row.upper, inf.ev_max->value());
      if (map.count == 1 || inf.ev_phases == 1) {
        row.loads.push_back(index(map.first()));
      } else {
        for (std::size_t j = 0; j < map.count; ++j) row.loads.push_back(index(map.grid[j]));
      }
      // Limits of the socket itself: 0 or ≥ 6 A, never above socket max, external limit, EV max.
      if (a->current_a != 0 && a->current_a < 6) err << "socket " << id << " at " << a->current_a << " A (< 6); ";
      if (a->current_a > row.upper + kTol)
        err << "socket " << id << " at " << a->current_a << " A above its limit " << row.upper << "; ";
      for (auto p : row.loads) load[p] += a->current_a;
      station_load[inf.station] += a->current_a;
      rows.push_back(row);
    }
    std::array<double, 3> room{};
    for (std::size_t p = 0; p < 3; ++p) {
      non_ev[p] = std::max(0.0, non_ev[p]);
      double cap = p < static_cast<std::size_t>(site_.grid_phases)
                       ? site_.grid_max_current_a - site_.safety_margin_a - non_ev[p] - reserved[p]
                       : -reserved[p];
      if (snap.site_limit) cap = std::min(cap, (*snap.site_limit)[p].value() - reserved[p]);
      // The per-phase budget (design.md §2.1): non-EV + reserved + Σ set-points ≤ limit.
      if (cap >= 0 && load[p] > cap + kTol)
        err << "phase L" << p + 1 << ": set-points " << load[p] << " A > budget " << cap << " A; ";
      if (cap < 0 && load[p] > 0) err << "phase L" << p + 1 << ": set-points on a phase with no budget; ";
      room[p] = cap - load[p];
    }
    for (const auto& [st, l] : station_load) {
      const double cap = st->max_current_a - station_reserved[st];
      if (cap >= 0 && l > cap + kTol) err << "station " << st->name << ": " << l << " A > " << cap << " A; ";
    }
    const auto station_room = [&](int id) {
      const auto* st = info_.at(id).station;
      return st->max_current_a - station_reserved[st] - station_load[st];
    };
    // Headroom in use: nobody charging could take one more ampere, and nobody waiting would fit.
    for (const auto& r : rows) {
      const bool probing = r.a->reason == Reason::Probing;
      const bool blocked_elsewhere = [&] {
        if (r.a->current_a + 1 > r.upper + kTol) return true;
        if (station_room(r.id) < 1 - kTol) return true;
        for (auto p : r.loads)
          if (room[p] < 1 - kTol) return true;
        return false;
      }();
      if (r.active && !probing && !blocked_elsewhere) {
        err << "socket " << r.id << " at " << r.a->current_a << " A could take 1 A more (upper " << r.upper
            << ", station room " << station_room(r.id) << ", phases";
        for (auto p : r.loads) err << " L" << p + 1 << " room " << room[p];
        err << "); ";
      }
      if (r.a->reason == Reason::Alternating) {
        bool fits = station_room(r.id) >= 14 - kTol;
        for (auto p : r.loads) fits = fits && room[p] >= 14 - kTol;
        if (fits) err << "socket " << r.id << " waits although 14 A would fit; ";
      }
    }
    // ≥ 95 % of each phase's headroom in use when demand exceeds supply, unless limits forbid it.
    for (std::size_t p = 0; p < static_cast<std::size_t>(site_.grid_phases); ++p) {
      double demand = 0;
      bool all_blocked = true;
      for (const auto& r : rows) {
        if (std::find(r.loads.begin(), r.loads.end(), p) == r.loads.end()) continue;
        demand += r.upper;
        bool blocked = r.a->current_a + 1 > r.upper + kTol || station_room(r.id) < 1 - kTol || !r.active ||
                       r.a->reason == Reason::Probing;
        for (auto q : r.loads)
          if (q != p && room[q] < 1 - kTol) blocked = true;
        all_blocked = all_blocked && blocked;
      }
      const double budget = load[p] + room[p];
      if (demand > budget && budget > 0 && !all_blocked && load[p] < 0.95 * budget - kTol && room[p] >= 1)
        err << "phase L" << p + 1 << ": only " << load[p] << " of " << budget << " A in use; ";
    }
    // Equal EVs (same station, mapping, phase use and bounds, both charging): within 1 A.
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (std::size_t j = i + 1; j < rows.size(); ++j) {
        const auto& a = rows[i];
        const auto& b = rows[j];
        const auto& ia = info_.at(a.id);
        const auto& ib = info_.at(b.id);
        if (ia.station != ib.station || a.loads != b.loads || a.upper != b.upper || !a.active || !b.active) continue;
        if (a.a->reason == Reason::Probing || b.a->reason == Reason::Probing) continue;
        if (std::abs(a.a->current_a - b.a->current_a) > 1)
          err << "equal EVs " << a.id << " and " << b.id << " at " << a.a->current_a << " and " << b.a->current_a
              << " A; ";
      }
    return err.str();
  }

 private:
  const SiteConfig& site_;
  std::map<int, SocketInfo> info_;
  std::map<int, int> last_known_;
};

bool same(const Allocation& a, const Allocation& b) {
  if (a.sockets.size() != b.sockets.size()) return false;
  for (std::size_t i = 0; i < a.sockets.size(); ++i) {
    const auto& x = a.sockets[i];
    const auto& y = b.sockets[i];
    if (x.id != y.id || x.current_a != y.current_a || x.phases != y.phases || x.reason != y.reason ||
        x.until != y.until || x.wait_for_confirmation != y.wait_for_confirmation ||
        x.held_by_deadband != y.held_by_deadband)
      return false;
  }
  return a.degraded == b.degraded;
}

std::string describe(const Allocation& out) {
  std::ostringstream s;
  for (const auto& a : out.sockets) s << "[" << a.id << ": " << a.current_a << " A " << to_string(a.reason) << "] ";
  for (std::size_t p = 0; p < 3; ++p)
    s << "\n  L" << p + 1 << ": limit " << out.phases[p].limit.value() << " non-EV "
      << out.phases[p].non_ev_load.value() << " reserved " << out.phases[p].reserved.value() << " available "
      << out.phases[p].available.value() << " allocated " << out.phases[p].allocated.value();
  return s.str();
}

#ifdef __SANITIZE_ADDRESS__
constexpr int kSites = 2000;
#else
constexpr int kSites = 5000;
#endif
constexpr int kStepsPerSite = 8;

TEST(AllocatorProperty, RandomSitesKeepEveryLimitAndUseTheHeadroom) {
  int checked_steps = 0;
  int fail_safe_total = 0;
  for (int seed = 1; seed <= kSites; ++seed) {
    Rng rng(static_cast<std::uint64_t>(seed));
    const SiteConfig site = random_site(rng);
    ASSERT_TRUE(validate(site).empty()) << "seed " << seed;
    std::map<int, SocketInfo> info;
    for (const auto& st : site.stations)
      for (const auto& so : st.sockets) {
        SocketInfo inf;
        inf.cfg = &so;
        inf.station = &st;
        inf.ev_phases = so.phase_mapping.count == 1 ? 1 : (chance(rng, 0.5) ? 1 : 3);
        if (chance(rng, 0.15)) inf.limit = Amps(std::floor(uniform(rng, 0, 32)));
        if (chance(rng, 0.15)) inf.ev_max = Amps(std::floor(uniform(rng, 6, 32)));
        info[so.id] = inf;
      }
    const bool with_site_limit = chance(rng, 0.3);
    std::array<Amps, 3> site_limit{Amps(uniform(rng, 6, 80)), Amps(uniform(rng, 6, 80)), Amps(uniform(rng, 6, 80))};
    Allocator alloc(site);
    Allocator twin(site);
    Checker checker(site, info);
    std::map<int, ConnectorState> state;
    for (int step = 0; step < kStepsPerSite; ++step) {
      SiteSnapshot snap;
      snap.now = at_s(step * 7.0);
      snap.grid.valid = true;
      snap.grid.measured_at = snap.now;
      snap.pv = {Watts(0), snap.now, true};
      if (with_site_limit) snap.site_limit = site_limit;
      std::array<double, 3> grid{};
      for (std::size_t p = 0; p < static_cast<std::size_t>(site.grid_phases); ++p)
        grid[p] = uniform(rng, 0, 0.8 * site.grid_max_current_a);
      for (const auto& [id, inf] : info) {
        if (chance(rng, 0.05)) continue;  // missing from the snapshot
        SocketSnapshot s;
        s.id = id;
        s.reachable = !chance(rng, 0.05);
        s.measured_valid = true;
        s.measured_at = snap.now;
        auto& st = state[id];
        if (step == 0 || chance(rng, 0.2)) {
          const double r = uniform(rng, 0, 1);
          st = r < 0.25   ? ConnectorState::Available
               : r < 0.35 ? ConnectorState::Connected
               : r < 0.97 ? ConnectorState::Charging
                          : ConnectorState::Unknown;
        }
        s.state = st;
        if (st == ConnectorState::Charging) {
          const double draw = uniform(rng, 0, inf.cfg->max_current_a);
          const int used = std::min<int>(inf.ev_phases, inf.cfg->phase_mapping.count);
          for (std::size_t j = 0; j < static_cast<std::size_t>(used); ++j) s.current[j] = Amps(draw);
        }
        if (st == ConnectorState::Connected || st == ConnectorState::Charging) s.ev_phases = inf.ev_phases;
        s.limit = inf.limit;
        s.ev_max_current = inf.ev_max;
        for (std::size_t j = 0; j < inf.cfg->phase_mapping.count; ++j)
          grid[index(inf.cfg->phase_mapping.grid[j])] += s.current[j].value();
        snap.sockets.push_back(s);
      }
      for (std::size_t p = 0; p < 3; ++p) snap.grid.current[p] = Amps(grid[p]);
      const auto out = alloc.step(snap);
      const auto out_twin = twin.step(snap);
      ASSERT_TRUE(same(out, out_twin)) << "seed " << seed << " step " << step << ": not deterministic";
      const auto problems = checker.check(snap, out);
      ASSERT_TRUE(problems.empty()) << "seed " << seed << " step " << step << ": " << problems << "\n" << describe(out);
      ++checked_steps;
    }
    fail_safe_total += checker.fail_safe_steps;
  }
  EXPECT_EQ(checked_steps, kSites * kStepsPerSite);
  EXPECT_LT(fail_safe_total, checked_steps / 4) << "most random steps should exercise the normal path";
}

// Identical EVs on identical sockets: equal current within 1 A, whatever the budget.
TEST(AllocatorProperty, EqualEvsGetEqualCurrent) {
  for (int seed = 1; seed <= kSites; ++seed) {
    Rng rng(static_cast<std::uint64_t>(seed) * 7919);
    const bool three = chance(rng, 0.5);
    const int n = uniform_int(rng, 2, 24);
    std::vector<StationConfig> stations;
    for (int i = 0; i < n; ++i)
      stations.push_back(station_cfg("s" + std::to_string(i), 32, {socket_cfg(i, 32, three ? "L2L3L1" : "L2")}));
    auto site = site_cfg(std::floor(uniform(rng, 16, 400)), 3, stations);
    Allocator alloc(site);
    const double household = uniform(rng, 0, 10);
    std::vector<SocketSnapshot> sockets;
    for (int i = 0; i < n; ++i) {
      auto s = socket_in(i, ConnectorState::Charging, {0, 0, 0});
      s.ev_phases = three ? 3 : 1;
      sockets.push_back(s);
    }
    const auto out = alloc.step(snapshot_at(0, {household, household, household}, sockets));
    int lo = 1000, hi = -1, charging = 0;
    for (const auto& a : out.sockets)
      if (a.current_a > 0) {
        lo = std::min(lo, a.current_a);
        hi = std::max(hi, a.current_a);
        ++charging;
      }
    if (charging > 0) {
      EXPECT_LE(hi - lo, 1) << "seed " << seed << ": " << describe(out);
    }
    // Whoever is paused is paused because the minimums do not all fit.
    if (charging < n) {
      EXPECT_GT(6.0 * (charging + 1), site.grid_max_current_a - 1 - household) << "seed " << seed;
    }
  }
}

// Rotation: with n EVs of which k fit (n − k ≤ k), nobody waits longer than one period.
TEST(AllocatorProperty, NobodyWaitsLongerThanOneAlternatingPeriod) {
  for (int seed = 1; seed <= 150; ++seed) {
    Rng rng(static_cast<std::uint64_t>(seed) * 104729);
    const int n = uniform_int(rng, 3, 12);
    const int k = uniform_int(rng, (n + 1) / 2, n - 1);
    const int period = uniform_int(rng, 60, 300);
    std::vector<StationConfig> stations;
    for (int i = 0; i < n; ++i) stations.push_back(station_cfg("s" + std::to_string(i), 32, {socket_cfg(i, 32, "L1")}));
    // Room for k minimums but not k + 1.
    auto site = site_cfg(6.0 * k + 1 + uniform(rng, 0, 5.9), 1, stations);
    site.alternating_period_s = period;
    Allocator alloc(site);
    std::vector<int> last(static_cast<std::size_t>(n), 0);
    std::vector<double> waiting_since(static_cast<std::size_t>(n), -1);
    const double dt = 10;
    for (double t = 0; t <= 4.0 * period; t += dt) {
      std::vector<SocketSnapshot> sockets;
      double grid = 0;
      for (int i = 0; i < n; ++i) {
        const auto draw = static_cast<double>(last[static_cast<std::size_t>(i)]);
        sockets.push_back(socket_in(i, ConnectorState::Charging, {draw, 0, 0}));
        grid += draw;
      }
      const auto out = alloc.step(snapshot_at(t, {grid, 0, 0}, sockets));
      int charging = 0;
      for (int i = 0; i < n; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        const int c = out.find(i)->current_a;
        last[idx] = c;
        if (c > 0) {
          ++charging;
          waiting_since[idx] = -1;
        } else {
          if (waiting_since[idx] < 0) waiting_since[idx] = t;
          ASSERT_LE(t - waiting_since[idx], period + dt)
              << "seed " << seed << ": socket " << i << " waits since " << waiting_since[idx] << " s at t=" << t;
          EXPECT_EQ(out.find(i)->reason, Reason::Alternating);
        }
      }
      ASSERT_EQ(charging, k) << "seed " << seed << " t=" << t << ": " << describe(out);
    }
  }
}

}  // namespace
}  // namespace emsgw::ems::test
