#pragma once
#include <string>

#include "gateway/config/config.hpp"

namespace emsgw::gateway {
/// A human explanation of a valid configuration: the site, its per-phase limits, the meters, every
/// station and socket with the grid phases it loads, and the worst case of the safe currents.
[[nodiscard]] std::string describe_config(const Config& cfg);
}  // namespace emsgw::gateway
