#pragma once
// Stage 5: the surplus (W) for the surplus modes and the heat pump, and the `pv` mode's
// start/stop rule. Surplus = export at the grid meter + what surplus-mode EVs draw (when the
// meter includes the chargers), + the boosting heat pump's draw when EVs come first (− room for
// the heat pump to start when it comes first), at most the PV production when a PV meter is
// configured. With a PV meter its reading must be fresh and sane; without one the grid meter's
// export alone is the surplus.

#include <vector>

#include "ems/allocation.hpp"
#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"

namespace emsgw::ems::allocator {

struct Surplus {
  bool pv_meter_ok = false;    ///< A PV meter is configured and its reading is fresh and sane.
  bool pv_ok = false;          ///< The surplus can be known (PV meter ok, or none configured).
  double raw_w = 0;            ///< Export + surplus-mode EV draw (0 when !pv_ok).
  double hp_draw_w = 0;        ///< What the boosting heat pump draws (0 when not boosting).
  double ev_w = 0;             ///< Surplus the surplus-mode EVs may share (may be negative).
  double committed_min_w = 0;  ///< Minimum power already committed to surplus-mode sockets.
};

/// Measures the surplus; sets out.surplus and records PvStale in out.degraded when a surplus
/// user exists but the PV reading is not usable.
[[nodiscard]] Surplus measure_surplus(const StepInputs& in, const std::vector<SocketWork>& work,
                                      const std::vector<Session>& sessions, SgReadyState heatpump, Allocation& out);

/// Mode `pv`: starts after the surplus for this socket (what is left beyond the other surplus
/// sockets' minimums) stayed ≥ start_surplus_w for start_delay_s, stops after it stayed below
/// stop_surplus_w for stop_delay_s. Returns whether the socket may charge; otherwise w.reason is
/// PvStale or PvWaiting (with the start time while counting down).
[[nodiscard]] bool pv_start_stop(const StepInputs& in, const Surplus& surplus, double own_min_w, Session& ses,
                                 SocketWork& w);

}  // namespace emsgw::ems::allocator
