#pragma once
// /api/sessions, /api/sessions/{id} and /api/sessions.csv (webui/API.md), installed by WebServer.

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "ems/result.hpp"
#include "webui/session_source.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace emsgw::webui {

using ReadGate = std::function<bool(const httplib::Request&, httplib::Response&)>;

/// Adds the session routes; `may_read` answers 401 itself when reading needs a login. With
/// `source` null the routes answer 503.
void install_session_routes(httplib::Server& server, const SessionSource* source, ReadGate may_read);

[[nodiscard]] nlohmann::json to_json(const ChargingSession& s);
/// One CSV document: a header line, then one line per session (RFC 4180, "." decimals, UTC times).
[[nodiscard]] std::string sessions_csv(const std::vector<ChargingSession>& sessions);
/// A time parameter: Unix milliseconds, "YYYY-MM-DD" (00:00 UTC) or "YYYY-MM-DDTHH:MM[:SS]Z".
[[nodiscard]] Result<ems::WallTime, std::string> parse_time_param(const std::string& text);

}  // namespace emsgw::webui
