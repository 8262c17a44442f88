#include "gateway/runtime/store_energy_source.hpp"

namespace emsgw::gateway {

std::vector<webui::EnergyFigures> StoreEnergySource::energy(ems::WallTime from, ems::WallTime to,
                                                            webui::EnergyPeriodKind kind) const {
  std::vector<webui::EnergyFigures> out;
  recorder_.with_store([&](storage::SqliteStore& store) {
    const auto k =
        kind == webui::EnergyPeriodKind::Month ? storage::EnergyPeriodKind::Month : storage::EnergyPeriodKind::Day;
    auto rows = store.energy(from, to, k);
    if (!rows) return;
    for (const auto& r : *rows) {
      webui::EnergyFigures e;
      e.period = r.period;
      e.grid_import_wh = r.grid_import_wh;
      e.grid_export_wh = r.grid_export_wh;
      e.pv_wh = r.pv_wh;
      e.heatpump_wh = r.heatpump_wh;
      e.ev_wh = r.ev_wh;
      e.ev_pv_wh = r.ev_pv_wh;
      e.socket_wh = r.socket_wh;
      e.home_wh = r.home_wh;
      e.self_consumed_wh = r.self_consumed_wh;
      e.covered_s = r.covered_s;
      out.push_back(std::move(e));
    }
  });
  return out;
}

}  // namespace emsgw::gateway
