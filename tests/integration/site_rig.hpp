#pragma once
// A simulated site plus a running emsgw, for end-to-end tests.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "drivers/system_clock.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::test {

/// An EV for the station simulator.
drivers::alfen::SimEv ev(int phases, double max_a, double min_a);
/// Seconds on the steady clock.
double now_s();
/// The three-car site of the guide's commissioning test: 25 A, 1 A margin, 10 A household; a double
/// station (sockets 0 L1L2L3 and 1 L2L3L1) and a single one (socket 2 L3L1L2); probing 10 s.
gateway::SimulatedSiteOptions three_car_site();

struct SiteRig {
  drivers::SystemClock clock;
  std::unique_ptr<gateway::SimulatedSite> site;
  std::unique_ptr<gateway::Runtime> runtime;

  explicit SiteRig(gateway::SimulatedSiteOptions options, const std::string& extra_toml = "");
  ~SiteRig();

  drivers::alfen::SimSocketState socket(std::size_t station, int unit) {
    return site->station(station).station().socket_state(unit);
  }
  /// One line per socket: emsgw's view (set-point, reason, state) and the simulator's (drawn, 1208).
  std::string describe();
  /// Polls `condition` every 50 ms for up to `timeout`; returns the seconds it took, or -1.
  double wait_for(const std::function<bool()>& condition, double timeout_s);
};

}  // namespace emsgw::test
