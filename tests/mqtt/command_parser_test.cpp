#include "mqtt/command_parser.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace emsgw::mqtt {
namespace {

const Topics kTopics("emsgw/home");

TEST(CommandParser, SocketMode) {
  auto c = parse_command(kTopics, "emsgw/home/socket/3/mode/set", " PV\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  const auto& m = std::get<ems::SetSocketMode>(c.value());
  EXPECT_EQ(m.socket_id, 3);
  EXPECT_EQ(m.mode, ems::ChargeMode::Pv);
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/socket/3/mode/set", "fast").has_value());
}

TEST(CommandParser, SocketMaxCurrentAndSiteLimit) {
  auto c = parse_command(kTopics, "emsgw/home/socket/1/max_current/set", "13.5");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(std::get<ems::SetSocketMaxCurrent>(c.value()).max_current_a, 13.5);
  auto s = parse_command(kTopics, "emsgw/home/site/grid_max_current/set", "40");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(std::get<ems::SetSiteLimit>(s.value()).grid_max_current_a, 40);
}

TEST(CommandParser, NumbersMustBeWholeAndFinite) {
  for (const char* bad : {"", "16A", "nan", "inf", "1e999", "0x10", "16 16", "--1"})
    EXPECT_FALSE(parse_command(kTopics, "emsgw/home/socket/1/max_current/set", bad).has_value()) << bad;
  // Out of range is not the parser's business: the validator refuses it with the rule.
  EXPECT_TRUE(parse_command(kTopics, "emsgw/home/socket/1/max_current/set", "-5").has_value());
}

TEST(CommandParser, SuspendAndResume) {
  EXPECT_TRUE(
      std::holds_alternative<ems::Suspend>(parse_command(kTopics, "emsgw/home/site/suspended/set", "ON").value()));
  EXPECT_TRUE(
      std::holds_alternative<ems::Resume>(parse_command(kTopics, "emsgw/home/site/suspended/set", "off").value()));
  EXPECT_TRUE(std::holds_alternative<ems::Suspend>(parse_command(kTopics, "emsgw/home/site/suspend/set", "").value()));
  EXPECT_TRUE(std::holds_alternative<ems::Resume>(parse_command(kTopics, "emsgw/home/site/resume/set", "x").value()));
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/site/suspended/set", "maybe").has_value());
}

TEST(CommandParser, RefusesUnknownTopicsAndOversizedPayloads) {
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/socket/x/mode/set", "pv").has_value());
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/socket/1/colour/set", "red").has_value());
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/socket/1/mode", "pv").has_value());
  EXPECT_FALSE(parse_command(kTopics, "other/socket/1/mode/set", "pv").has_value());
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/site/mode/set", "pv").has_value());
  EXPECT_FALSE(parse_command(kTopics, "emsgw/home/socket/1/mode/set", std::string(65, 'p')).has_value());
}

TEST(CommandParser, ReplyTopicAndPayload) {
  EXPECT_EQ(reply_topic("emsgw/home/socket/1/mode/set"), "emsgw/home/socket/1/mode/reply");
  ems::CommandReply r{false, "refused", {{"station[0].socket[0].max_current_a", "99", "must be between 6 and 80 A"}}};
  const auto j = nlohmann::json::parse(reply_payload(r, "99"));
  EXPECT_EQ(j["accepted"], false);
  EXPECT_EQ(j["command"], "99");
  EXPECT_EQ(j["message"], "refused");
  ASSERT_EQ(j["issues"].size(), 1U);
  EXPECT_EQ(j["issues"][0]["key"], "station[0].socket[0].max_current_a");
  // Bytes that are not UTF-8 do not break the reply.
  const auto odd = nlohmann::json::parse(reply_payload({true, "ok", {}}, "\xff\xfe"));
  EXPECT_TRUE(odd["command"].is_string());
}

TEST(CommandParser, GridOperatorLimitAndHeartbeat) {
  auto c = parse_command(kTopics, "emsgw/home/grid_operator/limit/set", R"({"limit_w": 4200, "duration_s": 900})");
  ASSERT_TRUE(c.has_value()) << c.error();
  const auto& l = std::get<ems::GridOperatorLimit>(c.value());
  ASSERT_TRUE(l.limit_w.has_value());
  EXPECT_EQ(*l.limit_w, 4200);
  EXPECT_EQ(l.duration_s, 900);
  EXPECT_EQ(command_name(c.value()), "grid_operator");
  auto lift = parse_command(kTopics, "emsgw/home/grid_operator/limit/set", R"({"limit_w": null})");
  ASSERT_TRUE(lift.has_value()) << lift.error();
  EXPECT_FALSE(std::get<ems::GridOperatorLimit>(lift.value()).limit_w.has_value());
  for (const char* bad : {"4200", R"({"limit_w": "4200"})", R"({"limit_w": 1, "until": 5})", R"({"duration_s": true})"})
    EXPECT_FALSE(parse_command(kTopics, "emsgw/home/grid_operator/limit/set", bad).has_value()) << bad;
  // Out of range is the validator's business (it names the key and the rule).
  EXPECT_TRUE(parse_command(kTopics, "emsgw/home/grid_operator/limit/set", R"({"limit_w": -5})").has_value());
  auto hb = parse_command(kTopics, "emsgw/home/grid_operator/heartbeat/set", "");
  ASSERT_TRUE(hb.has_value());
  EXPECT_TRUE(std::holds_alternative<ems::GridOperatorHeartbeat>(hb.value()));
  EXPECT_EQ(command_name(hb.value()), "grid_operator");
  EXPECT_TRUE(command_name_known("grid_operator"));
}

}  // namespace
}  // namespace emsgw::mqtt
