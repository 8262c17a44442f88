#pragma once
// The seam between the control side and a charging station, made of small capabilities: reading
// its state, writing a socket's set-point, switching phases, writing an SCN per-phase budget. A
// brand's driver implements them (drivers/alfen/alfen_station_device.hpp); tests use fakes. Every
// call blocks on the network and runs only on the station's own worker thread.

#include <array>
#include <functional>
#include <string>

#include "drivers/charger/station_sample.hpp"

namespace emsgw::drivers {

/// Reads the station's state.
class StateReader {
 public:
  virtual ~StateReader() = default;
  /// Reads identification (first time), status and every socket; never throws.
  virtual StationSample poll() = 0;
  /// The same, calling `between` after each read request so that urgent writes (cuts) go out on
  /// the same connection without waiting for the whole poll (design.md §4: a poll never delays a
  /// cut). The default reads in one go.
  virtual StationSample poll_interleaved(const std::function<void()>& between) {
    (void)between;
    return poll();
  }
  /// Called from another thread when a cut is waiting: a poll_interleaved in progress calls its
  /// `between` as soon as it can — while a request still waits for its reply, where the link
  /// carries several requests at once. Never blocks. The default does nothing (`between` then runs
  /// after the current read).
  virtual void interrupt_poll() {}
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// Writes a socket's set-point.
class SetpointWriter {
 public:
  virtual ~SetpointWriter() = default;
  /// Writes a socket set-point (amps per phase) and confirms it by read-back.
  virtual WriteOutcome write_current(int unit, double amps) = 0;
};

/// Switches a socket between 1 and 3 phases.
class PhaseSwitcher {
 public:
  virtual ~PhaseSwitcher() = default;
  virtual WriteOutcome write_phases(int unit, int phases) = 0;
};

/// Writes the per-phase budget of a network of sockets (an Alfen SCN) and confirms it.
class ScnBudget {
 public:
  virtual ~ScnBudget() = default;
  virtual WriteOutcome write_scn(const std::array<double, 3>& amps) = 0;
};

/// One station as a station worker drives it: every capability above.
class StationDevice : public StateReader, public SetpointWriter, public PhaseSwitcher, public ScnBudget {};

}  // namespace emsgw::drivers
