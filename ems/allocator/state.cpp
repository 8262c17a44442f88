#include "ems/allocator/state.hpp"

namespace emsgw::ems::allocator {

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
      ix.index_of_id[static_cast<std::size_t>(sc.id)] = static_cast<int>(ix.sockets.size());
      ix.sockets.push_back(ref);
    }
  }
  return ix;
}

}  // namespace emsgw::ems::allocator
