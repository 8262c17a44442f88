#pragma once
// The dashboard's energy figures (/api/energy) answered from the SQLite store that the
// StorageRecorder writes, per local day or month, with sockets named like the sessions.

#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/runtime/store_session_source.hpp"
#include "webui/energy_source.hpp"

namespace emsgw::gateway {

class StoreEnergySource final : public webui::EnergySource {
 public:
  StoreEnergySource(StorageRecorder& recorder, const StoreSessionSource& names) : recorder_(recorder), names_(names) {}
  [[nodiscard]] std::vector<webui::EnergyFigures> energy(ems::WallTime from, ems::WallTime to,
                                                         webui::EnergyPeriodKind kind) const override;
  [[nodiscard]] std::string socket_name(int socket) const override { return names_.socket_name(socket); }

 private:
  StorageRecorder& recorder_;
  const StoreSessionSource& names_;
};

}  // namespace emsgw::gateway
