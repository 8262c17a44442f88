#pragma once
// A scripted Alfen station for runtime tests: it keeps per-socket set-points with a validity
// countdown on the test's manual clock, falls back to the safe current when it lapses, and
// records every write in order. Scripting: a second master's write (foreign_write), a station
// override (set_override), and a slow poll read in several requests on a manual clock (set_slow).

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "drivers/charger/station_device.hpp"
#include "ems/time.hpp"

namespace emsgw::test {

class FakeStationDevice : public drivers::StationDevice {
 public:
  struct Write {
    int unit;
    double amps;
    ems::MonoTime at;
    bool phases = false;
  };

  FakeStationDevice(const ems::Clock& clock, std::vector<int> units, double validity_s = 60, double safe_a = 6)
      : clock_(clock), validity_s_(validity_s), safe_a_(safe_a) {
    for (int u : units) sockets_[u] = {};
  }

  drivers::StationSample poll() override {
    std::lock_guard lock(mutex_);
    drivers::StationSample s;
    s.at = clock_.mono_now();
    s.started = s.at;
    s.ok = online_;
    if (!online_) {
      s.error = "no answer";
      return s;
    }
    s.platform = "NG920";
    s.firmware = "6.6.0-fake";
    s.station_max_a = 32;
    for (auto& [unit, so] : sockets_) {
      drivers::SocketSample x;
      x.unit = unit;
      x.valid = true;
      x.mode3 = so.mode3;
      x.state = so.state;
      const double left = remaining(so);
      x.validity_s = left;
      x.setpoint_a = left > 0 ? so.setpoint : safe_a_;
      x.applied_a = so.override_a ? so.override_a : x.setpoint_a;
      x.safe_current_a = safe_a_;
      x.accounted = true;
      x.phases = so.phases;
      for (std::size_t p = 0; p < 3; ++p) x.current_a[p] = so.current[p];
      x.energy_wh = so.energy_wh;
      s.sockets.push_back(x);
    }
    return s;
  }

  /// A slow station: the poll is `reads` requests of `per_read` each on `clock`; `on_read(i)` runs
  /// after read i (the control loop acting meanwhile), then the worker's `between`.
  drivers::StationSample poll_interleaved(const std::function<void()>& between) override {
    if (slow_clock_ == nullptr) return poll();
    for (int i = 0; i + 1 < slow_reads_; ++i) {
      slow_clock_->advance(slow_per_read_);
      if (on_read_) on_read_(i);
      between();
    }
    slow_clock_->advance(slow_per_read_);
    return poll();
  }

  drivers::WriteOutcome write_current(int unit, double amps) override {
    if (on_write_) on_write_(unit, amps);
    std::lock_guard lock(mutex_);
    writes_.push_back({unit, amps, clock_.mono_now()});
    drivers::WriteOutcome out;
    if (!online_ || fail_writes_ > 0) {
      if (fail_writes_ > 0) --fail_writes_;
      out.error = "timeout";
      return out;
    }
    auto& so = sockets_[unit];
    if (accept_) {  // a write that is not accepted leaves the set-point and its countdown alone
      so.setpoint = amps;
      so.written_at = clock_.mono_now();
    }
    out.ok = true;
    out.accepted = accept_;
    out.validity_s = accept_ ? validity_s_ : remaining(so);
    out.applied_a = amps;
    return out;
  }

  drivers::WriteOutcome write_scn(const std::array<double, 3>& amps) override {
    std::lock_guard lock(mutex_);
    scn_writes_.push_back(amps);
    drivers::WriteOutcome out;
    out.ok = online_;
    out.accepted = online_;
    out.validity_s = validity_s_;
    return out;
  }

  drivers::WriteOutcome write_phases(int unit, int phases) override {
    std::lock_guard lock(mutex_);
    writes_.push_back({unit, static_cast<double>(phases), clock_.mono_now(), true});
    drivers::WriteOutcome out;
    if (!allow_phase_switching_) {
      out.error = "phase switching not allowed on this station";
      out.permanent = true;
      return out;
    }
    sockets_[unit].phases = phases;
    out.ok = true;
    out.accepted = true;
    return out;
  }

  [[nodiscard]] std::string describe() const override { return "fake station"; }

  // --- scripting ---
  void set_online(bool on) {
    std::lock_guard lock(mutex_);
    online_ = on;
  }
  void set_accept(bool on) {
    std::lock_guard lock(mutex_);
    accept_ = on;
  }
  void fail_next_writes(int n) {
    std::lock_guard lock(mutex_);
    fail_writes_ = n;
  }
  void plug(int unit, ems::ConnectorState state, std::string mode3, std::array<double, 3> current) {
    std::lock_guard lock(mutex_);
    auto& so = sockets_[unit];
    so.state = state;
    so.mode3 = std::move(mode3);
    so.current = current;
  }
  /// Another Modbus master writes 1210 (its validity restarts).
  void foreign_write(int unit, double amps) {
    std::lock_guard lock(mutex_);
    auto& so = sockets_[unit];
    so.setpoint = amps;
    so.written_at = clock_.mono_now();
  }
  /// A station override: 1206 reads `amps` whatever 1210 says (nullopt: none).
  void set_override(int unit, std::optional<double> amps) {
    std::lock_guard lock(mutex_);
    sockets_[unit].override_a = amps;
  }
  void set_safe_current(double amps) {
    std::lock_guard lock(mutex_);
    safe_a_ = amps;
  }
  void set_slow(ems::ManualClock* clock, ems::Millis per_read, int reads, std::function<void(int)> on_read = {}) {
    slow_clock_ = clock;
    slow_per_read_ = per_read;
    slow_reads_ = reads;
    on_read_ = std::move(on_read);
  }
  /// Runs before each set-point write reaches the station (the control loop acting meanwhile).
  void on_write(std::function<void(int unit, double amps)> hook) { on_write_ = std::move(hook); }
  [[nodiscard]] std::vector<Write> writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }
  [[nodiscard]] std::vector<std::array<double, 3>> scn_writes() const {
    std::lock_guard lock(mutex_);
    return scn_writes_;
  }
  [[nodiscard]] double remaining_validity(int unit) const {
    std::lock_guard lock(mutex_);
    return remaining(sockets_.at(unit));
  }
  bool allow_phase_switching_ = true;

 private:
  struct Socket {
    double setpoint = 0;
    ems::MonoTime written_at{};
    bool ever_written = false;
    ems::ConnectorState state = ems::ConnectorState::Available;
    std::string mode3 = "A";
    std::array<double, 3> current{};
    double energy_wh = 1000;
    int phases = 3;
    std::optional<double> override_a;
  };
  [[nodiscard]] double remaining(const Socket& so) const {
    if (so.written_at == ems::MonoTime{}) return 0;
    const double elapsed = std::chrono::duration<double>(clock_.mono_now() - so.written_at).count();
    return std::max(0.0, validity_s_ - elapsed);
  }

  const ems::Clock& clock_;
  double validity_s_;
  double safe_a_;
  mutable std::mutex mutex_;
  std::map<int, Socket> sockets_;
  std::vector<Write> writes_;
  std::vector<std::array<double, 3>> scn_writes_;
  bool online_ = true;
  bool accept_ = true;
  int fail_writes_ = 0;
  ems::ManualClock* slow_clock_ = nullptr;
  ems::Millis slow_per_read_{0};
  int slow_reads_ = 1;
  std::function<void(int)> on_read_;
  std::function<void(int, double)> on_write_;
};

}  // namespace emsgw::test
