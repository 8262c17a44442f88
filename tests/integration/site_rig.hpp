#pragma once
// A simulated site plus a running emsgw, for end-to-end tests.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "drivers/system_clock.hpp"
#include "gateway/demo/simulated_site.hpp"
#include "gateway/runtime/runtime.hpp"

namespace emsgw::test {

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
