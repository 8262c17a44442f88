#include "drivers/heatpump/sg_ready.hpp"

#include <gtest/gtest.h>

#include <map>

#include "drivers/meters/modbus_meter.hpp"
#include "drivers/meters/sim/meter_simulator.hpp"
#include "tests/support/fake_modbus_transport.hpp"

namespace emsgw::drivers {
namespace {

// A relay module: coils and holding registers, each a 0/1 output.
class FakeRelayModule final : public sim::ModbusRequestHandler {
 public:
  std::map<int, bool> outputs;
  std::vector<std::pair<int, bool>> writes;
  sim::ModbusReply handle(const sim::ModbusRequest& r) override {
    if (r.function == 5 || r.function == 6) {
      outputs[r.address] = r.values[0] != 0;
      writes.emplace_back(r.address, r.values[0] != 0);
      return sim::ModbusReply::ok();
    }
    if (r.function == 1 || r.function == 3) {
      std::vector<std::uint16_t> v;
      for (int i = 0; i < r.count; ++i) v.push_back(outputs[r.address + i] ? 1 : 0);
      return sim::ModbusReply::registers_reply(v);
    }
    return sim::ModbusReply::exception(kIllegalFunction);
  }
};

TEST(SgReady, FourStatesAndTheirContacts) {
  EXPECT_EQ(sg_ready_outputs(SgReadyState::Blocked), (SgReadyOutputs{true, false}));
  EXPECT_EQ(sg_ready_outputs(SgReadyState::Normal), (SgReadyOutputs{false, false}));
  EXPECT_EQ(sg_ready_outputs(SgReadyState::Recommended), (SgReadyOutputs{false, true}));
  EXPECT_EQ(sg_ready_outputs(SgReadyState::Forced), (SgReadyOutputs{true, true}));
  for (auto s : {SgReadyState::Blocked, SgReadyState::Normal, SgReadyState::Recommended, SgReadyState::Forced}) {
    EXPECT_EQ(sg_ready_state(sg_ready_outputs(s)), s);
    EXPECT_EQ(parse_sg_ready_state(to_string(s)), s);
  }
}

TEST(SgReady, CoilsWrittenOffBeforeOnAndReadBack) {
  FakeRelayModule relay;
  test::FakeModbusTransport bus(relay);
  ems::ManualClock clock;
  SgReadySettings cfg;
  cfg.output1_address = 16;
  cfg.output2_address = 17;
  SgReadyController sg(bus, clock, cfg, ems::Millis{60000});
  ASSERT_EQ(*sg.request(SgReadyState::Blocked), SgReadyOutcome::Applied);
  EXPECT_EQ(*sg.read_back(), SgReadyState::Blocked);
  relay.writes.clear();
  clock.advance(ems::Millis{61000});
  ASSERT_EQ(*sg.request(SgReadyState::Recommended), SgReadyOutcome::Applied);
  // 1:0 → 0:1: output 1 goes off first, so the pump never sees 1:1 (Forced).
  ASSERT_EQ(relay.writes.size(), 2U);
  EXPECT_EQ(relay.writes[0], (std::pair<int, bool>{16, false}));
  EXPECT_EQ(relay.writes[1], (std::pair<int, bool>{17, true}));
  EXPECT_EQ(*sg.read_back(), SgReadyState::Recommended);
  for (const auto& r : bus.requests) EXPECT_TRUE(r.function == 5 || r.function == 1);
}

TEST(SgReady, RegistersInsteadOfCoils) {
  FakeRelayModule relay;
  test::FakeModbusTransport bus(relay);
  ems::ManualClock clock;
  SgReadySettings cfg;
  cfg.use_coils = false;
  cfg.output1_address = 4001;
  cfg.output2_address = 4002;
  SgReadyController sg(bus, clock, cfg);
  ASSERT_TRUE(sg.request(SgReadyState::Forced).has_value());
  EXPECT_TRUE(relay.outputs[4001]);
  EXPECT_TRUE(relay.outputs[4002]);
  EXPECT_EQ(*sg.read_back(), SgReadyState::Forced);
  for (const auto& r : bus.requests) EXPECT_TRUE(r.function == 6 || r.function == 3);
}

TEST(SgReady, BoostsAreHeldForTheMinimumTimeButReductionsAreNot) {
  FakeRelayModule relay;
  test::FakeModbusTransport bus(relay);
  ems::ManualClock clock;
  SgReadyController sg(bus, clock, SgReadySettings{}, ems::Millis{60000});
  ASSERT_EQ(*sg.request(SgReadyState::Normal), SgReadyOutcome::Applied);
  clock.advance(ems::Millis{10000});
  EXPECT_EQ(*sg.request(SgReadyState::Forced), SgReadyOutcome::Held);
  EXPECT_EQ(*sg.request(SgReadyState::Blocked), SgReadyOutcome::Applied);
  EXPECT_EQ(*sg.request(SgReadyState::Blocked), SgReadyOutcome::Unchanged);
  clock.advance(ems::Millis{60000});
  EXPECT_EQ(*sg.request(SgReadyState::Forced), SgReadyOutcome::Applied);
  EXPECT_EQ(sg.last_applied(), SgReadyState::Forced);
}

TEST(SgReady, WriteFailureLeavesStateUnknown) {
  FakeRelayModule relay;
  test::FakeModbusTransport bus(relay);
  ems::ManualClock clock;
  SgReadyController sg(bus, clock, SgReadySettings{});
  bus.script.push_back(ModbusError{ModbusErrorKind::Timeout, 0, "t"});
  auto r = sg.request(SgReadyState::Blocked);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().transient);
  EXPECT_FALSE(sg.last_applied().has_value());
  EXPECT_EQ(*sg.request(SgReadyState::Blocked), SgReadyOutcome::Applied);
}

TEST(HeatPump, PowerFromAMeterInputAndSgReadyState) {
  const auto* p = find_meter_preset("eastron-sdm230");
  sim::MeterSimulator sdm(*p, 2);
  sdm.set_phase_currents({9.0, 0, 0});
  test::FakeModbusTransport meter_bus(sdm);
  FakeRelayModule relay;
  test::FakeModbusTransport relay_bus(relay);
  ems::ManualClock clock;
  ModbusMeter meter(meter_bus, clock, {2, p->map, p->limits, false, true});
  SgReadyController sg(relay_bus, clock, SgReadySettings{});
  HeatPump hp(meter, &sg);
  ASSERT_TRUE(sg.request(SgReadyState::Recommended).has_value());
  auto r = hp.poll();
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(*r->meter.power_total_w.value(), 9.0 * 230.0, 0.01);
  EXPECT_EQ(r->sg_ready, SgReadyState::Recommended);
}

}  // namespace
}  // namespace emsgw::drivers
