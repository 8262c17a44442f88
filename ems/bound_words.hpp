#pragma once
// The words that name the bound of a set-point where its reason alone does not ("circuit
// garage-board L2", "schedule night 10 A", "quarter-hour peak 4.0 kW"), written once per
// configuration or per step by whoever makes the bound, and read back here in one place, so that an
// interface can show them in its own language (gateway: reason_detail as a message code).

#include <optional>
#include <string>
#include <string_view>

#include "ems/phase.hpp"

namespace emsgw::ems {

enum class BoundKind {
  CircuitPhase,     ///< "circuit <name> L2": the circuit's per-phase current limit
  CircuitPower,     ///< "circuit <name> 7400 W": the circuit's power limit
  ScheduleCurrent,  ///< "schedule <name> 10 A": a weekly window's current limit
  SchedulePower,    ///< "schedule <name> 3.5 kW": a weekly window's power limit
  QuarterPeak,      ///< "quarter-hour peak 4.0 kW"
  Dimming,          ///< "grid operator dimming 4.2 kW"
};

/// The bound's parts: its kind, the name of its node or window (empty for the peak and dimming),
/// and its value as written, without the unit ("L2" for a circuit's phase).
struct BoundWords {
  BoundKind kind = BoundKind::CircuitPhase;
  std::string name;
  std::string value;
  friend bool operator==(const BoundWords&, const BoundWords&) = default;
};

/// "4.0 kW": watts as kilowatts with one decimal.
[[nodiscard]] std::string kilowatts(double w);

[[nodiscard]] std::string circuit_phase_words(const std::string& circuit, Phase p);
[[nodiscard]] std::string circuit_power_words(const std::string& circuit, double max_power_w);
[[nodiscard]] std::string schedule_current_words(const std::string& window, double max_current_a);
[[nodiscard]] std::string schedule_power_words(const std::string& window, double max_power_w);
[[nodiscard]] std::string quarter_peak_words(double target_w);
[[nodiscard]] std::string dimming_words(double limit_w);

/// The parts of words one of the functions above wrote; nullopt for any other text.
[[nodiscard]] std::optional<BoundWords> parse_bound_words(std::string_view words);

}  // namespace emsgw::ems
