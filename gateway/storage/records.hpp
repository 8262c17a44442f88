#pragma once
// Plain records the runtime fills and the store keeps. Units: A, W, Wh; times are wall-clock
// (stored as Unix milliseconds, UTC). An unknown reading is std::nullopt, never 0.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ems/site_status.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway::storage {

using ems::WallTime;

/// One socket in a history sample. `socket` is the site-wide socket index.
struct SocketSample {
  int socket = 0;
  std::array<std::optional<double>, 3> current_a{};  ///< per station phase L1..L3
  std::optional<double> setpoint_a;                  ///< what emsgw asked for
  std::optional<double> applied_a;                   ///< what the station reports as applied (1206)
  friend bool operator==(const SocketSample&, const SocketSample&) = default;
};

/// A snapshot of the site. Samples may arrive at any rate; the store averages them into 10 s
/// buckets and rolls those up to 1 min and 15 min (HistoryTier).
struct HistorySample {
  WallTime time{};
  std::array<std::optional<double>, 3> grid_current_a{};  ///< grid phases L1..L3
  std::array<std::optional<double>, 3> grid_power_w{};    ///< positive = import
  /// Per-phase grid limit after the safety margin (grid_max_current_a − safety_margin_a) in force.
  std::optional<double> grid_limit_a;
  std::optional<double> pv_w;
  std::optional<double> heatpump_w;
  std::vector<SocketSample> sockets;
  friend bool operator==(const HistorySample&, const HistorySample&) = default;
};

/// Bucket widths of the stored history, in seconds.
enum class HistoryTier : int { TenSeconds = 10, OneMinute = 60, FifteenMinutes = 900 };

/// A session starts when an EV is connected and ends when it leaves; energies come from the
/// station's energy counter.
struct SessionStart {
  int socket = 0;
  WallTime time{};
  double energy_counter_wh = 0;
};

struct SessionStop {
  int socket = 0;
  WallTime time{};
  /// The station's register at the stop; nullopt when unknown (then the last reading the store
  /// metered is kept as the end reading).
  std::optional<double> energy_counter_wh;
  std::optional<double> pv_energy_wh;  ///< energy covered by PV surplus, where the runtime knows it
  std::string reason = "unplugged";    ///< see Session::end_reason
};

/// The energy a session charged in one quarter hour (from the station's register), and the part
/// of it covered by solar surplus where that is known. Tariffs price each slice at its start.
struct SessionSlice {
  WallTime start{};  ///< quarter-hour start
  double energy_wh = 0;
  std::optional<double> pv_energy_wh;
};

/// Filters of the session list. from/to bound the start time: from ≤ start < to.
struct SessionQuery {
  int socket = -1;  ///< < 0: every socket
  std::optional<WallTime> from;
  std::optional<WallTime> to;
  std::size_t limit = 50;
  std::size_t offset = 0;
};

struct Session {
  std::int64_t id = 0;
  int socket = 0;
  WallTime start{};
  std::optional<WallTime> end;  ///< nullopt while running
  double start_energy_wh = 0;
  std::optional<double> energy_wh;  ///< end counter − start counter
  /// Over the session's 10 s history of this socket: highest phase current, and its mean.
  std::optional<double> max_current_a;
  std::optional<double> avg_current_a;
  std::optional<double> pv_energy_wh;
  /// The station's energy register (Wh) at the start is start_energy_wh; at the end, this (both
  /// readings are kept: the energy is their difference).
  std::optional<double> end_energy_wh;
  /// Why it ended: "unplugged" (the EV left while emsgw watched), "unplugged_during_restart" (gone
  /// when emsgw started again: ended at the last time emsgw saw it, with the register read at the
  /// start), "socket_removed" (no longer in the configuration), "replaced" (a new session began on
  /// the socket first). Empty while running.
  std::string end_reason;
  /// Last time the store metered the register during the session, and that reading.
  std::optional<WallTime> last_seen;
  std::optional<double> last_energy_wh;
  /// Priced at the end with the [tariff] then in force (nullopt without a tariff, or running).
  std::optional<double> cost;
  std::string currency;
  /// PV share 0..1, when both energies are known and the energy is positive.
  [[nodiscard]] std::optional<double> pv_share() const {
    if (!pv_energy_wh || !energy_wh || *energy_wh <= 0) return std::nullopt;
    return *pv_energy_wh / *energy_wh;
  }
};

/// A set-point change and the reason that bound it.
struct Decision {
  std::int64_t id = 0;  ///< assigned by the store
  WallTime time{};
  int socket = 0;
  double old_a = 0;
  double new_a = 0;
  std::string reason;
  friend bool operator==(const Decision&, const Decision&) = default;
};

enum class EventKind { FaultRaised, FaultCleared, ConfigChange, PlugIn, Unplug, EvFull, Dimming };
[[nodiscard]] std::string_view to_string(EventKind k);
[[nodiscard]] std::optional<EventKind> parse_event_kind(std::string_view s);

struct Event {
  std::int64_t id = 0;  ///< assigned by the store
  WallTime time{};
  EventKind kind = EventKind::FaultRaised;
  std::string subject;  ///< e.g. "meter.grid", "station[1]", "socket[0].mode"
  std::string text;     ///< in English, as logged
  /// The text as message code and parameters, for translation; empty code for events stored
  /// before migration 8 or without a code.
  ems::Message message{};
  friend bool operator==(const Event&, const Event&) = default;
};

/// One quarter hour of the quarter-hour peak control that ended (ems::QuarterPeak): its average
/// import, the figure the capacity tariff bills the month's highest of.
struct PeakQuarter {
  WallTime start{};
  double average_w = 0;
  double energy_wh = 0;
  double covered_s = 0;
  friend bool operator==(const PeakQuarter&, const PeakQuarter&) = default;
};

/// A setting changed at runtime. The config file stays the base; overrides are applied on top at
/// start and shown as such.
struct SettingOverride {
  std::string key;     ///< config key path, e.g. "socket[0].mode"
  std::string value;   ///< as text, validated before it is stored
  std::string source;  ///< "web", "mqtt", …
  WallTime time{};
  friend bool operator==(const SettingOverride&, const SettingOverride&) = default;
};

/// A calendar date in the box's time zone (or UTC in tests).
struct LocalDate {
  int year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31
  friend bool operator==(const LocalDate&, const LocalDate&) = default;
};
using LocalDateFn = std::function<LocalDate(WallTime)>;
[[nodiscard]] LocalDate local_date(WallTime t);  ///< localtime_r
[[nodiscard]] LocalDate utc_date(WallTime t);    ///< gmtime_r

enum class EnergyPeriodKind { Day, Month };

/// Energy over one local day or month (SqliteStore::energy). Grid and PV energy come from the 10 s
/// means of their power; each socket's from the station's energy register (the session slices).
struct EnergyPeriod {
  std::string period;  ///< "2026-11-30" or "2026-11"
  double grid_import_wh = 0;
  double grid_export_wh = 0;
  std::optional<double> pv_wh;  ///< nullopt: no PV reading in the period
  std::optional<double> heatpump_wh;
  double ev_wh = 0;                 ///< every socket together
  std::optional<double> ev_pv_wh;   ///< the EVs' part covered by solar surplus, where known
  std::map<int, double> socket_wh;  ///< per socket id
  /// Home consumption without the EVs: import − export + PV − EVs. Without a PV reading it is
  /// known only while nothing was exported (no unmetered generation).
  std::optional<double> home_wh;
  std::optional<double> self_consumed_wh;  ///< PV used on site: PV − export
  std::int64_t covered_s = 0;              ///< seconds with a grid reading
};

/// Unix milliseconds ↔ WallTime.
[[nodiscard]] inline std::int64_t to_unix_ms(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
[[nodiscard]] inline WallTime from_unix_ms(std::int64_t ms) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace emsgw::gateway::storage
