#pragma once
// A DSMR P1 emitter (simulated smart meter): builds DSMR 5 (or Fluvius) telegrams with a correct
// CRC-16/ARC from a settable state and sends them to TCP clients (like a P1 network dongle) and/or
// to a pseudo-terminal (like a serial P1 cable), at a fixed interval. It can inject CRC errors,
// truncated telegrams and garbage. CMake target: emsgw_p1_sim; executable `emsgw-sim-p1`.
//
//   P1Emitter p1(clock, {.interval_ms = 1000});
//   int port = *p1.start_tcp("127.0.0.1", 0);
//   p1.set_currents({10, -6, 0});     // signed: − = export (the telegram prints magnitudes)
//   p1.inject(P1Fault::CrcError);     // the next telegram carries a wrong CRC

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ems/result.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers::sim {

struct P1State {
  std::array<double, 3> current_a{0.0, 0.0, 0.0};  ///< signed: + import, − export
  std::array<double, 3> voltage_v{230.0, 230.0, 230.0};
  double import_t1_kwh = 1000.0;
  double import_t2_kwh = 2000.0;
  double export_t1_kwh = 300.0;
  double export_t2_kwh = 400.0;
  /// The running quarter-hour average demand (1-0:1.4.0, kW) and the month's peak (1-0:1.6.0, kW)
  /// a Fluvius meter sends; not sent while empty.
  std::optional<double> demand_quarter_kw;
  std::optional<double> demand_month_peak_kw;
};

enum class P1Flavour { Dsmr5, Fluvius, Dsmr4IntegerAmps };
enum class P1Fault { None, CrcError, Truncate, Garbage };

/// A telegram for `s` at wall time `t` (local time rendered as CET/CEST by the W/S flag: winter only here).
[[nodiscard]] std::string make_p1_telegram(const P1State& s, ems::WallTime t, P1Flavour flavour);

struct P1EmitterOptions {
  int interval_ms = 1000;  ///< DSMR 5: 1 s; DSMR 4: 10 s
  P1Flavour flavour = P1Flavour::Dsmr5;
  int crc_error_every = 0;  ///< every Nth telegram (1-based) carries a wrong CRC; 0: never
  int truncate_every = 0;   ///< every Nth telegram is cut in half
  int garbage_every = 0;    ///< every Nth telegram is preceded by garbage
};

class P1Emitter {
 public:
  P1Emitter(const ems::Clock& clock, P1EmitterOptions options);
  ~P1Emitter();
  P1Emitter(const P1Emitter&) = delete;
  P1Emitter& operator=(const P1Emitter&) = delete;

  /// Listens on TCP (port 0: ephemeral) and starts sending; returns the port.
  Result<int, std::string> start_tcp(const std::string& bind_address, int port);
  /// Creates a pty and starts sending to it; returns the slave path a reader opens.
  Result<std::string, std::string> start_pty();
  void stop();

  void set_state(const P1State& s);
  [[nodiscard]] P1State state() const;
  void set_currents(const std::array<double, 3>& current_a);
  /// The next `count` telegrams carry this fault.
  void inject(P1Fault fault, int count = 1);
  [[nodiscard]] std::uint64_t telegrams_sent() const { return sent_.load(); }
  [[nodiscard]] int client_count() const { return clients_.load(); }

 private:
  void ensure_thread();
  void loop();
  std::string next_bytes();
  const ems::Clock& clock_;
  P1EmitterOptions options_;
  mutable std::mutex mu_;
  P1State state_;
  std::vector<P1Fault> faults_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<int> clients_{0};
  int listen_fd_ = -1;
  int pty_master_ = -1;
  int pty_slave_ = -1;
  int wake_[2] = {-1, -1};
};

}  // namespace emsgw::drivers::sim
