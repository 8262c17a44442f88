#pragma once
// The EV behaviour lab: a closed loop on virtual time. The real ControlLoop (with the allocator),
// the real StationWorkers (actuation: cut first, refresh, leases) and the real Alfen driver run
// against in-process Alfen station simulators whose EVs follow ev_model.hpp, and a simulated grid
// meter (household load, PV, noise, delayed sampling). A ManualClock moves in 100 ms ticks, so an
// hour of site time takes well under a second of CPU.
//
// The scenario format is described in tests/lab/README.md. Each run measures the KPIs below on
// the physical truth of the simulation (what the EVs draw, what the fuse carries), not on what
// emsgw believes.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace emsgw::lab {

struct Kpis {
  double overload_as = 0;        ///< A·s above the fuse beyond the EV response window (all phases)
  double utilisation = 1;        ///< EV current / headroom while demand exceeds supply (1 if never)
  double constrained_s = 0;      ///< phase-seconds in which utilisation was measured
  int onoff_per_period = 0;      ///< most counted on/off transitions of one socket in one alternating period
  double onoff_per_hour = 0;     ///< all on/off transitions (events included), per socket per hour, worst socket
  int onoff_total = 0;           ///< all on/off transitions, all sockets
  double writes_per_10s = 0;     ///< set-point changes per socket per 10 s in steady state, worst socket
  double steady_s = 0;           ///< seconds counted as steady state
  double wait_fit_s = 0;         ///< longest wait of an asking EV whose minimum fitted a fair share
  double wait_any_s = 0;         ///< longest wait of an asking EV (fitting or not)
  double plug_to_current_s = 0;  ///< longest plug-in → first current (≥ 1 A)
  double jain = 1;               ///< lowest Jain index over the scenario's fairness groups
  double energy_kwh = 0;         ///< delivered to all EVs
  int interruptions = 0;         ///< counted by the EV models
  int gave_up = 0;               ///< EV models that gave up
  /// Largest under-read of the non-EV load (A): the truth's least value over the meter's latency
  /// before a step, less emsgw's estimate at that step, less four times the meter noise's σ; every
  /// ampere of it is handed to the cars without being there (design.md §2.1).
  double under_read_a = 0;
};

/// Bounds every scenario must meet (design.md §4; a scenario may only tighten them).
struct Bounds {
  double overload_as = 0;
  double utilisation = 0.95;
  int onoff_per_period = 1;
  double writes_per_10s = 1;
  double wait_fit_s = 10;
  double wait_any_s = 0;  ///< 0: one alternating period + wait_fit_s
  double jain = 0.99;
  int gave_up = 0;
  double under_read_a = 1;  ///< the site's usual margin
};

struct LabResult {
  std::string name;
  Kpis kpis;
  Bounds bounds;
  std::vector<std::string> violations;  ///< one line per KPI beyond its bound
  std::string notes;                    ///< longest waits and transitions, for diagnosis
  double cpu_s = 0;
  double site_s = 0;
};

/// Runs one scenario (a parsed JSON file). Throws std::invalid_argument naming key and rule on a
/// malformed scenario.
[[nodiscard]] LabResult run_lab_scenario(const nlohmann::json& scenario, const std::string& name);

/// Every scenario file in `dir` (sorted by name).
[[nodiscard]] std::vector<std::string> lab_scenario_files(const std::string& dir);

/// The KPI table, one row per result.
[[nodiscard]] std::string kpi_table(const std::vector<LabResult>& results);

}  // namespace emsgw::lab
