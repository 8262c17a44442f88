#include "webui/json_codec.hpp"

#include <gtest/gtest.h>

namespace emsgw::webui {
namespace {

using nlohmann::json;

TEST(JsonCodec, StatusKeepsAbsentValuesNullAndStatesInWords) {
  ems::SiteStatus s;
  s.sequence = 7;
  s.time = ems::WallTime(std::chrono::milliseconds(1'700'000'000'123));
  s.grid.current_a = {10.5, std::nullopt, 3.0};
  s.grid.current_step_a = 1;
  ems::SocketStatus so;
  so.id = 3;
  so.state = ems::SocketState::ChargingReduced;
  so.mode = ems::ChargeMode::MinPv;
  so.setpoint_a = 11;
  s.sockets.push_back(so);
  const json j = to_json(s);
  EXPECT_EQ(j["sequence"], 7);
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["time_ms"], 1'700'000'000'123);
  EXPECT_EQ(j["grid"]["current_a"][0], 10.5);
  EXPECT_TRUE(j["grid"]["current_a"][1].is_null());
  EXPECT_TRUE(j["grid"]["power_w_total"].is_null());
  EXPECT_EQ(j["grid"]["current_step_a"], 1);
  EXPECT_EQ(j["sockets"][0]["state"], "charging_reduced");
  EXPECT_EQ(j["sockets"][0]["state_text"], "charging at reduced current");
  EXPECT_EQ(j["sockets"][0]["mode"], "minpv");
  EXPECT_TRUE(j["sockets"][0]["applied_a"].is_null());
  EXPECT_TRUE(j["scn_budget_a"].is_null());
}

TEST(JsonCodec, ParsesEveryCommand) {
  auto c = command_from_json({{"command", "set_socket_mode"}, {"socket_id", 1}, {"mode", "pv"}});
  ASSERT_TRUE(c);
  ASSERT_TRUE(std::holds_alternative<ems::SetSocketMode>(*c));
  EXPECT_EQ(std::get<ems::SetSocketMode>(*c).mode, ems::ChargeMode::Pv);
  c = command_from_json({{"command", "set_socket_max_current"}, {"socket_id", 0}, {"max_current_a", 10.5}});
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(std::get<ems::SetSocketMaxCurrent>(*c).max_current_a, 10.5);
  c = command_from_json({{"command", "set_site_limit"}, {"grid_max_current_a", 20}});
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(std::get<ems::SetSiteLimit>(*c).grid_max_current_a, 20);
  EXPECT_TRUE(command_from_json({{"command", "suspend"}}));
  EXPECT_TRUE(command_from_json({{"command", "resume"}}));
}

TEST(JsonCodec, ParsesTheGridOperatorsLimitAndHeartbeat) {
  auto c = command_from_json({{"command", "grid_operator_limit"}, {"limit_w", 4200}, {"duration_s", 900}});
  ASSERT_TRUE(c) << c.error();
  const auto& l = std::get<ems::GridOperatorLimit>(*c);
  ASSERT_TRUE(l.limit_w);
  EXPECT_DOUBLE_EQ(*l.limit_w, 4200);
  EXPECT_DOUBLE_EQ(l.duration_s, 900);
  c = command_from_json({{"command", "grid_operator_limit"}, {"limit_w", nullptr}});
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(std::get<ems::GridOperatorLimit>(*c).limit_w);
  c = command_from_json({{"command", "grid_operator_limit"}, {"limit_w", "4200"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("limit_w"), std::string::npos);
  c = command_from_json({{"command", "grid_operator_heartbeat"}});
  ASSERT_TRUE(c);
  EXPECT_TRUE(std::holds_alternative<ems::GridOperatorHeartbeat>(*c));
}

TEST(JsonCodec, RefusesMalformedCommandsWithAReason) {
  auto c = command_from_json({{"command", "set_socket_mode"}, {"socket_id", 1}, {"mode", "turbo"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("off, now, minpv, pv"), std::string::npos);
  c = command_from_json({{"command", "set_socket_mode"}, {"socket_id", "one"}, {"mode", "pv"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("socket_id"), std::string::npos);
  c = command_from_json({{"command", "explode"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("unknown command"), std::string::npos);
  EXPECT_FALSE(command_from_json(json::array()));
  EXPECT_FALSE(command_from_json({{"command", "set_site_limit"}}));
}

TEST(JsonCodec, HistoryIsColumnsAlignedOnTime) {
  std::vector<HistorySample> v(2);
  v[0].time = ems::WallTime(std::chrono::seconds(10));
  v[0].grid_current_a = {1.0, 2.0, 3.0};
  v[0].socket_current_a[4] = 6;
  v[1].time = ems::WallTime(std::chrono::seconds(20));
  v[1].pv_power_w = 100;
  const json j = to_json(v);
  EXPECT_EQ(j["time_ms"], json({10000, 20000}));
  EXPECT_EQ(j["grid_current_a"][2][0], 3.0);
  EXPECT_TRUE(j["grid_current_a"][2][1].is_null());
  EXPECT_EQ(j["socket_current_a"]["4"], json({6.0, nullptr}));
  EXPECT_EQ(j["pv_power_w"], json({nullptr, 100.0}));
}

TEST(JsonCodec, EventsCarryLevelAndExplanation) {
  const json j =
      to_json(std::vector<Event>{{ems::WallTime{}, EventLevel::Warning, "meter_stale", "meter silent", "why"}});
  EXPECT_EQ(j[0]["level"], "warning");
  EXPECT_EQ(j[0]["explanation"], "why");
}

}  // namespace
}  // namespace emsgw::webui
