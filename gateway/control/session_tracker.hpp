#pragma once
// Charging sessions, tracked once for the whole product: a session opens when an EV is seen
// connected on a socket whose station answers and reports its energy counter (register 374), and
// ends when the EV is gone. A full EV (Mode 3 C → B while current is still offered: full, or its
// own timer or limit) is an event of the open session. The control loop feeds it once per step;
// the dashboard's session energy and the stored sessions both come from it.
//
// Pure: it reads no clock and no device; the caller passes the time of the step.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ems/time.hpp"

namespace emsgw::gateway {

/// One socket as seen at one step.
struct SocketObservation {
  int id = 0;
  bool online = false;  ///< the station answers; a silent station says nothing about the EV
  bool ev_connected = false;
  std::optional<double> energy_wh;  ///< the station's lifetime energy counter
  std::string mode3;                ///< "A", "B1", "C2", … ("" unknown)
  double offered_a = 0;             ///< the set-point handed over for it
};

enum class SessionEventKind {
  Started,  ///< an EV connected (or was found connected)
  Ended,    ///< the EV left
  EvFull,   ///< the EV stopped charging by itself while current was offered
};

struct SessionEvent {
  SessionEventKind kind = SessionEventKind::Started;
  int socket_id = 0;
  ems::WallTime at{};
  /// Started: false when the EV was already connected the first time the socket was seen (it was
  /// not seen arriving).
  bool seen_arriving = true;
  double start_energy_wh = 0;       ///< the counter when the session started
  std::optional<double> energy_wh;  ///< the counter at the event (the newest known)
};

struct Session {
  int socket_id = 0;
  ems::WallTime start{};
  double start_energy_wh = 0;
  std::optional<double> counter_wh;  ///< newest counter known
};

class SessionTracker {
 public:
  /// Observes every socket at `now`; returns what happened, in order.
  std::vector<SessionEvent> observe(ems::WallTime now, const std::vector<SocketObservation>& sockets);

  /// A session left open by the previous run (from storage), before the first observation: if the
  /// EV is still connected it goes on with its stored start and start counter (no Started event),
  /// so its energy counts from where it began and never restarts at 0; if the EV is gone, the
  /// first observation ends it.
  void resume(int socket_id, ems::WallTime start, double start_energy_wh);

  /// The open sessions by socket id.
  [[nodiscard]] std::map<int, Session> open() const;
  /// Energy of the open session on `socket_id` given the counter `counter_wh` (nullopt without an
  /// open session or a counter).
  [[nodiscard]] std::optional<double> energy_wh(int socket_id, std::optional<double> counter_wh) const;

 private:
  struct Memo {
    bool open = false;
    ems::WallTime start{};
    double start_energy_wh = 0;
    std::optional<double> counter_wh;
    std::string last_mode3;
  };
  std::map<int, Memo> sockets_;
};

}  // namespace emsgw::gateway
