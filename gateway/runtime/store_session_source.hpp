#pragma once
// The dashboard's charging sessions (/api/sessions) answered from the SQLite store that the
// StorageRecorder writes, with each socket named from the configuration and running sessions
// priced so far with the [tariff] in force. Queries run on the web server's threads under the
// recorder's lock.

#include <map>
#include <string>

#include "ems/site_config.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "webui/session_source.hpp"

namespace emsgw::gateway {

class StoreSessionSource final : public webui::SessionSource {
 public:
  StoreSessionSource(StorageRecorder& recorder, const ems::SiteConfig& site);
  [[nodiscard]] webui::SessionPage sessions(const webui::SessionFilter& filter) const override;
  [[nodiscard]] std::optional<webui::ChargingSession> session(std::int64_t id) const override;
  /// "socket 1 · garage left"; for a socket no longer configured, says so.
  [[nodiscard]] std::string socket_name(int socket) const;

 private:
  struct Name {
    std::string station;
    std::string text;
  };
  [[nodiscard]] webui::ChargingSession convert(const storage::Session& s) const;

  StorageRecorder& recorder_;
  std::map<int, Name> names_;  ///< by socket id
};

}  // namespace emsgw::gateway
