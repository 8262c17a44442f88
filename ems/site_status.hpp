#pragma once
// What emsgw sees and decides, as one immutable snapshot per control step. The control loop builds
// it; MQTT telemetry, the web API/dashboard and history read it. Plain data: absent values are
// empty optionals (never zero), units are in the names.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ems/site_config.hpp"
#include "ems/time.hpp"

namespace emsgw::ems {

using PhaseTriple = std::array<std::optional<double>, kPhaseCount>;

/// A text for people in a form an interface can translate: a stable message code and named
/// parameters (numbers as formatted strings, their unit left to the template). The English text
/// goes beside it unchanged. An empty code: nothing but the English text is known.
struct Message {
  std::string code;                                         ///< e.g. "station_offline"; "" = none
  std::vector<std::pair<std::string, std::string>> params;  ///< name → value, e.g. {"station", "carport"}
  friend bool operator==(const Message&, const Message&) = default;
};

struct GridStatus {
  PhaseTriple current_a;  ///< per grid phase, signed: + import, − export
  PhaseTriple power_w;    ///< per grid phase, signed
  PhaseTriple voltage_v;
  std::optional<double> power_w_total;
  std::optional<double> import_wh;  ///< meter register, never decreases in what we publish
  std::optional<double> export_wh;
  std::optional<double> age_s;  ///< age of the newest valid sample
  bool stale = true;
  /// The meter reports currents in steps of this (DSMR 4 and Dutch DSMR 5, TIC: whole amperes, cut
  /// off towards zero; 0 = as measured): the control counts a drawn current one step higher, and
  /// leaves the cars up to that much less than the meter's figure suggests.
  double current_step_a = 0;
};

struct PvStatus {
  bool configured = false;
  std::optional<double> power_w;  ///< production, ≥ 0
  std::optional<double> energy_wh;
  bool stale = true;
};

struct HeatPumpStatus {
  bool configured = false;
  std::optional<double> power_w;
  /// The SG-Ready state in force: 1 blocked, 2 normal, 3 recommended on, 4 forced on (protocols.md
  /// §5.1). With outputs wired it is the state read back from them (0 while unknown); without, the
  /// state emsgw decided.
  int sg_ready_state = 2;
  int sg_ready_requested = 2;     ///< the state emsgw asks for
  bool sg_ready_outputs = false;  ///< SG-Ready outputs are wired and driven
  std::string sg_ready_error;     ///< why the outputs could not be read or written, if so
  /// Why emsgw asks for this state, with SG-Ready control ([heatpump] enabled): "boost on the solar
  /// surplus", "no boost: quarter-hour peak 4.0 kW" (a flex limit left no room for it), …
  std::string reason;
  Message reason_message{};  ///< reason as a message code with parameters
};

/// The quarter-hour capacity peak ([peak]) at this step.
struct PeakStatus {
  WallTime quarter_start{};
  double quarter_energy_wh = 0;    ///< imported so far in this quarter
  bool energy_from_meter = false;  ///< from the meter's running average (DSMR 1-0:1.4.0)
  double projected_average_w = 0;  ///< the quarter's average if the present import goes on
  double target_w = 0;             ///< in force: the setting, or the month's peak when following it
  double month_peak_w = 0;         ///< highest quarter average of the month (own record or 1-0:1.6.0)
  double allowed_import_w = 0;     ///< average import still allowed for the rest of the quarter
};

/// The grid operator's dimming (§14a) at this step.
struct DimmingStatus {
  std::string state = "unlimited";  ///< unlimited, limited, failsafe
  std::optional<double> limit_w;    ///< for the controllable consumers together; empty: not limited
  std::string source;               ///< relay, api, failsafe
  std::optional<WallTime> until;    ///< end of an API limit's duration
  double floor_w = 0;               ///< the guaranteed floor no limit goes below
  std::optional<bool> relay_dim;    ///< the relay contact as applied (unreadable counts as dim); empty: none
};

/// One [[circuit]]: its load against its limits at this step.
struct CircuitStatus {
  std::string name;
  std::string parent;  ///< "" = the grid connection
  bool metered = false;
  bool meter_ok = false;
  /// Per grid phase (A): its meter where it has one (everything below it), else the EVs below it.
  std::array<double, kPhaseCount> load_a{};
  double max_current_a = 0;  ///< per phase; 0: no current limit
  double margin_a = 0;
  double load_w = 0;       ///< Σ load_a × nominal voltage
  double max_power_w = 0;  ///< 0: no power limit
  std::vector<int> binds;  ///< ids of the sockets whose set-point this circuit bounds now
};

/// One weekly window ([[schedule]]) at this step.
struct ScheduleStatus {
  std::string name;
  std::string node;  ///< "" = the grid connection, else a circuit's name
  bool active = false;
  std::string limit;         ///< in words: "10 A", "3.0 kW"
  double max_current_a = 0;  ///< per phase while open; 0: none
  double max_power_w = 0;    ///< all phases together while open; 0: none
};

/// What a person should read on a socket card (alfen-smart-charging.md §4).
enum class SocketState {
  Unknown,            ///< no data from the station
  Available,          ///< no EV
  Connected,          ///< EV connected, not charging, nothing held back
  Charging,           ///< charging at what it asks for
  ChargingReduced,    ///< charging at reduced current (load balancing)
  Probing,            ///< newly connected, learning the EV's minimum
  Alternating,        ///< paused until its turn
  WaitingForPower,    ///< paused: no budget / no surplus
  Suspended,          ///< suspended by the grid operator / a command
  FallbackSafe,       ///< on its safe current (EMS or meter lost)
  LimitedBySchedule,  ///< limited by an external schedule
  Off,                ///< mode off
  Fault,              ///< station reports E/F or an over-current pause
};
[[nodiscard]] std::string_view to_string(SocketState s);  ///< machine form: "charging_reduced"
[[nodiscard]] std::string_view describe(SocketState s);   ///< words: "charging at reduced current"

struct SocketStatus {
  int id = 0;
  std::string station;
  int unit = 1;
  ChargeMode mode = ChargeMode::Now;
  SocketState state = SocketState::Unknown;
  std::string mode3;  ///< IEC 61851 state as the station reports it ("C2"), empty if unknown
  bool ev_connected = false;
  bool charging = false;
  PhaseTriple current_a;  ///< per station phase L1..L3 as measured
  PhaseMapping phase_mapping;
  int phases_in_use = 0;             ///< 0 unknown, 1 or 3
  double setpoint_a = 0;             ///< what emsgw commands now
  std::optional<double> applied_a;   ///< 1206: what the station applies
  std::optional<double> validity_s;  ///< 1208: remaining validity of the set-point
  double max_current_a = 0;
  std::string reason;  ///< machine form of the binding constraint ("grid-l2", "pv-surplus", …; ems::to_string(Reason))
  std::string reason_text;          ///< the same in words, with its detail, until-time and the station's own words
  std::string reason_words;         ///< the reason alone in words (ems::to_words), a key for translations
  std::string reason_detail;        ///< which bound, where the reason alone does not say: "circuit garage-board L2"
  Message reason_detail_message{};  ///< reason_detail as a message code with parameters (bound_message())
  std::optional<double> reason_until_s;    ///< seconds until a timed reason ends (alternating, probing, …)
  std::string station_text;                ///< what the station does of its own accord, in words; empty if nothing
  Message station_message{};               ///< station_text as a message code with parameters
  std::optional<int> reason_socket;        ///< other-minimum: the socket whose minimum took the current
  std::optional<double> reason_minimum_a;  ///< other-minimum: that socket's minimum (A)
  std::string circuit;                     ///< the [[circuit]] its station hangs from; "" = the grid connection
  std::optional<double> session_energy_wh;
  std::optional<double> total_energy_wh;
  bool online = false;
};

struct StationStatus {
  std::string name;
  bool online = false;
  std::string platform;  ///< "NG910"
  std::string firmware;
  std::string serial;
  std::optional<double> max_current_a;  ///< 1100
  std::string fault;                    ///< empty when fine
  std::string circuit;                  ///< the [[circuit]] it hangs from; "" = the grid connection
  /// Set-points found changed by another Modbus master or a station override, and rewritten.
  std::uint64_t foreign_setpoints = 0;
};

struct Fault {
  std::string code;  ///< stable identifier, e.g. "meter_stale", "station_offline:carport"
  std::string text;  ///< for people
  WallTime since{};
  Message message{};  ///< the text as code and parameters, for translation
};

struct SiteStatus {
  std::uint64_t sequence = 0;  ///< increases with every control step
  WallTime time{};
  std::string site_name;
  ControlMode control = ControlMode::Sockets;
  bool degraded = false;
  bool suspended = false;
  std::vector<std::string> degraded_reasons;
  double grid_max_current_a = 0;
  double safety_margin_a = 0;
  std::array<double, kPhaseCount> budget_a{};        ///< per-phase limit after margin and external limits
  std::array<double, kPhaseCount> ev_allocated_a{};  ///< Σ set-points per grid phase
  GridStatus grid;
  PvStatus pv;
  HeatPumpStatus heatpump;
  std::vector<StationStatus> stations;
  std::vector<SocketStatus> sockets;
  std::vector<Fault> faults;
  /// SCN mode: the per-phase budget written to the SCN.
  std::optional<std::array<double, kPhaseCount>> scn_budget_a;
  /// SCN mode: what bound that budget, machine form ("grid-l1", "dimming", "peak-limit", …).
  std::string scn_reason;
  std::optional<PeakStatus> peak;       ///< with [peak] and a grid reading
  DimmingStatus dimming;                ///< the grid operator's dimming
  std::vector<CircuitStatus> circuits;  ///< one per [[circuit]], config order
  /// One per [[schedule]], config order.
  std::vector<ScheduleStatus> schedules;
};

}  // namespace emsgw::ems
