#pragma once
// Charging sessions for /api/sessions (webui/API.md): the gateway answers from SQLite. Plain
// structs, so that the web layer needs no storage types.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::webui {

/// The energy of one quarter hour of a session and what it cost.
struct SessionQuarter {
  ems::WallTime start{};
  double energy_wh = 0;
  std::optional<double> pv_energy_wh;
  std::optional<double> import_price_per_kwh;  ///< the tariff's price in force (nullopt: no tariff)
  std::string tariff_window;                   ///< name of the time-of-use window, empty for the flat price
};

struct ChargingSession {
  std::int64_t id = 0;
  int socket = 0;
  std::string socket_name;  ///< "socket 1 · garage left", from the configuration
  std::string station;
  ems::WallTime start{};
  std::optional<ems::WallTime> end;  ///< nullopt while the EV is connected
  double start_energy_wh = 0;        ///< the station's energy register at the start
  std::optional<double> end_energy_wh;
  std::optional<double> energy_wh;
  std::optional<double> pv_energy_wh;
  std::optional<double> max_current_a;  ///< highest phase, from the 10 s history
  std::optional<double> avg_current_a;
  std::optional<double> cost;  ///< priced at the end (running sessions: priced so far)
  std::string currency;
  std::string end_reason;
  std::vector<SessionQuarter> quarters;  ///< filled for the detail only
};

struct SessionFilter {
  int socket = -1;  ///< < 0: every socket
  std::optional<ems::WallTime> from;
  std::optional<ems::WallTime> to;  ///< from ≤ start < to
  int limit = 50;
  int offset = 0;
};

struct SessionPage {
  std::vector<ChargingSession> items;
  std::int64_t total = 0;  ///< sessions matching the filter, all pages
};

class SessionSource {
 public:
  virtual ~SessionSource() = default;
  /// Newest first.
  [[nodiscard]] virtual SessionPage sessions(const SessionFilter& filter) const = 0;
  /// With its quarter hours; nullopt for an unknown id.
  [[nodiscard]] virtual std::optional<ChargingSession> session(std::int64_t id) const = 0;
};

}  // namespace emsgw::webui
