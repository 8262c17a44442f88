#include "ems/site_snapshot.hpp"

namespace emsgw::ems {

std::optional<Amps> Schedule::limit_at(MonoTime t) const {
  std::optional<Amps> out;
  for (const auto& b : blocks)
    if (t >= b.from && t < b.until && (!out || b.limit < *out)) out = b.limit;
  return out;
}

NodeLimitInForce node_limit_in_force(const std::vector<NodeLimit>& limits, int node) {
  NodeLimitInForce out;
  for (const auto& l : limits) {
    if (l.node != node) continue;
    if (l.current && (!out.current_a || l.current->value() < *out.current_a)) {
      out.current_a = l.current->value();
      out.current_text = &l.current_text;
    }
    if (l.power && (!out.power_w || l.power->value() < *out.power_w)) {
      out.power_w = l.power->value();
      out.power_text = &l.power_text;
    }
  }
  return out;
}

}  // namespace emsgw::ems
