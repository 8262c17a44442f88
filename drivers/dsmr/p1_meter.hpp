#pragma once
// EnergyMeter for meters that send on their own: DSMR P1 (telegrams every 1 s or 10 s) and TIC
// (continuous frames). poll() waits for the next complete, verified telegram/frame.

#include <memory>

#include "drivers/dsmr/byte_stream.hpp"
#include "drivers/dsmr/dsmr_parser.hpp"
#include "drivers/tic/tic_parser.hpp"

namespace emsgw::drivers {

class DsmrP1Meter final : public EnergyMeter {
 public:
  /// `wait`: how long poll() waits for a telegram (DSMR 2.2–4 send every 10 s, DSMR 5 every 1 s).
  DsmrP1Meter(ByteStream& stream, const ems::Clock& clock, ems::Millis wait = ems::Millis{12000})
      : stream_(stream), clock_(clock), wait_(wait) {}
  Result<MeterReading, MeterError> poll() override;
  [[nodiscard]] std::string describe() const override { return "DSMR P1 on " + stream_.endpoint(); }
  [[nodiscard]] const DsmrStats& stats() const { return parser_.stats(); }
  [[nodiscard]] const std::optional<DsmrTelegram>& last_telegram() const { return last_; }

 private:
  ByteStream& stream_;
  const ems::Clock& clock_;
  ems::Millis wait_;
  DsmrStreamParser parser_;
  std::optional<DsmrTelegram> last_;
};

class TicMeter final : public EnergyMeter {
 public:
  TicMeter(ByteStream& stream, const ems::Clock& clock, ems::Millis wait = ems::Millis{5000})
      : stream_(stream), clock_(clock), wait_(wait) {}
  Result<MeterReading, MeterError> poll() override;
  [[nodiscard]] std::string describe() const override { return "TIC on " + stream_.endpoint(); }
  [[nodiscard]] const TicStats& stats() const { return parser_.stats(); }

 private:
  ByteStream& stream_;
  const ems::Clock& clock_;
  ems::Millis wait_;
  TicStreamParser parser_;
};

}  // namespace emsgw::drivers
