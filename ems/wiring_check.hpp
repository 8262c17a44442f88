#pragma once
// Automatic wiring check (the guide's note to its commissioning steps: an EV drawing on L1 while the
// meter rises on another phase means a wiring fault). Each clear single-phase current step of one
// socket — the socket steady before and after, every other socket steady — is matched against the
// grid phase that moved with it. When a socket's steps keep showing on a grid phase other than the
// one its phase_mapping names, the check reports it with the evidence. Household load that changes
// at the same moment spoils a step: such steps are not counted rather than counted wrong.
//
// Pure: samples come in with their time; nothing is read here. 3-phase steps are not used (they move
// every phase and cannot tell a rotation apart).

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ems/phase.hpp"
#include "ems/time.hpp"

namespace emsgw::ems {

struct WiringSocketSample {
  int id = 0;
  PhaseMapping mapping;
  std::array<double, kPhaseCount> current_a{};  ///< per station phase, as the station measures
  bool valid = false;
};

struct WiringFinding {
  int socket_id = 0;
  Phase configured = Phase::L1;
  Phase observed = Phase::L1;
  int steps_seen = 0;         ///< usable steps of this socket
  int steps_on_observed = 0;  ///< of which showed on `observed`
  std::string text;           ///< "socket 2 appears to load grid L3, configured L1 (3 of 3 steps …)"
};

class WiringCheck {
 public:
  struct Options {
    double min_step_a = 4;       ///< a socket step smaller than this is not evidence
    double steady_a = 1;         ///< spread allowed within a steady window
    Millis window{3000};         ///< length of the before and after windows
    Millis gap{4000};            ///< time between them, for the EV to ramp
    int steps_needed = 3;        ///< steps on the wrong phase before a finding
    double share_needed = 0.75;  ///< …and at least this share of the socket's usable steps
  };
  WiringCheck() : WiringCheck(Options{}) {}
  explicit WiringCheck(Options options) : options_(options) {}

  /// One grid sample (signed per-phase currents, import positive) with the sockets' latest readings.
  void observe(MonoTime t, const std::array<double, kPhaseCount>& grid_a,
               const std::vector<WiringSocketSample>& sockets);

  /// The sockets whose steps say they load another grid phase than configured.
  [[nodiscard]] std::vector<WiringFinding> findings() const;

 private:
  struct Sample {
    MonoTime t;
    std::array<double, kPhaseCount> grid{};
    std::map<int, std::array<double, kPhaseCount>> sockets;
  };
  struct Votes {
    PhaseMapping mapping;
    std::array<int, kPhaseCount> on{};  ///< steps seen on each grid phase
    int steps = 0;
  };
  void evaluate(MonoTime t);

  Options options_;
  std::deque<Sample> samples_;
  std::map<int, Votes> votes_;
  std::optional<MonoTime> quiet_until_;  ///< one step is counted once
};

}  // namespace emsgw::ems
