#pragma once
// History and events for the dashboard's charts and events list. The gateway answers from SQLite
// (10 s / 1 min / 15 min tables); plain structs so that the web layer needs no storage types.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ems/site_status.hpp"
#include "ems/time.hpp"

namespace emsgw::webui {

struct HistoryQuery {
  ems::WallTime from{};
  ems::WallTime to{};
  int resolution_s = 10;  ///< 10, 60 or 900: the table the answer comes from
};

struct HistorySample {
  ems::WallTime time{};
  ems::PhaseTriple grid_current_a;     ///< per grid phase, signed (+ import)
  std::optional<double> grid_limit_a;  ///< per-phase limit after margin at that time
  std::optional<double> pv_power_w;    ///< production, ≥ 0
  std::optional<double> heatpump_power_w;
  std::map<int, double> socket_current_a;  ///< by socket id: highest phase current
};

struct EventQuery {
  ems::WallTime from{};
  ems::WallTime to{};
  int limit = 200;  ///< newest first, at most this many
};

enum class EventLevel { Info, Warning, Error };

struct Event {
  ems::WallTime time{};
  EventLevel level = EventLevel::Info;
  std::string code;         ///< stable identifier: "meter_stale", "socket_mode", "login_failed"…
  std::string text;         ///< what happened
  std::string explanation;  ///< why it matters / what to do, for people
  ems::Message message{};   ///< the text as message code and parameters ("" = text only)
};

class HistorySource {
 public:
  virtual ~HistorySource() = default;
  /// Samples with from ≤ time < to at the requested resolution, oldest first.
  [[nodiscard]] virtual std::vector<HistorySample> history(const HistoryQuery& query) const = 0;
  /// Events with from ≤ time < to, newest first.
  [[nodiscard]] virtual std::vector<Event> events(const EventQuery& query) const = 0;
};

}  // namespace emsgw::webui
