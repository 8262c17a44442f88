#pragma once
// SiteSnapshot: everything the allocator needs for one control step, as values. The runtime builds
// one per step from the latest driver readings (each with the instant it was measured) and the
// commands in force; the allocator judges ages itself against SiteConfig's *_stale_after_s.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/phase.hpp"
#include "ems/site_config.hpp"
#include "ems/time.hpp"
#include "ems/units.hpp"

namespace emsgw::ems {

/// IEC 61851 Mode 3 state of a socket as the station reports it (alfen-modbus.md, 1201).
enum class ConnectorState : std::uint8_t {
  Unknown,    ///< Not reported or not understood: counts at its limit (design.md §2.2).
  Available,  ///< A: no vehicle.
  Connected,  ///< B: vehicle connected, not drawing (or paused).
  Charging,   ///< C/D: vehicle connected and asking for current.
  Fault,      ///< E/F: error; offered nothing.
};

/// Grid meter at the point of interconnection: current per grid phase, signed, + = import.
struct GridReading {
  std::array<Amps, kPhaseCount> current{};
  /// The meter's newest reading itself, where `current` was made conservative for the non-EV
  /// estimate (absent: `current` is the reading).
  std::optional<std::array<Amps, kPhaseCount>> measured;
  MonoTime measured_at{};
  bool valid = false;  ///< false: no reading yet, or the driver rejected it.
};

/// A power reading (PV production ≥ 0, heat-pump consumption ≥ 0).
struct PowerReading {
  Watts power{};
  MonoTime measured_at{};
  bool valid = false;
};

/// One block of a time-block schedule (OCPP-like charging profile): `limit` per phase applies
/// in [from, until).
struct ScheduleBlock {
  MonoTime from{};
  MonoTime until{};
  Amps limit{};
};

/// A time-block schedule. Where blocks overlap the lowest limit wins.
struct Schedule {
  std::vector<ScheduleBlock> blocks;
  /// The limit in force at `t`, if any block covers it.
  [[nodiscard]] std::optional<Amps> limit_at(MonoTime t) const;
};

/// A limit in force on one node of the tree of limits (a weekly window of the configuration, which
/// the runtime evaluates at the box's local time). It only ever lowers the node's own limits: the
/// node's margin stays, and where several are in force on one node the lowest of each kind wins.
struct NodeLimit {
  int node = 0;                 ///< 0: the grid connection; i + 1: SiteConfig::circuits[i].
  std::optional<Amps> current;  ///< Per phase.
  std::optional<Watts> power;   ///< All phases together.
  std::string current_text;     ///< Names it in reasons: "schedule night-contract 10 A".
  std::string power_text;       ///< "schedule night-contract 3.0 kW".
};

/// The lowest of the limits in force on one node, each with the words that name it.
struct NodeLimitInForce {
  std::optional<double> current_a;
  const std::string* current_text = nullptr;
  std::optional<double> power_w;
  const std::string* power_text = nullptr;
};
[[nodiscard]] NodeLimitInForce node_limit_in_force(const std::vector<NodeLimit>& limits, int node);

struct SocketSnapshot {
  int id = 0;              ///< SocketConfig::id.
  bool reachable = false;  ///< The station answered its last poll.
  ConnectorState state = ConnectorState::Unknown;
  /// Measured current per *station* phase (index 0 = station L1); the socket's PhaseMapping
  /// translates them to grid phases.
  std::array<Amps, kPhaseCount> current{};
  MonoTime measured_at{};
  bool measured_valid = false;
  /// Phases the EV uses, when known from outside (e.g. ISO 15118); otherwise detected.
  std::optional<int> ev_phases;
  /// The EV's own maximum current per phase, when known.
  std::optional<Amps> ev_max_current;
  double energy_wh = 0;  ///< Session energy, for explanation only.
  /// Charge mode chosen at run time (MQTT, web UI); empty = SocketConfig::mode.
  std::optional<ChargeMode> mode;
  /// External per-socket limit per phase (e.g. an OCPP TxProfile value in force).
  std::optional<Amps> limit;
  /// External per-socket schedule.
  Schedule schedule;
};

/// A limit on the power of the flexible loads (the EVs) from outside the fuse tree: the
/// quarter-hour capacity peak's budget or the grid operator's dimming. All sockets share it.
struct FlexLimit {
  Watts power{};
  Reason reason = Reason::PeakLimit;  ///< PeakLimit or Dimming.
  std::string text;                   ///< Names the limit: "quarter-hour peak 4.0 kW".
};

struct SiteSnapshot {
  MonoTime now{};
  GridReading grid;
  PowerReading pv;
  /// A PV meter is configured. Without one the surplus is the grid meter's export (plus what the
  /// surplus-mode EVs draw) alone; with one, it is also bounded by the production, and a stale PV
  /// reading stops surplus charging.
  bool pv_configured = true;
  PowerReading heatpump;
  /// One entry per configured socket (matched by id). A configured socket that is missing here
  /// counts as unknown: reserved at its limit, offered its safe current.
  std::vector<SocketSnapshot> sockets;
  /// External limit on the total EV current per grid phase (e.g. OCPP ChargePointMaxProfile).
  std::optional<std::array<Amps, kPhaseCount>> site_limit;
  /// External schedule on the total EV current per grid phase.
  Schedule site_schedule;
  /// Per configured circuit (SiteConfig::circuits, same order): its meter's current per grid phase,
  /// for metered circuits. Missing or stale for a metered circuit: its sockets share only the safe
  /// currents below it.
  std::vector<GridReading> circuits;
  /// Limits in force on nodes of the tree (weekly windows): they lower the grid connection's or a
  /// circuit's limits, never raise them.
  std::vector<NodeLimit> node_limits;
  /// Power limit on all EVs together (quarter-hour peak, grid operator dimming), if any.
  std::optional<FlexLimit> flex_limit;
  /// Grid operator suspend command: every socket pauses until it is cleared.
  bool suspended = false;
  /// The grid phases where the non-EV load counts a grid rise as the EVs' answer to a raise their
  /// stations have not reported yet (a household step could hide in it): raises on them wait, as
  /// for an unconfirmed cut (on every phase, where a power budget joins the phases).
  std::array<bool, 3> ev_rise_unconfirmed_on{};
  [[nodiscard]] bool ev_rise_unconfirmed() const {
    return ev_rise_unconfirmed_on[0] || ev_rise_unconfirmed_on[1] || ev_rise_unconfirmed_on[2];
  }
};

}  // namespace emsgw::ems
