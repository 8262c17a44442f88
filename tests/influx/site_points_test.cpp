// The InfluxDB schema of the stored records (site_points.hpp).
#include "gateway/influx/site_points.hpp"

#include <gtest/gtest.h>

namespace emsgw::gateway::influx {
namespace {

const ems::WallTime kT = ems::WallTime(std::chrono::seconds(1'700'000'000));

std::vector<std::string> encode_all(const std::vector<Point>& points) {
  LineEncoder enc(Precision::Seconds);
  std::vector<std::string> out;
  for (const auto& p : points) {
    auto l = enc.encode(p);
    EXPECT_TRUE(l) << (l ? "" : l.error().message);
    if (l) out.push_back(*l);
  }
  return out;
}

TEST(SitePoints, HistorySampleBecomesGridPvHeatpumpAndSocketPoints) {
  storage::HistorySample s;
  s.time = kT;
  s.grid_current_a = {10.0, std::nullopt, 12.0};
  s.grid_power_w = {2300.0, std::nullopt, 2760.0};
  s.pv_w = 1500.0;  // heat pump unknown: no point at all
  s.sockets.push_back({2, {16.0, 16.0, 16.0}, 16.0, std::nullopt});
  const auto lines = encode_all(to_points(s));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "grid,phase=L1 current_a=10,power_w=2300 1700000000",
                       "grid,phase=L3 current_a=12,power_w=2760 1700000000",
                       "pv power_w=1500 1700000000",
                       "socket,socket=2 current_l1_a=16,current_l2_a=16,current_l3_a=16,setpoint_a=16 1700000000",
                   }));
}

TEST(SitePoints, TheGridLimitAfterMarginIsAFieldOfEachPhase) {
  storage::HistorySample s;
  s.time = kT;
  s.grid_current_a = {10.0, std::nullopt, 12.0};
  s.grid_limit_a = 24.0;
  const auto lines = encode_all(to_points(s));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "grid,phase=L1 current_a=10,limit_a=24 1700000000",
                       "grid,phase=L2 limit_a=24 1700000000",
                       "grid,phase=L3 current_a=12,limit_a=24 1700000000",
                   }));
}

TEST(SitePoints, DecisionEventAndSession) {
  EXPECT_EQ(encode_all({to_point(storage::Decision{7, kT, 1, 16, 10, "grid phase L2"})}),
            (std::vector<std::string>{"decision,socket=1 old_a=16,new_a=10,reason=\"grid phase L2\" 1700000000"}));
  EXPECT_EQ(encode_all({to_point(storage::Event{1, kT, storage::EventKind::FaultRaised, "meter.grid", "stale"})}),
            (std::vector<std::string>{"event,kind=fault_raised subject=\"meter.grid\",text=\"stale\" 1700000000"}));
  // A server's answer quoted in an event's text ends in a newline, which a string field may not hold.
  EXPECT_EQ(encode_all({to_point(storage::Event{2, kT, storage::EventKind::FaultRaised, "influx",
                                                "HTTP 500: {\"error\":\"write failed\"}\n\r\nretry\n"})}),
            (std::vector<std::string>{
                "event,kind=fault_raised subject=\"influx\",text=\"HTTP 500: {\\\"error\\\":\\\"write failed\\\"}   "
                "retry\" 1700000000"}));
  storage::Session s;
  s.socket = 0;
  s.start = kT;
  EXPECT_FALSE(to_point(s));  // still running
  s.end = kT + std::chrono::seconds(3600);
  s.energy_wh = 7000;
  s.pv_energy_wh = 3500;
  EXPECT_EQ(encode_all({*to_point(s)}),
            (std::vector<std::string>{"session,socket=0 energy_wh=7000,pv_energy_wh=3500,duration_s=3600 1700003600"}));
}

}  // namespace
}  // namespace emsgw::gateway::influx
