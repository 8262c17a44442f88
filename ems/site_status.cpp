#include "ems/site_status.hpp"

#include <array>
#include <utility>

namespace emsgw::ems {

namespace {
struct StateNames {
  SocketState state;
  std::string_view code;
  std::string_view words;
};
constexpr std::array<StateNames, 13> kStates{{
    {SocketState::Unknown, "unknown", "no data from the station"},
    {SocketState::Available, "available", "available, no vehicle"},
    {SocketState::Connected, "connected", "vehicle connected, not charging"},
    {SocketState::Charging, "charging", "charging"},
    {SocketState::ChargingReduced, "charging_reduced", "charging at reduced current"},
    {SocketState::Probing, "probing", "probing the vehicle's minimum current"},
    {SocketState::Alternating, "alternating", "alternating: paused until its turn"},
    {SocketState::WaitingForPower, "waiting_for_power", "waiting for power"},
    {SocketState::Suspended, "suspended", "suspended by the grid operator"},
    {SocketState::FallbackSafe, "fallback_safe", "fallback to safe current"},
    {SocketState::LimitedBySchedule, "limited_by_schedule", "limited by an external schedule"},
    {SocketState::Off, "off", "off"},
    {SocketState::Fault, "fault", "fault reported by the station"},
}};
}  // namespace

std::string_view to_string(SocketState s) {
  for (const auto& n : kStates)
    if (n.state == s) return n.code;
  return "unknown";
}

std::string_view describe(SocketState s) {
  for (const auto& n : kStates)
    if (n.state == s) return n.words;
  return "unknown";
}

}  // namespace emsgw::ems
