#pragma once
// The site status published after each step (ems::SiteStatus): what the allocation decided, what
// the devices report, the sessions and the faults in force, in the words the dashboard and MQTT
// show. Pure: the caller passes the time of the step.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/quarter_peak.hpp"
#include "ems/site_status.hpp"
#include "gateway/control/session_tracker.hpp"
#include "gateway/control/site_inputs.hpp"

namespace emsgw::gateway {

/// The heat pump's SG-Ready outputs as read back by their worker (the status shows this state, not
/// the one asked for). `state`: 1…4 (protocols.md §5.1), nullopt while unknown.
struct SgReadyApplied {
  std::optional<int> state;
  std::string error;
};

struct StatusInputs {
  const Config& config;
  const SiteInputs& site;
  const ems::Allocation& allocation;
  const std::map<int, double>& desired;  ///< socket id → amps handed over
  const SessionTracker& sessions;
  std::vector<ems::Fault> faults;          ///< in force
  std::optional<SgReadyApplied> sg_ready;  ///< when the SG-Ready outputs are wired
  std::uint64_t sequence = 0;
  ems::MonoTime now{};
  ems::WallTime wall{};
};

[[nodiscard]] std::shared_ptr<ems::SiteStatus> build_status(const StatusInputs& in);
/// The quarter-hour peak's figures for the status.
[[nodiscard]] ems::PeakStatus peak_status(const ems::QuarterBudget& b);
/// Each [[circuit]]'s load against its limits: its meter where it has one, else the EVs below it.
[[nodiscard]] std::vector<ems::CircuitStatus> circuit_status(const Config& config, const SiteInputs& site,
                                                             const ems::Allocation& allocation);

/// Why a socket has its set-point, in words ("limited by grid phase L1").
[[nodiscard]] std::string reason_words(ems::Reason r);
/// An IEC 61851 Mode 3 state as stations report it ("A", "B1" … "F") in words; every state a
/// station can report has words, anything else is named as unknown.
[[nodiscard]] std::string mode3_words(std::string_view mode3);
/// What the station itself does to a socket, in words, when it is not what emsgw asked: a fault
/// (E, F: "station fault (F): …"), a pause of its own while it holds emsgw's set-point (an
/// over-current pause, "paused by the station: …"), a lower limit of its own, or emsgw's set-point
/// not used (1214 = 0). Empty when the station does what emsgw asked.
[[nodiscard]] std::string station_state_words(const SocketSample& s);
/// The same as a message code with parameters (empty code when the words are empty).
[[nodiscard]] ems::Message station_state_message(const SocketSample& s);
/// The state shown for a socket given the reason of its set-point and its newest sample.
[[nodiscard]] ems::SocketState state_for(ems::Reason r, const SocketSample* s, int current_a);

}  // namespace emsgw::gateway
