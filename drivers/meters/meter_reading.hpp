#pragma once
// The typed reading every meter driver produces (DSMR P1, TIC, Modbus meters, SunSpec).
// Contract: a value that is absent, NaN, out of range or implausible is never handed on as a
// number (design.md §2 rule 2). Each quantity is a Measurement that either holds a finite value
// in the unit named by its field, or says why it does not.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/meters/meter_settings.hpp"
#include "ems/result.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

/// Why a Measurement holds no value.
enum class Invalid : std::uint8_t {
  None,            ///< the value is valid
  Missing,         ///< the meter does not provide this quantity (or it was not configured)
  NotANumber,      ///< NaN or infinity on the wire
  OutOfRange,      ///< outside what the quantity can physically be (e.g. 900 V, −5 kWh)
  Implausible,     ///< inconsistent with the rest of the reading (e.g. energy counter going back)
  NotImplemented,  ///< the device marks it as not implemented (SunSpec sentinels, protocols.md §4.3)
  Stale,           ///< older than the allowed age
};
[[nodiscard]] std::string_view to_string(Invalid r);

class Measurement {
 public:
  Measurement() = default;  ///< Missing
  [[nodiscard]] static Measurement of(double value) { return Measurement(value, Invalid::None); }
  [[nodiscard]] static Measurement invalid(Invalid why) { return Measurement(0.0, why); }

  [[nodiscard]] bool valid() const { return why_ == Invalid::None; }
  [[nodiscard]] Invalid why() const { return why_; }
  /// The value, only when valid.
  [[nodiscard]] std::optional<double> value() const { return valid() ? std::optional<double>(v_) : std::nullopt; }

 private:
  Measurement(double v, Invalid why) : v_(v), why_(why) {}
  double v_ = 0.0;
  Invalid why_ = Invalid::Missing;
};

/// Which way positive power points in this reading.
enum class PowerSign : std::uint8_t {
  ImportPositive,      ///< grid and consumer meters: + = drawn from the grid, − = fed in
  ProductionPositive,  ///< PV inverters: + = produced
};

/// One sample of a meter. Index 0/1/2 = L1/L2/L3 (the meter's own phases).
struct MeterReading {
  std::array<Measurement, 3> current_a;  ///< signed: + import, − export (see current_signed)
  Measurement current_n_a;
  std::array<Measurement, 3> power_w;  ///< active power per phase, signed per `sign`
  Measurement power_total_w;
  std::array<Measurement, 3> voltage_v;          ///< phase to neutral
  std::array<Measurement, 3> apparent_power_va;  ///< TIC (Linky) gives apparent power only
  Measurement apparent_power_total_va;
  Measurement energy_import_wh;  ///< lifetime totals
  Measurement energy_export_wh;
  PowerSign sign = PowerSign::ImportPositive;
  /// False when the currents are magnitudes whose direction could not be established (TIC).
  bool current_signed = true;
  /// Per phase: false where that phase's current is a magnitude of unknown direction (a producer
  /// meter whose per-phase drawn power is missing); current_signed is false when any is.
  std::array<bool, 3> current_sign_known{true, true, true};
  /// The currents' resolution: 0 where they carry decimals; 1 where the meter reports whole
  /// amperes (DSMR F3(0,0), TIC), which it may cut off towards zero: a current drawn is up to one
  /// step above what is reported (protocols.md §1.9).
  double current_step_a = 0;

  /// Demand registers of meters that keep them (Fluvius e-MUCS, protocols.md §1.7): the average
  /// import of the running quarter hour (1-0:1.4.0) and this month's peak (1-0:1.6.0), in W.
  Measurement demand_quarter_hour_w;
  Measurement demand_month_peak_w;
  /// Meters that send on their own (DSMR P1, TIC): the interval between their telegrams, measured
  /// once two have arrived, until then the nominal interval of the protocol version (DSMR 5: 1 s,
  /// DSMR 2.2–4: 10 s). nullopt for meters emsgw polls.
  std::optional<ems::Millis> send_interval;
  /// DSMR: the P1 version line 1-3:0.2.8 ("42", "50"); empty when the meter sends none.
  std::string protocol_version;

  ems::MonoTime mono{};                      ///< when the reading was taken (for ages and timeouts)
  ems::WallTime wall{};                      ///< same instant on the wall clock
  std::optional<ems::WallTime> device_time;  ///< the meter's own timestamp (DSMR 0-0:1.0.0, TIC DATE)
  int rejected = 0;                          ///< values marked invalid by validation (not counting Missing)

  /// Age check: a copy where every valid value older than max_age is marked Stale.
  [[nodiscard]] MeterReading aged(ems::MonoTime now, ems::Millis max_age) const;
  [[nodiscard]] bool stale(ems::MonoTime now, ems::Millis max_age) const { return now - mono > max_age; }
};

/// Plausibility limits (per quantity, in the field's unit). Generous: they exist to reject
/// garbage such as a wrong word order or unit, not to second-guess the installation.
struct PlausibleRange {
  double min;
  double max;
};
[[nodiscard]] PlausibleRange plausible_range(Quantity q);

/// Checks a raw value for a quantity: NaN/∞ → NotANumber, outside plausible_range → OutOfRange,
/// non-zero but below 1e-20 (a float decoded with the wrong word order) → Implausible.
[[nodiscard]] Measurement checked(Quantity q, double value);

/// Sets a quantity's field in `r` from `m`, counting rejections.
void set_quantity(MeterReading& r, Quantity q, Measurement m);
[[nodiscard]] const Measurement& get_quantity(const MeterReading& r, Quantity q);

/// Where a meter reports current magnitudes only, gives each phase current the sign of that
/// phase's active power (protocols.md §1.9 item 1, §3.1: + import, − export).
void sign_currents_from_power(MeterReading& r);

/// Flips the direction (CT fitted the other way round): powers and currents change sign,
/// import and export energy swap.
void invert_direction(MeterReading& r);

/// Energy counters never go back: marks a counter lower than the previous valid one Implausible.
void check_monotonic_energy(MeterReading& r, const MeterReading& previous);

/// The grid-meter age limit that suits a meter sending every `interval`: at least `floor_s`, and
/// long enough that one lost telegram (two intervals) plus transfer time never counts as stale
/// (2.5 intervals: DSMR 4 at 10 s → 25 s; DSMR 5 at 1 s → the floor).
[[nodiscard]] double stale_limit_for_interval_s(ems::Millis interval, double floor_s);

/// The connection a meter sits at, for plausibility (0 = unknown: only plausible_range applies).
struct ConnectionBound {
  double max_current_a = 0.0;  ///< per phase, the site's grid_max_current_a
  int phases = 3;
};
/// Rejects values that no meter at this connection can show: currents above 3 × the per-phase
/// limit, phase powers above 3 × limit × 300 V, totals above that times the phase count (a digit
/// error such as 1.01 kW read as 1,101,000 W). Marks them OutOfRange and counts them.
void bound_by_connection(MeterReading& r, const ConnectionBound& c);

/// Energy totals never go back (Home Assistant reads them as total_increasing): remembers the
/// highest valid import and export total of one meter and marks a lower one Implausible.
class EnergyNeverBack {
 public:
  void apply(MeterReading& r);

 private:
  std::optional<double> import_wh_;
  std::optional<double> export_wh_;
};

/// One line per phase for people ("L1  12.30 A  2830 W  230.1 V").
[[nodiscard]] std::string format_reading(const MeterReading& r);

/// The error of a meter poll.
struct MeterError {
  enum class Kind { Io, Timeout, Protocol, NoData, Config };
  Kind kind = Kind::Io;
  bool transient = true;
  std::string message;
};

/// A meter that is asked for a reading (Modbus, SunSpec) or waits for the next one it sends (DSMR, TIC).
class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  /// Returns the next reading, or an error. Never throws.
  virtual Result<MeterReading, MeterError> poll() = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace emsgw::drivers
