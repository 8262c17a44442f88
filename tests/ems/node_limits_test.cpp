// Weekly windows as the allocator sees them: limits in force on a node of the tree
// (SiteSnapshot::node_limits) that lower the grid connection's or a circuit's current or power,
// bind in the same water-filling groups, name themselves in the reason, and never raise a limit.
#include <gtest/gtest.h>

#include <optional>

#include "ems/circuits.hpp"
#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {
namespace {

/// Two 3-phase sockets on one 40 A station under a 40 A connection (1 A margin); optionally on a
/// 16 A board (0.5 A margin).
SiteConfig two_socket_site(bool on_board) {
  auto s = site_cfg(40, 3, {station_cfg("a", 40, {socket_cfg(1, 32, "L1L2L3", 0), socket_cfg(2, 32, "L2L3L1", 0)})});
  if (on_board) {
    s.circuits.push_back({"board", "", 16, 0, 0.5, ""});
    s.stations[0].circuit = "board";
  }
  return s;
}

NodeLimit window(int node, std::optional<double> amps, std::optional<double> watts, const std::string& name) {
  NodeLimit l;
  l.node = node;
  if (amps) l.current = Amps(*amps);
  if (watts) l.power = Watts(*watts);
  l.current_text = "schedule " + name + " A";
  l.power_text = "schedule " + name + " W";
  return l;
}

/// Runs two minutes of steps with both cars drawing what they are offered on all three phases and
/// `household_a` of other load on L1; returns the last allocation.
Allocation settle(const SiteConfig& site, const std::vector<NodeLimit>& limits, double household_a = 0) {
  Allocator alloc(site);
  auto snap = snapshot_at(0, {household_a, 0, 0},
                          {socket_in(1, ConnectorState::Charging), socket_in(2, ConnectorState::Charging)});
  snap.node_limits = limits;
  Allocation out;
  for (int t = 0; t <= 120; t += 5) {
    snap.now = at_s(t);
    snap.grid.measured_at = snap.now;
    std::array<double, 3> grid{household_a, 0, 0};
    for (auto& so : snap.sockets) {
      so.measured_at = snap.now;
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
  return out;
}

int total(const Allocation& out) {
  return out.find(1)->current_a + out.find(2)->current_a;
}

TEST(NodeLimits, TheLowestOfEachKindOnANodeWins) {
  const std::vector<NodeLimit> limits = {window(0, 20, std::nullopt, "a"), window(0, 12, 9000, "b"),
                                         window(1, 5, 1000, "c"), window(0, 16, 7000, "d")};
  const auto grid = node_limit_in_force(limits, 0);
  ASSERT_TRUE(grid.current_a && grid.power_w);
  EXPECT_DOUBLE_EQ(*grid.current_a, 12);
  EXPECT_EQ(*grid.current_text, "schedule b A");
  EXPECT_DOUBLE_EQ(*grid.power_w, 7000);
  EXPECT_EQ(*grid.power_text, "schedule d W");
  EXPECT_FALSE(node_limit_in_force(limits, 2).current_a);
}

TEST(NodeLimits, AGridWindowLowersTheFuseKeepsTheMarginAndNamesItself) {
  const auto free = settle(two_socket_site(false), {});
  EXPECT_EQ(total(free), 39);  // 40 A − 1 A margin, shared
  const auto out = settle(two_socket_site(false), {window(0, 20, std::nullopt, "night")}, 3);
  // 20 A − 1 A margin − 3 A household on L1 = 16 A for both sockets.
  EXPECT_EQ(total(out), 16);
  EXPECT_DOUBLE_EQ(out.phases[0].limit.value(), 19);
  EXPECT_EQ(out.phases[0].bound_by, Reason::Schedule);
  const auto* a = out.find(1);
  EXPECT_EQ(a->reason, Reason::Schedule);
  EXPECT_EQ(a->detail, "schedule night A");
}

TEST(NodeLimits, AWindowAboveTheFuseRaisesNothing) {
  const auto free = settle(two_socket_site(true), {}, 5);
  const auto high = settle(two_socket_site(true), {window(0, 63, 100000, "big"), window(1, 40, 50000, "board-big")}, 5);
  EXPECT_EQ(total(free), total(high));
  EXPECT_EQ(total(high), 15);  // the board: 16 A − 0.5 A margin, whole amperes
  EXPECT_EQ(high.find(1)->reason, free.find(1)->reason);
  EXPECT_NE(high.find(1)->reason, Reason::Schedule);
  EXPECT_DOUBLE_EQ(high.phases[0].limit.value(), 39);
  EXPECT_DOUBLE_EQ(high.circuits[0].limit[0].value(), 15.5);
}

TEST(NodeLimits, ACircuitWindowBindsInTheCircuitsGroupsWithTheScheduleReason) {
  const auto out = settle(two_socket_site(true), {window(1, 14, std::nullopt, "board-night")});
  EXPECT_EQ(total(out), 13);  // 14 A − the board's 0.5 A margin, whole amperes
  EXPECT_DOUBLE_EQ(out.circuits[0].limit[1].value(), 13.5);
  const auto* a = out.find(1);
  EXPECT_EQ(a->reason, Reason::Schedule);
  EXPECT_EQ(a->detail, "schedule board-night A");
}

TEST(NodeLimits, APowerWindowOnTheGridCountsTheHousehold) {
  // 12000 W at the connection, 4 A × 230 V of household: (12000 − 920) / 690 W per A = 16.06 A.
  const auto out = settle(two_socket_site(false), {window(0, std::nullopt, 12000, "contract")}, 4);
  EXPECT_EQ(total(out), 16);
  EXPECT_EQ(out.find(1)->reason, Reason::Schedule);
  EXPECT_EQ(out.find(1)->detail, "schedule contract W");
}

TEST(NodeLimits, APowerWindowOnACircuitBinds) {
  // 10 A for two 6 A minimums: one charges, limited by the window; the other takes its turn. Which
  // one charges first: the cars are there at the first step without drawing (their phases still to
  // learn, each in turn), so the last to learn keeps charging.
  const auto out = settle(two_socket_site(true), {window(1, std::nullopt, 6900, "board-power")});
  EXPECT_EQ(total(out), 10);  // 6900 W / 690 W per A
  const auto* charging = out.find(1)->current_a > 0 ? out.find(1) : out.find(2);
  const auto* waiting = charging == out.find(1) ? out.find(2) : out.find(1);
  EXPECT_EQ(charging->reason, Reason::Schedule);
  EXPECT_EQ(charging->detail, "schedule board-power W");
  EXPECT_EQ(waiting->reason, Reason::Alternating);
  EXPECT_EQ(waiting->current_a, 0);
}

TEST(NodeLimits, AWindowBelowTheMinimumsRotatesOrPausesTheSockets) {
  // 8 A − 1 A margin: one 6 A minimum fits, not two: they take turns.
  auto out = settle(two_socket_site(false), {window(0, 8, std::nullopt, "tight")});
  const auto* a = out.find(1);
  const auto* b = out.find(2);
  EXPECT_EQ(a->current_a + b->current_a, 7);
  const auto* waiting = a->current_a == 0 ? a : b;
  EXPECT_EQ(waiting->current_a, 0);
  EXPECT_EQ(waiting->reason, Reason::Alternating);
  // 6 A − 1 A margin: no minimum fits; both pause, named by the window.
  out = settle(two_socket_site(false), {window(0, 6, std::nullopt, "closed")});
  for (int id : {1, 2}) {
    EXPECT_EQ(out.find(id)->current_a, 0);
    EXPECT_EQ(out.find(id)->reason, Reason::Schedule);
    EXPECT_EQ(out.find(id)->detail, "schedule closed A");
  }
}

}  // namespace
}  // namespace emsgw::ems::test
