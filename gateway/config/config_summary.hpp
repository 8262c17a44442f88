#pragma once
#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace emsgw::gateway {
/// A human explanation of a valid configuration: the site, its per-phase limits, the meters, every
/// station and socket with the grid phases it loads, and the worst case of the safe currents.
[[nodiscard]] std::string describe_config(const Config& cfg);

/// What a valid configuration may still get wrong on a real site, each a sentence with the remedy:
/// the two sockets of a Double wired differently (one feeder: one phase order), per-socket modes in
/// SCN mode (the SCN shares one budget: pv and off do not apply). check-config prints them after
/// the summary; `emsgw run` logs them at start.
[[nodiscard]] std::vector<std::string> config_warnings(const Config& cfg);
}  // namespace emsgw::gateway
