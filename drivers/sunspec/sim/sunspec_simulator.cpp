#include "drivers/sunspec/sim/sunspec_simulator.hpp"

#include <cmath>

#include "drivers/modbus/register_codec.hpp"

namespace emsgw::drivers::sim {

namespace {
std::uint16_t s16(double v) {
  const long r = std::lround(v);
  return static_cast<std::uint16_t>(static_cast<std::int16_t>(std::max(-32767L, std::min(32767L, r))));
}
std::uint16_t u16(double v) {
  const long r = std::lround(v);
  return static_cast<std::uint16_t>(std::max(0L, std::min(65534L, r)));
}
std::uint16_t sf(int s) {
  return static_cast<std::uint16_t>(static_cast<std::int16_t>(s));
}
double scaled(double v, int s) {
  return v / std::pow(10.0, s);
}

// Appends a model: id, length, then `len` zero registers; returns the index of the id register.
std::size_t add_model(std::vector<std::uint16_t>& img, int id, int len) {
  const std::size_t at = img.size();
  img.push_back(static_cast<std::uint16_t>(id));
  img.push_back(static_cast<std::uint16_t>(len));
  img.resize(img.size() + static_cast<std::size_t>(len), 0);
  return at;
}

void put(std::vector<std::uint16_t>& img, std::size_t model, int off, std::uint16_t v) {
  img[model + static_cast<std::size_t>(off)] = v;
}
void put32(std::vector<std::uint16_t>& img, std::size_t model, int off, std::uint32_t v) {
  put(img, model, off, static_cast<std::uint16_t>(v >> 16));
  put(img, model, off + 1, static_cast<std::uint16_t>(v));
}
void putf(std::vector<std::uint16_t>& img, std::size_t model, int off, double v) {
  const auto w = encode_float32(static_cast<float>(v));
  put(img, model, off, w[0]);
  put(img, model, off + 1, w[1]);
}
void puts(std::vector<std::uint16_t>& img, std::size_t model, int off, std::string_view s, int regs) {
  const auto w = encode_string(s, regs);
  for (std::size_t i = 0; i < w.size(); ++i) put(img, model, off + static_cast<int>(i), w[i]);
}
}  // namespace

SunspecSimulator::SunspecSimulator(SunspecSimOptions options) : options_(options) {
  std::lock_guard lock(mu_);
  rebuild_locked();
}

void SunspecSimulator::rebuild_locked() {
  auto& img = image_;
  img.clear();
  img.push_back(0x5375);
  img.push_back(0x6E53);
  // Model 1, common (protocols.md §4.2): Mn 2, Md 18, Opt 34, Vr 42, SN 50, DA 66, Pad 67.
  const auto common = add_model(img, 1, 66);
  puts(img, common, 2, "emsgw", 16);
  puts(img, common, 18, options_.float_models ? "sim-inverter-float" : "sim-inverter", 16);
  puts(img, common, 42, "1.0", 8);
  puts(img, common, 50, "SIM0001", 16);
  put(img, common, 66, static_cast<std::uint16_t>(options_.unit));
  const auto& s = inv_;
  if (options_.float_models) {
    // Model 113 (L = 60): A 2, AphA 4/6/8, PhVphA 16/18/20, W 22, Hz 24, WH 32, St 48.
    const auto m = add_model(img, 113, 60);
    putf(img, m, 2, s.phase_current_a[0] + s.phase_current_a[1] + s.phase_current_a[2]);
    for (int i = 0; i < 3; ++i) {
      putf(img, m, 4 + 2 * i, s.phase_current_a[static_cast<std::size_t>(i)]);
      putf(img, m, 16 + 2 * i, s.phase_voltage_v[static_cast<std::size_t>(i)]);
    }
    putf(img, m, 22, s.ac_power_w);
    putf(img, m, 24, s.frequency_hz);
    putf(img, m, 32, s.energy_not_implemented ? std::nan("") : s.energy_wh);
    put(img, m, 48, static_cast<std::uint16_t>(s.state));
  } else {
    // Model 103 (L = 50): A 2, AphA-C 3-5, A_SF 6, PhVphA-C 10-12, V_SF 13, W 14, W_SF 15, Hz 16,
    // Hz_SF 17, WH 24 (acc32), WH_SF 26, St 38. Unused points carry their not-implemented value.
    const auto m = add_model(img, 103, 50);
    for (int off = 2; off < 52; ++off) put(img, m, off, 0xFFFF);
    for (int off : {18, 19, 20, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37}) put(img, m, off, 0x8000);
    put(img, m, 2, u16(scaled(s.phase_current_a[0] + s.phase_current_a[1] + s.phase_current_a[2], s.a_sf)));
    for (int i = 0; i < 3; ++i) {
      put(img, m, 3 + i, u16(scaled(s.phase_current_a[static_cast<std::size_t>(i)], s.a_sf)));
      put(img, m, 10 + i, u16(scaled(s.phase_voltage_v[static_cast<std::size_t>(i)], s.v_sf)));
    }
    put(img, m, 6, sf(s.a_sf));
    put(img, m, 13, sf(s.v_sf));
    put(img, m, 14, s16(scaled(s.ac_power_w, s.w_sf)));
    put(img, m, 15, sf(s.w_sf));
    put(img, m, 16, u16(scaled(s.frequency_hz, s.hz_sf)));
    put(img, m, 17, sf(s.hz_sf));
    put32(img, m, 24,
          s.energy_not_implemented ? 0U : static_cast<std::uint32_t>(std::llround(scaled(s.energy_wh, s.wh_sf))));
    put(img, m, 26, sf(s.wh_sf));
    put(img, m, 38, static_cast<std::uint16_t>(s.state));
  }
  if (options_.with_meter) {
    const auto& mt = meter_;
    if (options_.float_models) {
      // Model 213 (L = 124): AphA 4/6/8, PhVphA 12/14/16, W 28, WphA 30/32/34, TotWhExp 60, TotWhImp 68.
      const auto m = add_model(img, 213, 124);
      double total = 0.0;
      for (int i = 0; i < 3; ++i) {
        const auto k = static_cast<std::size_t>(i);
        putf(img, m, 4 + 2 * i, std::fabs(mt.phase_power_w[k] / mt.phase_voltage_v[k]));
        putf(img, m, 12 + 2 * i, mt.phase_voltage_v[k]);
        putf(img, m, 30 + 2 * i, mt.phase_power_w[k]);
        total += mt.phase_power_w[k];
      }
      putf(img, m, 28, total);
      putf(img, m, 60, mt.export_wh);
      putf(img, m, 68, mt.import_wh);
    } else {
      // Model 203 (L = 105): AphA-C 3-5, A_SF 6, PhVphA-C 8-10, V_SF 15, W 18, WphA-C 19-21, W_SF 22,
      // TotWhExp 38, TotWhImp 46, TotWh_SF 54.
      const auto m = add_model(img, 203, 105);
      double total = 0.0;
      for (int i = 0; i < 3; ++i) {
        const auto k = static_cast<std::size_t>(i);
        put(img, m, 3 + i, s16(std::fabs(mt.phase_power_w[k] / mt.phase_voltage_v[k]) * 100.0));
        put(img, m, 8 + i, s16(mt.phase_voltage_v[k] * 10.0));
        put(img, m, 19 + i, s16(mt.phase_power_w[k]));
        total += mt.phase_power_w[k];
      }
      put(img, m, 6, sf(-2));
      put(img, m, 15, sf(-1));
      put(img, m, 18, s16(total));
      put(img, m, 22, sf(0));
      put32(img, m, 38, static_cast<std::uint32_t>(std::llround(mt.export_wh / 10.0)));
      put32(img, m, 46, static_cast<std::uint32_t>(std::llround(mt.import_wh / 10.0)));
      put(img, m, 54, sf(1));
    }
  }
  if (options_.with_storage) {
    // Model 124 (L = 24): ChaState 8 (SF 22), ChaSt 11. Model 802 (L = 62): SoC 11 (SF 56), ChaSt 16, W 47 (SF 63).
    const auto m124 = add_model(img, 124, 24);
    put(img, m124, 8, u16(soc_pct_ * 10.0));
    put(img, m124, 11, 4);
    put(img, m124, 22, sf(-1));
    const auto m802 = add_model(img, 802, 62);
    put(img, m802, 11, u16(soc_pct_));
    put(img, m802, 16, 4);
    put(img, m802, 47, s16(-1500.0 / 10.0));
    put(img, m802, 56, sf(0));
    put(img, m802, 63, sf(1));
  }
  img.push_back(0xFFFF);
  img.push_back(0);
}

ModbusReply SunspecSimulator::handle(const ModbusRequest& r) {
  std::lock_guard lock(mu_);
  if (r.unit != options_.unit) return ModbusReply::silence();
  if (r.function != 3) return ModbusReply::exception(kIllegalFunction);
  const int end = options_.base + static_cast<int>(image_.size());
  if (r.address < options_.base || r.address + r.count > end) return ModbusReply::exception(kIllegalDataAddress);
  const auto from = image_.begin() + (r.address - options_.base);
  return ModbusReply::registers_reply(std::vector<std::uint16_t>(from, from + r.count));
}

void SunspecSimulator::set_inverter(const SunspecInverterState& s) {
  std::lock_guard lock(mu_);
  inv_ = s;
  rebuild_locked();
}

void SunspecSimulator::set_meter(const SunspecMeterState& s) {
  std::lock_guard lock(mu_);
  meter_ = s;
  rebuild_locked();
}

void SunspecSimulator::set_soc_pct(double soc) {
  std::lock_guard lock(mu_);
  soc_pct_ = soc;
  rebuild_locked();
}

SunspecInverterState SunspecSimulator::inverter() const {
  std::lock_guard lock(mu_);
  return inv_;
}

std::vector<std::uint16_t> SunspecSimulator::image() const {
  std::lock_guard lock(mu_);
  return image_;
}

}  // namespace emsgw::drivers::sim
