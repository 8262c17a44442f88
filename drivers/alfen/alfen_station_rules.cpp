#include "drivers/alfen/alfen_station_rules.hpp"

#include <algorithm>
#include <map>
#include <string>

namespace emsgw::drivers::alfen {

std::vector<ems::ConfigIssue> check_station(const ems::StationConfig& st, std::size_t index) {
  std::vector<ems::ConfigIssue> out;
  if (st.sockets.size() > 2)
    out.push_back({ems::station_key(index) + ".socket", std::to_string(st.sockets.size()) + " sockets",
                   "an Alfen station has at most 2 sockets (units 1 and 2)"});
  std::map<int, std::size_t> units;
  for (std::size_t j = 0; j < st.sockets.size(); ++j) {
    const auto& so = st.sockets[j];
    const auto k = ems::socket_key(index, j);
    if (so.unit != 1 && so.unit != 2)
      out.push_back(
          {k + ".unit", std::to_string(so.unit), "must be 1 (single or left socket) or 2 (right socket of a Double)"});
    else if (auto [it, fresh] = units.emplace(so.unit, j); !fresh)
      out.push_back({k + ".unit", std::to_string(so.unit),
                     "is already used by " + ems::socket_key(index, it->second) + " on the same station"});
  }
  return out;
}

int socket_count(const ems::StationConfig& station) {
  int n = 0;
  for (const auto& so : station.sockets) n = std::max(n, so.unit);
  return n;
}

}  // namespace emsgw::drivers::alfen
