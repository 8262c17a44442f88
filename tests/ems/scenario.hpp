#pragma once
// Golden allocator scenarios: a JSON file holds a site configuration, inputs over time and the
// expected set-points and reasons. run_scenario() replays it through an Allocator and returns one
// readable line per difference (empty = pass). Format: tests/ems/scenarios/README.md.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "ems/allocator.hpp"

namespace emsgw::ems::test {

/// Builds a SiteConfig from the scenario's "site" and "stations" objects (keys as in the TOML).
[[nodiscard]] SiteConfig site_from_json(const nlohmann::json& j);

struct ScenarioReport {
  std::vector<std::string> differences;  ///< "t=170 s socket 2: current_a expected 10, actual 6"
  std::string trace;                     ///< Every checked step: expected vs actual per socket.
  int checks = 0;
};

[[nodiscard]] ScenarioReport run_scenario(const nlohmann::json& scenario);

}  // namespace emsgw::ems::test
