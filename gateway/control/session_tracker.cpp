#include "gateway/control/session_tracker.hpp"

namespace emsgw::gateway {

std::vector<SessionEvent> SessionTracker::observe(ems::WallTime now, const std::vector<SocketObservation>& sockets) {
  std::vector<SessionEvent> out;
  for (const auto& so : sockets) {
    if (!so.online) continue;
    auto [it, first] = sockets_.try_emplace(so.id);
    auto& memo = it->second;
    if (so.energy_wh) memo.counter_wh = so.energy_wh;
    if (so.ev_connected && !memo.open && memo.counter_wh) {
      // An EV already connected the first time the socket is seen was not seen arriving.
      memo.open = true;
      memo.start = now;
      memo.start_energy_wh = *memo.counter_wh;
      out.push_back({SessionEventKind::Started, so.id, now, !first, memo.start_energy_wh, memo.counter_wh});
    } else if (!so.ev_connected && memo.open) {
      memo.open = false;
      out.push_back({SessionEventKind::Ended, so.id, now, true, memo.start_energy_wh, memo.counter_wh});
    }
    // Mode 3 C (charging) → B (connected, not asking) while current is still offered.
    if (memo.open && so.ev_connected && memo.last_mode3.starts_with('C') && so.mode3.starts_with('B') &&
        so.offered_a > 0)
      out.push_back({SessionEventKind::EvFull, so.id, now, true, memo.start_energy_wh, memo.counter_wh});
    if (!so.mode3.empty()) memo.last_mode3 = so.mode3;
  }
  return out;
}

void SessionTracker::resume(int socket_id, ems::WallTime start, double start_energy_wh) {
  auto& memo = sockets_[socket_id];
  if (memo.open) return;
  memo.open = true;
  memo.start = start;
  memo.start_energy_wh = start_energy_wh;
}

std::map<int, Session> SessionTracker::open() const {
  std::map<int, Session> out;
  for (const auto& [id, memo] : sockets_)
    if (memo.open) out[id] = {id, memo.start, memo.start_energy_wh, memo.counter_wh};
  return out;
}

std::optional<double> SessionTracker::energy_wh(int socket_id, std::optional<double> counter_wh) const {
  const auto it = sockets_.find(socket_id);
  if (it == sockets_.end() || !it->second.open || !counter_wh) return std::nullopt;
  return *counter_wh - it->second.start_energy_wh;
}

}  // namespace emsgw::gateway
