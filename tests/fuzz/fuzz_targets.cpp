#include "tests/fuzz/fuzz_targets.hpp"

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "drivers/dsmr/dsmr_parser.hpp"
#include "drivers/meters/meter_presets.hpp"
#include "drivers/sunspec/sunspec.hpp"
#include "drivers/tic/tic_parser.hpp"

namespace emsgw::test {

namespace {
using namespace drivers;

void require_finite(const MeterReading& r) {
  for (auto q : all_quantities()) {
    const auto v = get_quantity(r, q).value();
    if (v && !std::isfinite(*v)) std::abort();
  }
}

std::vector<std::uint16_t> words(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint16_t> w(size / 2);
  for (std::size_t i = 0; i < w.size(); ++i)
    w[i] = static_cast<std::uint16_t>((static_cast<unsigned>(data[2 * i]) << 8) | data[2 * i + 1]);
  return w;
}
}  // namespace

void fuzz_dsmr(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Whole frame, and the same bytes streamed in two pieces.
  if (auto t = parse_dsmr_frame(bytes)) require_finite(dsmr_reading(*t, {}, {}));
  DsmrStreamParser p(2048);
  const auto half = size / 2;
  for (auto part : {bytes.substr(0, half), bytes.substr(half)})
    for (auto& r : p.feed(part))
      if (r) require_finite(dsmr_reading(*r, {}, {}));
}

void fuzz_tic(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  TicStreamParser p(1024);
  for (auto& r : p.feed(bytes))
    if (r) require_finite(tic_reading(*r, {}, {}));
}

void fuzz_modbus_meter_reply(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return;
  const auto& presets = meter_presets();
  const auto& preset = presets[data[0] % presets.size()];
  const auto regs = words(data + 1, size - 1);
  const auto plan = plan_reads(preset.map, preset.limits);
  std::vector<std::vector<std::uint16_t>> replies;
  std::size_t at = 0;
  for (const auto& b : plan) {
    const auto n = std::min(regs.size() - at, static_cast<std::size_t>(b.count));  // short replies too
    replies.emplace_back(regs.begin() + static_cast<long>(at), regs.begin() + static_cast<long>(at + n));
    at += n;
  }
  auto r = decode_map(preset.map, plan, replies);
  sign_currents_from_power(r);
  require_finite(r);
}

void fuzz_sunspec_model(const std::uint8_t* data, std::size_t size) {
  const auto m = words(data, size);
  require_finite(decode_sunspec_meter(m));
  const auto inv = decode_sunspec_inverter(m);
  for (const auto* v : {&inv.ac_power_w, &inv.energy_wh, &inv.frequency_hz})
    if (v->value() && !std::isfinite(*v->value())) std::abort();
  const auto s = decode_sunspec_storage(m);
  if (s.soc_pct.value() && !std::isfinite(*s.soc_pct.value())) std::abort();
}

}  // namespace emsgw::test
