#pragma once
// One thread per charging station (any brand behind the charger seam, drivers/charger/): it owns the station's single
// Modbus connection, polls it, and writes what the control loop wants. The control loop never waits on it.
//
// Validity (design.md §2.5): the worker re-writes every set-point before the station's remaining
// validity (1208, or 1423–1428 in SCN mode) drops below the refresh margin, whether or not the value
// changed — but only while the control loop keeps affirming it (a lease). If the control loop stops,
// the leases run out, the worker stops refreshing and the station falls back to its safe current on
// its own: a hung controller never keeps stale set-points alive.
//
// Order (design.md §2.3): within one pass, decreases are written before increases; the control loop
// decides when an increase may be handed over at all (the allocator's wait_for_confirmation).
//
// A poll never delays a cut: the poll is read block by block, and between two reads any pending
// decrease is written on the same connection; a new decrease also interrupts the read in progress
// (StateReader::interrupt_poll), so that a station slow to answer gets the cut as a second
// transaction on the same connection at once.
//
// Sequence: every new desired value gets a higher sequence number; a write sends the newest desired
// value at the moment it goes on the wire, and a write of an older sequence never replaces the
// record of a newer one, so a late write cannot override a newer set-point.
//
// Confirmation that acts (design.md §2.9): every poll compares the read-back with what emsgw wrote.
// A set-point another master wrote (1210 differs) or a station override (1206 above emsgw's value)
// is rewritten at once, counted, and reported with the sample (StationSample::foreign).

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

#include "drivers/charger/station_device.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway {

// The charger seam's types, under the names the control side uses.
using drivers::ForeignSetpoint;
using drivers::live_phases;
using drivers::ScnSample;
using drivers::SocketSample;
using drivers::StationDevice;
using drivers::StationSample;
using drivers::WriteOutcome;

enum class WriteKind { Change, Refresh, Phases, Scn, ScnRefresh, Final };

struct WriteReport {
  std::size_t station = 0;
  int unit = 0;  ///< 0 for SCN writes
  WriteKind kind = WriteKind::Change;
  double amps = 0;  ///< or phases for WriteKind::Phases
  std::array<double, 3> scn_amps{};
  WriteOutcome outcome;
  ems::MonoTime at{};
  std::uint64_t sequence = 0;  ///< of the desired value written
};

struct StationWorkerStats {
  std::uint64_t polls = 0;
  std::uint64_t poll_failures = 0;
  std::uint64_t writes = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t missed_refreshes = 0;   ///< a controlled set-point was seen expired (validity 0)
  std::uint64_t not_accepted = 0;       ///< writes the station did not take
  std::uint64_t foreign_setpoints = 0;  ///< set-points found changed by someone else and rewritten
  std::uint64_t cuts_during_poll = 0;   ///< decreases written between or during the reads of a poll
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
    /// 1206 above emsgw's value counts as an override only this long after emsgw's last write
    /// (the station may take a moment to apply a cut; alfen-modbus.md §4.2).
    ems::Millis applied_settle{2000};
    /// A station override that survives a rewrite is rewritten again only after this long.
    ems::Millis override_backoff{30000};
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
    std::uint64_t sequence = 0;                          ///< of the desired value
    std::uint64_t written_sequence = 0;                  ///< of the value in `written`
    bool rewrite = false;                                ///< the station was found running someone else's value
    std::optional<ems::MonoTime> override_rewritten_at;  ///< last rewrite because of 1206 alone
  };

  void loop();
  [[nodiscard]] bool lease_ok(const Slot& s, ems::MonoTime now) const;
  [[nodiscard]] bool refresh_due(const Slot& s, ems::MonoTime now) const;
  [[nodiscard]] double effective_margin(const Slot& s) const;
  void do_writes(ems::MonoTime now);
  /// Returns true when a foreign set-point was found (to be rewritten at once).
  bool do_poll(ems::MonoTime now);
  void write_slot(int unit, WriteKind kind, ems::MonoTime now);
  /// Between the reads of a poll: writes every pending decrease.
  void write_cuts();
  /// Compares a poll's read-back with what was written; marks foreign set-points for rewriting.
  void check_foreign(StationSample& sample, ems::MonoTime poll_started);
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
  std::uint64_t next_sequence_ = 0;
  StationWorkerStats stats_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace emsgw::gateway
