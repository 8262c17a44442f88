#include "drivers/sunspec/sunspec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "drivers/sunspec/sim/sunspec_simulator.hpp"
#include "tests/support/fake_modbus_transport.hpp"

namespace emsgw::drivers {
namespace {

using sim::SunspecSimOptions;
using sim::SunspecSimulator;

TEST(SunspecDiscovery, FindsTheMarkerAtEachBaseAndWalksTheChain) {
  for (int base : {40000, 0, 50000}) {
    SunspecSimulator dev({base, 1, false, true, true});
    test::FakeModbusTransport bus(dev);
    auto d = sunspec_discover(bus, 1);
    ASSERT_TRUE(d.has_value()) << base << ": " << d.error().message;
    EXPECT_EQ(d->base, base);
    std::vector<int> ids;
    for (const auto& m : d->models) ids.push_back(m.id);
    EXPECT_EQ(ids, (std::vector<int>{1, 103, 203, 124, 802}));
    EXPECT_EQ(d->models[0].address, base + 2);
    EXPECT_EQ(d->models[0].length, 66);
    EXPECT_EQ(d->models[1].address, base + 2 + 2 + 66);
    EXPECT_EQ(d->models[1].length, 50);
  }
}

TEST(SunspecDiscovery, NoMarkerIsAPermanentError) {
  sim::FunctionHandler nothing([](const sim::ModbusRequest&) { return sim::ModbusReply::registers_reply({0, 0}); });
  test::FakeModbusTransport bus(nothing);
  auto d = sunspec_discover(bus, 1);
  ASSERT_FALSE(d.has_value());
  EXPECT_FALSE(d.error().transient);
  EXPECT_EQ(bus.requests.size(), 3U);  // 40000, 0, 50000
  EXPECT_EQ(bus.requests[0].address, 40000);
  EXPECT_EQ(bus.requests[1].address, 0);
  EXPECT_EQ(bus.requests[2].address, 50000);
}

TEST(SunspecValues, ScaleFactorsAndSentinels) {
  // model: [id, L, v0, sf, acc_hi, acc_lo, ...]
  std::vector<std::uint16_t> m{103, 10, 2305, static_cast<std::uint16_t>(-1), 0, 0, 0x8000, 0xFFFF, 0x8000, 7, 2, 0};
  EXPECT_DOUBLE_EQ(*sunspec_value(m, 2, SunspecType::Uint16, 3).value(), 230.5);
  EXPECT_EQ(sunspec_value(m, 4, SunspecType::Acc32, 3).why(), Invalid::NotImplemented);    // acc32 = 0
  EXPECT_EQ(sunspec_value(m, 6, SunspecType::Int16, 3).why(), Invalid::NotImplemented);    // 0x8000
  EXPECT_EQ(sunspec_value(m, 7, SunspecType::Uint16, {}).why(), Invalid::NotImplemented);  // 0xFFFF
  EXPECT_EQ(sunspec_value(m, 9, SunspecType::Int16, 8).why(), Invalid::NotImplemented);    // SF 0x8000
  EXPECT_DOUBLE_EQ(*sunspec_value(m, 9, SunspecType::Int16, 10).value(), 700.0);           // 7 × 10²
  EXPECT_EQ(sunspec_value(m, 30, SunspecType::Int16, {}).why(), Invalid::Missing);         // beyond the model
}

TEST(SunspecInverter, IntModelWithScaleFactors) {
  SunspecSimulator dev({40000, 1, false, false, false});
  auto s = dev.inverter();
  s.ac_power_w = 4200;
  s.phase_current_a = {6.09, 6.08, 6.07};
  s.phase_voltage_v = {230.1, 229.9, 231.0};
  s.energy_wh = 9876543;
  s.w_sf = 1;  // 420 × 10¹
  dev.set_inverter(s);
  test::FakeModbusTransport bus(dev);
  ems::ManualClock clock;
  SunspecMeter meter(bus, clock, 1);
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->sign, PowerSign::ProductionPositive);
  EXPECT_DOUBLE_EQ(*r->power_total_w.value(), 4200.0);
  EXPECT_NEAR(*r->current_a[1].value(), 6.08, 1e-9);
  EXPECT_NEAR(*r->voltage_v[2].value(), 231.0, 1e-9);
  EXPECT_DOUBLE_EQ(*r->energy_export_wh.value(), 9876543.0);
  ASSERT_TRUE(meter.last_inverter().has_value());
  EXPECT_EQ(meter.last_inverter()->state, 4);
  EXPECT_NEAR(*meter.last_inverter()->frequency_hz.value(), 50.0, 1e-9);
}

TEST(SunspecInverter, UnimplementedEnergyIsNotZero) {
  SunspecSimulator dev({40000, 1, false, false, false});
  auto s = dev.inverter();
  s.energy_not_implemented = true;
  dev.set_inverter(s);
  test::FakeModbusTransport bus(dev);
  ems::ManualClock clock;
  SunspecMeter meter(bus, clock, 1);
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->energy_export_wh.why(), Invalid::NotImplemented);
  EXPECT_EQ(r->rejected, 1);
}

TEST(SunspecInverter, FloatModel) {
  SunspecSimulator dev({0, 3, true, false, false});
  auto s = dev.inverter();
  s.ac_power_w = 1234.5;
  dev.set_inverter(s);
  test::FakeModbusTransport bus(dev);
  ems::ManualClock clock;
  SunspecMeter meter(bus, clock, 3);
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(*r->power_total_w.value(), 1234.5, 1e-3);
  EXPECT_NEAR(*r->voltage_v[0].value(), 230.0, 1e-3);
}

TEST(SunspecMeterModel, IntAndFloatMetersDecodeWithSigns) {
  for (bool flt : {false, true}) {
    SunspecSimulator dev({40000, 1, flt, true, false});
    dev.set_meter({{2300.0, -1150.0, 0.0}, {230.0, 230.0, 230.0}, 7654320.0, 1234560.0});
    test::FakeModbusTransport bus(dev);
    ems::ManualClock clock;
    SunspecMeter meter(bus, clock, 1);
    auto r = meter.poll();
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->sign, PowerSign::ImportPositive);
    EXPECT_NEAR(*r->power_w[0].value(), 2300.0, 1e-3) << flt;
    EXPECT_NEAR(*r->power_total_w.value(), 1150.0, 1e-3) << flt;
    EXPECT_NEAR(*r->current_a[0].value(), 10.0, 1e-3) << flt;
    EXPECT_NEAR(*r->current_a[1].value(), -5.0, 1e-3) << flt;  // export: sign from power
    EXPECT_NEAR(*r->energy_import_wh.value(), 7654320.0, 1.0) << flt;
    EXPECT_NEAR(*r->energy_export_wh.value(), 1234560.0, 1.0) << flt;
  }
}

TEST(SunspecStorage, Models124And802) {
  SunspecSimulator dev({40000, 1, false, false, true});
  dev.set_soc_pct(63.0);
  test::FakeModbusTransport bus(dev);
  auto d = sunspec_discover(bus, 1);
  ASSERT_TRUE(d.has_value());
  auto m124 = sunspec_read_model(bus, 1, *d->find({124}));
  ASSERT_TRUE(m124.has_value());
  const auto s124 = decode_sunspec_storage(*m124);
  EXPECT_NEAR(*s124.soc_pct.value(), 63.0, 1e-9);
  EXPECT_EQ(s124.charge_state, 4);
  auto m802 = sunspec_read_model(bus, 1, *d->find({802}));
  ASSERT_TRUE(m802.has_value());
  const auto s802 = decode_sunspec_storage(*m802);
  EXPECT_NEAR(*s802.soc_pct.value(), 63.0, 1e-9);
  EXPECT_NEAR(*s802.power_w.value(), -1500.0, 1e-9);
}

TEST(SunspecReads, LongModelsAreSplitIntoRequestsOfAtMost125) {
  SunspecSimulator dev({40000, 1, true, true, false});  // model 213 has L = 124 → 126 registers
  test::FakeModbusTransport bus(dev);
  auto d = sunspec_discover(bus, 1);
  ASSERT_TRUE(d.has_value());
  bus.requests.clear();
  auto regs = sunspec_read_model(bus, 1, *d->find({213}));
  ASSERT_TRUE(regs.has_value());
  EXPECT_EQ(regs->size(), 126U);
  ASSERT_EQ(bus.requests.size(), 2U);
  EXPECT_EQ(bus.requests[0].count, 125);
  EXPECT_EQ(bus.requests[1].count, 1);
}

TEST(SunspecMeter, RediscoversAfterAFailure) {
  SunspecSimulator dev({40000, 1, false, false, false});
  test::FakeModbusTransport bus(dev);
  ems::ManualClock clock;
  SunspecMeter meter(bus, clock, 1);
  ASSERT_TRUE(meter.poll().has_value());
  bus.script.push_back(ModbusError{ModbusErrorKind::ConnectionLost, 0, "x"});
  auto r = meter.poll();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().transient);
  EXPECT_FALSE(meter.device().has_value());
  EXPECT_TRUE(meter.poll().has_value());
  EXPECT_TRUE(meter.device().has_value());
}

// Bounded random model contents: decoding never crashes or yields a non-finite number.
TEST(SunspecValues, RandomModelsNeverYieldNonFiniteValues) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint16_t> m(static_cast<std::size_t>(rng() % 130));
    for (auto& w : m) w = static_cast<std::uint16_t>(rng());
    if (!m.empty()) m[0] = std::array<std::uint16_t, 8>{103, 113, 203, 213, 124, 802, 101, 201}[rng() % 8];
    const auto inv = decode_sunspec_inverter(m);
    const auto met = decode_sunspec_meter(m);
    const auto sto = decode_sunspec_storage(m);
    for (const auto* v : {&inv.ac_power_w, &inv.energy_wh, &met.power_total_w, &met.energy_import_wh, &sto.soc_pct})
      if (v->value()) {
        EXPECT_TRUE(std::isfinite(*v->value()));
      }
  }
}

}  // namespace
}  // namespace emsgw::drivers
