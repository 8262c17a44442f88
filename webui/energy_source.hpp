#pragma once
// Energy per local day or month for /api/energy (webui/API.md): the gateway answers from SQLite.
// Plain structs, so that the web layer needs no storage types.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::webui {

enum class EnergyPeriodKind { Day, Month };

struct EnergyFigures {
  std::string period;  ///< "2026-11-30" or "2026-11" (local calendar)
  double grid_import_wh = 0;
  double grid_export_wh = 0;
  std::optional<double> pv_wh;  ///< nullopt: no PV reading
  std::optional<double> heatpump_wh;
  double ev_wh = 0;
  std::optional<double> ev_pv_wh;   ///< the EVs' part covered by solar surplus
  std::map<int, double> socket_wh;  ///< by socket id
  std::optional<double> home_wh;    ///< import − export + PV − EVs
  std::optional<double> self_consumed_wh;
  long long covered_s = 0;
};

class EnergySource {
 public:
  virtual ~EnergySource() = default;
  /// Periods with data in from ≤ t < to, oldest first.
  [[nodiscard]] virtual std::vector<EnergyFigures> energy(ems::WallTime from, ems::WallTime to,
                                                          EnergyPeriodKind kind) const = 0;
  /// "socket 1 · garage left", from the configuration.
  [[nodiscard]] virtual std::string socket_name(int socket) const = 0;
};

}  // namespace emsgw::webui
