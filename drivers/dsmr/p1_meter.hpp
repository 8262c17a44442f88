#pragma once
// EnergyMeter for meters that send on their own: DSMR P1 (telegrams every 1 s or 10 s) and TIC
// (continuous frames). poll() waits for the next complete, verified telegram/frame.

#include <deque>
#include <memory>

#include "drivers/dsmr/byte_stream.hpp"
#include "drivers/dsmr/dsmr_parser.hpp"
#include "drivers/tic/tic_parser.hpp"

namespace emsgw::drivers {

/// The nominal telegram interval of a P1 meter from what its telegram says (protocols.md §1.1):
/// version 1-3:0.2.8 "5x" or a Fluvius e-MUCS telegram (0-0:96.1.4): 1 s; "4x", or no version
/// line (DSMR 2.2/3): 10 s.
[[nodiscard]] ems::Millis nominal_p1_interval(const DsmrTelegram& t);

/// Measures how often a meter sends: the median of the last gaps between accepted telegrams.
/// Gaps under 500 ms (several telegrams in one read after a stall) are not counted.
class SendIntervalMeter {
 public:
  void sample(ems::MonoTime at);
  [[nodiscard]] std::optional<ems::Millis> measured() const;

 private:
  std::optional<ems::MonoTime> last_;
  std::deque<ems::Millis> gaps_;
};

class DsmrP1Meter final : public EnergyMeter {
 public:
  /// `wait`: how long poll() waits for a telegram (DSMR 2.2–4 send every 10 s, DSMR 5 every 1 s).
  /// `bound`: the site's connection, for plausibility (bound_by_connection).
  DsmrP1Meter(ByteStream& stream, const ems::Clock& clock, ems::Millis wait = ems::Millis{12000},
              ConnectionBound bound = {})
      : stream_(stream), clock_(clock), wait_(wait), bound_(bound) {}
  Result<MeterReading, MeterError> poll() override;
  [[nodiscard]] std::string describe() const override { return "DSMR P1 on " + stream_.endpoint(); }
  [[nodiscard]] const DsmrStats& stats() const { return parser_.stats(); }
  [[nodiscard]] const std::optional<DsmrTelegram>& last_telegram() const { return last_; }
  /// The measured telegram interval (nullopt until two telegrams arrived).
  [[nodiscard]] std::optional<ems::Millis> measured_interval() const { return interval_.measured(); }
  /// Link closures seen by poll() (an adapter that closes after every telegram counts up fast).
  [[nodiscard]] std::uint64_t link_closed() const { return link_closed_; }

 private:
  ByteStream& stream_;
  const ems::Clock& clock_;
  ems::Millis wait_;
  ConnectionBound bound_;
  DsmrStreamParser parser_;
  std::optional<DsmrTelegram> last_;
  SendIntervalMeter interval_;
  EnergyNeverBack energy_;
  std::uint64_t link_closed_ = 0;
};

class TicMeter final : public EnergyMeter {
 public:
  TicMeter(ByteStream& stream, const ems::Clock& clock, ems::Millis wait = ems::Millis{5000},
           ConnectionBound bound = {})
      : stream_(stream), clock_(clock), wait_(wait), bound_(bound) {}
  Result<MeterReading, MeterError> poll() override;
  [[nodiscard]] std::string describe() const override { return "TIC on " + stream_.endpoint(); }
  [[nodiscard]] const TicStats& stats() const { return parser_.stats(); }

 private:
  ByteStream& stream_;
  const ems::Clock& clock_;
  ems::Millis wait_;
  ConnectionBound bound_;
  TicStreamParser parser_;
  EnergyNeverBack energy_;
};

}  // namespace emsgw::drivers
