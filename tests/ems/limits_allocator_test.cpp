// The limits beyond the fuse as the allocator sees them: the tree of circuits in the site model and
// its validation, the flexible-power limit (quarter-hour peak, dimming) and its words, and seeded
// random trees whose every node keeps its load under its limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "ems/circuits.hpp"
#include "ems/flex_limit.hpp"
#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {
namespace {

bool has_key(const std::vector<ConfigIssue>& issues, const std::string& key, const std::string& rule_part) {
  return std::any_of(issues.begin(), issues.end(),
                     [&](const ConfigIssue& i) { return i.key == key && i.rule.find(rule_part) != std::string::npos; });
}

SiteConfig board_site() {
  auto s = site_cfg(40, 3, {station_cfg("a", 32, {socket_cfg(1, 32, "L1L2L3", 6), socket_cfg(2, 32, "L2L3L1", 6)})});
  s.circuits.push_back({"board", "", 16, 0, 0.5, ""});
  s.stations[0].circuit = "board";
  return s;
}

TEST(SiteCircuits, ValidateRunsTheCircuitRules) {
  auto s = board_site();
  EXPECT_TRUE(validate(s).empty());
  s.stations[0].circuit = "nowhere";
  EXPECT_TRUE(has_key(validate(s), "station[0].circuit", "names no [[circuit]]"));
  s = board_site();
  s.circuits[0].max_current_a = 11;  // 2 × 6 A safe on every phase, 10.5 A usable
  EXPECT_TRUE(has_key(validate(s), "circuit[0].max_current_a", "circuit board L2"));
}

TEST(SiteCircuits, RefusesCircuitsWithAnScn) {
  auto s = board_site();
  s.control = ControlMode::Scn;
  s.scn_name = "SITE1";
  s.scn_station = "a";
  EXPECT_TRUE(has_key(validate(s), "circuit", "an Alfen SCN shares one budget"));
}

TEST(SiteCircuits, RefusesATreeDeeperThanFourCircuits) {
  auto s = board_site();
  s.circuits = {{"c0", "", 32, 0, 0.5, ""},
                {"c1", "c0", 32, 0, 0.5, ""},
                {"c2", "c1", 32, 0, 0.5, ""},
                {"c3", "c2", 32, 0, 0.5, ""},
                {"c4", "c3", 32, 0, 0.5, ""}};
  s.stations[0].circuit = "c3";
  EXPECT_FALSE(has_key(validate(s), "circuit[3].parent", "deep"));
  EXPECT_TRUE(has_key(validate(s), "circuit[4].parent", "more than 4 circuits deep"));
}

TEST(SiteCircuits, AnUnmeteredBoardCountsOnlyItsEvsAndNamesItselfInTheReason) {
  Allocator alloc(board_site());
  // 20 A of household on L1 at the grid meter: the board does not see it.
  auto snap = snapshot_at(0, {20, 0, 0},
                          {socket_in(1, ConnectorState::Charging, {0, 0, 0}), socket_in(2, ConnectorState::Charging)});
  Allocation out;
  for (int t = 0; t <= 120; t += 10) {
    snap.now = at_s(t);
    snap.grid.measured_at = snap.now;
    std::array<double, 3> grid{20, 0, 0};
    for (auto& so : snap.sockets) {
      so.measured_at = snap.now;
      // 3-phase cars drawing what they were offered (both sockets load all three grid phases).
      const auto* a = out.find(so.id);
      const double draw = a ? a->current_a : 0;
      for (std::size_t j = 0; j < 3; ++j) {
        so.current[j] = Amps(draw);
        grid[j] += draw;
      }
    }
    for (std::size_t p = 0; p < 3; ++p) snap.grid.current[p] = Amps(grid[p]);
    out = alloc.step(snap);
  }
  ASSERT_EQ(out.circuits.size(), 1u);
  EXPECT_EQ(out.circuits[0].name, "board");
  EXPECT_FALSE(out.circuits[0].metered);
  EXPECT_DOUBLE_EQ(out.circuits[0].non_ev_load[0].value(), 0);
  EXPECT_DOUBLE_EQ(out.circuits[0].limit[0].value(), 15.5);
  const auto* a = out.find(1);
  const auto* b = out.find(2);
  ASSERT_TRUE(a && b);
  EXPECT_LE(a->current_a + b->current_a, 15);
  EXPECT_EQ(a->reason, Reason::CircuitL1);
  EXPECT_EQ(a->detail, "circuit board L1");
  EXPECT_TRUE(a->current_a >= 6 && b->current_a >= 6);
}

TEST(FlexLimit, QuarterBudgetLessTheOtherLoadsNamedByItsTarget) {
  QuarterBudget b;
  b.target_w = 4000;
  b.allowed_import_w = 3800;
  // 3000 W at the meter, of which 1500 W are the EVs: 1500 W household, 2300 W left for the EVs.
  const auto f = peak_flex_limit(b, 3000, 1500);
  EXPECT_DOUBLE_EQ(f.power.value(), 2300);
  EXPECT_EQ(f.reason, Reason::PeakLimit);
  EXPECT_EQ(f.text, "quarter-hour peak 4.0 kW");
  // Export (PV) adds to what the EVs may take; a household above the budget leaves them nothing.
  EXPECT_DOUBLE_EQ(peak_flex_limit(b, -1000, 0).power.value(), 4800);
  EXPECT_DOUBLE_EQ(peak_flex_limit(b, 5000, 0).power.value(), 0);
  EXPECT_DOUBLE_EQ(peak_flex_limit(b, std::nan(""), 0).power.value(), 3800);
}

TEST(FlexLimit, DimmingAddsThePvAndNamesTheLimit) {
  DimmingLimit d;
  EXPECT_FALSE(dimming_flex_limit(d, 1000).has_value());
  d.state = DimmingState::Limited;
  d.limit_w = 4200;
  const auto f = dimming_flex_limit(d, 3000);
  ASSERT_TRUE(f);
  EXPECT_DOUBLE_EQ(f->power.value(), 7200);
  EXPECT_EQ(f->reason, Reason::Dimming);
  EXPECT_EQ(f->text, "grid operator dimming 4.2 kW");
  EXPECT_DOUBLE_EQ(dimming_flex_limit(d, -50)->power.value(), 4200);  // no negative PV
}

TEST(FlexLimit, TheTighterLimitWins) {
  FlexLimit a{Watts(5000), Reason::PeakLimit, "a"};
  FlexLimit b{Watts(4200), Reason::Dimming, "b"};
  EXPECT_EQ(tighter(a, b)->text, "b");
  EXPECT_EQ(tighter(b, a)->text, "b");
  EXPECT_EQ(tighter(std::nullopt, a)->text, "a");
  EXPECT_FALSE(tighter(std::nullopt, std::nullopt).has_value());
}

// Seeded random trees (1 to 3 levels, metered or not, current and/or power limits) with random EVs
// and loads: below every node the set-points stay within what its limit less its margin and its
// non-EV load leave, on every phase, and within its power limit.
TEST(CircuitsProperty, RandomTreesKeepEveryNodeUnderItsLimit) {
  std::mt19937 rng(16);
  const auto u = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  const char* kMappings[] = {"L1L2L3", "L2L3L1", "L3L1L2", "L1", "L2", "L3"};
  int checked = 0;
  for (int round = 0; round < 200; ++round) {
    SiteConfig s;
    s.name = "random";
    s.grid_max_current_a = std::floor(u(40, 200));
    s.safety_margin_a = 1;
    const int n_circuits = 1 + static_cast<int>(u(0, 5));
    for (int c = 0; c < n_circuits; ++c) {
      CircuitConfig cc;
      cc.name = "c" + std::to_string(c);
      cc.parent = c == 0 || u(0, 1) < 0.3 ? "" : "c" + std::to_string(static_cast<int>(u(0, c)));
      cc.max_current_a = u(0, 1) < 0.8 ? std::floor(u(20, 80)) : 0;
      cc.max_power_w = cc.max_current_a == 0 || u(0, 1) < 0.3 ? std::floor(u(10000, 50000)) : 0;
      cc.margin_a = cc.max_current_a > 0 ? 0.5 : 0;
      cc.meter = u(0, 1) < 0.5 ? "m" + std::to_string(c) : "";
      s.circuits.push_back(cc);
    }
    const int n_stations = 1 + static_cast<int>(u(0, 6));
    int id = 0;
    for (int st = 0; st < n_stations; ++st) {
      std::vector<SocketConfig> sockets;
      const int n = 1 + static_cast<int>(u(0, 2));
      for (int k = 0; k < n; ++k) sockets.push_back(socket_cfg(id++, 32, kMappings[static_cast<int>(u(0, 6))], 0));
      auto station = station_cfg("s" + std::to_string(st), 32, sockets);
      station.circuit = u(0, 1) < 0.85 ? "c" + std::to_string(static_cast<int>(u(0, n_circuits))) : "";
      s.stations.push_back(station);
    }
    if (!validate(s).empty()) continue;
    Allocator alloc(s);
    std::vector<std::string> station_circuit;
    for (const auto& st : s.stations) station_circuit.push_back(st.circuit);
    const auto tree = resolve_circuits(s.circuits, station_circuit).value();
    // Non-EV load below each metered node (a node's meter includes the nodes below it).
    std::vector<std::array<double, 3>> own(s.circuits.size());
    for (auto& o : own)
      for (auto& x : o) x = std::floor(u(0, 10));
    std::vector<SocketSnapshot> socks;
    for (const auto& st : s.stations)
      for (const auto& so : st.sockets)
        socks.push_back(socket_in(so.id, u(0, 1) < 0.8 ? ConnectorState::Charging : ConnectorState::Available));
    std::vector<int> setpoint(static_cast<std::size_t>(id), 0);
    Allocation out;
    for (int t = 0; t <= 200; t += 10) {
      // The EVs draw what they were given on every phase of their mapping (3-phase cars).
      std::vector<std::array<double, 3>> ev_below(s.circuits.size() + 1);
      std::vector<std::array<double, 3>> non_ev_below(s.circuits.size() + 1);
      std::size_t k = 0;
      for (std::size_t st = 0; st < s.stations.size(); ++st)
        for (const auto& so : s.stations[st].sockets) {
          auto& in = socks[k++];
          in.measured_at = at_s(t);
          const double draw = in.state == ConnectorState::Charging ? setpoint[static_cast<std::size_t>(so.id)] : 0;
          for (std::size_t j = 0; j < 3; ++j) in.current[j] = Amps(j < so.phase_mapping.count ? draw : 0);
          for (std::size_t j = 0; j < so.phase_mapping.count; ++j) {
            ev_below[0][index(so.phase_mapping.grid[j])] += draw;
            for (int node : tree.path(tree.station_node[st]))
              ev_below[static_cast<std::size_t>(node)][index(so.phase_mapping.grid[j])] += draw;
          }
        }
      for (std::size_t c = 0; c < s.circuits.size(); ++c)
        for (int node : tree.path(static_cast<int>(c) + 1))
          for (std::size_t p = 0; p < 3; ++p) non_ev_below[static_cast<std::size_t>(node)][p] += own[c][p];
      auto snap = snapshot_at(t, {0, 0, 0}, socks);
      for (std::size_t p = 0; p < 3; ++p) {
        double household = 0;
        for (const auto& o : own) household += o[p];
        snap.grid.current[p] = Amps(household + ev_below[0][p]);
      }
      for (std::size_t c = 0; c < s.circuits.size(); ++c) {
        GridReading r;
        r.valid = true;
        r.measured_at = at_s(t);
        for (std::size_t p = 0; p < 3; ++p) r.current[p] = Amps(non_ev_below[c + 1][p] + ev_below[c + 1][p]);
        snap.circuits.push_back(r);
      }
      out = alloc.step(snap);
      for (const auto& a : out.sockets) setpoint[static_cast<std::size_t>(a.id)] = a.current_a;
      // Below every node, with the set-points just decided.
      std::vector<std::array<double, 3>> use(s.circuits.size() + 1);
      std::vector<double> use_w(s.circuits.size() + 1, 0.0);
      for (std::size_t st = 0; st < s.stations.size(); ++st)
        for (const auto& so : s.stations[st].sockets) {
          const auto* a = out.find(so.id);
          ASSERT_NE(a, nullptr);
          for (int node : tree.path(tree.station_node[st])) {
            for (std::size_t j = 0; j < so.phase_mapping.count; ++j)
              use[static_cast<std::size_t>(node)][index(so.phase_mapping.grid[j])] += a->current_a;
            use_w[static_cast<std::size_t>(node)] += a->current_a * 230.0 * so.phase_mapping.count;
          }
        }
      for (std::size_t c = 0; c < s.circuits.size(); ++c) {
        const auto& cc = s.circuits[c];
        const auto node = c + 1;
        const bool metered = !cc.meter.empty();
        double non_ev_w = 0;
        for (std::size_t p = 0; p < 3; ++p) {
          const double non_ev = metered ? non_ev_below[node][p] : 0.0;
          non_ev_w += non_ev * 230;
          if (cc.max_current_a > 0) {
            // (a non-EV load above the limit leaves the EVs nothing, it cannot be undone)
            EXPECT_LE(use[node][p], std::max(0.0, cc.max_current_a - cc.margin_a - non_ev) + 1e-9)
                << "round " << round << " t " << t << " circuit " << cc.name << " phase " << p;
          }
        }
        if (cc.max_power_w > 0) {
          EXPECT_LE(use_w[node], std::max(0.0, cc.max_power_w - non_ev_w) + 1e-6)
              << "round " << round << " circuit " << cc.name;
        }
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 1000);
}

}  // namespace
}  // namespace emsgw::ems::test
