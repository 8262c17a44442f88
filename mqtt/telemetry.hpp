#pragma once
// What emsgw publishes as MQTT state: a pure mapping from one SiteStatus to topic/payload pairs,
// and a filter that decides which of them go out now (rates, on-change, energy never backwards).
// Topics are listed in mqtt/topics.hpp; Home Assistant discovery (mqtt/discovery.hpp) points at them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ems/site_status.hpp"
#include "ems/time.hpp"
#include "mqtt/topics.hpp"

namespace emsgw::mqtt {

/// A charging session that ended, for the "last session" sensors.
struct FinishedSession {
  int socket = 0;
  std::optional<double> energy_wh;
  std::optional<double> cost;  ///< priced with the [tariff]; nullopt without one
};
/// The retained (topic, payload) pairs of a finished session: socket/<id>/last_session_energy (kWh)
/// and socket/<id>/last_session_cost.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> session_messages(const FinishedSession& f,
                                                                                const Topics& t);

/// A number with a fixed count of decimals, never "-0" (payloads of numeric topics).
[[nodiscard]] std::string fixed(double v, int decimals);

enum class ValueKind {
  State,        ///< words, modes, flags: sent on change
  Measurement,  ///< power, current, voltage: at most once per measurement interval, and only when changed
  Energy,       ///< an energy register published as total_increasing: like Measurement, never lower
};

struct TelemetryItem {
  std::string topic;
  std::string payload;
  ValueKind kind = ValueKind::State;
  double energy_wh = 0;  ///< Energy only: the value in Wh, for the never-backwards rule
  /// Energy that restarts with each charging session: a lower value is a new session (accepted) only
  /// when the session was not active at the previous sample or is not active now. Empty for
  /// lifetime registers, which never go back.
  std::optional<bool> session_active;
  friend bool operator==(const TelemetryItem&, const TelemetryItem&) = default;
};

/// Every state topic of `status`, in a stable order. Values the status does not have (empty
/// optionals) are left out, so the last retained value stands rather than a made-up zero.
/// Payloads: numbers in the units of discovery (W, A, V, kWh), "ON"/"OFF" for flags, words for states.
[[nodiscard]] std::vector<TelemetryItem> telemetry_items(const ems::SiteStatus& status, const Topics& topics);

/// Payload text of a flag.
[[nodiscard]] inline std::string_view on_off(bool b) {
  return b ? "ON" : "OFF";
}

/// Chooses what to send from successive telemetry_items(). Not thread-safe; one owner.
class TelemetryFilter {
 public:
  explicit TelemetryFilter(ems::Millis measurement_interval) : interval_(measurement_interval) {}

  /// The items to publish now, taken from `items` (the latest status at `now`).
  [[nodiscard]] std::vector<TelemetryItem> select(const std::vector<TelemetryItem>& items, ems::MonoTime now);
  /// The next select() sends every item again (after a connect or a Home Assistant restart);
  /// energy still never goes below what was sent.
  void resend_all() { resend_all_ = true; }
  /// Energy samples dropped because they were lower than what had been published.
  [[nodiscard]] std::uint64_t energy_regressions() const { return energy_regressions_; }

 private:
  struct Sent {
    std::string payload;
    ems::MonoTime at{};
    double energy_wh = 0;
    bool session_active = false;
  };
  ems::Millis interval_;
  bool resend_all_ = false;
  std::map<std::string, Sent, std::less<>> sent_;
  std::uint64_t energy_regressions_ = 0;
};

}  // namespace emsgw::mqtt
