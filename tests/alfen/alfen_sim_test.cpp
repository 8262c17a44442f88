// The Alfen driver against the station simulator over loopback, and the simulator's own
// behaviour (validity, EV response, phase mapping, Mode 3 transitions).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "drivers/alfen/alfen_station.hpp"
#include "drivers/alfen/sim/alfen_station_sim.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/modbus/register_codec.hpp"
#include "tests/support/process.hpp"

namespace emsgw::drivers::alfen {
namespace {

using namespace std::chrono_literals;

TcpLink link_to(int port) {
  TcpLink l;
  l.host = "127.0.0.1";
  l.port = port;
  l.timing.connect_timeout_ms = 500;
  l.timing.response_timeout_ms = 500;
  l.timing.initial_backoff_ms = 50;
  l.timing.max_backoff_ms = 200;
  return l;
}

AlfenSimConfig double_station() {
  AlfenSimConfig c;
  c.sockets = 2;
  c.validity_s = 3;
  c.station_max_a = 32;
  c.ev_response_delay = 2s;
  c.socket[0].safe_current_a = 6;
  c.socket[1].safe_current_a = 8;
  return c;
}

/// Simulated time moves only with advance(): the base clock stands still.
class SimTest : public ::testing::Test {
 protected:
  explicit SimTest(AlfenSimConfig cfg = double_station()) : sim_(cfg, &frozen_) {}
  void SetUp() override {
    auto p = sim_.start(0);
    ASSERT_TRUE(p) << p.error();
    port_ = *p;
  }
  void TearDown() override { sim_.stop(); }
  ems::ManualClock frozen_;
  AlfenSimRunner sim_;
  int port_ = 0;
  ems::ManualClock clock_;
};

TEST_F(SimTest, DriverDecodesEveryRegisterGroup) {
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_, {.sockets = 0, .read_scn = true});
  const auto id = st.identify();
  ASSERT_TRUE(id) << id.error().describe();
  EXPECT_EQ(id->name, "ALF_1000");
  EXPECT_EQ(id->manufacturer, "Alfen NV");
  EXPECT_EQ(id->firmware, "6.4.0-4210");
  EXPECT_EQ(id->platform, "NG920");
  EXPECT_EQ(id->serial, "ACE0000001");
  EXPECT_EQ(id->sockets, 2);
  ASSERT_EQ(sim_.command("plug 1 phases=3 max=16 min=6"), "ok plugged socket 1");
  sim_.station().advance(2500ms);
  const auto r = st.poll();
  ASSERT_TRUE(r.ok) << (r.error ? r.error->describe() : "");
  EXPECT_EQ(r.station_max_a, 32.0);
  EXPECT_EQ(r.sockets, 2);
  ASSERT_TRUE(r.scn.has_value());
  EXPECT_EQ(r.scn->enabled, false);
  EXPECT_EQ(r.scn->safe_current_a, 6.0);
  ASSERT_EQ(r.socket.size(), 2u);
  const auto& s1 = r.socket[0];
  EXPECT_EQ(s1.mode3, Mode3State::C2);
  EXPECT_EQ(s1.current_a[0], 6.0);  // safe current: no EMS set-point yet
  EXPECT_EQ(s1.current_a[2], 6.0);
  EXPECT_EQ(s1.voltage_v[0], 230.0);
  EXPECT_EQ(s1.power_w, 6.0 * 3 * 230);
  EXPECT_EQ(s1.applied_max_a, 6.0);
  EXPECT_EQ(s1.remaining_validity_s, 0.0);
  EXPECT_EQ(s1.setpoint_a, 6.0);
  EXPECT_EQ(s1.safe_current_a, 6.0);
  EXPECT_EQ(s1.accounted_for, false);
  EXPECT_EQ(s1.phases, 3);
  EXPECT_TRUE(s1.rejected.empty());
  EXPECT_EQ(r.socket[1].mode3, Mode3State::A);
  EXPECT_EQ(r.socket[1].current_a[0], 0.0);
  EXPECT_EQ(r.socket[1].safe_current_a, 8.0);
  EXPECT_TRUE(st.ping());
}

TEST_F(SimTest, WriteIsConfirmedAndExpiresToTheSafeCurrent) {
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.command("plug 1 phases=3 max=16 min=6");
  const auto c = st.write_setpoint(1, 10.0);
  ASSERT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(c.remaining_validity_s, 3.0);
  EXPECT_EQ(c.readback_a, 10.0);
  EXPECT_EQ(c.accounted_for, true);
  EXPECT_EQ(c.applied_a, 10.0);
  sim_.station().advance(1200ms);
  auto r = st.poll();
  EXPECT_EQ(r.socket[0].remaining_validity_s, 2.0);
  EXPECT_EQ(r.socket[0].setpoint_a, 10.0);
  // A refresh restarts the countdown.
  const auto again = st.write_setpoint(1, 10.0);
  EXPECT_TRUE(again.accepted) << again.reason;
  EXPECT_EQ(again.remaining_validity_s, 3.0);
  sim_.station().advance(3100ms);
  r = st.poll();
  EXPECT_EQ(r.socket[0].remaining_validity_s, 0.0);
  EXPECT_EQ(r.socket[0].setpoint_a, 6.0);  // §4.3: 1210 reads the safe current after expiry
  EXPECT_EQ(r.socket[0].applied_max_a, 6.0);
  EXPECT_EQ(r.socket[0].accounted_for, true);  // §4.3: 1214 alone proves nothing
  sim_.station().advance(2100ms);
  r = st.poll();
  EXPECT_EQ(r.socket[0].current_a[0], 6.0);  // the EV followed the fallback
}

TEST_F(SimTest, ValidityChangedOverTheControlInterface) {
  ASSERT_EQ(sim_.command("validity 1"), "ok");
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.station().advance(0ms);
  const auto c = st.write_setpoint(2, 12.0);
  ASSERT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(c.remaining_validity_s, 1.0);
  sim_.station().advance(1500ms);
  const auto r = st.poll();
  EXPECT_EQ(r.socket[1].remaining_validity_s, 0.0);
  EXPECT_EQ(r.socket[1].setpoint_a, 8.0);
}

TEST_F(SimTest, EvRespondsAfterItsDelayAndMode3Follows) {
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.command("plug 1 phases=1 max=16 min=6");
  auto s = sim_.station().socket_state(1);
  EXPECT_EQ(s.mode3, "B2");  // offered the safe current, EV not drawing yet
  sim_.station().advance(2000ms);
  EXPECT_EQ(sim_.station().socket_state(1).mode3, "C2");
  EXPECT_EQ(sim_.station().socket_state(1).drawn_a, 6.0);
  ASSERT_TRUE(st.write_setpoint(1, 20.0).accepted);
  sim_.station().advance(1000ms);
  EXPECT_EQ(sim_.station().socket_state(1).drawn_a, 6.0);  // still inside the response delay
  sim_.station().advance(1100ms);
  EXPECT_EQ(sim_.station().socket_state(1).drawn_a, 16.0);  // min(applied 20, EV max 16)
  ASSERT_TRUE(st.write_setpoint(1, 0.0).accepted);
  EXPECT_EQ(sim_.station().socket_state(1).mode3, "C1");  // PWM off, EV still drawing
  sim_.station().advance(2100ms);
  s = sim_.station().socket_state(1);
  EXPECT_EQ(s.mode3, "B1");
  EXPECT_EQ(s.drawn_a, 0.0);
  sim_.command("unplug 1");
  EXPECT_EQ(sim_.station().socket_state(1).mode3, "A");
  sim_.command("plug 1 min=14");  // a 14 A car offered 10 A draws nothing
  ASSERT_TRUE(st.write_setpoint(1, 10.0).accepted);
  sim_.station().advance(2100ms);
  EXPECT_EQ(sim_.station().socket_state(1).drawn_a, 0.0);
  EXPECT_EQ(sim_.station().socket_state(1).mode3, "B2");
  sim_.command("fault 1 F");
  const auto r = st.poll();
  EXPECT_EQ(r.socket[0].mode3, Mode3State::F);
}

TEST_F(SimTest, EnergyCounterCounts) {
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.command("plug 1 phases=3 max=16 delay=0");
  ASSERT_TRUE(st.write_setpoint(1, 10.0).accepted);
  sim_.station().advance(0ms);
  const auto before = st.poll().socket[0].energy_wh.value_or(-1);
  sim_.command("advance 3600");
  ASSERT_TRUE(st.write_setpoint(1, 10.0).accepted);  // (validity 3 s: refresh, then read)
  const auto after = st.poll().socket[0].energy_wh.value_or(-1);
  // 10 A for 3 s, then the safe 6 A: 3 × 230 V × (10 A × 3 s + 6 A × 3597 s) / 3600.
  EXPECT_NEAR(after - before, 3 * 230.0 * (10 * 3 + 6 * 3597) / 3600.0, 1.0);
}

TEST_F(SimTest, PhaseMappingAndPhaseSwitching) {
  ASSERT_EQ(sim_.command("wiring 2 L2L3L1"), "ok");
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.command("plug 1 phases=1 delay=0");
  sim_.command("plug 2 phases=3 delay=0");
  ASSERT_TRUE(st.write_setpoint(1, 10.0).accepted);
  ASSERT_TRUE(st.write_setpoint(2, 12.0).accepted);
  sim_.station().advance(100ms);
  auto r = st.poll();
  // Currents per station phase: a 1-phase EV uses the socket's first phase.
  EXPECT_EQ(r.socket[0].current_a[0], 10.0);
  EXPECT_EQ(r.socket[0].current_a[1], 0.0);
  EXPECT_EQ(r.socket[1].current_a[2], 12.0);
  // Per grid phase through the wiring: socket 2's L1 is on grid L2.
  const auto grid = sim_.station().grid_currents_a();
  EXPECT_EQ(grid[0], 10.0 + 12.0);
  EXPECT_EQ(grid[1], 12.0);
  EXPECT_EQ(grid[2], 12.0);
  // 1215 honoured: switch socket 2 to one phase.
  const auto sw = st.switch_phases(2, 1, 12.0, {1ms, 1ms}, [&](ems::Millis d) { sim_.station().advance(d); });
  ASSERT_TRUE(sw.ok) << sw.message;
  sim_.station().advance(100ms);
  r = st.poll();
  EXPECT_EQ(r.socket[1].phases, 1);
  EXPECT_EQ(r.socket[1].current_a[0], 12.0);
  EXPECT_EQ(r.socket[1].current_a[1], 0.0);
  EXPECT_EQ(sim_.station().grid_currents_a()[1], 12.0);
  EXPECT_EQ(sim_.station().grid_currents_a()[2], 0.0);
  // A 1-phase wired socket reports no voltage on L2/L3.
  sim_.command("wiring 1 L3");
  r = st.poll();
  EXPECT_EQ(r.socket[0].voltage_v[1], 0.0);
  EXPECT_EQ(sim_.station().grid_currents_a()[2], 10.0);
}

TEST_F(SimTest, BothSocketsTogetherStayWithinTheStationMaximum) {
  sim_.command("station-max 20");
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.command("plug 1 phases=3 max=32 delay=0");
  sim_.command("plug 2 phases=3 max=32 delay=0");
  ASSERT_TRUE(st.write_setpoint(1, 12.0).accepted);
  ASSERT_TRUE(st.write_setpoint(2, 12.0).accepted);
  sim_.station().advance(100ms);
  const auto r = st.poll();
  const double sum = r.socket[0].current_a[0].value_or(0) + r.socket[1].current_a[0].value_or(0);
  EXPECT_LE(sum, 20.0);
  EXPECT_EQ(r.socket[0].current_a[0], 12.0);
  EXPECT_EQ(r.socket[1].applied_max_a, 8.0);  // what the station maximum leaves
  EXPECT_EQ(r.socket[1].current_a[0], 8.0);
}

TEST_F(SimTest, PhaseSwitchingNotAllowedIsReported) {
  sim_.command("phase-switching off");
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  const auto w = st.write_phases(1, 1);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().exception_code, kIllegalDataValue);
  EXPECT_NE(w.error().describe().find("phase switching not allowed"), std::string::npos);
}

TEST_F(SimTest, RefusesPartialReadOnlyUnknownAndUndefined) {
  LibmodbusTcpTransport t(link_to(port_));
  // A partial float write (one register of 1210, FC6 or FC16) is refused (§1, §4.2).
  auto partial = t.write_single(1, 1210, 0x4180);
  ASSERT_FALSE(partial);
  EXPECT_EQ(partial.error().kind, ModbusErrorKind::Exception);
  EXPECT_EQ(partial.error().exception_code, kIllegalDataValue);
  const std::uint16_t one[] = {0x4180};
  EXPECT_EQ(t.write_multiple(1, 1211, one).error().exception_code, kIllegalDataValue);
  // A write to a read-only register (1208) or straddling one (1209–1210, the doc−1 mistake).
  const std::uint16_t two[] = {0, 60};
  EXPECT_EQ(t.write_multiple(1, 1208, two).error().exception_code, kIllegalDataAddress);
  EXPECT_EQ(t.write_multiple(1, 1209, two).error().exception_code, kIllegalDataAddress);
  // An unknown unit (3 on a Double).
  auto unit = t.read_holding(3, 1200, 16);
  ASSERT_FALSE(unit);
  EXPECT_EQ(unit.error().kind, ModbusErrorKind::Exception);
  EXPECT_EQ(unit.error().exception_code, kGatewayTargetFailed);
  // Reads only inside defined blocks; FC4 is not supported (§1.1).
  EXPECT_EQ(t.read_holding(1, 1190, 20).error().exception_code, kIllegalDataAddress);
  EXPECT_EQ(t.read_input(1, 1200, 1).error().exception_code, kIllegalFunction);
  EXPECT_TRUE(t.read_holding(1, 1208, 2));  // inside a block
  EXPECT_EQ(sim_.station().socket_state(1).setpoint_writes, 0u);
}

TEST_F(SimTest, ThirdMasterIsRefused) {
  LibmodbusTcpTransport a(link_to(port_)), b(link_to(port_)), c(link_to(port_));
  ASSERT_TRUE(a.read_holding(200, 1100, 6));
  ASSERT_TRUE(b.read_holding(200, 1100, 6));
  EXPECT_FALSE(c.read_holding(200, 1100, 6));
  EXPECT_EQ(sim_.server().stats().refused, 1u);
}

TEST_F(SimTest, ReconnectsAfterTheStationRestarts) {
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  ASSERT_TRUE(st.write_setpoint(1, 16.0).accepted);
  ASSERT_EQ(sim_.command("restart"), "ok");
  bool ok = false;
  StationReading r;
  for (int i = 0; i < 20 && !ok; ++i) {
    r = st.poll();
    ok = r.ok;
    if (!ok) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ok);
  EXPECT_EQ(r.socket[0].remaining_validity_s, 0.0);  // §4.1: set-points are lost on reboot
  EXPECT_EQ(r.socket[0].setpoint_a, 6.0);
  EXPECT_EQ(t.stats().connects, 2u);
  // Offline: the driver reports it as a value.
  sim_.command("offline");
  r = st.poll();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_TRUE(r.error->transient());
  sim_.command("online");
}

TEST_F(SimTest, WritesRefusedWhenDataSourceIsNotEms) {
  sim_.command("ems off");
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  const auto c = st.write_setpoint(1, 16.0);
  EXPECT_FALSE(c.written);
  ASSERT_TRUE(c.error.has_value());
  EXPECT_EQ(c.error->exception_code, kIllegalFunction);
  EXPECT_NE(c.reason.find("Energy Management System"), std::string::npos);
}

TEST_F(SimTest, InjectedAbsurdValuesAreRejectedNotUsed) {
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  // -5 A on L1 (C0A0 0000), 2000 A on L2 (44FA 0000), NaN mode 3 … as a station might send.
  ASSERT_EQ(sim_.command("inject 1 320 C0A0 0000 44FA 0000"), "ok");
  const auto r = st.poll();
  EXPECT_FALSE(r.socket[0].current_a[0].has_value());
  EXPECT_FALSE(r.socket[0].current_a[1].has_value());
  EXPECT_EQ(r.socket[0].current_a[2], 0.0);
  EXPECT_EQ(st.rejection_total(), 2u);
}

TEST_F(SimTest, ScnLimitsAreWrittenInOneRequestAndCountDown) {
  sim_.command("mode scn");
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_, {.sockets = 0, .read_scn = true});
  const auto c = st.write_scn_limits(20, 18, 16);
  ASSERT_TRUE(c.accepted) << c.reason;
  EXPECT_EQ(c.remaining_validity_s, 3.0);
  sim_.station().advance(3100ms);
  const auto r = st.poll();
  ASSERT_TRUE(r.scn.has_value());
  EXPECT_EQ(r.scn->enabled, true);
  EXPECT_EQ(r.scn->remaining_s[0], 0.0);
  EXPECT_EQ(r.scn->max_current_a[1], 6.0);  // SCN safe current after expiry
}

/// Sends lines to a control port and returns everything it answered.
std::string talk(int port, const std::string& lines) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed";
  }
  [[maybe_unused]] const auto w = ::write(fd, lines.data(), lines.size());
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

TEST_F(SimTest, ControlPortDrivesTheStation) {
  auto cp = sim_.start_control(0);
  ASSERT_TRUE(cp) << cp.error();
  const auto out = talk(*cp, "plug 2 phases=1\nstatus\nbogus\nrestart\n");
  EXPECT_NE(out.find("ok plugged socket 2"), std::string::npos) << out;
  EXPECT_NE(out.find("socket 2: B2"), std::string::npos) << out;
  EXPECT_NE(out.find("error unknown command 'bogus'"), std::string::npos) << out;
  EXPECT_TRUE(sim_.station().socket_state(2).ev_plugged);
}

// A second master (control port "write") takes 1210 over; a station override ("override") wins
// in 1206 whatever 1210 says. The driver reads both back as they are.
TEST_F(SimTest, AnotherMasterAndAStationOverrideShowInTheReadBack) {
  auto cp = sim_.start_control(0);
  ASSERT_TRUE(cp) << cp.error();
  LibmodbusTcpTransport t(link_to(port_));
  AlfenStation st(t, clock_);
  sim_.command("plug 1 phases=3 max=32 min=6");
  ASSERT_TRUE(st.write_setpoint(1, 8.0).accepted);
  const auto out = talk(*cp, "write 1 16\nwrite 3 16\nwrite 1 -1\n");
  EXPECT_NE(out.find("ok socket 1 set-point 16 A written by another master"), std::string::npos) << out;
  EXPECT_NE(out.find("error usage: write SOCKET AMPS"), std::string::npos) << out;
  auto r = st.poll();
  EXPECT_EQ(r.socket[0].setpoint_a, 16.0);
  EXPECT_EQ(r.socket[0].applied_max_a, 16.0);
  EXPECT_EQ(r.socket[0].remaining_validity_s, 3.0);  // the other master's write restarted it
  ASSERT_TRUE(st.write_setpoint(1, 8.0).accepted);
  EXPECT_EQ(sim_.command("override 1 20"), "ok");
  r = st.poll();
  EXPECT_EQ(r.socket[0].setpoint_a, 8.0);
  EXPECT_EQ(r.socket[0].applied_max_a, 20.0);
  EXPECT_EQ(sim_.command("override 1 off"), "ok");
  r = st.poll();
  EXPECT_EQ(r.socket[0].applied_max_a, 8.0);
  // 1212 as the station reports it follows "safe".
  EXPECT_EQ(sim_.command("safe 1 10"), "ok");
  r = st.poll();
  EXPECT_EQ(r.socket[0].safe_current_a, 10.0);
}

TEST(SimScenario, TimedEventsRunOnSimulatedTime) {
  AlfenSimConfig cfg;
  cfg.time_scale = 50;  // fast-forward: 1 real second = 50 simulated seconds
  AlfenSimRunner sim(cfg);
  auto loaded = sim.load_scenario(
      "# a car arrives after 5 s and leaves after 20 s\n"
      "validity 30\n"
      "at 5 plug 1 phases=3 max=16\n"
      "at 20s unplug 1\n");
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(sim.station().config().validity_s, 30.0);
  EXPECT_FALSE(sim.station().socket_state(1).ev_plugged);
  bool seen_plugged = false;
  for (int i = 0; i < 100 && sim.station().sim_seconds() < 15; ++i) {
    std::this_thread::sleep_for(10ms);
    seen_plugged = seen_plugged || sim.station().socket_state(1).ev_plugged;
  }
  EXPECT_TRUE(seen_plugged);
  while (sim.station().sim_seconds() < 25) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(sim.station().socket_state(1).ev_plugged);
  EXPECT_FALSE(sim.load_scenario("at x plug 1\n"));
  EXPECT_FALSE(sim.load_scenario("frobnicate\n"));
  sim.stop();
}

TEST(SimScenario, ShippedExampleLoads) {
  AlfenSimRunner sim(AlfenSimConfig{});
  const auto text =
      test::read_file(std::string(EMSGW_SOURCE_DIR) + "/drivers/alfen/sim/scenarios/double-rotated.scenario");
  ASSERT_FALSE(text.empty());
  auto loaded = sim.load_scenario(text);
  ASSERT_TRUE(loaded) << loaded.error();
  const auto cfg = sim.station().config();
  EXPECT_EQ(cfg.sockets, 2);
  EXPECT_EQ(ems::to_string(cfg.socket[1].wiring), "L2L3L1");
  sim.stop();
}

}  // namespace
}  // namespace emsgw::drivers::alfen
