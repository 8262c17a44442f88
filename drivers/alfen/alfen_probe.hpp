#pragma once
// One commissioning read of an Alfen station (`emsgw probe-station`): identification, every
// socket's registers in words, and a hint for each usual failure (alfen-modbus.md §4.1, §5);
// optionally a test write of a set-point (1210) and of the phases (1215).

#include <ostream>

#include "drivers/modbus/libmodbus_transport.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers::alfen {

struct ProbeRequest {
  TcpLink link;
  double test_write_a = -1;  ///< < 0: no write test
  int test_phases = 0;       ///< 0: no phase test
};

/// Reads the station once and explains what it reports on `out`. False when anything failed.
[[nodiscard]] bool probe_station(const ProbeRequest& o, const ems::Clock& clock, std::ostream& out);

}  // namespace emsgw::drivers::alfen
