#include "ems/allocator/state.hpp"

#include <string>

#include "ems/bound_words.hpp"

namespace emsgw::ems::allocator {

namespace {

void index_circuits(const SiteConfig& site, SocketIndex& ix) {
  if (site.circuits.empty()) return;
  std::vector<std::string> station_circuit;
  for (const auto& st : site.stations) station_circuit.push_back(st.circuit);
  const auto tree = resolve_circuits(site.circuits, station_circuit);
  if (!tree) return;  // an invalid configuration never reaches the allocator (validate() refuses it)
  ix.circuits.resize(site.circuits.size());
  for (std::size_t c = 0; c < site.circuits.size(); ++c) {
    auto& ref = ix.circuits[c];
    const auto& name = site.circuits[c].name;
    for (std::size_t p = 0; p < kPhaseCount; ++p) ref.phase_words[p] = circuit_phase_words(name, static_cast<Phase>(p));
    ref.power_words = circuit_power_words(name, site.circuits[c].max_power_w);
  }
  for (std::size_t k = 0; k < ix.sockets.size(); ++k) {
    auto& sref = ix.sockets[k];
    const auto& cfg = site.stations[sref.station].sockets[sref.socket];
    for (int node : tree->path(tree->station_node[sref.station])) {
      if (sref.circuit_count >= kMaxCircuitDepth) break;
      const auto c = static_cast<std::size_t>(node - 1);
      sref.circuits[sref.circuit_count++] = c;
      ix.circuits[c].sockets.push_back(k);
      for (std::size_t j = 0; j < cfg.phase_mapping.count; ++j)
        ix.circuits[c].safe_current[index(cfg.phase_mapping.grid[j])] += cfg.safe_current_a;
    }
  }
}

}  // namespace

SocketIndex index_sockets(const SiteConfig& site) {
  SocketIndex ix;
  ix.index_of_id.fill(-1);
  for (std::size_t st = 0; st < site.stations.size(); ++st) {
    const auto& station = site.stations[st];
    for (std::size_t so = 0; so < station.sockets.size(); ++so) {
      const auto& sc = station.sockets[so];
      SocketRef ref;
      ref.id = sc.id;
      ref.station = st;
      ref.socket = so;
      ref.phase_switching = station.phase_switching && site.phase_switch.enabled && sc.phase_mapping.count == 3;
      const char* side = station.sockets.size() > 1 ? (sc.unit == 2 ? " right" : " left") : "";
      ref.words = "socket " + std::to_string(sc.id) + " (" + station.name + side + ")";
      ix.index_of_id[static_cast<std::size_t>(sc.id)] = static_cast<int>(ix.sockets.size());
      ix.sockets.push_back(ref);
    }
  }
  index_circuits(site, ix);
  return ix;
}

}  // namespace emsgw::ems::allocator
