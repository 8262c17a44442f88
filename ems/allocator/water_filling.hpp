#pragma once
// Stage 8: the admitted sockets share by max-min fairness (water-filling) within phase, station,
// socket, EV, external and surplus limits; set-points are rounded down to whole amperes and spare
// whole amperes handed out where every limit allows, until no socket can take one more.

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/phase_budget.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"
#include "ems/allocator/surplus.hpp"

namespace emsgw::ems::allocator {

/// Groups one item may join: its grid phases (3), its station, the surplus, the flexible-power
/// limit, and per circuit above it its phases (3) and its power.
inline constexpr std::size_t kMaxItemGroups = kPhaseCount + 3 + kMaxCircuitDepth * (kPhaseCount + 1);

/// No item (Item::taken_by).
inline constexpr std::size_t kNoItem = static_cast<std::size_t>(-1);

/// One socket in the water-filling: current c between min and max, loading some groups.
struct Item {
  std::size_t socket = 0;  ///< Index into the configured sockets.
  int id = 0;              ///< Socket id: breaks ties when spare amperes are handed out.
  double min = 0;
  double max = 0;
  double c = 0;
  Reason own = Reason::SocketMax;  ///< The socket-level bound that max comes from.
  Reason reason = Reason::SocketMax;
  const std::string* detail = nullptr;  ///< The binding group's words, if it has any.
  /// Another member of the binding group held at a minimum above the level this item stopped at
  /// (the one holding most): its minimum took what this item lacks. kNoItem otherwise.
  std::size_t taken_by = kNoItem;
  bool frozen = false;
  std::array<std::size_t, kMaxItemGroups> groups{};
  std::array<double, kMaxItemGroups> weights{};
  std::size_t group_count = 0;
};

/// A linear constraint Σ weight × current ≤ capacity over some items.
struct Group {
  double capacity = 0;
  Reason reason = Reason::GridL1;
  const std::string* detail = nullptr;                  ///< Names the limit where the reason does not.
  std::vector<std::pair<std::size_t, double>> members;  ///< (item, weight)
  double level = kInf;
};

/// Adds item `i` (items[i]) to group g with this weight, on both sides.
void join(std::vector<Item>& items, std::vector<Group>& groups, std::size_t i, std::size_t g, double weight);

/// Highest common level L such that Σ w × clamp(L, min, max) over unfrozen members plus the frozen
/// load stays within the capacity; +inf if every member can reach its max, -inf if even the
/// minimums do not fit. `events` is scratch space.
[[nodiscard]] double solve_level(const Group& g, const std::vector<Item>& items,
                                 std::vector<std::pair<double, double>>& events);

/// Max-min fair water-filling: raises every unfrozen item together, freezing the members of a
/// group when it fills (reason = the group's) and an item when it reaches its own maximum
/// (reason = own). A member stopped at the group's level while another member sits at a higher
/// minimum names that member in taken_by (not for the surplus: a minimum there is the mode's).
void water_fill(std::vector<Item>& items, std::vector<Group>& groups);

/// Whole amperes: each item's c rounded down, then one more ampere at a time (largest fraction
/// first, then lowest id) wherever the item's max and every group still allow it.
[[nodiscard]] std::vector<int> whole_amperes(const std::vector<Item>& items, const std::vector<Group>& groups);

/// The ampere in force kept at the edge: an item whose previous set-point is one ampere above its
/// whole value keeps it (lowest id first) where every group it is in still has room with that
/// group's slack (`slack[g]`, 0 for none). A conservative estimate that reads a few tenths of an
/// ampere high for a moment (a car's ramp tail, a meter's noise) would otherwise cut a socket by
/// one ampere and raise it again a little later, over and over.
void keep_previous(const std::vector<Item>& items, const std::vector<Group>& groups, const std::vector<double>& slack,
                   const std::vector<int>& previous, std::vector<int>& whole);

/// The stage: water-fills the admitted sockets over the phase, station, surplus, flexible-power and
/// circuit groups and
/// writes w.value, w.reason and w.until (Probing, PvStale for minpv held without a PV reading).
void share(const StepInputs& in, const Capacity& cap, const std::array<PhaseBudget, kPhaseCount>& phases,
           const Surplus& surplus, const std::vector<Session>& sessions, std::vector<SocketWork>& work);

}  // namespace emsgw::ems::allocator
