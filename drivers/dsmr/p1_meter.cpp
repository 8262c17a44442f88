#include "drivers/dsmr/p1_meter.hpp"

#include <array>

namespace emsgw::drivers {

namespace {
// Reads until `take` returns a reading (keeping the newest), or the wait runs out.
template <class Parser, class Take>
Result<MeterReading, MeterError> wait_for(ByteStream& stream, const ems::Clock& clock, ems::Millis wait, Parser& parser,
                                          Take&& take, const char* what) {
  const auto deadline = clock.mono_now() + wait;
  std::array<char, 2048> buf{};
  std::optional<MeterReading> got;
  int drained = 0;
  for (;;) {
    if (got && ++drained > 16) return std::move(*got);  // a flooding source cannot hold poll() forever
    const auto now = clock.mono_now();
    const auto left = std::chrono::duration_cast<ems::Millis>(deadline - now);
    auto n = stream.read_some(buf, got ? ems::Millis{0} : std::max(left, ems::Millis{0}));
    if (!n) return Unexpected(n.error());
    if (*n == 0) {
      if (got) return std::move(*got);
      return Unexpected(
          MeterError{MeterError::Kind::Timeout, true,
                     std::string("no valid ") + what + " within " + std::to_string(wait.count()) + " ms"});
    }
    for (auto& r : parser.feed(std::string_view(buf.data(), *n)))
      if (r) got = take(*r, clock.mono_now(), clock.wall_now());
  }
}
}  // namespace

Result<MeterReading, MeterError> DsmrP1Meter::poll() {
  return wait_for(
      stream_, clock_, wait_, parser_,
      [this](DsmrTelegram& t, ems::MonoTime mono, ems::WallTime wall) {
        auto r = dsmr_reading(t, mono, wall);
        last_ = std::move(t);
        return r;
      },
      "DSMR telegram");
}

Result<MeterReading, MeterError> TicMeter::poll() {
  return wait_for(
      stream_, clock_, wait_, parser_,
      [](TicFrame& f, ems::MonoTime mono, ems::WallTime wall) { return tic_reading(f, mono, wall); }, "TIC frame");
}

}  // namespace emsgw::drivers
