#include "ems/allocation.hpp"

#include <array>
#include <utility>

namespace emsgw::ems {

namespace {

constexpr std::array<std::pair<std::string_view, Reason>, 22> kReasons{{
    {"not-connected", Reason::NotConnected},
    {"mode-off", Reason::ModeOff},
    {"suspended", Reason::Suspended},
    {"fail-safe", Reason::FailSafe},
    {"station-lost", Reason::StationLost},
    {"state-unknown", Reason::StateUnknown},
    {"fault", Reason::Fault},
    {"grid-l1", Reason::GridL1},
    {"grid-l2", Reason::GridL2},
    {"grid-l3", Reason::GridL3},
    {"site-limit", Reason::SiteLimit},
    {"schedule", Reason::Schedule},
    {"socket-limit", Reason::SocketLimit},
    {"station-max", Reason::StationMax},
    {"socket-max", Reason::SocketMax},
    {"ev-max", Reason::EvMax},
    {"pv-surplus", Reason::PvSurplus},
    {"pv-waiting", Reason::PvWaiting},
    {"pv-stale", Reason::PvStale},
    {"alternating", Reason::Alternating},
    {"probing", Reason::Probing},
    {"phase-switching", Reason::PhaseSwitching},
}};

constexpr std::array<std::pair<std::string_view, Degradation>, 6> kDegradations{{
    {"meter-stale", Degradation::MeterStale},
    {"meter-implausible", Degradation::MeterImplausible},
    {"pv-stale", Degradation::PvStale},
    {"station-stale", Degradation::StationStale},
    {"socket-state-unknown", Degradation::SocketStateUnknown},
    {"suspended", Degradation::Suspended},
}};

}  // namespace

std::string_view to_string(Reason r) {
  for (const auto& [name, value] : kReasons)
    if (value == r) return name;
  return "?";
}

std::optional<Reason> parse_reason(std::string_view s) {
  for (const auto& [name, value] : kReasons)
    if (name == s) return value;
  return std::nullopt;
}

std::string_view to_string(Degradation d) {
  for (const auto& [name, value] : kDegradations)
    if (value == d) return name;
  return "?";
}

}  // namespace emsgw::ems
