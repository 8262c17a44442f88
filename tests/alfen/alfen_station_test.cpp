// AlfenStation against a scripted transport: decoding, validation of bad input, write
// confirmation and the phase-switch sequence.

#include "drivers/alfen/alfen_station.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tuple>

#include "drivers/alfen/alfen_registers.hpp"
#include "tests/support/fake_modbus_transport.hpp"

namespace emsgw::drivers::alfen {
namespace {

using test::FakeModbusTransport;

bool mentions(const std::vector<std::string>& reasons, const std::string& what) {
  for (const auto& r : reasons)
    if (r.find(what) != std::string::npos) return true;
  return false;
}

class StationDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.set_float(200, 1100, 32);
    t_.set_float(200, 1102, 30);
    t_.set(200, 1104, {1});
    t_.set(200, 1105, {1});
    t_.set(1, 1200, {1});
    t_.set_string(1, 1201, "C2", 5);
    t_.set_float(1, 1206, 16);
    t_.set_u32(1, 1208, 45);
    t_.set_float(1, 1210, 16);
    t_.set_float(1, 1212, 6);
    t_.set(1, 1214, {1});
    t_.set(1, 1215, {3});
    for (int p = 0; p < 3; ++p) {
      t_.set_float(1, 306 + 2 * p, 230);
      t_.set_float(1, 320 + 2 * p, 15.9);
    }
    t_.set_float(1, 344, 10971);
    t_.set(1, 374, encode(302806.0, ValueType::Float64));
  }
  FakeModbusTransport t_;
  ems::ManualClock clock_;
};

TEST_F(StationDriverTest, DecodesEveryGroup) {
  AlfenStation st(t_, clock_);
  const auto r = st.poll();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.station_max_a, 32.0);
  EXPECT_EQ(r.sockets, 1);
  ASSERT_EQ(r.socket.size(), 1u);
  const auto& s = r.socket[0];
  EXPECT_EQ(s.mode3, Mode3State::C2);
  EXPECT_EQ(s.mode3_raw, "C2");
  EXPECT_NEAR(*s.current_a[0], 15.9, 1e-5);
  EXPECT_NEAR(*s.current_a[2], 15.9, 1e-5);
  EXPECT_EQ(s.voltage_v[1], 230.0);
  EXPECT_NEAR(*s.power_w, 10971, 1e-3);
  EXPECT_EQ(s.energy_wh, 302806.0);
  EXPECT_EQ(s.applied_max_a, 16.0);
  EXPECT_EQ(s.remaining_validity_s, 45.0);
  EXPECT_EQ(s.setpoint_a, 16.0);
  EXPECT_EQ(s.safe_current_a, 6.0);
  EXPECT_EQ(s.accounted_for, true);
  EXPECT_EQ(s.phases, 3);
  EXPECT_TRUE(s.rejected.empty());
  EXPECT_EQ(st.rejection_total(), 0u);
}

TEST_F(StationDriverTest, NanIsAbsentNeverZero) {
  t_.set(1, 322, {0xFFFF, 0xFFFF});  // current L2 NaN (§1: unavailable → NaN)
  t_.set(1, 1215, {0xFFFF});
  AlfenStation st(t_, clock_);
  const auto r = st.poll();
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(r.socket[0].current_a[1].has_value());
  EXPECT_FALSE(r.socket[0].phases.has_value());
  EXPECT_TRUE(r.socket[0].current_a[0].has_value());
  EXPECT_TRUE(mentions(r.socket[0].rejected, "current_l2_a: NaN"));
}

TEST_F(StationDriverTest, AbsurdValuesAreRejectedAndCounted) {
  t_.set_float(1, 320, -5);
  t_.set_float(1, 324, 1500);
  t_.set_float(1, 1206, std::numeric_limits<double>::infinity());
  t_.set(1, 1214, {7});
  AlfenStation st(t_, clock_);
  auto r = st.poll();
  const auto& s = r.socket[0];
  EXPECT_FALSE(s.current_a[0].has_value());
  EXPECT_FALSE(s.current_a[2].has_value());
  EXPECT_FALSE(s.applied_max_a.has_value());
  EXPECT_FALSE(s.accounted_for.has_value());
  EXPECT_TRUE(mentions(s.rejected, "current_l1_a: -5 A is negative"));
  EXPECT_TRUE(mentions(s.rejected, "current_l3_a: 1500 A is outside 0..1000"));
  EXPECT_TRUE(mentions(s.rejected, "applied_max_current_a"));
  EXPECT_EQ(st.rejections().at("socket 1 current_l1_a: -5 A is negative"), 1u);
  r = st.poll();
  EXPECT_EQ(st.rejections().at("socket 1 current_l1_a: -5 A is negative"), 2u);
}

TEST_F(StationDriverTest, GarbledMode3AndShortRepliesAreRejected) {
  t_.set_string(1, 1201, "Z9", 5);
  AlfenStation st(t_, clock_);
  auto r = st.poll();
  EXPECT_FALSE(r.socket[0].mode3.has_value());
  EXPECT_TRUE(mentions(r.socket[0].rejected, "unknown state 'Z9'"));
  t_.short_read(1, 1200, 7);
  r = st.poll();
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.socket[0].ok);
  EXPECT_TRUE(mentions(r.socket[0].rejected, "short reply (7 of 16"));
  EXPECT_FALSE(r.socket[0].setpoint_a.has_value());
}

TEST_F(StationDriverTest, TransportErrorsAreReportedNotThrown) {
  t_.fail_read(200, 1100, ModbusError{ModbusErrorKind::Timeout, 0, "no answer"});
  AlfenStation st(t_, clock_);
  const auto r = st.poll();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind, ModbusErrorKind::Timeout);
  EXPECT_TRUE(r.socket.empty());
}

TEST_F(StationDriverTest, SetpointIsOneFc16OfTwoRegistersAndConfirmed) {
  AlfenStation st(t_, clock_);
  t_.on_write = [&](const FakeModbusTransport::Write& w) {
    if (w.address == 1210) {
      t_.set(w.unit, 1210, w.values);
      t_.set_u32(w.unit, 1208, 60);
    }
  };
  const auto c = st.write_setpoint(1, 8.0);
  ASSERT_EQ(t_.writes.size(), 1u);
  EXPECT_EQ(t_.writes[0].function, 16);
  EXPECT_EQ(t_.writes[0].unit, 1);
  EXPECT_EQ(t_.writes[0].address, 1210);
  EXPECT_EQ(t_.writes[0].values, (std::vector<std::uint16_t>{0x4100, 0x0000}));
  EXPECT_TRUE(c.written);
  EXPECT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(c.remaining_validity_s, 60.0);
  EXPECT_EQ(c.readback_a, 8.0);
  EXPECT_EQ(c.applied_a, 16.0);  // the scripted station keeps 1206 — reported as is
}

TEST_F(StationDriverTest, NotAccountedForIsNotAccepted) {
  t_.set(1, 1214, {0});
  t_.on_write = [&](const FakeModbusTransport::Write& w) { t_.set(w.unit, 1210, w.values); };
  AlfenStation st(t_, clock_);
  const auto c = st.write_setpoint(1, 16.0);
  EXPECT_TRUE(c.written);
  EXPECT_FALSE(c.accepted);
  EXPECT_NE(c.reason.find("1214 = 0"), std::string::npos);
}

TEST_F(StationDriverTest, EchoFromAnotherMasterIsNotAccepted) {
  AlfenStation st(t_, clock_);  // 1210 keeps reading 16 A
  const auto c = st.write_setpoint(1, 10.0);
  EXPECT_FALSE(c.accepted);
  EXPECT_NE(c.reason.find("another master"), std::string::npos);
}

TEST_F(StationDriverTest, BadSetpointsAreNeverWritten) {
  AlfenStation st(t_, clock_);
  for (const double bad : {std::nan(""), -1.0, 1000.5, std::numeric_limits<double>::infinity()}) {
    const auto c = st.write_setpoint(1, bad);
    EXPECT_FALSE(c.written);
    EXPECT_FALSE(c.accepted);
    EXPECT_FALSE(c.reason.empty());
  }
  EXPECT_FALSE(st.write_setpoint(3, 6).written);
  EXPECT_TRUE(t_.writes.empty());
}

TEST_F(StationDriverTest, Exception1ExplainsTheDataSource) {
  t_.fail_write(1, 1210, ModbusError{ModbusErrorKind::Exception, kIllegalFunction, ""});
  AlfenStation st(t_, clock_);
  const auto c = st.write_setpoint(1, 16);
  EXPECT_FALSE(c.written);
  EXPECT_NE(c.reason.find("Energy Management System"), std::string::npos);
}

TEST_F(StationDriverTest, PhaseSwitchSequencePausesWritesWaitsResumes) {
  t_.on_write = [&](const FakeModbusTransport::Write& w) {
    if (w.address == 1210) {
      t_.set(w.unit, 1210, w.values);
      t_.set_u32(w.unit, 1208, 60);
    }
  };
  AlfenStation st(t_, clock_);
  std::vector<std::string> order;
  std::vector<ems::Millis> waits;
  const auto r = st.switch_phases(1, 1, 10.0, {ems::Millis(10000), ems::Millis(5000)}, [&](ems::Millis d) {
    waits.push_back(d);
    order.push_back("wait");
  });
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(t_.writes.size(), 3u);
  EXPECT_EQ(t_.writes[0].address, 1210);
  EXPECT_EQ(t_.writes[0].values, (std::vector<std::uint16_t>{0, 0}));  // pause at 0 A
  EXPECT_EQ(t_.writes[1].address, 1215);
  EXPECT_EQ(t_.writes[1].function, 6);
  EXPECT_EQ(t_.writes[1].values, (std::vector<std::uint16_t>{1}));
  EXPECT_EQ(t_.writes[2].values, (std::vector<std::uint16_t>{0x4120, 0}));  // resume at 10 A
  EXPECT_EQ(waits, (std::vector<ems::Millis>{ems::Millis(10000), ems::Millis(5000)}));
}

TEST_F(StationDriverTest, Exception3OnPhasesMeansSwitchingNotAllowed) {
  t_.fail_write(1, 1215, ModbusError{ModbusErrorKind::Exception, kIllegalDataValue, ""});
  AlfenStation st(t_, clock_);
  auto w = st.write_phases(1, 1);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().describe().find("phase switching not allowed on this station"), std::string::npos);
  const auto r = st.switch_phases(1, 1, 16, {}, [](ems::Millis) {});
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.not_allowed);
  EXPECT_NE(r.message.find("phase switching not allowed on this station"), std::string::npos);
  EXPECT_FALSE(st.write_phases(1, 2));  // neither 1 nor 3: refused before writing
}

TEST_F(StationDriverTest, IdentifiesTheStation) {
  t_.set_string(200, 100, "ALF_1000", 17);
  t_.set_string(200, 117, "Alfen NV", 5);
  t_.set(200, 122, {1});
  t_.set_string(200, 123, "6.1.0-4159", 17);
  t_.set_string(200, 140, "NG910", 17);
  t_.set_string(200, 157, "ACE0287582", 11);
  t_.set(200, 174, {0, 0, 0, 5000});
  AlfenStation st(t_, clock_);
  const auto id = st.identify();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "ALF_1000");
  EXPECT_EQ(id->manufacturer, "Alfen NV");
  EXPECT_EQ(id->firmware, "6.1.0-4159");
  EXPECT_EQ(id->platform, "NG910");
  EXPECT_EQ(id->serial, "ACE0287582");
  EXPECT_EQ(id->table_version, 1);
  EXPECT_EQ(id->uptime_ms, 5000u);
  EXPECT_EQ(id->sockets, 1);
}

TEST(StationDriverFuzz, RandomRepliesNeverYieldImplausibleValues) {
  // Random register contents (and random short replies) must never crash the decoder or produce a
  // value outside its plausible range: every value is either absent or sane.
  std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  ems::ManualClock clock;
  for (int round = 0; round < 300; ++round) {
    test::FakeModbusTransport t;
    for (const auto& [unit, start, count] :
         {std::tuple{200, 1100, 6}, std::tuple{200, 1400, 32}, std::tuple{1, 300, 126}, std::tuple{1, 1200, 16}}) {
      std::vector<std::uint16_t> words;
      for (int i = 0; i < count; ++i) {
        const auto r = next();
        // Mix plain random words with NaN patterns and small floats.
        words.push_back(r % 7 == 0 ? 0xFFFF : static_cast<std::uint16_t>(r >> 16));
      }
      t.set(unit, start, words);
      if (next() % 11 == 0) t.short_read(unit, start, static_cast<std::size_t>(next() % static_cast<unsigned>(count)));
    }
    t.set(200, 1105, {1});
    AlfenStation st(t, clock, {.sockets = 1, .read_scn = true});
    const auto r = st.poll();
    for (const auto& s : r.socket) {
      for (const auto& i : s.current_a) EXPECT_TRUE(!i || (*i >= 0 && *i <= kMaxPlausibleCurrentA));
      for (const auto& v : {s.applied_max_a, s.setpoint_a, s.safe_current_a})
        EXPECT_TRUE(!v || (*v >= 0 && *v <= kMaxPlausibleCurrentA));
      EXPECT_TRUE(!s.phases || (*s.phases == 1 || *s.phases == 3));
      EXPECT_TRUE(!s.power_w || (std::isfinite(*s.power_w)));
      EXPECT_TRUE(!s.energy_wh || (*s.energy_wh >= 0));
    }
    EXPECT_TRUE(!r.station_max_a || (*r.station_max_a >= 0 && *r.station_max_a <= kMaxPlausibleCurrentA));
  }
}

}  // namespace
}  // namespace emsgw::drivers::alfen
