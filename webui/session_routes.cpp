#include "webui/session_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "webui/json_codec.hpp"

namespace emsgw::webui {

using httplib::Request;
using httplib::Response;
using nlohmann::json;

namespace {
constexpr int kMaxPage = 500;
constexpr int kMaxCsvRows = 100000;

void send(Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}
void refuse(Response& res, int status, const std::string& message) {
  send(res, status, {{"error", message}});
}

json opt(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

std::optional<long long> whole_number(const std::string& text) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

/// Reads socket, from, to (and limit, offset when `paged`); answers 400 naming the parameter.
std::optional<SessionFilter> filter_of(const Request& req, Response& res, bool paged) {
  SessionFilter f;
  if (req.has_param("socket")) {
    const auto v = whole_number(req.get_param_value("socket"));
    if (!v || *v < 0 || *v > 1000) {
      refuse(res, 400, "socket = \"" + req.get_param_value("socket") + "\": must be a socket id (0..1000)");
      return std::nullopt;
    }
    f.socket = static_cast<int>(*v);
  }
  for (const char* key : {"from", "to"}) {
    if (!req.has_param(key)) continue;
    auto t = parse_time_param(req.get_param_value(key));
    if (!t) {
      refuse(res, 400, std::string(key) + " = \"" + req.get_param_value(key) + "\": " + t.error());
      return std::nullopt;
    }
    (std::string_view(key) == "from" ? f.from : f.to) = *t;
  }
  if (f.from && f.to && *f.from >= *f.to) {
    refuse(res, 400, "from must be before to");
    return std::nullopt;
  }
  if (!paged) return f;
  if (req.has_param("limit")) {
    const auto v = whole_number(req.get_param_value("limit"));
    if (!v || *v < 1 || *v > kMaxPage) {
      refuse(res, 400, "limit = \"" + req.get_param_value("limit") + "\": must be between 1 and 500");
      return std::nullopt;
    }
    f.limit = static_cast<int>(*v);
  }
  if (req.has_param("offset")) {
    const auto v = whole_number(req.get_param_value("offset"));
    if (!v || *v < 0 || *v > 100000000) {
      refuse(res, 400, "offset = \"" + req.get_param_value("offset") + "\": must be a whole number ≥ 0");
      return std::nullopt;
    }
    f.offset = static_cast<int>(*v);
  }
  return f;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number(std::optional<double> v, int digits) {
  if (!v || !std::isfinite(*v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, *v);
  return buf;
}
}  // namespace

Result<ems::WallTime, std::string> parse_time_param(const std::string& text) {
  if (const auto ms = whole_number(text)) return ems::WallTime(std::chrono::milliseconds(*ms));
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail[4] = {};
  int n = 0;
  bool ok = false;
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
    ok = true;
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%1[Z]%n", &y, &mo, &d, &h, &mi, &s, tail, &n) == 7 &&
             static_cast<std::size_t>(n) == text.size()) {
    ok = true;
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%1[Z]%n", &y, &mo, &d, &h, &mi, tail, &n) == 6 &&
             static_cast<std::size_t>(n) == text.size()) {
    ok = true;
  }
  if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 1970)
    return Unexpected(std::string("must be Unix milliseconds, a date YYYY-MM-DD or a UTC time YYYY-MM-DDTHH:MM:SSZ"));
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return ems::WallTime(std::chrono::seconds(timegm(&tm)));
}

json to_json(const ChargingSession& s) {
  json j = {{"id", s.id},
            {"socket", s.socket},
            {"socket_name", s.socket_name},
            {"station", s.station},
            {"start", iso8601(s.start)},
            {"start_ms", unix_ms(s.start)},
            {"end", s.end ? json(iso8601(*s.end)) : json(nullptr)},
            {"end_ms", s.end ? json(unix_ms(*s.end)) : json(nullptr)},
            {"running", !s.end.has_value()},
            {"duration_s", s.end ? json(std::chrono::duration<double>(*s.end - s.start).count()) : json(nullptr)},
            {"start_energy_wh", s.start_energy_wh},
            {"end_energy_wh", opt(s.end_energy_wh)},
            {"energy_wh", opt(s.energy_wh)},
            {"pv_energy_wh", opt(s.pv_energy_wh)},
            {"max_current_a", opt(s.max_current_a)},
            {"avg_current_a", opt(s.avg_current_a)},
            {"cost", opt(s.cost)},
            {"currency", s.cost ? json(s.currency) : json(nullptr)},
            {"end_reason", s.end ? json(s.end_reason) : json(nullptr)}};
  std::optional<double> share;
  if (s.pv_energy_wh && s.energy_wh && *s.energy_wh > 0) share = std::clamp(*s.pv_energy_wh / *s.energy_wh, 0.0, 1.0);
  j["solar_share"] = opt(share);
  if (!s.quarters.empty()) {
    json q = json::array();
    for (const auto& x : s.quarters)
      q.push_back({{"start", iso8601(x.start)},
                   {"start_ms", unix_ms(x.start)},
                   {"energy_wh", x.energy_wh},
                   {"pv_energy_wh", opt(x.pv_energy_wh)},
                   {"import_price_per_kwh", opt(x.import_price_per_kwh)},
                   {"tariff_window", x.tariff_window}});
    j["quarters"] = q;
  }
  return j;
}

std::string sessions_csv(const std::vector<ChargingSession>& sessions) {
  std::string out =
      "id,socket,socket_name,start_utc,end_utc,duration_min,start_register_kwh,end_register_kwh,energy_kwh,"
      "solar_kwh,peak_current_a,cost,currency,end_reason\r\n";
  for (const auto& s : sessions) {
    std::optional<double> minutes;
    if (s.end) minutes = std::chrono::duration<double>(*s.end - s.start).count() / 60;
    const auto kwh = [](std::optional<double> wh) { return wh ? std::optional<double>(*wh / 1000) : std::nullopt; };
    out += std::to_string(s.id) + "," + std::to_string(s.socket) + "," + csv_field(s.socket_name) + "," +
           iso8601(s.start) + "," + (s.end ? iso8601(*s.end) : "") + "," + number(minutes, 1) + "," +
           number(s.start_energy_wh / 1000, 3) + "," + number(kwh(s.end_energy_wh), 3) + "," +
           number(kwh(s.energy_wh), 3) + "," + number(kwh(s.pv_energy_wh), 3) + "," + number(s.max_current_a, 1) + "," +
           number(s.cost, 2) + "," + (s.cost ? csv_field(s.currency) : "") + "," +
           csv_field(s.end ? s.end_reason : "running") + "\r\n";
  }
  return out;
}

void install_session_routes(httplib::Server& srv, const SessionSource* source, ReadGate may_read) {
  srv.Get("/api/sessions", [source, may_read](const Request& req, Response& res) {
    if (!may_read(req, res)) return;
    if (!source) return refuse(res, 503, "sessions are not available (storage is off)");
    auto f = filter_of(req, res, true);
    if (!f) return;
    const auto page = source->sessions(*f);
    json items = json::array();
    for (const auto& s : page.items) items.push_back(to_json(s));
    send(res, 200, {{"total", page.total}, {"limit", f->limit}, {"offset", f->offset}, {"sessions", items}});
  });
  srv.Get("/api/sessions.csv", [source, may_read](const Request& req, Response& res) {
    if (!may_read(req, res)) return;
    if (!source) return refuse(res, 503, "sessions are not available (storage is off)");
    auto f = filter_of(req, res, false);
    if (!f) return;
    f->limit = kMaxCsvRows;
    const auto page = source->sessions(*f);
    res.set_header("Content-Disposition", "attachment; filename=\"emsgw-sessions.csv\"");
    res.set_content(sessions_csv(page.items), "text/csv; charset=utf-8");
  });
  srv.Get(R"(/api/sessions/(\d{1,18}))", [source, may_read](const Request& req, Response& res) {
    if (!may_read(req, res)) return;
    if (!source) return refuse(res, 503, "sessions are not available (storage is off)");
    const auto id = whole_number(req.matches[1].str());
    const auto s = id ? source->session(*id) : std::nullopt;
    if (!s) return refuse(res, 404, "no session has id " + req.matches[1].str());
    send(res, 200, to_json(*s));
  });
}

}  // namespace emsgw::webui
