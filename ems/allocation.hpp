#pragma once
// Allocation: the result of one allocator step. Per socket a whole-ampere set-point, its phase
// count and the constraint that bound it (machine readable, with an optional until-time), or in
// SCN mode a per-phase budget for the Alfen SCN; plus the per-phase arithmetic and the site-level
// degradations, so the dashboard and MQTT can explain every number.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ems/phase.hpp"
#include "ems/site_config.hpp"
#include "ems/time.hpp"
#include "ems/units.hpp"

namespace emsgw::ems {

/// Why a set-point has its value. Exactly one per socket: the constraint that bound it.
enum class Reason : std::uint8_t {
  NotConnected,    ///< No vehicle: 0 A.
  ModeOff,         ///< Charge mode `off`: 0 A.
  Suspended,       ///< Grid operator suspend command: 0 A.
  FailSafe,        ///< Grid meter stale or implausible: the socket's safe current.
  StationLost,     ///< Station stale/unreachable: safe current, and its limit stays reserved.
  StateUnknown,    ///< Mode 3 state unknown: safe current, and its limit stays reserved.
  Fault,           ///< Mode 3 state E/F: 0 A.
  GridL1,          ///< Per-phase grid budget on L1.
  GridL2,          ///< … on L2.
  GridL3,          ///< … on L3.
  SiteLimit,       ///< External site limit on the EV total.
  Schedule,        ///< External time-block schedule (site or socket).
  SocketLimit,     ///< External per-socket limit.
  StationMax,      ///< Station-MaxCurrent (both sockets together).
  SocketMax,       ///< Connector-MaxCurrent.
  EvMax,           ///< The EV's own maximum.
  PvSurplus,       ///< Surplus share (modes `pv`, `minpv`).
  PvWaiting,       ///< Mode `pv`: not enough surplus yet (until = start time if counting down).
  PvStale,         ///< Mode `pv`: PV reading stale, surplus-only charging stopped.
  Alternating,     ///< Paused for the alternating period (until = end of the period).
  Probing,         ///< Probing current for a newly connected EV (until = end of probing).
  PhaseSwitching,  ///< Pausing/settling for a 1/3-phase switch (until = end of the stage).
  CircuitL1,       ///< A circuit's current limit on grid phase L1 (detail names the circuit).
  CircuitL2,       ///< … on L2.
  CircuitL3,       ///< … on L3.
  CircuitPower,    ///< A circuit's power limit (detail names the circuit).
  PeakLimit,       ///< The quarter-hour capacity peak's power budget for the flexible loads.
  Dimming,         ///< The grid operator's dimming of the controllable consumers.
  SurplusMinimum,  ///< A surplus mode (`minpv`, or `pv` counting down its stop delay) held at its minimum.
  /// A shared limit filled while another socket below it was held at a minimum above the fair share
  /// (the probing current, or the minimum its EV needs): that minimum took the current this one
  /// lacks (detail and other_socket name it).
  OtherMinimum,
  EvNotAsking,  ///< Connected but not asking for current (full): 0 A, its share goes to the others.
};
/// Machine form: "grid-l2", "pv-surplus", … (status, MQTT, stored decisions, dashboard i18n keys).
[[nodiscard]] std::string_view to_string(Reason r);
/// In words for people: "limited by grid phase L2", … (status reason_text, log lines).
[[nodiscard]] std::string_view to_words(Reason r);
[[nodiscard]] std::optional<Reason> parse_reason(std::string_view s);

struct SocketAllocation {
  int id = 0;
  int current_a = 0;  ///< Set-point per phase, whole amperes, rounded down; 0 or ≥ min current.
  int phases = 3;     ///< Phases the socket is set to (1 or 3; 1215 on switching stations).
  /// The grid phases the allocator counts this set-point on (none while it reserves nothing).
  std::array<bool, kPhaseCount> grid_phases{};
  Reason reason = Reason::NotConnected;
  std::optional<MonoTime> until;
  /// A raise while some cut is not yet confirmed (design.md §2.3): write it only after the cuts
  /// show in the measurements or the EV response time has passed.
  bool wait_for_confirmation = false;
  /// A raise smaller than raise_deadband_a was held back; current_a is the previous set-point.
  bool held_by_deadband = false;
  /// The bound in words where the reason alone does not say which one: "circuit garage-board L2",
  /// "quarter-hour peak 4.0 kW". Empty otherwise.
  std::string detail;
  /// Reason::OtherMinimum: the socket whose minimum took the current, and that minimum (A).
  std::optional<int> other_socket;
  int other_minimum_a = 0;
  /// Reason::OtherMinimum: the bound both sockets share, whose room that minimum took (GridLx,
  /// CircuitLx, …), and its words where the reason alone does not name it ("circuit garage-board L2").
  Reason shared_bound = Reason::NotConnected;
  std::string shared_detail;
};

/// Per grid phase arithmetic of one step (all per phase, amperes).
struct PhaseBudget {
  Amps limit{};                      ///< Grid limit − margin (or the external EV limit, whichever binds).
  Amps non_ev_load{};                ///< Meter − measured EV currents (if the meter includes the chargers), ≥ 0.
  Amps reserved{};                   ///< Held for stale or unknown sockets.
  Amps available{};                  ///< What the sockets may share on this phase (≥ 0).
  Amps allocated{};                  ///< Σ set-points loading this phase.
  Reason bound_by = Reason::GridL1;  ///< GridLx, SiteLimit or Schedule.
};

enum class Degradation : std::uint8_t {
  MeterStale,        ///< Grid meter older than meter_stale_after_s or missing.
  MeterImplausible,  ///< Grid meter NaN or out of range: rejected, treated as stale.
  PvStale,           ///< PV reading stale: surplus-only charging stopped.
  StationStale,      ///< At least one station stale or unreachable.
  SocketStateUnknown,
  Suspended,
  CircuitMeterStale,  ///< A circuit's meter is stale: its sockets share the safe currents below it.
};
[[nodiscard]] std::string_view to_string(Degradation d);

/// SG-Ready states (1 blocked, 2 normal, 3 recommended on, 4 forced on).
enum class SgReadyState : std::uint8_t { Blocked = 1, Normal = 2, Boost = 3, Forced = 4 };

/// SCN mode: per-phase budget for the SCN (registers 1417/1419/1421), whole amperes.
struct ScnBudget {
  std::array<int, kPhaseCount> current_a{};
  Reason reason = Reason::GridL1;
};

/// One circuit of the tree in one step: per grid phase what its sockets may share, and its power.
struct CircuitBudget {
  std::string name;
  bool metered = false;
  bool meter_ok = false;                        ///< Metered and its reading fresh.
  std::array<Amps, kPhaseCount> limit{};        ///< max_current_a − margin_a (0 without a current limit).
  std::array<Amps, kPhaseCount> non_ev_load{};  ///< Its meter − the EVs below it (metered), else 0.
  std::array<Amps, kPhaseCount> reserved{};     ///< Held for stale or unknown sockets below it.
  std::array<Amps, kPhaseCount> available{};    ///< What the sockets below may share (+inf: no current limit).
  Watts power_available{};                      ///< Under max_power_w (+inf: no power limit).
};

struct Allocation {
  MonoTime at{};
  ControlMode control = ControlMode::Sockets;
  std::vector<SocketAllocation> sockets;  ///< Socket mode: one per configured socket, config order.
  std::optional<ScnBudget> scn;           ///< SCN mode only.
  std::array<PhaseBudget, kPhaseCount> phases{};
  Watts surplus{};  ///< Surplus available to EVs in surplus modes (≥ 0).
  SgReadyState heatpump = SgReadyState::Normal;
  /// The flex limit that held back a boost the surplus asked for ("quarter-hour peak 4.0 kW"), else empty.
  std::string heatpump_held_by;
  std::vector<Degradation> degraded;
  std::vector<CircuitBudget> circuits;  ///< One per configured circuit, config order.

  [[nodiscard]] const SocketAllocation* find(int id) const {
    for (const auto& s : sockets)
      if (s.id == id) return &s;
    return nullptr;
  }
  [[nodiscard]] bool is_degraded(Degradation d) const {
    for (auto x : degraded)
      if (x == d) return true;
    return false;
  }
};

}  // namespace emsgw::ems
