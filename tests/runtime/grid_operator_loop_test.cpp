// The grid operator's dimming in the control loop: the relay contact (from its worker) and the
// LPC-like API limit with its heartbeat become the EVs' flexible power limit, never below the
// guaranteed floor, with the PV production on top, the lower of it and the quarter-hour peak's
// budget winning; every command and every start and end is a "dimming" decision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "gateway/config/config.hpp"
#include "gateway/control/control_loop.hpp"
#include "tests/support/loop_doubles.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

using test::NullActuator;

class ReportLog : public StepObserver {
 public:
  void on_step(const std::shared_ptr<const StepReport>& r) override {
    last = r;
    for (const auto& d : r->decisions)
      if (d.reason == "dimming") dimming.push_back(d.text);
  }
  std::shared_ptr<const StepReport> last;
  std::vector<std::string> dimming;
};

const ems::WallTime kQuarter = ems::WallTime{} + std::chrono::hours(500'000);
const ems::MonoTime kMono = ems::MonoTime{} + std::chrono::hours(1);

Turn at(double s) {
  const auto d = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
  return {kMono + d, kQuarter + d};
}

MeterEvent sample(const std::string& role, double s, std::array<double, 3> a, std::optional<double> power_w) {
  drivers::MeterReading r;
  for (std::size_t p = 0; p < 3; ++p) r.current_a[p] = drivers::Measurement::of(a[p]);
  if (power_w) r.power_total_w = drivers::Measurement::of(*power_w);
  r.mono = at(s).mono;
  r.wall = at(s).wall;
  return MeterEvent{role, r};
}

std::string example() {
  return test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
}

Config config(const std::string& extra = "") {
  return load_config_text(example() + "\n[grid_operator]\nfailsafe_after_s = 120\nfailsafe_duration_s = 7200\n" + extra,
                          "grid-operator.toml");
}

struct Rig {
  explicit Rig(Config c) : clock(kMono, kQuarter), loop(std::move(c), clock, actuator) { loop.add_observer(&log); }
  ems::CommandReply command(ems::Command c, double s) {
    ems::CommandReply out;
    loop.handle(CommandEvent{std::move(c), [&](ems::CommandReply r) { out = std::move(r); }}, at(s));
    return out;
  }
  const std::optional<ems::FlexLimit>& flex() { return log.last->snapshot.flex_limit; }
  ems::ManualClock clock;
  NullActuator actuator;
  ControlLoop loop;
  ReportLog log;
};

TEST(GridOperatorLoop, AnApiLimitBindsTheEvsUntilItsDurationEnds) {
  Rig rig(config());
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  EXPECT_FALSE(rig.flex().has_value());
  const auto reply = rig.command(ems::GridOperatorLimit{6000, 60}, 1);
  EXPECT_TRUE(reply.accepted) << reply.message;
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 6000);
  EXPECT_EQ(rig.flex()->reason, ems::Reason::Dimming);
  EXPECT_EQ(rig.flex()->text, "grid operator dimming 6.0 kW");
  const auto& dimming = rig.log.last->status->dimming;
  EXPECT_EQ(dimming.state, "limited");
  EXPECT_EQ(dimming.limit_w, 6000);
  EXPECT_EQ(dimming.source, "api");
  EXPECT_EQ(dimming.until, at(61).wall);
  rig.loop.step("timer", at(60));
  ASSERT_TRUE(rig.flex().has_value()) << "still within its 60 s";
  rig.loop.step("timer", at(62));
  EXPECT_FALSE(rig.flex().has_value()) << "the limit's duration ended";
  ASSERT_GE(rig.log.dimming.size(), 3u);
  EXPECT_EQ(rig.log.dimming[0], "command: grid operator limit 6000 W for 60 s");
  EXPECT_EQ(rig.log.dimming[1], "grid operator dimming 6.0 kW (api)");
  EXPECT_EQ(rig.log.dimming.back(), "grid operator dimming ended");
}

TEST(GridOperatorLoop, NoLimitGoesBelowTheGuaranteedFloor) {
  Rig rig(config("controllable_devices = 2\n"));
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{0, 0}, 1).accepted);
  ASSERT_TRUE(rig.flex().has_value());
  // Two devices: 4.2 kW + 1 × 0.8 × 4.2 kW.
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 4200 + 0.8 * 4200);
}

TEST(GridOperatorLoop, ThePvProductionIsAddedOnTop) {
  auto text = example();
  text +=
      "\n[meter.pv]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = 1504\nunit = 1\npreset = \"eastron-sdm630\"\n";
  Rig rig(load_config_text(text, "pv.toml"));
  // 2 kW of production (the PV meter counts import positive: production is negative).
  rig.loop.handle(sample("pv", 0, {3, 3, 3}, -2000), at(0));
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{5000, 0}, 0.5).accepted);
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 7000);
  EXPECT_EQ(rig.flex()->text, "grid operator dimming 5.0 kW");
  // A stale PV reading adds nothing.
  rig.loop.handle(sample("grid", 30, {2, 2, 2}, 1380), at(30));
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 5000);
}

TEST(GridOperatorLoop, TheFailsafeHoldsWhenTheHeartbeatIsLost) {
  Rig rig(config("failsafe_limit_w = 5000\n"));
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{std::nullopt, 0}, 0).accepted);
  ASSERT_TRUE(rig.command(ems::GridOperatorHeartbeat{}, 60).accepted);
  rig.loop.step("timer", at(180));
  EXPECT_FALSE(rig.flex().has_value()) << "120 s since the last heartbeat: not yet";
  rig.loop.step("timer", at(181));
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 5000);
  EXPECT_EQ(rig.log.dimming.back(), "grid operator gateway silent for more than 120 s: failsafe limit 5.0 kW");
  // A heartbeat alone does not end the failsafe before its duration …
  ASSERT_TRUE(rig.command(ems::GridOperatorHeartbeat{}, 600).accepted);
  ASSERT_TRUE(rig.flex().has_value());
  // … a command does.
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{std::nullopt, 0}, 610).accepted);
  EXPECT_FALSE(rig.flex().has_value());
}

TEST(GridOperatorLoop, BadLimitsAreRefusedNamingKeyValueAndRule) {
  Rig rig(config());
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  auto r = rig.command(ems::GridOperatorLimit{-5, 0}, 1);
  EXPECT_FALSE(r.accepted);
  ASSERT_FALSE(r.issues.empty());
  EXPECT_EQ(r.issues[0].key, "grid_operator.limit_w");
  EXPECT_EQ(r.issues[0].value, "-5");
  EXPECT_NE(r.issues[0].rule.find("watts"), std::string::npos);
  r = rig.command(ems::GridOperatorLimit{std::numeric_limits<double>::quiet_NaN(), 0}, 2);
  EXPECT_FALSE(r.accepted);
  r = rig.command(ems::GridOperatorLimit{5000, -1}, 3);
  EXPECT_FALSE(r.accepted);
  ASSERT_FALSE(r.issues.empty());
  EXPECT_EQ(r.issues[0].key, "grid_operator.duration_s");
  EXPECT_FALSE(rig.flex().has_value()) << "a refused command never becomes a limit";
  EXPECT_TRUE(rig.log.dimming.empty());
}

TEST(GridOperatorLoop, TheLowerOfPeakAndDimmingWinsWithItsReason) {
  Rig rig(config("[peak]\ntarget_kw = 5.0\nfollow_month_peak = false\nmargin_kw = 0.2\n"));
  for (int s = 0; s <= 300; s += 10) rig.loop.handle(sample("grid", s, {1.5, 1.5, 1.5}, 1000), at(s));
  ASSERT_TRUE(rig.flex().has_value());
  // About 5.7 kW: (4.8 kW × 15 min − 1 kW × 5 min) over the 10 min left, less the household's 1 kW.
  EXPECT_EQ(rig.flex()->reason, ems::Reason::PeakLimit);
  EXPECT_NEAR(rig.flex()->power.value(), 5700, 1e-6);
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{10000, 0}, 301).accepted);
  EXPECT_EQ(rig.flex()->reason, ems::Reason::PeakLimit) << "10 kW does not bind below the peak's budget";
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{4000, 0}, 302).accepted);
  EXPECT_EQ(rig.flex()->reason, ems::Reason::Dimming);
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 4200) << "the floor, below the peak's budget";
}

TEST(GridOperatorLoop, TheRelayContactDimsAndAnUnreadableContactIsAFaultThatDims) {
  Rig rig(config());
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  rig.loop.handle(DimmingInputEvent{false, {}}, at(1));
  EXPECT_FALSE(rig.flex().has_value());
  rig.loop.handle(DimmingInputEvent{true, {}}, at(2));
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 4200);
  EXPECT_EQ(rig.log.dimming.back(), "grid operator dimming 4.2 kW (relay)");
  rig.loop.handle(DimmingInputEvent{false, {}}, at(3));
  EXPECT_FALSE(rig.flex().has_value());
  EXPECT_EQ(rig.log.dimming.back(), "grid operator dimming ended");
  rig.loop.handle(DimmingInputEvent{std::nullopt, "I/O module 127.0.0.1:502 unit 1 discrete input 0: timeout"}, at(4));
  rig.loop.step("timer", at(4.5));
  ASSERT_TRUE(rig.flex().has_value());
  const auto& faults = rig.log.last->faults;
  const auto f =
      std::find_if(faults.begin(), faults.end(), [](const ems::Fault& x) { return x.code == "grid_operator_input"; });
  ASSERT_NE(f, faults.end());
  EXPECT_NE(f->text.find("discrete input 0: timeout"), std::string::npos) << f->text;
}

TEST(GridOperatorLoop, AReloadAppliesTheDimmingRulesAtOnceAndAChangedInputNeedsARestart) {
  Rig rig(config("failsafe_limit_w = 5000\n"));
  rig.loop.handle(sample("grid", 0, {2, 2, 2}, 1380), at(0));
  ASSERT_TRUE(rig.command(ems::GridOperatorHeartbeat{}, 0).accepted);
  rig.loop.step("timer", at(121));
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 5000);
  // The installer lowers the failsafe limit and counts a second device: the failsafe running keeps
  // going, at the new limit, raised to the new floor (4.2 kW + 0.8 × 4.2 kW).
  std::vector<ems::ConfigIssue> issues{{"(not called)", "", ""}};
  rig.loop.handle(ReloadEvent{config("failsafe_limit_w = 3000\ncontrollable_devices = 2\n"),
                              [&](std::vector<ems::ConfigIssue> i) { issues = std::move(i); }},
                  at(122));
  EXPECT_TRUE(issues.empty()) << issues.front().key << ": " << issues.front().rule;
  rig.loop.step("timer", at(123));
  ASSERT_TRUE(rig.flex().has_value());
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 4200 + 0.8 * 4200);
  EXPECT_EQ(rig.log.dimming.back(), "grid operator gateway silent for more than 120 s: failsafe limit 7.6 kW");
  // A heartbeat missing for a shorter time is failsafe under a reloaded failsafe_after_s.
  ASSERT_TRUE(rig.command(ems::GridOperatorLimit{std::nullopt, 0}, 130).accepted);
  rig.loop.step("timer", at(131));
  EXPECT_FALSE(rig.flex().has_value());
  rig.loop.handle(ReloadEvent{load_config_text(example() + "\n[grid_operator]\nfailsafe_after_s = 30\n", "g.toml"), {}},
                  at(132));
  rig.loop.step("timer", at(161));
  ASSERT_TRUE(rig.flex().has_value()) << "31 s without a heartbeat, failsafe_after_s = 30 since the reload";
  // The relay contact's input is a device: changing it needs a restart, and the running rules stay.
  issues = {{"(not called)", "", ""}};
  rig.loop.handle(ReloadEvent{config("input = \"modbus-di\"\nhost = \"127.0.0.1\"\nfailsafe_limit_w = 9000\n"),
                              [&](std::vector<ems::ConfigIssue> i) { issues = std::move(i); }},
                  at(162));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].rule.find("grid operator's input"), std::string::npos) << issues[0].rule;
  const auto& faults = rig.log.last->faults;
  EXPECT_NE(
      std::find_if(faults.begin(), faults.end(), [](const ems::Fault& x) { return x.code == "reload_needs_restart"; }),
      faults.end());
  rig.loop.step("timer", at(163));
  EXPECT_DOUBLE_EQ(rig.flex()->power.value(), 4200) << "the running failsafe limit (the floor), not 9000 W";
}

}  // namespace
}  // namespace emsgw::gateway
