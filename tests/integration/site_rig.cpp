#include "tests/integration/site_rig.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace emsgw::test {

drivers::alfen::SimEv ev(int phases, double max_a, double min_a) {
  drivers::alfen::SimEv e;
  e.phases = phases;
  e.max_current_a = max_a;
  e.min_current_a = min_a;
  return e;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

gateway::SimulatedSiteOptions three_car_site() {
  gateway::SimulatedSiteOptions o;
  o.grid_max_current_a = 25;
  o.safety_margin_a = 1;
  o.household_a = {10, 10, 10};
  o.site_extra = "probing_time_s = 10";
  o.stations = {
      gateway::SimStationSpec{"carport",
                              32,
                              60,
                              false,
                              {gateway::SimSocketSpec{0, 16, 6, "L1L2L3"}, gateway::SimSocketSpec{1, 16, 6, "L2L3L1"}}},
      gateway::SimStationSpec{"driveway", 16, 60, false, {gateway::SimSocketSpec{2, 16, 6, "L3L1L2"}}},
  };
  return o;
}

SiteRig::SiteRig(gateway::SimulatedSiteOptions options, const std::string& extra_toml) {
  // EMSGW_TEST_LOG=info (or debug…) shows the product's log of every set-point change and its reason.
  const char* level = std::getenv("EMSGW_TEST_LOG");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::warn);
  site = std::make_unique<gateway::SimulatedSite>(std::move(options));
  site->start();
  auto cfg = gateway::load_config_text(site->config_toml(extra_toml), "simulated-site.toml");
  runtime = std::make_unique<gateway::Runtime>(std::move(cfg), clock, gateway::make_meter, gateway::make_station,
                                               /*with_services=*/false);
  runtime->start();
}

SiteRig::~SiteRig() {
  runtime.reset();
  site.reset();
}

std::string SiteRig::describe() {
  std::string out;
  const auto st = runtime->loop().status();
  if (!st) return "no status yet";
  char buf[256];
  std::snprintf(buf, sizeof buf, "grid %.1f/%.1f/%.1f A, budget %.1f/%.1f/%.1f, degraded=%d\n", site->grid_current()[0],
                site->grid_current()[1], site->grid_current()[2], st->budget_a[0], st->budget_a[1], st->budget_a[2],
                st->degraded ? 1 : 0);
  out += buf;
  for (const auto& so : st->sockets) {
    std::size_t station = 0;
    for (std::size_t i = 0; i < st->stations.size(); ++i)
      if (st->stations[i].name == so.station) station = i;
    const auto sim = socket(station, so.unit);
    std::snprintf(buf, sizeof buf, "  socket %d: set %.0f A (%s, %s) mode3 %s | sim: set %.1f valid %d drawn %.1fx%d\n",
                  so.id, so.setpoint_a, so.reason.c_str(), std::string(ems::to_string(so.state)).c_str(),
                  so.mode3.c_str(), sim.setpoint_a, sim.setpoint_valid ? 1 : 0, sim.drawn_a, sim.drawn_phases);
    out += buf;
  }
  for (const auto& f : st->faults) out += "  fault: " + f.text + "\n";
  return out;
}

double SiteRig::wait_for(const std::function<bool()>& condition, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (condition()) return t;
    if (t > timeout_s) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace emsgw::test
