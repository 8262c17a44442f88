#pragma once
// GET /api/energy (webui/API.md), installed by WebServer.

#include <nlohmann/json.hpp>

#include "webui/energy_source.hpp"
#include "webui/session_routes.hpp"

namespace emsgw::webui {

/// Adds the energy route; `may_read` answers 401 itself when reading needs a login. With `source`
/// null the route answers 503. `now` gives the default range (the last 31 days or 13 months).
void install_energy_routes(httplib::Server& server, const EnergySource* source, ReadGate may_read,
                           std::function<ems::WallTime()> now);

[[nodiscard]] nlohmann::json to_json(const EnergyFigures& e, const EnergySource& names);

}  // namespace emsgw::webui
