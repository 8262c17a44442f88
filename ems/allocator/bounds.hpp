#pragma once
// Stage 6: per occupied socket its mode, phase switching, bounds and minimum. Sockets without a
// vehicle, in mode `off`, switching phases, waiting for PV or capped below the IEC minimum get
// their reason and no offer; the others become candidates with [min, max] (the probing current
// while probing), the grid phases they load and whether they share the surplus.

#include <vector>

#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"
#include "ems/allocator/surplus.hpp"

namespace emsgw::ems::allocator {

void socket_bounds(const StepInputs& in, const Surplus& surplus, std::vector<Session>& sessions,
                   std::vector<SocketWork>& work);

}  // namespace emsgw::ems::allocator
