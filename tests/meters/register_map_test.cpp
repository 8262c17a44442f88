#include "drivers/meters/register_map.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "drivers/meters/modbus_meter.hpp"
#include "drivers/meters/sim/meter_simulator.hpp"
#include "tests/support/fake_modbus_transport.hpp"

namespace emsgw::drivers {
namespace {

MapEntry entry(Quantity q, int addr, int fc = 4, ValueType t = ValueType::Float32) {
  return {q, {addr, fc, t, WordOrder::HighFirst, 1.0}};
}

TEST(PlanReads, AdjacentRegistersMergeIntoOneRead) {
  std::vector<MapEntry> m{entry(Quantity::CurrentL2, 2), entry(Quantity::CurrentL1, 0), entry(Quantity::CurrentL3, 4)};
  const auto plan = plan_reads(m, {});
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0], (ReadBlock{4, 0, 6}));
}

TEST(PlanReads, GapsAndFunctionCodesSplit) {
  std::vector<MapEntry> m{entry(Quantity::CurrentL1, 0), entry(Quantity::CurrentL2, 10),
                          entry(Quantity::VoltageL1, 0, 3, ValueType::U16)};
  auto plan = plan_reads(m, {125, 0});
  ASSERT_EQ(plan.size(), 3U);
  EXPECT_EQ(plan[0], (ReadBlock{3, 0, 1}));
  EXPECT_EQ(plan[1], (ReadBlock{4, 0, 2}));
  EXPECT_EQ(plan[2], (ReadBlock{4, 10, 2}));
  plan = plan_reads(m, {125, 8});  // a gap of 8 unmapped registers may be read through
  ASSERT_EQ(plan.size(), 2U);
  EXPECT_EQ(plan[1], (ReadBlock{4, 0, 12}));
}

TEST(PlanReads, NeverMoreThanTheLimitPerRequest) {
  std::vector<MapEntry> m;
  for (int a = 0; a < 400; a += 2) m.push_back(entry(Quantity::PowerL1, a));
  for (int limit : {125, 60}) {
    const auto plan = plan_reads(m, {limit, 0});
    int total = 0;
    for (const auto& b : plan) {
      EXPECT_LE(b.count, limit);
      total += b.count;
    }
    EXPECT_EQ(total, 400);
    EXPECT_EQ(plan.size(), static_cast<std::size_t>((400 + (limit / 2 * 2) - 1) / (limit / 2 * 2)));
  }
}

TEST(PlanReads, EastronPresetRespectsThirtyParameters) {
  const auto* p = find_meter_preset("eastron-sdm630");
  ASSERT_NE(p, nullptr);
  const auto plan = plan_reads(p->map, p->limits);
  for (const auto& b : plan) EXPECT_LE(b.count, 60);  // SDM72D-M manual p.14: ≤ 30 parameters
  EXPECT_EQ(plan.size(), 2U);
}

// Every type with both word orders, through a simulator serving that custom map.
TEST(CustomMap, EveryTypeAndWordOrderRoundTrips) {
  const std::vector<ValueType> types{ValueType::U16, ValueType::S16, ValueType::U32,     ValueType::S32,
                                     ValueType::U64, ValueType::S64, ValueType::Float32, ValueType::Float64};
  for (auto t : types) {
    for (auto order : {WordOrder::HighFirst, WordOrder::LowFirst}) {
      const bool is_float = t == ValueType::Float32 || t == ValueType::Float64;
      const bool is_signed = t == ValueType::S16 || t == ValueType::S32 || t == ValueType::S64 || is_float;
      const double scale = is_float ? 1.0 : 0.1;
      const int n = register_count(t);
      std::vector<MapEntry> map{{Quantity::CurrentL1, {100, 3, t, order, scale}},
                                {Quantity::PowerL1, {100 + n, 3, t, order, scale}},
                                {Quantity::VoltageL1, {100 + 2 * n, 3, t, order, scale}},
                                {Quantity::EnergyImport, {100 + 3 * n, 3, t, order, scale}}};
      sim::MeterSimulator device(map, 7);
      auto st = device.state();
      st.voltage_v = {231.5, 0, 0};
      st.energy_import_kwh = 1520.3;
      device.set_state(st);
      device.set_phase_currents({is_signed ? -6.2 : 6.2, 0, 0});
      test::FakeModbusTransport bus(device);
      ems::ManualClock clock;
      ModbusMeter meter(bus, clock, {7, map, {125, 0}, false, true});
      auto r = meter.poll();
      const std::string what = std::string(to_string(t)) + " " + std::string(to_string(order));
      ASSERT_TRUE(r.has_value()) << what << ": " << r.error().message;
      EXPECT_EQ(bus.requests.size(), 1U) << what;  // neighbours: one request
      EXPECT_NEAR(*r->current_a[0].value(), is_signed ? -6.2 : 6.2, 0.051) << what;
      EXPECT_NEAR(*r->power_w[0].value(), (is_signed ? -6.2 : 6.2) * 231.5, 0.101) << what;  // 0.1 W steps
      EXPECT_NEAR(*r->voltage_v[0].value(), 231.5, 0.051) << what;
      EXPECT_NEAR(*r->energy_import_wh.value(), 1520300.0, 101.0) << what;  // 0.1 kWh steps
    }
  }
}

TEST(CustomMap, WrongWordOrderIsRejectedAndHinted) {
  std::vector<MapEntry> served{{Quantity::VoltageL1, {0, 4, ValueType::Float32, WordOrder::LowFirst, 1.0}}};
  std::vector<MapEntry> configured{{Quantity::VoltageL1, {0, 4, ValueType::Float32, WordOrder::HighFirst, 1.0}}};
  sim::MeterSimulator device(served, 1);
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, configured, {}, false, true});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->voltage_v[0].valid());
  const auto hints = modbus_meter_hints(meter, &*r);
  bool found = false;
  for (const auto& h : hints) found = found || h.find("low-first") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(CustomMap, WrongFunctionCodeIsHinted) {
  std::vector<MapEntry> served{{Quantity::CurrentL1, {0, 4, ValueType::Float32, WordOrder::HighFirst, 1.0}}};
  std::vector<MapEntry> configured{{Quantity::CurrentL1, {0, 3, ValueType::Float32, WordOrder::HighFirst, 1.0}}};
  sim::MeterSimulator device(served, 1);
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, configured, {}, false, true});
  auto r = meter.poll();
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(r.error().transient);
  const auto hints = modbus_meter_hints(meter, nullptr);
  ASSERT_FALSE(hints.empty());
  EXPECT_NE(hints[0].find("function = 3"), std::string::npos);
}

TEST(CustomMap, WrongScaleIsHinted) {
  std::vector<MapEntry> served{{Quantity::VoltageL1, {0, 4, ValueType::U32, WordOrder::HighFirst, 0.01}}};
  std::vector<MapEntry> configured{{Quantity::VoltageL1, {0, 4, ValueType::U32, WordOrder::HighFirst, 1.0}}};
  sim::MeterSimulator device(served, 1);
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, configured, {}, false, true});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->voltage_v[0].why(), Invalid::OutOfRange);  // 23000 V
  const auto hints = modbus_meter_hints(meter, &*r);
  bool found = false;
  for (const auto& h : hints) found = found || h.find("×0.01") != std::string::npos;
  EXPECT_TRUE(found) << (hints.empty() ? "" : hints[0]);
}

TEST(ModbusMeterErrors, TimeoutIsTransientAndTimestampsComeFromTheClock) {
  const auto* p = find_meter_preset("eastron-sdm630");
  sim::MeterSimulator device(*p, 1);
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock(ems::MonoTime{std::chrono::seconds{100}}, ems::WallTime{std::chrono::seconds{1700000000}});
  ModbusMeter meter(bus, clock, {1, p->map, p->limits, false, true});
  bus.script.push_back(ModbusError{ModbusErrorKind::Timeout, 0, "t"});
  auto r = meter.poll();
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().transient);
  EXPECT_EQ(r.error().kind, MeterError::Kind::Timeout);
  clock.advance(ems::Millis{250});
  r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->mono, ems::MonoTime{std::chrono::milliseconds{100250}});
  EXPECT_EQ(r->wall.time_since_epoch(), std::chrono::milliseconds{1700000000250});
  EXPECT_TRUE(r->stale(r->mono + ems::Millis{3001}, ems::Millis{3000}));
  const auto old = r->aged(r->mono + ems::Millis{3001}, ems::Millis{3000});
  EXPECT_EQ(old.voltage_v[0].why(), Invalid::Stale);
  EXPECT_FALSE(old.voltage_v[0].value().has_value());
}

TEST(ModbusMeterErrors, NanValuesAreCountedNotPassedOn) {
  const auto* p = find_meter_preset("eastron-sdm630");
  sim::MeterSimulator device(*p, 1);
  device.set_fault(sim::MeterFault::NanValues);
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, p->map, p->limits, false, true});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value());
  for (const auto& m : r->current_a) EXPECT_EQ(m.why(), Invalid::NotANumber);
  EXPECT_EQ(r->rejected, static_cast<int>(p->map.size()));
  EXPECT_EQ(meter.stats().rejected_values, p->map.size());
}

TEST(ModbusMeterErrors, EnergyGoingBackwardsIsImplausible) {
  const auto* p = find_meter_preset("eastron-sdm630");
  sim::MeterSimulator device(*p, 1);
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {1, p->map, p->limits, false, true});
  ASSERT_TRUE(meter.poll().has_value());
  auto st = device.state();
  st.energy_import_kwh -= 10.0;
  device.set_state(st);
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->energy_import_wh.why(), Invalid::Implausible);
  EXPECT_TRUE(r->energy_export_wh.valid());
}

// Bounded random register contents: decoding never crashes and never yields a non-finite value.
TEST(ModbusReplyDecoding, RandomRegistersNeverYieldNonFiniteValues) {
  std::mt19937 rng(99);
  for (const auto& preset : meter_presets()) {
    const auto plan = plan_reads(preset.map, preset.limits);
    for (int round = 0; round < 300; ++round) {
      std::vector<std::vector<std::uint16_t>> data;
      for (const auto& b : plan) {
        std::vector<std::uint16_t> regs(static_cast<std::size_t>(round % 7 == 0 ? b.count / 2 : b.count));
        for (auto& w : regs) w = static_cast<std::uint16_t>(rng());
        data.push_back(std::move(regs));
      }
      const auto r = decode_map(preset.map, plan, data);
      for (auto q : all_quantities()) {
        const auto v = get_quantity(r, q).value();
        if (v) {
          EXPECT_TRUE(std::isfinite(*v));
          EXPECT_GE(*v, plausible_range(q).min);
          EXPECT_LE(*v, plausible_range(q).max);
        }
      }
    }
  }
}

}  // namespace
}  // namespace emsgw::drivers
