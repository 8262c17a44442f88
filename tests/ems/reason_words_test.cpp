// Every reason has a machine key (status "reason", MQTT, stored decisions, the dashboard's i18n
// keys) and words for people (status "reason_text", log lines). Both are interfaces: these pin
// them byte for byte.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "ems/allocation.hpp"

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

}  // namespace
}  // namespace emsgw::ems::test
