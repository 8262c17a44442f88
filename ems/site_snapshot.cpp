#include "ems/site_snapshot.hpp"

namespace emsgw::ems {

std::optional<Amps> Schedule::limit_at(MonoTime t) const {
  std::optional<Amps> out;
  for (const auto& b : blocks)
    if (t >= b.from && t < b.until && (!out || b.limit < *out)) out = b.limit;
  return out;
}

}  // namespace emsgw::ems
