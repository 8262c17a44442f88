#include "mqtt/command_parser.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace emsgw::mqtt {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

Unexpected<std::string> refuse(std::string why) {
  return Unexpected(std::move(why));
}
}  // namespace

std::string_view command_name(const ems::Command& command) {
  if (std::holds_alternative<ems::SetSocketMode>(command)) return "socket_mode";
  if (std::holds_alternative<ems::SetSocketMaxCurrent>(command)) return "socket_max_current";
  if (std::holds_alternative<ems::SetSiteLimit>(command)) return "site_limit";
  if (std::holds_alternative<ems::GridOperatorLimit>(command) ||
      std::holds_alternative<ems::GridOperatorHeartbeat>(command))
    return "grid_operator";
  return "suspend";
}

bool command_name_known(std::string_view name) {
  return name == "socket_mode" || name == "socket_max_current" || name == "site_limit" || name == "suspend" ||
         name == "grid_operator";
}

namespace {
Result<ems::Command, std::string> parse_grid_operator_limit(std::string_view payload) {
  // {"limit_w": 4200, "duration_s": 900}; "limit_w": null (or absent) lifts the limit.
  const auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Unexpected(std::string(R"(must be a JSON object such as {"limit_w": 4200, "duration_s": 900})"));
  ems::GridOperatorLimit l;
  if (const auto it = j.find("limit_w"); it != j.end() && !it->is_null()) {
    if (!it->is_number())
      return Unexpected(std::string("limit_w must be a number of watts (or null to lift the limit)"));
    l.limit_w = it->get<double>();
  }
  if (const auto it = j.find("duration_s"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return Unexpected(std::string("duration_s must be a number of seconds (0: until changed)"));
    l.duration_s = it->get<double>();
  }
  for (const auto& [key, value] : j.items())
    if (key != "limit_w" && key != "duration_s") return Unexpected("unknown key \"" + key + "\" (limit_w, duration_s)");
  return ems::Command{l};
}
}  // namespace

Result<ems::Command, std::string> parse_command(const Topics& topics, std::string_view topic,
                                                std::string_view raw_payload) {
  if (raw_payload.size() > kMaxCommandPayload)
    return refuse("payload longer than " + std::to_string(kMaxCommandPayload) + " bytes");
  const std::string head = topics.prefix() + "/";
  if (!topic.starts_with(head) || !topic.ends_with("/set")) return refuse("not a command topic");
  std::string_view path = topic.substr(head.size(), topic.size() - head.size() - 4);
  const std::string_view payload = trim(raw_payload);

  if (path.starts_with("socket/")) {
    path.remove_prefix(7);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) return refuse("unknown command topic");
    const auto id = parse_int(path.substr(0, slash));
    if (!id) return refuse("socket id \"" + std::string(path.substr(0, slash)) + "\" is not a number");
    const std::string_view what = path.substr(slash + 1);
    if (what == "mode") {
      if (auto m = ems::parse_charge_mode(lower(payload))) return ems::Command{ems::SetSocketMode{*id, *m}};
      return refuse("mode \"" + std::string(payload) + "\" must be one of: off, now, minpv, pv");
    }
    if (what == "max_current") {
      if (auto a = parse_number(payload)) return ems::Command{ems::SetSocketMaxCurrent{*id, *a}};
      return refuse("maximum current \"" + std::string(payload) + "\" is not a number of amperes");
    }
    return refuse("unknown socket setting \"" + std::string(what) + "\"");
  }
  if (path == "site/grid_max_current") {
    if (auto a = parse_number(payload)) return ems::Command{ems::SetSiteLimit{*a}};
    return refuse("site limit \"" + std::string(payload) + "\" is not a number of amperes");
  }
  if (path == "site/suspended") {
    const std::string p = lower(payload);
    if (p == "on" || p == "true" || p == "1") return ems::Command{ems::Suspend{}};
    if (p == "off" || p == "false" || p == "0") return ems::Command{ems::Resume{}};
    return refuse("\"" + std::string(payload) + "\" must be ON (suspend) or OFF (resume)");
  }
  if (path == "grid_operator/limit") return parse_grid_operator_limit(payload);
  if (path == "grid_operator/heartbeat") return ems::Command{ems::GridOperatorHeartbeat{}};
  if (path == "site/suspend") return ems::Command{ems::Suspend{}};
  if (path == "site/resume") return ems::Command{ems::Resume{}};
  return refuse("unknown command topic");
}

std::string reply_payload(const ems::CommandReply& reply, std::string_view received_payload, std::uint64_t replaced) {
  nlohmann::json issues = nlohmann::json::array();
  for (const auto& i : reply.issues) issues.push_back({{"key", i.key}, {"value", i.value}, {"rule", i.rule}});
  nlohmann::json j = {{"command", received_payload},
                      {"accepted", reply.accepted},
                      {"message", reply.message},
                      {"issues", std::move(issues)}};
  if (replaced > 0) j["replaced"] = replaced;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace emsgw::mqtt
