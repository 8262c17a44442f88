// The status builder: the allocation, the devices' newest samples, the sessions and the faults in
// force, as one SiteStatus in the words the dashboard and MQTT show.
#include "gateway/control/status_builder.hpp"

#include <gtest/gtest.h>

#include "ems/bound_words.hpp"
#include "gateway/config/config.hpp"
#include "gateway/control/messages.hpp"
#include "tests/support/message_templates.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using std::chrono::seconds;

Config example_config() {
  return load_config_text(test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml"),
                          "example.toml");
}

const ems::MonoTime t0 = ems::MonoTime{} + std::chrono::hours(1);
const ems::WallTime w0 = ems::WallTime{} + seconds(1'700'000'000);

struct StatusRig {
  Config config = example_config();
  SiteInputs in;
  SessionTracker sessions;
  ems::Allocation allocation;
  std::map<int, double> desired;
  std::vector<ems::Fault> faults;
  StatusRig() {
    in.sockets = SiteInputs::index_sockets(config.site);
    in.stations.resize(1);
    ems::SocketAllocation s0;
    s0.id = 0;
    s0.current_a = 12;
    s0.reason = ems::Reason::GridL2;
    ems::SocketAllocation s1;
    s1.id = 1;
    s1.current_a = 0;
    s1.reason = ems::Reason::NotConnected;
    allocation.sockets = {s0, s1};
    for (std::size_t p = 0; p < 3; ++p) allocation.phases[p].limit = ems::Amps(24);
  }
  void station_answers(double unit1_a, std::optional<double> energy_wh) {
    StationSample s;
    s.ok = true;
    s.at = t0;
    s.platform = "NG910";
    SocketSample a;
    a.unit = 1;
    a.valid = true;
    a.mode3 = "C2";
    a.state = ems::ConnectorState::Charging;
    a.current_a = {unit1_a, unit1_a, 0.2};
    a.energy_wh = energy_wh;
    SocketSample b;
    b.unit = 2;
    b.valid = true;
    b.mode3 = "A";
    b.state = ems::ConnectorState::Available;
    s.sockets = {a, b};
    in.stations[0].online = true;
    in.stations[0].last_ok = s;
    in.stations[0].last = s;
  }
  std::shared_ptr<ems::SiteStatus> build(std::uint64_t sequence = 7) {
    return build_status({config, in, allocation, desired, sessions, faults, std::nullopt, sequence, t0, w0});
  }
};

TEST(StatusBuilder, SocketsShowTheSetPointHandedOverItsReasonInWordsAndTheirSamples) {
  StatusRig rig;
  rig.station_answers(12, 5000);
  rig.desired[0] = 10;  // a raise to 12 is held: the status shows what is in force
  const auto st = rig.build();
  EXPECT_EQ(st->sequence, 7u);
  EXPECT_EQ(st->time, w0);
  EXPECT_EQ(st->site_name, "home");
  ASSERT_EQ(st->sockets.size(), 2u);
  const auto& s0 = st->sockets[0];
  EXPECT_DOUBLE_EQ(s0.setpoint_a, 10);
  EXPECT_EQ(s0.reason, "grid-l2");
  EXPECT_EQ(s0.reason_text, "limited by grid phase L2");
  EXPECT_EQ(s0.state, ems::SocketState::ChargingReduced);
  EXPECT_TRUE(s0.ev_connected);
  EXPECT_EQ(s0.phases_in_use, 3);
  EXPECT_EQ(s0.mode3, "C2");
  EXPECT_DOUBLE_EQ(*s0.total_energy_wh, 5000);
  EXPECT_DOUBLE_EQ(st->sockets[1].setpoint_a, 0) << "no set-point handed over: the allocation's";
  EXPECT_EQ(st->sockets[1].state, ems::SocketState::Available);
  ASSERT_EQ(st->stations.size(), 1u);
  EXPECT_TRUE(st->stations[0].online);
  EXPECT_EQ(st->stations[0].platform, "NG910");
  EXPECT_DOUBLE_EQ(st->budget_a[0], 24);
}

TEST(StatusBuilder, TheSessionEnergyComesFromTheOpenSession) {
  StatusRig rig;
  rig.station_answers(12, 5400);
  EXPECT_FALSE(rig.build()->sockets[0].session_energy_wh) << "no session yet";
  rig.sessions.observe(w0, {{0, true, true, 5000.0, "C2", 12}});
  const auto st = rig.build();
  ASSERT_TRUE(st->sockets[0].session_energy_wh);
  EXPECT_DOUBLE_EQ(*st->sockets[0].session_energy_wh, 400);
}

TEST(StatusBuilder, FaultsAreListedAndAnOfflineStationDegradesTheSite) {
  StatusRig rig;
  rig.faults = {{"pv_stale", "PV reading stale", w0}};
  auto st = rig.build();
  EXPECT_FALSE(st->degraded);
  ASSERT_EQ(st->faults.size(), 1u);
  rig.faults.push_back({"station_offline:carport", "station carport does not answer", w0});
  rig.allocation.degraded = {ems::Degradation::MeterStale};
  st = rig.build();
  EXPECT_TRUE(st->degraded);
  ASSERT_EQ(st->degraded_reasons.size(), 2u);
  EXPECT_EQ(st->degraded_reasons[1], "station_offline:carport");
  EXPECT_FALSE(st->stations[0].online);
}

TEST(StatusBuilder, TheGridReadingAgesAndGoesStaleAfterTheConfiguredLimit) {
  StatusRig rig;
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(9);
  r.mono = t0 - seconds(6);
  rig.in.meters["grid"] = r;
  const auto st = rig.build();
  ASSERT_TRUE(st->grid.age_s);
  EXPECT_DOUBLE_EQ(*st->grid.age_s, 6);
  EXPECT_TRUE(st->grid.stale) << "the example's limit is 5 s";
  EXPECT_DOUBLE_EQ(*st->grid.current_a[0], 9);
  EXPECT_DOUBLE_EQ(st->grid.current_step_a, 0) << "as measured";
}

// A meter that reports whole amperes (DSMR 4, TIC) says so: the control counts a drawn phase one
// ampere higher than its figure, and the dashboard tells the installer why that ampere stays free.
TEST(StatusBuilder, AGridMeterReportingWholeAmperesSaysSo) {
  StatusRig rig;
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(9);
  r.current_step_a = 1;
  r.mono = t0;
  rig.in.meters["grid"] = r;
  EXPECT_DOUBLE_EQ(rig.build()->grid.current_step_a, 1);
}

TEST(StatusBuilder, ATimedReasonSaysHowLongItLasts) {
  StatusRig rig;
  rig.station_answers(12, 5000);
  rig.allocation.sockets[0].reason = ems::Reason::Alternating;
  rig.allocation.sockets[0].until = t0 + seconds(90);
  const auto st = rig.build();
  EXPECT_EQ(st->sockets[0].reason_text, "alternating: paused for its turn (90 s left)");
  EXPECT_EQ(st->sockets[0].state, ems::SocketState::Alternating);
}

TEST(StatusBuilder, ALimitThatIsNotInTheReasonAloneIsNamed) {
  StatusRig rig;
  rig.station_answers(12, 5000);
  rig.allocation.sockets[0].reason = ems::Reason::CircuitL2;
  rig.allocation.sockets[0].detail = "circuit garage-board L2";
  const auto st = rig.build();
  const auto& so = st->sockets[0];
  EXPECT_EQ(so.reason, "circuit-l2");
  EXPECT_EQ(so.reason_text, "limited by a circuit on phase L2: circuit garage-board L2");
  EXPECT_EQ(so.reason_words, "limited by a circuit on phase L2");
  EXPECT_EQ(so.reason_detail, "circuit garage-board L2");
  EXPECT_EQ(so.reason_detail_message,
            (ems::Message{"bound_circuit_phase", {{"circuit", "garage-board"}, {"phase", "L2"}}}));
  EXPECT_EQ(test::render_english(so.reason_detail_message), so.reason_detail);
  EXPECT_FALSE(so.reason_until_s);
  EXPECT_TRUE(so.station_text.empty());
}

TEST(StatusBuilder, TheHeatPumpsStateSaysWhyAndNamesAFlexLimitThatHeldBackItsBoost) {
  StatusRig rig;
  rig.config.site.heatpump.enabled = true;
  rig.allocation.heatpump = ems::SgReadyState::Boost;
  auto st = rig.build();
  EXPECT_EQ(st->heatpump.sg_ready_requested, 3);
  EXPECT_EQ(st->heatpump.reason, "boost on the solar surplus");
  EXPECT_EQ(st->heatpump.reason_message.code, "heatpump_boost");
  rig.allocation.heatpump = ems::SgReadyState::Normal;
  rig.allocation.heatpump_held_by = ems::quarter_peak_words(4000);
  st = rig.build();
  EXPECT_EQ(st->heatpump.reason, "no boost: quarter-hour peak 4.0 kW");
  EXPECT_EQ(st->heatpump.reason_message, msg::heatpump_held_peak("4.0"));
  EXPECT_EQ(test::render_english(st->heatpump.reason_message), st->heatpump.reason);
  rig.allocation.heatpump_held_by = ems::dimming_words(4200);
  st = rig.build();
  EXPECT_EQ(st->heatpump.reason, "no boost: grid operator dimming 4.2 kW");
  EXPECT_EQ(test::render_english(st->heatpump.reason_message), st->heatpump.reason);
  rig.allocation.heatpump_held_by.clear();
  st = rig.build();
  EXPECT_EQ(st->heatpump.reason, "normal operation");
  rig.config.site.heatpump.enabled = false;  // no SG-Ready control: nothing to explain
  EXPECT_TRUE(rig.build()->heatpump.reason.empty());
}

TEST(StatusBuilder, ACarCutForAnotherSocketsMinimumNamesThatSocketAndItsMinimum) {
  StatusRig rig;
  rig.station_answers(6, 5000);
  rig.allocation.sockets[0].current_a = 6;
  rig.allocation.sockets[0].reason = ems::Reason::OtherMinimum;
  rig.allocation.sockets[0].detail = "socket 1 (carport right) at its 14 A minimum";
  rig.allocation.sockets[0].other_socket = 1;
  rig.allocation.sockets[0].other_minimum_a = 14;
  const auto st = rig.build();
  const auto& so = st->sockets[0];
  EXPECT_EQ(so.reason, "other-minimum");
  EXPECT_EQ(so.reason_words, "limited by another socket's minimum current");
  EXPECT_EQ(so.reason_text,
            "limited by another socket's minimum current: socket 1 (carport right) at its 14 A minimum");
  EXPECT_EQ(so.reason_detail, "socket 1 (carport right) at its 14 A minimum");
  EXPECT_TRUE(so.reason_detail_message.code.empty()) << "named by reason_socket, not by words";
  ASSERT_TRUE(so.reason_socket);
  EXPECT_EQ(*so.reason_socket, 1);
  ASSERT_TRUE(so.reason_minimum_a);
  EXPECT_DOUBLE_EQ(*so.reason_minimum_a, 14);
  EXPECT_EQ(so.state, ems::SocketState::ChargingReduced);
  // Any other reason names no socket.
  EXPECT_FALSE(st->sockets[1].reason_socket);
  EXPECT_FALSE(st->sockets[1].reason_minimum_a);
}

TEST(StatusBuilder, StationsAndSocketsNameTheCircuitTheyHangFrom) {
  StatusRig rig;
  rig.station_answers(12, 5000);
  auto st = rig.build();
  EXPECT_EQ(st->stations[0].circuit, "");
  EXPECT_EQ(st->sockets[0].circuit, "");
  ems::CircuitConfig board;
  board.name = "garage-board";
  board.max_current_a = 16;
  rig.config.site.circuits.push_back(board);
  rig.config.site.stations[0].circuit = "garage-board";
  st = rig.build();
  EXPECT_EQ(st->stations[0].circuit, "garage-board");
  ASSERT_EQ(st->sockets.size(), 2u);
  EXPECT_EQ(st->sockets[0].circuit, "garage-board");
  EXPECT_EQ(st->sockets[1].circuit, "garage-board");
  ASSERT_EQ(st->circuits.size(), 1u);
  EXPECT_TRUE(st->circuits[0].binds.empty());
  // Socket 0 bound by the board's L2: the board marks it; a circuit of a longer name does not.
  rig.allocation.sockets[0].reason = ems::Reason::CircuitL2;
  rig.allocation.sockets[0].detail = "circuit garage-board L2";
  board.name = "garage";
  rig.config.site.circuits.push_back(board);
  st = rig.build();
  ASSERT_EQ(st->circuits.size(), 2u);
  EXPECT_EQ(st->circuits[0].binds, std::vector<int>{0});
  EXPECT_TRUE(st->circuits[1].binds.empty());
  rig.allocation.sockets[0].reason = ems::Reason::CircuitPower;
  rig.allocation.sockets[0].detail = "circuit garage-board 11000 W";
  st = rig.build();
  EXPECT_EQ(st->circuits[0].binds, std::vector<int>{0});
  // Cut for socket 1's minimum within the board's L2: the board binds it too; within the grid, not.
  auto& cut = rig.allocation.sockets[0];
  cut.reason = ems::Reason::OtherMinimum;
  cut.detail = "socket 1 (garage right) at its 14 A minimum";
  cut.shared_bound = ems::Reason::CircuitL2;
  cut.shared_detail = "circuit garage-board L2";
  st = rig.build();
  EXPECT_EQ(st->circuits[0].binds, std::vector<int>{0});
  cut.shared_bound = ems::Reason::GridL2;
  cut.shared_detail.clear();
  st = rig.build();
  EXPECT_TRUE(st->circuits[0].binds.empty());
}

TEST(StatusBuilder, TheReasonInPartsCarriesItsTimeLeft) {
  StatusRig rig;
  rig.station_answers(12, 5000);
  rig.allocation.sockets[0].reason = ems::Reason::Probing;
  rig.allocation.sockets[0].until = t0 + seconds(42);
  const auto st = rig.build();
  ASSERT_TRUE(st->sockets[0].reason_until_s);
  EXPECT_DOUBLE_EQ(*st->sockets[0].reason_until_s, 42);
  EXPECT_TRUE(st->sockets[0].reason_detail.empty());
}

}  // namespace
}  // namespace emsgw::gateway

namespace emsgw::gateway {
namespace {

TEST(StatusBuilder, EveryModeThreeStateAStationCanReportHasWords) {
  const std::pair<const char*, const char*> expected[] = {
      {"A", "no vehicle connected"},
      {"B1", "vehicle connected, no current offered"},
      {"B2", "vehicle connected, current offered, the vehicle does not take it (full or waiting)"},
      {"C1", "vehicle asks to charge, no current offered"},
      {"C2", "charging"},
      {"D1", "vehicle asks to charge (with ventilation), no current offered"},
      {"D2", "charging (with ventilation)"},
      {"E", "station fault (E): no control pilot, the cable or the station is faulty"},
      {"F", "station fault (F): the station reports itself not available (error state)"},
  };
  for (const auto& [code, words] : expected) EXPECT_EQ(mode3_words(code), words) << code;
  EXPECT_EQ(mode3_words("X9"), "unknown Mode 3 state \"X9\"");
  EXPECT_EQ(mode3_words(""), "Mode 3 state not reported");
}

SocketSample held_sample(const char* mode3, double setpoint_a, double applied_a) {
  SocketSample s;
  s.unit = 1;
  s.valid = true;
  s.mode3 = mode3;
  s.setpoint_a = setpoint_a;
  s.applied_a = applied_a;
  s.validity_s = 45;
  s.accounted = true;
  return s;
}

TEST(StatusBuilder, TheStationsOwnFaultsPausesAndLimitsAreInWords) {
  EXPECT_EQ(station_state_words(held_sample("F", 16, 0)),
            "station fault (F): the station reports itself not available (error state)");
  EXPECT_EQ(station_state_words(held_sample("E", 16, 0)),
            "station fault (E): no control pilot, the cable or the station is faulty");
  EXPECT_EQ(station_state_words(held_sample("C1", 16, 0))
                .rfind("paused by the station: it applies 0 A although "
                       "emsgw allows 16 A (an over-current pause",
                       0),
            0u);
  EXPECT_EQ(station_state_words(held_sample("B1", 10, 0)).rfind("paused by the station", 0), 0u);
  EXPECT_EQ(station_state_words(held_sample("C2", 16, 10)), "limited by the station to 10 A (emsgw allows 16 A)");
  auto ignored = held_sample("C2", 16, 16);
  ignored.accounted = false;
  EXPECT_EQ(station_state_words(ignored).rfind("the station does not use emsgw's set-point (1214 = 0)", 0), 0u);
  // Doing what emsgw asked: no words.
  EXPECT_EQ(station_state_words(held_sample("C2", 16, 16)), "");
  EXPECT_EQ(station_state_words(held_sample("B2", 16, 16)), "") << "offered, the vehicle does not take it";
  EXPECT_EQ(station_state_words(held_sample("B1", 0, 0)), "") << "emsgw's own pause";
  auto lapsed = held_sample("C1", 16, 6);
  lapsed.validity_s = 0;
  EXPECT_EQ(station_state_words(lapsed), "") << "on its safe current: not the station's own pause";
}

TEST(StatusBuilder, TheStationsOwnWordsHaveAMessageWhoseEnglishTemplateGivesThem) {
  auto ignored = held_sample("C2", 16, 16);
  ignored.accounted = false;
  const std::vector<std::pair<SocketSample, std::string>> cases = {
      {held_sample("F", 16, 0), "station_fault_f"}, {held_sample("E", 16, 0), "station_fault_e"},
      {held_sample("C1", 16, 0), "station_paused"}, {held_sample("C2", 16, 10), "station_limited"},
      {ignored, "station_ignores_setpoint"},        {held_sample("C2", 16, 16), ""}};
  for (const auto& [sample, code] : cases) {
    const auto m = station_state_message(sample);
    EXPECT_EQ(m.code, code) << station_state_words(sample);
    if (!code.empty()) {
      EXPECT_EQ(test::render_english(m), station_state_words(sample)) << code;
    }
  }
  EXPECT_EQ(station_state_message(held_sample("C2", 16, 10)).params,
            (std::vector<std::pair<std::string, std::string>>{{"applied", "10"}, {"allowed", "16"}}));
}

TEST(StatusBuilder, ASocketInStateFShowsTheStationFaultInWordsInsteadOfItsCode) {
  StatusRig rig;
  rig.station_answers(0, 5000);
  auto& so = rig.in.stations[0].last_ok->sockets[0];
  so.mode3 = "F";
  so.state = ems::ConnectorState::Fault;
  rig.allocation.sockets[0].current_a = 0;
  rig.allocation.sockets[0].reason = ems::Reason::Fault;
  const auto st = rig.build();
  EXPECT_EQ(st->sockets[0].state, ems::SocketState::Fault);
  EXPECT_EQ(st->sockets[0].reason_text, "station fault (F): the station reports itself not available (error state)");
}

TEST(StatusBuilder, AnOverCurrentPauseOfTheStationIsShownAsAFaultInWords) {
  StatusRig rig;
  rig.station_answers(0, 5000);
  auto& so = rig.in.stations[0].last_ok->sockets[0];
  so.mode3 = "C1";
  so.state = ems::ConnectorState::Connected;
  so.setpoint_a = 12;
  so.validity_s = 50;
  so.applied_a = 0;
  so.accounted = true;
  const auto st = rig.build();
  EXPECT_EQ(st->sockets[0].state, ems::SocketState::Fault);
  EXPECT_EQ(st->sockets[0].reason_text.rfind("limited by grid phase L2; paused by the station: it applies 0 A", 0), 0u)
      << st->sockets[0].reason_text;
}

}  // namespace
}  // namespace emsgw::gateway
