#pragma once
// The rules an Alfen station sets on its [[station]] entry (alfen-modbus.md §1, guide §2): at
// most two sockets, each on Modbus unit 1 (single or left socket) or 2 (right socket of a
// Double), each unit once. Unit 200 is the station's SCN block, never a socket.

#include <cstddef>
#include <vector>

#include "ems/site_config.hpp"

namespace emsgw::drivers::alfen {

/// The findings on [[station]] number `index`, keyed like the validator's ("station[0].socket[1].unit").
[[nodiscard]] std::vector<ems::ConfigIssue> check_station(const ems::StationConfig& station, std::size_t index);

/// The highest Modbus unit of the station's sockets: how many socket blocks the driver reads.
[[nodiscard]] int socket_count(const ems::StationConfig& station);

}  // namespace emsgw::drivers::alfen
