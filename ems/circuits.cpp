#include "ems/circuits.hpp"

#include <cmath>
#include <cstdio>
#include <map>

namespace emsgw::ems {

namespace {
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
const char* phase_name(std::size_t p) {
  static constexpr const char* kNames[] = {"L1", "L2", "L3"};
  return kNames[p];
}
}  // namespace

std::string circuit_key(std::size_t circuit) {
  return "circuit[" + std::to_string(circuit) + "]";
}

std::vector<int> CircuitTree::path(int node) const {
  std::vector<int> out;
  for (int n = node; n > 0 && static_cast<std::size_t>(n) < parent.size(); n = parent[static_cast<std::size_t>(n)]) {
    out.push_back(n);
    if (out.size() > parent.size()) break;  // a cycle cannot pass validation; never loop forever
  }
  return out;
}

bool CircuitTree::below(int node, int ancestor) const {
  if (ancestor == 0) return true;
  for (int n : path(node))
    if (n == ancestor) return true;
  return false;
}

std::array<double, kPhaseCount> safe_current_per_phase(const SiteConfig& site,
                                                       const std::vector<std::size_t>& stations) {
  std::array<double, kPhaseCount> out{};
  for (auto st : stations)
    for (const auto& so : site.stations[st].sockets)
      for (std::size_t j = 0; j < so.phase_mapping.count; ++j)
        out[index(so.phase_mapping.grid[j])] += so.safe_current_a;
  return out;
}

namespace {
/// Name → node index (1-based); issues for names that cannot be used.
std::map<std::string, int> index_names(const std::vector<CircuitConfig>& circuits, std::vector<ConfigIssue>& issues) {
  std::map<std::string, int> idx;
  for (std::size_t i = 0; i < circuits.size(); ++i) {
    const auto& c = circuits[i];
    const auto k = circuit_key(i);
    if (c.name.empty()) {
      issues.push_back({k + ".name", "", "must not be empty"});
      continue;
    }
    if (auto [it, fresh] = idx.emplace(c.name, static_cast<int>(i) + 1); !fresh)
      issues.push_back({k + ".name", c.name,
                        "is already used by " + circuit_key(static_cast<std::size_t>(it->second - 1)) +
                            "; circuit names must be unique"});
  }
  return idx;
}

std::optional<CircuitTree> build(const std::vector<CircuitConfig>& circuits,
                                 const std::vector<std::string>& station_circuit, std::vector<ConfigIssue>& issues) {
  const auto idx = index_names(circuits, issues);
  CircuitTree t;
  t.parent.assign(circuits.size() + 1, 0);
  t.parent[0] = -1;
  for (std::size_t i = 0; i < circuits.size(); ++i) {
    const auto& c = circuits[i];
    if (c.parent.empty()) continue;
    const auto it = idx.find(c.parent);
    if (it == idx.end())
      issues.push_back({circuit_key(i) + ".parent", c.parent, "names no [[circuit]] (empty: the grid connection)"});
    else if (it->second == static_cast<int>(i) + 1)
      issues.push_back({circuit_key(i) + ".parent", c.parent, "must not be the circuit itself"});
    else
      t.parent[i + 1] = it->second;
  }
  // Cycles: walking up from any node must reach the grid connection within n steps.
  for (std::size_t i = 1; i < t.parent.size(); ++i) {
    int n = static_cast<int>(i);
    for (std::size_t steps = 0; n > 0 && steps < t.parent.size(); ++steps) n = t.parent[static_cast<std::size_t>(n)];
    if (n > 0) {
      issues.push_back({circuit_key(i - 1) + ".parent", circuits[i - 1].parent,
                        "makes a cycle: following the parents never reaches the grid connection"});
      return std::nullopt;
    }
  }
  t.station_node.assign(station_circuit.size(), 0);
  for (std::size_t s = 0; s < station_circuit.size(); ++s) {
    if (station_circuit[s].empty()) continue;
    const auto it = idx.find(station_circuit[s]);
    if (it == idx.end())
      issues.push_back({station_key(s) + ".circuit", station_circuit[s],
                        "names no [[circuit]] (empty: directly under the grid connection)"});
    else
      t.station_node[s] = it->second;
  }
  return t;
}
}  // namespace

std::optional<CircuitTree> resolve_circuits(const std::vector<CircuitConfig>& circuits,
                                            const std::vector<std::string>& station_circuit) {
  std::vector<ConfigIssue> issues;
  auto t = build(circuits, station_circuit, issues);
  if (!issues.empty()) return std::nullopt;
  return t;
}

std::vector<ConfigIssue> validate_circuits(const std::vector<CircuitConfig>& circuits,
                                           const std::vector<std::string>& station_circuit, const SiteConfig& site) {
  std::vector<ConfigIssue> issues;
  for (std::size_t i = 0; i < circuits.size(); ++i) {
    const auto& c = circuits[i];
    const auto k = circuit_key(i);
    if (!std::isfinite(c.max_current_a) || c.max_current_a < 0 || c.max_current_a > 4000)
      issues.push_back({k + ".max_current_a", num(c.max_current_a), "must be between 0 (no limit) and 4000 A"});
    if (!std::isfinite(c.max_power_w) || c.max_power_w < 0 || c.max_power_w > 2.8e6)
      issues.push_back({k + ".max_power_w", num(c.max_power_w), "must be between 0 (no limit) and 2800000 W"});
    if (!std::isfinite(c.margin_a) || c.margin_a < 0 || (c.max_current_a > 0 && c.margin_a >= c.max_current_a))
      issues.push_back({k + ".margin_a", num(c.margin_a), "must be at least 0 and below max_current_a"});
    if (c.max_current_a == 0 && c.max_power_w == 0)
      issues.push_back({k + ".max_current_a", "0",
                        "a circuit needs max_current_a or max_power_w (or both): it exists to limit something"});
  }
  if (station_circuit.size() != site.stations.size()) return issues;
  const auto tree = build(circuits, station_circuit, issues);
  if (!tree || !issues.empty()) return issues;
  for (std::size_t i = 0; i < circuits.size(); ++i)
    if (tree->path(static_cast<int>(i) + 1).size() > kMaxCircuitDepth)
      issues.push_back({circuit_key(i) + ".parent", circuits[i].parent,
                        "circuit " + circuits[i].name + " is more than " + std::to_string(kMaxCircuitDepth) +
                            " circuits deep below the grid connection"});
  if (!issues.empty()) return issues;
  // Safe currents alone must fit every node (what the stations draw when emsgw is gone).
  for (std::size_t i = 0; i < circuits.size(); ++i) {
    const auto& c = circuits[i];
    const int node = static_cast<int>(i) + 1;
    std::vector<std::size_t> below;
    for (std::size_t s = 0; s < site.stations.size(); ++s)
      if (tree->below(tree->station_node[s], node)) below.push_back(s);
    const auto safe = safe_current_per_phase(site, below);
    if (c.max_current_a > 0) {
      const double usable = c.max_current_a - c.margin_a;
      for (std::size_t p = 0; p < kPhaseCount; ++p)
        if (safe[p] > usable + 1e-9)
          issues.push_back({circuit_key(i) + ".max_current_a", num(c.max_current_a),
                            "circuit " + c.name + " " + phase_name(p) +
                                ": the safe currents of the sockets below it add up to " + num(safe[p]) +
                                " A, more than its " + num(c.max_current_a) + " A less the " + num(c.margin_a) +
                                " A margin; lower their safe_current_a or raise the limit"});
    }
    if (c.max_power_w > 0) {
      const double w = (safe[0] + safe[1] + safe[2]) * site.surplus.nominal_voltage_v;
      if (w > c.max_power_w + 1e-9)
        issues.push_back({circuit_key(i) + ".max_power_w", num(c.max_power_w),
                          "circuit " + c.name + ": the safe currents of the sockets below it draw " + num(w) +
                              " W, more than its power limit; lower their safe_current_a or raise the limit"});
    }
  }
  return issues;
}

}  // namespace emsgw::ems
