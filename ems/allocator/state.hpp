#pragma once
// What the allocator keeps between steps: the sockets indexed from the configuration and, per
// socket, the session memory (probing, detected phase use, the EV's minimum, the alternating
// rotation, PV start/stop timers, phase-switch timers, previous set-points for cut-fast /
// raise-slow), plus the site-level rotation period and the heat pump's SG-Ready state.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/circuits.hpp"
#include "ems/site_config.hpp"
#include "ems/time.hpp"

namespace emsgw::ems::allocator {

/// One configured socket: where it sits in the configuration and whether it may switch phases.
struct SocketRef {
  int id = 0;
  std::size_t station = 0;
  std::size_t socket = 0;        ///< Index in its station's sockets.
  bool phase_switching = false;  ///< Station allows it, policy enabled, 3-phase mapping.
  /// The circuits it hangs below (indices into SiteConfig::circuits), innermost first.
  std::array<std::size_t, kMaxCircuitDepth> circuits{};
  std::size_t circuit_count = 0;
  /// "socket 2 (garage left)": its id and station, and the side on a station with two sockets.
  std::string words;
};

/// One configured circuit, resolved once: the sockets below it and the words naming its limits.
struct CircuitRef {
  std::vector<std::size_t> sockets;                  ///< Positions in SocketIndex::sockets.
  std::array<double, kPhaseCount> safe_current{};    ///< Σ safe currents below it per grid phase.
  std::array<std::string, kPhaseCount> phase_words;  ///< "circuit garage-board L2"
  std::string power_words;                           ///< "circuit garage-board 11000 W"
};

/// The configured sockets in configuration order, and socket id → position.
struct SocketIndex {
  std::vector<SocketRef> sockets;
  std::array<int, kMaxSocketId + 1> index_of_id{};
  std::vector<CircuitRef> circuits;  ///< Parallel to SiteConfig::circuits.

  /// Position of the socket with this id, or -1.
  [[nodiscard]] int find(int id) const {
    return id < 0 || id > kMaxSocketId ? -1 : index_of_id[static_cast<std::size_t>(id)];
  }
};
[[nodiscard]] SocketIndex index_sockets(const SiteConfig& site);

enum class Rotation : std::uint8_t { None, Active, Waiting };
enum class SwitchStage : std::uint8_t { None, Pausing, Settling };

/// Per socket memory of the current charging session and of what the station was told.
struct Session {
  bool occupied = false;   ///< Occupied at the last step with a known state.
  bool seen_free = false;  ///< Seen without a vehicle: a later connection is a new session.
  std::optional<MonoTime> probing_until;
  bool drew_while_probing = false;
  bool drew_at_probing_current = false;      ///< Drew while offered the probing current, in its window or not.
  std::optional<MonoTime> probing_offer_at;  ///< Last offered at least the probing current.
  /// Its probing window passed without the probing current going out (no room for it), and it has
  /// not drawn since: judged on its draw at a low offer whether it asks or not.
  bool probe_owed = false;
  /// Its probing window passed without a draw; its phases are still unknown: admitted before the
  /// others (at its minimum) until it draws (see track_sessions).
  bool unprobed = false;
  std::optional<MonoTime> in_force_since;  ///< While unprobed: its minimum in force since.
  bool needs_probing_current = false;
  std::optional<MonoTime> low_offer_since;  ///< Offered below the probing current since.
  int ev_phases = 0;                        ///< 0 unknown, else 1 or 3.
  /// Station phases seen drawing this session (bit j: station phase j + 1), where measured: a car
  /// seen on two phases only (a 2-phase on-board charger) loads those two, not the third.
  unsigned ev_phase_mask = 0;
  int setpoint_a = -1;             ///< Previous set-point; -1 = none yet.
  int phases_set = 3;              ///< Phases the station is set to.
  std::optional<MonoTime> cut_at;  ///< Last unconfirmed cut.
  int settled_a = -1;              ///< Set-point when no cut was pending; raises above it wait while one is.
  Rotation rotation = Rotation::None;
  MonoTime rotation_since{};
  /// Waiting since (the rotation's order among the waiting): a turn in which it never drew (a car
  /// that needs more than it was offered to start) does not end its wait.
  std::optional<MonoTime> waiting_since;
  bool drew_in_turn = false;          ///< Drew at some step since its turn began.
  std::optional<MonoTime> paused_at;  ///< Last paused by the rotation while its current was in force.
  /// When it was left out with its current in force this session (any cause: the rotation, another
  /// car's probing), the last kInterruptionWindowS only.
  std::vector<MonoTime> interrupted_at;
  /// How often it was left out with its current in force since `from`.
  [[nodiscard]] int interruptions_since(MonoTime from) const {
    return static_cast<int>(
        std::count_if(interrupted_at.begin(), interrupted_at.end(), [&](MonoTime t) { return t >= from; }));
  }
  bool pv_on = false;
  std::optional<MonoTime> pv_condition_since;
  SwitchStage switch_stage = SwitchStage::None;
  int switch_target = 3;
  MonoTime switch_stage_until{};
  std::optional<MonoTime> last_switch_at;
  std::optional<MonoTime> switch_condition_since;
  /// Connected, drawing nothing and not asking (Mode 3 B) although offered what it needs: parked
  /// at 0 A until it asks again (C) or draws.
  bool not_asking = false;
  std::optional<MonoTime> not_asking_since;
  /// Last seen asking (Mode 3 C1) while paused: a B after it is the car being done.
  bool asked_while_paused = false;
  /// Last seen drawing while asking (Mode 3 C2): a B after it is the car being done.
  std::optional<MonoTime> drew_asking_at;
  /// Parked for that without having been offered current: it rejoins at its turn.
  std::optional<MonoTime> parked_unoffered_at;
  /// Parked asleep in a rotation's pause: it keeps its place among the waiting (judge_not_asking).
  [[nodiscard]] bool parked_asleep_waiting() const {
    return not_asking && parked_unoffered_at && rotation == Rotation::Waiting;
  }
  /// Drew steadily while offered less than the probing current: never judged to need it.
  bool drew_below_probing = false;
  std::optional<MonoTime> below_probing_draw_since;
  /// Learned limit of an EV drawing clearly less than offered (0: none); the rest goes to others.
  int ev_cap_a = 0;
  std::optional<MonoTime> under_draw_since;
  double under_draw_low = 0, under_draw_high = 0;  ///< The draw's range since under_draw_since.
  int under_draw_samples = 0;
};

/// The heat pump's SG-Ready state and when it last changed (for its minimum switch interval).
struct HeatPumpState {
  SgReadyState state = SgReadyState::Normal;
  std::optional<MonoTime> changed_at;
};

/// Everything the allocator carries from one step to the next.
struct AllocatorState {
  std::vector<Session> sessions;           ///< Parallel to SocketIndex::sockets.
  std::optional<MonoTime> rotation_until;  ///< End of the current alternating period.
  HeatPumpState heatpump;
};

}  // namespace emsgw::ems::allocator
