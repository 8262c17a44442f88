// EvModel on its own (time passed in) and inside the Alfen station simulator.
#include "drivers/alfen/sim/ev_model.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "drivers/alfen/sim/alfen_station_sim.hpp"

namespace emsgw::drivers::alfen {
namespace {

using ems::MonoTime;

MonoTime at(double s) {
  return MonoTime{} + std::chrono::duration_cast<MonoTime::duration>(std::chrono::duration<double>(s));
}

/// Offers `offer` from t=0 and integrates in 100 ms steps until `until`.
double run(EvModel& m, double from, double until, double offer, int phases = 3) {
  for (double t = from; t <= until + 1e-9; t += 0.1) m.update(at(t), offer, phases);
  return m.current_a();
}

TEST(EvModel, RampsUpAsAFirstOrderLagAfterItsDeadTime) {
  EvParams p;
  p.tau_up_s = 2;
  p.dead_time_s = 1;
  EvModel m(p, at(0));
  run(m, 0, 0.9, 16);
  EXPECT_EQ(m.current_a(), 0) << "nothing before the dead time";
  run(m, 1.0, 3.0, 16);  // one time constant after the dead time
  EXPECT_NEAR(m.current_a(), 16 * (1 - std::exp(-1.0)), 0.3);
  run(m, 3.1, 20, 16);
  EXPECT_NEAR(m.current_a(), 16, 0.01);
}

TEST(EvModel, RampsDownWithItsOwnTimeConstantAndStopsBelowSixAmps) {
  EvParams p;
  p.tau_down_s = 1;
  p.dead_time_s = 0.5;
  EvModel m(p, at(0));
  run(m, 0, 20, 16);
  run(m, 20.1, 21.5, 10);  // dead time 0.5 s, then one tau
  EXPECT_NEAR(m.current_a(), 10 + 6 * std::exp(-1.0), 0.4);
  run(m, 21.6, 40, 5);
  EXPECT_EQ(m.current_a(), 0) << "5 A offers no PWM";
  EXPECT_EQ(m.interruptions(), 1);
}

TEST(EvModel, DrawsTheLowerOfOfferAndItsOwnMaximumMinusItsOffset) {
  EvParams p;
  p.max_current_a = 10;
  p.draw_offset_a = 0.7;
  EvModel m(p, at(0));
  EXPECT_NEAR(run(m, 0, 30, 16), 9.3, 0.01);
  EXPECT_NEAR(run(m, 30.1, 60, 8), 7.3, 0.01);
  EXPECT_NEAR(m.potential_a(), 9.3, 1e-9);
}

TEST(EvModel, AnEvThatNeedsFourteenAmpsDrawsNothingBelow) {
  EvParams p;
  p.start_current_a = 14;
  EvModel m(p, at(0));
  EXPECT_EQ(run(m, 0, 30, 13), 0);
  EXPECT_EQ(m.mode3(13), "C2") << "asks, with PWM, but draws nothing";
  EXPECT_NEAR(run(m, 30.1, 60, 14), 14, 0.01);
  EXPECT_EQ(m.minimum_a(), 14);
}

TEST(EvModel, PhasesFollowTheCarTheSocketAndAPhaseSwitchingCar) {
  EvParams p;
  p.phases = 2;
  p.one_phase_below_a = 10;
  EvModel m(p, at(0));
  run(m, 0, 10, 16, 3);
  EXPECT_EQ(m.phases(), 2);
  run(m, 10.1, 20, 16, 1);
  EXPECT_EQ(m.phases(), 1) << "a one-phase socket";
  run(m, 20.1, 30, 8, 3);
  EXPECT_EQ(m.phases(), 1) << "switches itself to one phase below 10 A";
  run(m, 30.1, 40, 16, 3);
  EXPECT_EQ(m.phases(), 2);
  m.set_phases(at(40.1), 3);
  run(m, 40.2, 50, 16, 3);
  EXPECT_EQ(m.phases(), 3);
}

TEST(EvModel, TapersNearFullThenIsFullInStateB2AndAsksAgainInC) {
  EvParams p;
  p.battery_kwh = 1;  // small, to fill in minutes
  p.soc = 0.7;
  p.taper_from_soc = 0.8;
  EvModel m(p, at(0));
  double t = 0;
  double last = 16;
  bool tapered = false;
  while (!m.full() && t < 7200) {
    m.update(at(t), 16, 3);
    if (m.soc() > 0.9 && m.current_a() < last - 1) tapered = true;
    t += 0.1;
  }
  EXPECT_TRUE(tapered);
  ASSERT_TRUE(m.full());
  EXPECT_FALSE(m.asking());
  run(m, t, t + 10, 16);
  EXPECT_EQ(m.current_a(), 0);
  EXPECT_EQ(m.mode3(16), "B2");
  m.wants_energy(at(t + 10.1), true);
  EXPECT_TRUE(m.asking());
  EXPECT_EQ(m.mode3(0), "C1") << "asks again while paused";
  EXPECT_GT(run(m, t + 10.2, t + 30, 16), 1.0);
  EXPECT_GT(m.energy_wh(), 250);
}

TEST(EvModel, GivesUpAfterNInterruptionsWithinTheWindowAndReportsIt) {
  EvParams p;
  p.give_up_after = 3;
  p.give_up_window_s = 600;
  EvModel m(p, at(0));
  double t = 0;
  for (int i = 0; i < 3; ++i) {
    run(m, t, t + 20, 16);
    run(m, t + 20.1, t + 40, 0);
    t += 40.1;
  }
  EXPECT_EQ(m.interruptions(), 3);
  EXPECT_TRUE(m.gave_up());
  EXPECT_EQ(run(m, t, t + 30, 16), 0);
  EXPECT_EQ(m.mode3(16), "B2");
}

TEST(EvModel, InterruptionsSpreadBeyondTheWindowDoNotMakeItGiveUp) {
  EvParams p;
  p.give_up_after = 3;
  p.give_up_window_s = 600;
  EvModel m(p, at(0));
  double t = 0;
  for (int i = 0; i < 5; ++i) {
    run(m, t, t + 200, 16);
    run(m, t + 200.1, t + 400, 0);
    t += 400.1;
  }
  EXPECT_EQ(m.interruptions(), 5);
  EXPECT_FALSE(m.gave_up());
}

// Some cars fall asleep while paused: B1 instead of C1, no interruption, no giving up; offered a
// current they can charge with, they wake and ask again after wake_s.
TEST(EvModel, AnEvPausedLongerThanItsSleepTimeFallsAsleepAndWakesToCurrent) {
  EvParams p;
  p.sleep_after_s = 300;
  p.wake_s = 2;
  p.dead_time_s = 0;
  EvModel m(p, at(0));
  run(m, 0, 10, 16);
  run(m, 10.1, 200, 0);
  EXPECT_TRUE(m.asking()) << "paused 190 s: awake, C1";
  EXPECT_EQ(m.mode3(0), "C1");
  run(m, 200.1, 320, 0);
  EXPECT_FALSE(m.asking()) << "paused 310 s: asleep";
  EXPECT_TRUE(m.asleep());
  EXPECT_TRUE(m.wants_charge()) << "it still wants its energy";
  EXPECT_EQ(m.mode3(0), "B1");
  EXPECT_FALSE(m.gave_up());
  EXPECT_EQ(m.interruptions(), 1) << "falling asleep is no interruption";
  run(m, 320.1, 321, 16);
  EXPECT_FALSE(m.asking()) << "wakes wake_s after the offer";
  EXPECT_EQ(m.mode3(16), "B2");
  run(m, 321.1, 340, 16);
  EXPECT_TRUE(m.asking());
  EXPECT_NEAR(m.current_a(), 16, 0.1);
}

TEST(EvModel, EnergyIsTheIntegralOfTheDraw) {
  EvParams p;
  p.phases = 1;
  p.dead_time_s = 0;
  p.tau_up_s = 0.01;
  EvModel m(p, at(0));
  run(m, 0, 3600, 10);
  EXPECT_NEAR(m.energy_wh(), 10 * 230, 5);
}

TEST(AlfenSimEvModel, TheStationSimulatorDrivesTheModelWithItsAppliedCurrent) {
  ems::ManualClock clock(MonoTime{} + std::chrono::hours(1));
  AlfenSimConfig cfg;
  cfg.sockets = 2;
  cfg.socket[0].max_current_a = 16;
  cfg.socket[0].safe_current_a = 6;
  cfg.socket[1].wiring = *ems::parse_phase_mapping("L2");
  AlfenStationSim sim(cfg, &clock);
  EvParams p;
  p.tau_up_s = 2;
  sim.plug_model(1, p);
  EvParams one;
  one.phases = 3;
  sim.plug_model(2, one);
  clock.advance(ems::Millis(20000));
  auto s = sim.socket_state(1);
  EXPECT_EQ(s.mode3, "C2");
  EXPECT_NEAR(s.drawn_a, 6, 0.01) << "safe current before any write";
  EXPECT_EQ(s.drawn_phases, 3);
  const auto g = sim.grid_currents_a();
  EXPECT_NEAR(g[1], 6 + 6, 0.02) << "socket 2 is wired to L2 only: one phase";
  ASSERT_TRUE(sim.with_ev_model(1, [](EvModel& m, MonoTime now) { m.wants_energy(now, false); }));
  clock.advance(ems::Millis(20000));
  s = sim.socket_state(1);
  EXPECT_EQ(s.mode3, "B2");
  EXPECT_EQ(s.drawn_a, 0);
  EXPECT_GT(s.energy_wh, 0);
  EXPECT_EQ(sim.command("plug 1 phases=1 max=20 tau=1 offset=0.8"), "ok plugged socket 1");
  clock.advance(ems::Millis(20000));
  EXPECT_NEAR(sim.socket_state(1).drawn_a, 6 - 0.8, 0.01);
  sim.unplug(1);
  EXPECT_FALSE(sim.ev_model(1).has_value());
}

}  // namespace
}  // namespace emsgw::drivers::alfen
