#pragma once
// A meter kind that exists only in the tests: a "text-line" meter on TCP that answers
// "READ <unit>\n" with one line of three phase currents in amps ("12.5 -3 0.25\n"). It is the whole
// of a new meter kind — this folder (the driver and its registry entry) — and is registered by the
// test with one line: gateway::register_meter_kind(test::textline_meter_kind()).

#include <string>

#include "drivers/meters/meter_reading.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::test {

class TextlineMeter final : public drivers::EnergyMeter {
 public:
  TextlineMeter(std::string host, int port, int unit, int timeout_ms, const ems::Clock& clock);
  Result<drivers::MeterReading, drivers::MeterError> poll() override;
  [[nodiscard]] std::string describe() const override;

 private:
  std::string host_;
  int port_;
  int unit_;
  int timeout_ms_;
  const ems::Clock& clock_;
};

/// The kind's traits: "textline-tcp", host and port (default 7070), a unit from 1 to 9, and its own
/// rule: it answers at most twice a second (poll_interval_ms at least 500).
[[nodiscard]] gateway::MeterKindTraits textline_meter_kind();

}  // namespace emsgw::test
