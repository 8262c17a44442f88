#include "ems/allocation.hpp"

#include <array>
#include <utility>

namespace emsgw::ems {

namespace {

/// Machine form (status "reason", MQTT, decisions, i18n keys of the dashboard) and the words shown
/// to people (status "reason_text", log lines). Both are part of the interfaces: keep them stable.
struct ReasonName {
  std::string_view key;
  Reason value;
  std::string_view words;
};

constexpr std::array<ReasonName, 31> kReasons{{
    {"not-connected", Reason::NotConnected, "no vehicle"},
    {"mode-off", Reason::ModeOff, "mode off"},
    {"suspended", Reason::Suspended, "suspended by the grid operator"},
    {"fail-safe", Reason::FailSafe, "grid meter lost: safe current"},
    {"station-lost", Reason::StationLost, "station unreachable: safe current, its limit kept in reserve"},
    {"state-unknown", Reason::StateUnknown, "state unknown: safe current, its limit kept in reserve"},
    {"fault", Reason::Fault, "station reports a fault"},
    {"grid-l1", Reason::GridL1, "limited by grid phase L1"},
    {"grid-l2", Reason::GridL2, "limited by grid phase L2"},
    {"grid-l3", Reason::GridL3, "limited by grid phase L3"},
    {"site-limit", Reason::SiteLimit, "limited by the external site limit"},
    {"schedule", Reason::Schedule, "limited by an external schedule"},
    {"socket-limit", Reason::SocketLimit, "limited by the external socket limit"},
    {"station-max", Reason::StationMax, "limited by the station maximum"},
    {"socket-max", Reason::SocketMax, "at the socket maximum"},
    {"ev-max", Reason::EvMax, "at the vehicle's maximum"},
    {"pv-surplus", Reason::PvSurplus, "following the PV surplus"},
    {"pv-waiting", Reason::PvWaiting, "waiting for PV surplus"},
    {"pv-stale", Reason::PvStale, "PV reading stale: surplus charging stopped"},
    {"alternating", Reason::Alternating, "alternating: paused for its turn"},
    {"probing", Reason::Probing, "probing the vehicle's minimum current"},
    {"phase-switching", Reason::PhaseSwitching, "switching between 1 and 3 phases"},
    {"circuit-l1", Reason::CircuitL1, "limited by a circuit on phase L1"},
    {"circuit-l2", Reason::CircuitL2, "limited by a circuit on phase L2"},
    {"circuit-l3", Reason::CircuitL3, "limited by a circuit on phase L3"},
    {"circuit-power", Reason::CircuitPower, "limited by a circuit's power limit"},
    {"peak-limit", Reason::PeakLimit, "limited by the quarter-hour peak"},
    {"dimming", Reason::Dimming, "dimmed by the grid operator"},
    {"surplus-minimum", Reason::SurplusMinimum, "at its minimum current: the solar surplus is not more"},
    {"other-minimum", Reason::OtherMinimum, "limited by another socket's minimum current"},
    {"ev-not-asking", Reason::EvNotAsking, "the vehicle is not asking for current: its share goes to the others"},
}};

constexpr std::array<std::pair<std::string_view, Degradation>, 7> kDegradations{{
    {"meter-stale", Degradation::MeterStale},
    {"meter-implausible", Degradation::MeterImplausible},
    {"pv-stale", Degradation::PvStale},
    {"station-stale", Degradation::StationStale},
    {"socket-state-unknown", Degradation::SocketStateUnknown},
    {"suspended", Degradation::Suspended},
    {"circuit-meter-stale", Degradation::CircuitMeterStale},
}};

}  // namespace

std::string_view to_string(Reason r) {
  for (const auto& e : kReasons)
    if (e.value == r) return e.key;
  return "?";
}

std::string_view to_words(Reason r) {
  for (const auto& e : kReasons)
    if (e.value == r) return e.words;
  return "?";
}

std::optional<Reason> parse_reason(std::string_view s) {
  for (const auto& e : kReasons)
    if (e.key == s) return e.value;
  return std::nullopt;
}

std::string_view to_string(Degradation d) {
  for (const auto& [name, value] : kDegradations)
    if (value == d) return name;
  return "?";
}

}  // namespace emsgw::ems
