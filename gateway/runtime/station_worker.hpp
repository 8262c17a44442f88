#pragma once
// One thread per Alfen station: it owns the station's single Modbus connection, polls it, and
// writes what the control loop wants. The control loop never waits on it.
//
// Validity (design.md §2.5): the worker re-writes every set-point before the station's remaining
// validity (1208, or 1423–1428 in SCN mode) drops below the refresh margin, whether or not the value
// changed — but only while the control loop keeps affirming it (a lease). If the control loop stops,
// the leases run out, the worker stops refreshing and the station falls back to its safe current on
// its own: a hung controller never keeps stale set-points alive.
//
// Order (design.md §2.3): within one pass, decreases are written before increases; the control loop
// decides when an increase may be handed over at all (the allocator's wait_for_confirmation).

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "ems/time.hpp"
#include "gateway/runtime/station_device.hpp"

namespace emsgw::gateway {

enum class WriteKind { Change, Refresh, Phases, Scn, ScnRefresh, Final };

struct WriteReport {
  std::size_t station = 0;
  int unit = 0;  ///< 0 for SCN writes
  WriteKind kind = WriteKind::Change;
  double amps = 0;  ///< or phases for WriteKind::Phases
  std::array<double, 3> scn_amps{};
  WriteOutcome outcome;
  ems::MonoTime at{};
};

struct StationWorkerStats {
  std::uint64_t polls = 0;
  std::uint64_t poll_failures = 0;
  std::uint64_t writes = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t missed_refreshes = 0;  ///< a controlled set-point was seen expired (validity 0)
  std::uint64_t not_accepted = 0;      ///< writes the station did not take
};

class StationWorker {
 public:
  struct Options {
    ems::Millis poll_interval{1000};
    double refresh_margin_s = 20;
    /// How long a desired value stays valid without the control loop affirming it.
    ems::Millis lease{10000};
    /// Refresh period when the station does not report its remaining validity.
    double fallback_refresh_s = 10;
    /// Wait before retrying a failed write.
    ems::Millis retry_after{500};
  };
  using SampleSink = std::function<void(std::size_t station, StationSample sample)>;
  using WriteSink = std::function<void(WriteReport report)>;

  StationWorker(std::size_t index, std::unique_ptr<StationDevice> device, const ems::Clock& clock, Options options,
                SampleSink on_sample, WriteSink on_write);
  ~StationWorker();
  StationWorker(const StationWorker&) = delete;
  StationWorker& operator=(const StationWorker&) = delete;

  void start();
  void stop();

  /// The set-point (and phase count: 1 or 3, 0 = leave as it is) the control loop wants for a
  /// socket; affirms its lease.
  void set_desired(int unit, double amps, int phases);
  /// SCN mode: the per-phase budget for the whole SCN; affirms its lease.
  void set_desired_scn(const std::array<double, 3>& amps);
  /// Renews every lease without changing values (called on each control step).
  void affirm();
  /// Stop controlling: forget every desired value (the station falls back after its validity).
  void release();
  /// Writes `amps` to every listed unit now, on the worker thread, and waits up to `timeout` for
  /// the writes to finish. Used for the final state at shutdown. Returns the number confirmed.
  int write_final(const std::vector<std::pair<int, double>>& unit_amps, ems::Millis timeout);

  [[nodiscard]] StationWorkerStats stats() const;
  [[nodiscard]] std::size_t index() const { return index_; }

  /// One pass of the worker's duties at `now` (writes due, then a poll if due). The thread calls it
  /// in a loop; tests call it directly with a manual clock. Returns when the next pass is due.
  ems::MonoTime run_once(ems::MonoTime now);

 private:
  struct Slot {
    std::optional<double> desired;
    int desired_phases = 3;
    ems::MonoTime affirmed_at{};
    std::optional<double> written;  ///< last value the station confirmed receiving
    int phases_written = 0;
    std::optional<double> validity_s;       ///< remaining validity at validity_at
    std::optional<double> full_validity_s;  ///< validity right after the last accepted write (the station's setting)
    ems::MonoTime validity_at{};
    ems::MonoTime written_at{};
    ems::MonoTime retry_at{};
    bool lapsed_reported = false;
  };

  void loop();
  [[nodiscard]] bool lease_ok(const Slot& s, ems::MonoTime now) const;
  [[nodiscard]] bool refresh_due(const Slot& s, ems::MonoTime now) const;
  [[nodiscard]] double effective_margin(const Slot& s) const;
  void do_writes(ems::MonoTime now);
  void do_poll(ems::MonoTime now);
  void write_slot(int unit, double amps, WriteKind kind, ems::MonoTime now);
  void write_scn(WriteKind kind, ems::MonoTime now);
  ems::MonoTime next_due(ems::MonoTime now) const;

  const std::size_t index_;
  std::unique_ptr<StationDevice> device_;
  const ems::Clock& clock_;
  const Options options_;
  SampleSink on_sample_;
  WriteSink on_write_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int, Slot> slots_;  ///< by unit
  std::optional<Slot> scn_slot_;
  std::array<double, 3> scn_desired_{};
  std::array<double, 3> scn_written_{};
  std::vector<std::pair<int, double>> final_writes_;
  int final_done_ = 0;
  bool final_pending_ = false;
  std::condition_variable final_cv_;
  ems::MonoTime next_poll_{};
  StationWorkerStats stats_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace emsgw::gateway
