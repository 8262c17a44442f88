#pragma once
// The site as the allocator sees it: limits, stations, sockets, policies. Plain data with units in
// the names; the TOML loader (gateway/config_loader) fills it, ems::validate() judges it, and the
// web UI and MQTT commands change copies of it and run the same validator before applying them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ems/phase.hpp"

namespace emsgw::ems {

enum class ControlMode { Sockets, Scn };
enum class ChargeMode { Off, Now, MinPv, Pv };
enum class HeatPumpPriority { EvFirst, HeatPumpFirst };

[[nodiscard]] std::string_view to_string(ControlMode m);
[[nodiscard]] std::string_view to_string(ChargeMode m);
[[nodiscard]] std::string_view to_string(HeatPumpPriority p);
[[nodiscard]] std::optional<ControlMode> parse_control_mode(std::string_view s);
[[nodiscard]] std::optional<ChargeMode> parse_charge_mode(std::string_view s);
[[nodiscard]] std::optional<HeatPumpPriority> parse_heatpump_priority(std::string_view s);

/// IEC 61851: a socket is offered 0 A (paused) or at least this much.
inline constexpr double kIecMinimumCurrentA = 6.0;
/// Alfen SCN limits (guide §2).
inline constexpr int kMaxSockets = 128;
inline constexpr int kMaxSocketId = 128;
inline constexpr int kMinAlternatingPeriodS = 60;
inline constexpr int kMaxAlternatingPeriodS = 36000;

struct SocketConfig {
  int id = 0;                 ///< SCN-SocketID: 0..128, unique; lower = paused first when alternating.
  int unit = 1;               ///< The socket on its station (Alfen: Modbus unit 1 or 2; the brand's driver checks it).
  double max_current_a = 0;   ///< Connector-MaxCurrent, per phase.
  double safe_current_a = 6;  ///< What the station draws on its own when emsgw is gone (1212).
  PhaseMapping phase_mapping;
  ChargeMode mode = ChargeMode::Now;
};

struct StationConfig {
  std::string name;
  std::string circuit;           ///< The [[circuit]] it hangs from; "" = directly under the grid connection.
  double max_current_a = 0;      ///< Station-MaxCurrent: both sockets together, per phase.
  bool phase_switching = false;  ///< "Allow 1- and 3-phases charging" is ticked on the station.
  std::vector<SocketConfig> sockets;
};

/// A node of the tree of limits below the grid connection: a sub-circuit or a charger board with a
/// per-phase current limit and/or a power limit, optionally metered (ems/circuits.hpp).
struct CircuitConfig {
  std::string name;
  std::string parent;        ///< "" = directly under the grid connection
  double max_current_a = 0;  ///< per phase; 0 = no current limit
  double max_power_w = 0;    ///< all phases together; 0 = no power limit
  double margin_a = 0.5;     ///< kept below max_current_a
  /// Name of the meter measuring everything below this node; "" = unmetered (a dedicated charger
  /// board: only the EVs below count).
  std::string meter;
};

/// Surplus (PV) charging policy for modes `pv` and `minpv`.
struct SurplusConfig {
  double start_surplus_w = 1400;   ///< Export needed before a `pv` socket starts (≈ 6 A × 230 V).
  double stop_surplus_w = 0;       ///< A `pv` socket stops when the surplus stays below this…
  double start_delay_s = 60;       ///< …for this long (start) …
  double stop_delay_s = 180;       ///< …or this long (stop).
  double nominal_voltage_v = 230;  ///< Converts surplus watts to amps per phase.
};

/// Automatic 1/3-phase switching, for stations with phase_switching = true.
struct PhaseSwitchConfig {
  bool enabled = true;
  double min_interval_s = 600;  ///< Minimum time between two switches of one socket.
  double hysteresis_w = 500;    ///< Extra surplus needed to go back up to three phases.
  double pause_s = 10;          ///< Pause (0 A) before writing 1215 (alfen-modbus.md §4.6).
  double settle_s = 5;          ///< Wait after writing 1215 before resuming.
};

/// The heat pump as a flexible consumer (SG-Ready boost on surplus).
struct HeatPumpPolicy {
  bool enabled = false;
  double boost_surplus_w = 2000;  ///< Surplus that asks for SG-Ready state 3 ("recommended on").
  double force_surplus_w = 0;     ///< Surplus for state 4 ("forced on"); 0 = never force.
  double min_switch_interval_s = 600;
  HeatPumpPriority priority = HeatPumpPriority::EvFirst;
};

struct SiteConfig {
  std::string name;
  double grid_max_current_a = 0;  ///< Per phase at the point of interconnection.
  int grid_phases = 3;
  bool meter_includes_chargers = true;
  /// false: no grid meter (a static budget): the grid limit bounds the chargers alone, only the EVs
  /// count, and there is no meter to go stale.
  bool grid_metered = true;
  double safety_margin_a = 1.0;
  ControlMode control = ControlMode::Sockets;
  int alternating_period_s = 900;
  double meter_stale_after_s = 5;
  double station_stale_after_s = 10;  ///< A station silent this long counts at its safe current.
  double pv_stale_after_s = 30;       ///< Stale PV stops surplus-only charging.
  double min_current_a = kIecMinimumCurrentA;
  double probing_current_a = 14;  ///< Chameleon-MinCurrent (guide §2).
  double probing_time_s = 60;
  double ev_response_time_s = 5;  ///< IEC 61851 gives the EV 5 s to follow a lower limit.
  double raise_deadband_a = 1;    ///< Raises smaller than this are held back; cuts never are.
  std::string scn_name;           ///< Alfen SCN-NetworkName (control = "scn").
  std::string scn_station;        ///< Station that speaks for the SCN (control = "scn").
  std::vector<StationConfig> stations;
  std::vector<CircuitConfig> circuits;  ///< The tree of limits below the grid connection.
  SurplusConfig surplus;
  PhaseSwitchConfig phase_switch;
  HeatPumpPolicy heatpump;
};

/// One finding of a validator: which key, what value it had, which rule it broke. Keys are paths
/// such as "station[0].socket[1].safe_current_a"; the config loader maps them to file:line.
struct ConfigIssue {
  std::string key;
  std::string value;
  std::string rule;
  friend bool operator==(const ConfigIssue&, const ConfigIssue&) = default;
};

/// Checks every rule of design.md §2.7 and the Alfen guide's ranges. Returns all findings at once;
/// an empty vector means the configuration may be used. A station brand's own rules (Alfen: units
/// 1 and 2, at most two sockets) are its driver's, checked by the gateway's validator.
[[nodiscard]] std::vector<ConfigIssue> validate(const SiteConfig& site);

/// Key path helpers shared by validators and the loader.
[[nodiscard]] std::string station_key(std::size_t station);
[[nodiscard]] std::string socket_key(std::size_t station, std::size_t socket);

}  // namespace emsgw::ems
