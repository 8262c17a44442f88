#pragma once
// The tree of limits below the grid connection: sub-circuits and charger boards, each with a
// per-phase current limit and/or a power limit, optionally metered. Stations hang from a circuit
// or from the grid connection itself. This file holds the model, its validation and the resolved
// tree; the allocator turns each node into water-filling groups.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "ems/phase.hpp"
#include "ems/site_config.hpp"

namespace emsgw::ems {

/// The circuits resolved into indices. Node 0 is the grid connection; node i + 1 is circuits[i].
struct CircuitTree {
  std::vector<int> parent;        ///< per node; -1 for the grid connection
  std::vector<int> station_node;  ///< per station, the node it hangs from
  /// Per node: itself and every node above it up to (not including) the grid connection.
  [[nodiscard]] std::vector<int> path(int node) const;
  [[nodiscard]] bool below(int node, int ancestor) const;
};

/// Resolves names into the tree; nullopt when validate_circuits finds anything.
[[nodiscard]] std::optional<CircuitTree> resolve_circuits(const std::vector<CircuitConfig>& circuits,
                                                          const std::vector<std::string>& station_circuit);

/// Every rule at once (key, value, rule): names unique and non-empty, parents and station circuits
/// known, no cycles, limits in range, and no node that the sockets below it could overload on their
/// safe currents alone (what the stations draw when emsgw is gone). `station_circuit` holds the
/// circuit name of each of site.stations ("" = the grid connection).
[[nodiscard]] std::vector<ConfigIssue> validate_circuits(const std::vector<CircuitConfig>& circuits,
                                                         const std::vector<std::string>& station_circuit,
                                                         const SiteConfig& site);

/// Per grid phase, the safe currents of the sockets on the given stations (each socket on the
/// grid phases its mapping loads).
[[nodiscard]] std::array<double, kPhaseCount> safe_current_per_phase(const SiteConfig& site,
                                                                     const std::vector<std::size_t>& stations);

[[nodiscard]] std::string circuit_key(std::size_t circuit);

/// How many circuits deep a station may hang (each level adds groups to every socket below it).
inline constexpr std::size_t kMaxCircuitDepth = 4;

}  // namespace emsgw::ems
