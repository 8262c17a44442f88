// Every reason has a machine key (status "reason", MQTT, stored decisions, the dashboard's i18n
// keys) and words for people (status "reason_text", log lines). Both are interfaces: these pin
// them byte for byte. The words naming a bound (ems/bound_words.hpp) are read back into their
// parts, whatever the configured name holds.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ems/allocation.hpp"
#include "ems/bound_words.hpp"

namespace emsgw::ems::test {
namespace {

struct Expected {
  Reason reason;
  std::string_view key;
  std::string_view words;
};

constexpr Expected kAll[] = {
    {Reason::NotConnected, "not-connected", "no vehicle"},
    {Reason::ModeOff, "mode-off", "mode off"},
    {Reason::Suspended, "suspended", "suspended by the grid operator"},
    {Reason::FailSafe, "fail-safe", "grid meter lost: safe current"},
    {Reason::StationLost, "station-lost", "station unreachable: safe current, its limit kept in reserve"},
    {Reason::StateUnknown, "state-unknown", "state unknown: safe current, its limit kept in reserve"},
    {Reason::Fault, "fault", "station reports a fault"},
    {Reason::GridL1, "grid-l1", "limited by grid phase L1"},
    {Reason::GridL2, "grid-l2", "limited by grid phase L2"},
    {Reason::GridL3, "grid-l3", "limited by grid phase L3"},
    {Reason::SiteLimit, "site-limit", "limited by the external site limit"},
    {Reason::Schedule, "schedule", "limited by an external schedule"},
    {Reason::SocketLimit, "socket-limit", "limited by the external socket limit"},
    {Reason::StationMax, "station-max", "limited by the station maximum"},
    {Reason::SocketMax, "socket-max", "at the socket maximum"},
    {Reason::EvMax, "ev-max", "at the vehicle's maximum"},
    {Reason::PvSurplus, "pv-surplus", "following the PV surplus"},
    {Reason::PvWaiting, "pv-waiting", "waiting for PV surplus"},
    {Reason::PvStale, "pv-stale", "PV reading stale: surplus charging stopped"},
    {Reason::Alternating, "alternating", "alternating: paused for its turn"},
    {Reason::Probing, "probing", "probing the vehicle's minimum current"},
    {Reason::PhaseSwitching, "phase-switching", "switching between 1 and 3 phases"},
    {Reason::CircuitL1, "circuit-l1", "limited by a circuit on phase L1"},
    {Reason::CircuitL2, "circuit-l2", "limited by a circuit on phase L2"},
    {Reason::CircuitL3, "circuit-l3", "limited by a circuit on phase L3"},
    {Reason::CircuitPower, "circuit-power", "limited by a circuit's power limit"},
    {Reason::PeakLimit, "peak-limit", "limited by the quarter-hour peak"},
    {Reason::Dimming, "dimming", "dimmed by the grid operator"},
    {Reason::SurplusMinimum, "surplus-minimum", "at its minimum current: the solar surplus is not more"},
    {Reason::OtherMinimum, "other-minimum", "limited by another socket's minimum current"},
    {Reason::EvNotAsking, "ev-not-asking", "the vehicle is not asking for current: its share goes to the others"},
};

TEST(ReasonWords, EveryReasonHasItsKeyAndItsWords) {
  for (const auto& e : kAll) {
    EXPECT_EQ(to_string(e.reason), e.key);
    EXPECT_EQ(to_words(e.reason), e.words) << e.key;
    EXPECT_EQ(parse_reason(e.key), e.reason) << e.key;
  }
}

TEST(ReasonWords, TheTableCoversTheWholeEnumWithDistinctWords) {
  // The enum is dense from NotConnected to EvNotAsking; every value is in the table above.
  const auto last = static_cast<int>(Reason::EvNotAsking);
  EXPECT_EQ(static_cast<int>(std::size(kAll)), last + 1);
  std::set<std::string_view> words;
  for (int i = 0; i <= last; ++i) {
    const auto r = static_cast<Reason>(i);
    EXPECT_NE(to_words(r), "?") << i;
    words.insert(to_words(r));
  }
  EXPECT_EQ(static_cast<int>(words.size()), last + 1);
  EXPECT_FALSE(parse_reason("no vehicle").has_value());  // words are not keys
}

TEST(BoundWords, EachFormIsReadBackIntoItsKindNameAndValue) {
  struct Case {
    std::string words;
    BoundWords parts;
  };
  const std::vector<Case> cases = {
      {circuit_phase_words("garage-board", Phase::L2), {BoundKind::CircuitPhase, "garage-board", "L2"}},
      {circuit_phase_words("board L1", Phase::L3), {BoundKind::CircuitPhase, "board L1", "L3"}},
      {circuit_power_words("heat pump board", 7400), {BoundKind::CircuitPower, "heat pump board", "7400"}},
      {schedule_current_words("night contract", 10), {BoundKind::ScheduleCurrent, "night contract", "10"}},
      {schedule_current_words("w", 12.5), {BoundKind::ScheduleCurrent, "w", "12.5"}},
      {schedule_power_words("window 3 A", 3500), {BoundKind::SchedulePower, "window 3 A", "3.5"}},
      {quarter_peak_words(4000), {BoundKind::QuarterPeak, "", "4.0"}},
      {dimming_words(4200), {BoundKind::Dimming, "", "4.2"}},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_bound_words(c.words);
    ASSERT_TRUE(parsed) << c.words;
    EXPECT_EQ(*parsed, c.parts) << c.words << " → " << parsed->name << " / " << parsed->value;
  }
  EXPECT_EQ(circuit_phase_words("garage-board", Phase::L2), "circuit garage-board L2");
  EXPECT_EQ(quarter_peak_words(4000), "quarter-hour peak 4.0 kW");
}

TEST(BoundWords, OtherTextIsNotABound) {
  for (const std::string_view words :
       {"", "socket 1 (carport right) at its 14 A minimum", "circuit ", "circuit L2", "schedule 10 A", "schedule night",
        "quarter-hour peak", "quarter-hour peak 4 MW", "grid operator dimming a lot kW", "limited by grid phase L2"})
    EXPECT_FALSE(parse_bound_words(words)) << words;
}

}  // namespace
}  // namespace emsgw::ems::test
