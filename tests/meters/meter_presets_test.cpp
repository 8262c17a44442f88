#include "drivers/meters/meter_presets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "drivers/meters/modbus_meter.hpp"
#include "drivers/meters/sim/meter_simulator.hpp"
#include "tests/support/fake_modbus_transport.hpp"

namespace emsgw::drivers {
namespace {

TEST(MeterPresets, NamesMatchTheTablesPlusCustom) {
  const auto& names = meter_preset_names();
  ASSERT_EQ(names.size(), meter_presets().size() + 1);
  EXPECT_EQ(names.back(), "custom");
  for (const char* n :
       {"eastron-sdm630", "eastron-sdm72d-m-v2", "eastron-sdm230", "eastron-sdm120ct", "eastron-sdm72ct",
        "socomec-countis-e", "socomec-diris", "carlo-gavazzi-em24", "carlo-gavazzi-em340"})
    EXPECT_NE(find_meter_preset(n), nullptr) << n;
  EXPECT_EQ(find_meter_preset("custom"), nullptr);
}

TEST(MeterPresets, EveryPresetHasASourceAndNoOverlappingRegisters) {
  for (const auto& p : meter_presets()) {
    EXPECT_FALSE(p.source.empty()) << p.name;
    std::set<std::pair<int, int>> used;
    std::set<int> starts;
    for (const auto& e : p.map) {
      EXPECT_TRUE(e.reg.function == 3 || e.reg.function == 4) << p.name;
      if (!starts.insert(e.reg.address).second) continue;  // same register twice (single-phase total) is fine
      for (int i = 0; i < register_count(e.reg.type); ++i)
        EXPECT_TRUE(used.insert({e.reg.function, e.reg.address + i}).second) << p.name << " " << e.reg.address;
    }
  }
}

TEST(MeterPresets, CtPresetsCarryTheHundredfoldScaling) {
  // The CT ratio scales what flows through the CT: current, power and the energy totals alike.
  for (const char* n : {"eastron-sdm120ct", "eastron-sdm72ct"})
    for (const auto& e : find_meter_preset(n)->map) {
      const bool scaled =
          e.quantity != Quantity::VoltageL1 && e.quantity != Quantity::VoltageL2 && e.quantity != Quantity::VoltageL3;
      EXPECT_DOUBLE_EQ(e.reg.scale, scaled ? 100.0 : 1.0) << n << " " << to_string(e.quantity);
    }
}

// Every preset decoded from its simulator, with a phase exporting: signs come out right even
// though the meter serves current magnitudes.
TEST(MeterPresets, EveryPresetDecodesFromItsSimulator) {
  for (const auto& p : meter_presets()) {
    sim::MeterSimulator device(p, 5);
    auto st = device.state();
    st.voltage_v = {229.5, 231.0, 232.5};
    st.energy_import_kwh = 4321.5;
    st.energy_export_kwh = 123.25;
    st.current_n_a = 1.5;
    device.set_state(st);
    device.set_phase_currents({12.5, -3.25, 0.75});
    test::FakeModbusTransport bus(device);
    ems::ManualClock clock;
    ModbusMeter meter(bus, clock, {5, p.map, p.limits, false, true});
    auto r = meter.poll();
    ASSERT_TRUE(r.has_value()) << p.name << ": " << r.error().message;
    EXPECT_EQ(bus.requests.size(), meter.plan().size()) << p.name;
    for (const auto& req : bus.requests) EXPECT_LE(req.count, p.limits.max_registers);
    // Tolerance = the resolution of each preset's register (Socomec 10 W, Carlo Gavazzi 0.1 kWh).
    auto res = [&p](Quantity q) {
      for (const auto& e : p.map)
        if (e.quantity == q)
          return std::max(
              0.06, e.reg.scale * ((q == Quantity::EnergyImport || q == Quantity::EnergyExport) ? 1000.0 : 1.0) * 0.51);
      return 0.06;
    };
    const double tol = 0.06;
    EXPECT_NEAR(*r->current_a[0].value(), 12.5, tol) << p.name;
    EXPECT_NEAR(*r->voltage_v[0].value(), 229.5, tol) << p.name;
    EXPECT_NEAR(*r->power_w[0].value(), 12.5 * 229.5, res(Quantity::PowerL1)) << p.name;
    EXPECT_NEAR(*r->energy_import_wh.value(), 4321500.0, res(Quantity::EnergyImport)) << p.name;
    EXPECT_NEAR(*r->energy_export_wh.value(), 123250.0, res(Quantity::EnergyExport)) << p.name;
    EXPECT_EQ(r->rejected, 0) << p.name;
    if (p.phases == 3) {
      EXPECT_NEAR(*r->current_a[1].value(), -3.25, tol) << p.name;  // export: sign from power
      EXPECT_NEAR(*r->current_a[2].value(), 0.75, tol) << p.name;
      EXPECT_NEAR(*r->power_total_w.value(), 12.5 * 229.5 - 3.25 * 231.0 + 0.75 * 232.5,
                  std::max(0.2, res(Quantity::PowerTotal)))
          << p.name;
      EXPECT_NEAR(*r->voltage_v[2].value(), 232.5, tol) << p.name;
    } else {
      EXPECT_EQ(r->current_a[1].why(), Invalid::Missing) << p.name;
      EXPECT_NEAR(*r->power_total_w.value(), 12.5 * 229.5, res(Quantity::PowerTotal)) << p.name;
    }
  }
}

TEST(MeterPresets, InvertFlipsDirection) {
  const auto* p = find_meter_preset("socomec-countis-e");
  sim::MeterSimulator device(*p, 5);
  device.set_phase_currents({10.0, 0.0, 0.0});
  test::FakeModbusTransport bus(device);
  ems::ManualClock clock;
  ModbusMeter meter(bus, clock, {5, p->map, p->limits, true, true});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(*r->current_a[0].value(), -10.0, 0.01);
  EXPECT_NEAR(*r->energy_import_wh.value(), 321000.0, 10.0);  // swapped with export
}

TEST(MeterPresets, ResolveCustomOrPreset) {
  MeterSettings s;
  s.preset = "carlo-gavazzi-em340";
  EXPECT_EQ(resolve_meter_map(s).map.size(), find_meter_preset("carlo-gavazzi-em340")->map.size());
  s.preset = "custom";
  s.custom[Quantity::CurrentL1] = RegisterSpec{10, 3, ValueType::S16, WordOrder::HighFirst, 0.1};
  const auto m = resolve_meter_map(s);
  ASSERT_EQ(m.map.size(), 1U);
  EXPECT_EQ(m.map[0].reg.address, 10);
}

}  // namespace
}  // namespace emsgw::drivers
