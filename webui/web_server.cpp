#include "webui/web_server.hpp"

#include <httplib.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <optional>

#include "webui/assets.hpp"
#include "webui/connection_gate.hpp"
#include "webui/energy_routes.hpp"
#include "webui/json_codec.hpp"
#include "webui/session_routes.hpp"

namespace emsgw::webui {

using httplib::Request;
using httplib::Response;
using nlohmann::json;

namespace {
constexpr const char* kSessionCookie = "emsgw_session";
constexpr const char* kCsrfHeader = "X-CSRF-Token";

void send_json(Response& res, int status, const json& body) {
  res.status = status;
  // Invalid UTF-8 (echoed from a request, or from a device) becomes U+FFFD instead of an exception.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

std::string cookie_value(const Request& req, std::string_view name) {
  const auto header = req.get_header_value("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return {};
}

/// Parses the request body as a JSON object; answers 400/415 and returns nullopt when it is not one.
std::optional<json> json_body(const Request& req, Response& res) {
  const auto type = req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    send_error(res, 415, "Content-Type must be application/json");
    return std::nullopt;
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    // Parse again for the position of the error; this path only runs on bad input.
    std::string why = "the request body is not valid JSON";
    try {
      const json again = json::parse(req.body);
      why += again.is_discarded() ? "" : "";
    } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e400
      why += std::string(": ") + e.what();
    }
    send_error(res, 400, why);
    return std::nullopt;
  }
  if (!j.is_object()) {
    send_error(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return j;
}

/// A socket id from a path segment of digits; nullopt when it is beyond any socket id (it may
/// have more digits than any integer holds).
std::optional<int> path_socket_id(const std::string& digits) {
  int v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size() || v < 0 || v > ems::kMaxSocketId) return std::nullopt;
  return v;
}

std::optional<std::string> string_field(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  return j[key].get<std::string>();
}

std::vector<std::string> split_names(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view part = list.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<long long> int_param(const Request& req, const char* key) {
  if (!req.has_param(key)) return std::nullopt;
  const auto text = req.get_param_value(key);
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

struct PendingReply {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<ems::CommandReply> reply;
};
}  // namespace

WebServer::WebServer(WebSettings settings, WebServices services)
    : settings_(std::move(settings)),
      services_(services),
      passwords_(settings_.password_file),
      sessions_(*services_.clock, std::chrono::seconds(settings_.session_ttl_s)),
      limiter_(*services_.clock, settings_.login_attempts, std::chrono::seconds(settings_.login_window_s)) {}

WebServer::~WebServer() {
  stop();
}

bool WebServer::tls() const {
  return !settings_.tls_cert_file.empty() && !settings_.tls_key_file.empty();
}

std::string WebServer::status_body(const StatusPtr& s) {
  if (!s) return "null";
  std::lock_guard lock(cache_mutex_);
  if (s != cached_status_) {
    cached_body_ = to_json(*s).dump(-1, ' ', false, json::error_handler_t::replace);
    cached_status_ = s;
  }
  return cached_body_;
}

Result<void, std::string> WebServer::start() {
  if (server_) return Unexpected(std::string("already started"));
  if (tls()) {
    auto ssl = std::make_unique<httplib::SSLServer>(settings_.tls_cert_file.c_str(), settings_.tls_key_file.c_str());
    if (!ssl->is_valid())
      return Unexpected("web.tls_cert / web.tls_key: cannot load " + settings_.tls_cert_file + " and " +
                        settings_.tls_key_file + " (PEM certificate and private key expected)");
    server_ = std::move(ssl);
  } else {
    // Plain HTTP: connections wait in the gate, not in a worker (webui/connection_gate.hpp).
    ConnectionLimits limits;
    limits.max_connections = settings_.max_connections;
    limits.max_connections_per_client = settings_.max_connections_per_client;
    limits.request_timeout = std::chrono::milliseconds(settings_.request_timeout_ms);
    limits.idle_timeout = std::chrono::seconds(settings_.idle_timeout_s);
    limits.max_body_bytes = static_cast<std::size_t>(settings_.max_body_bytes);
    limits.threads = static_cast<std::size_t>(std::max(2, settings_.threads));
    server_ = std::make_unique<GatedServer>(limits);
  }
  if (tls()) {
    // TLS: httplib's thread per connection, with short timeouts so that idle and slow clients let
    // their worker go soon.
    const auto threads = static_cast<std::size_t>(std::max(2, settings_.threads));
    server_->new_task_queue = [threads] { return new LowPriorityThreadPool(threads); };
    server_->set_keep_alive_max_count(1000);
    server_->set_keep_alive_timeout(2);
    server_->set_read_timeout(std::chrono::milliseconds(std::min(settings_.request_timeout_ms, 5000)));
  }
  server_->set_write_timeout(5, 0);
  server_->set_payload_max_length(static_cast<std::size_t>(settings_.max_body_bytes));
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second process bind
  // the same port and take a share of the dashboard's connections.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
    // Inherited by accepted sockets: httplib writes headers and body separately, and Nagle plus
    // delayed ACKs would hold every small response back ~40 ms.
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const void*>(&yes), sizeof yes);
  });
  install_routes();
  const auto& l = settings_.listen;
  if (l.port == 0) {
    port_ = server_->bind_to_any_port(l.host);
    if (port_ <= 0) return Unexpected("cannot listen on " + l.host + ":0");
  } else {
    if (!server_->bind_to_port(l.host, l.port))
      return Unexpected("cannot listen on " + l.host + ":" + std::to_string(l.port) +
                        ": address in use or not available (web.listen)");
    port_ = l.port;
  }
  if (auto* gated = dynamic_cast<GatedServer*>(server_.get())) gated->widen_backlog();
  stopping_ = false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs; wait for it so that a stop() right
  // after start() cannot leave the loop running (and the join hanging).
  for (int i = 0; i < 1000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {};
}

void WebServer::stop() {
  if (!server_) return;
  stopping_ = true;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  if (auto* gated = dynamic_cast<GatedServer*>(server_.get())) gated->stop_gate();
  server_.reset();
}

ConnectionStats WebServer::connection_stats() const {
  if (auto* gated = dynamic_cast<GatedServer*>(server_.get())) {
    const auto g = gated->stats();
    return {g.open, g.accepted, g.requests, g.evicted, g.timed_out, g.refused};
  }
  return {};
}

// The routes: one table of (method, path, who may call it, handler) below, each handler a named
// function of WebServer::Routes. The access check runs before the handler: Read routes answer 401
// when reading needs a login, Write routes need a session and its CSRF token.
struct WebServer::Routes {
  enum class Access { Open, Read, Write };

  /// One request on its way through a handler.
  struct Call {
    WebServer& web;
    const Request& req;
    Response& res;
    std::optional<Session> session;  ///< set for Write routes
  };
  using Handler = void (*)(Call&);

  struct Route {
    const char* method;
    const char* path;
    Access access;
    Handler handler;
  };

  // --- who is asking -------------------------------------------------------------------------
  static std::optional<Session> session_of(WebServer& web, const Request& req) {
    return web.sessions_.find(cookie_value(req, kSessionCookie));
  }
  static bool may_read(WebServer& web, const Request& req, Response& res) {
    if (!web.settings_.read_requires_login || session_of(web, req)) return true;
    send_error(res, 401, "log in to read the dashboard (web.read_requires_login = true)");
    return false;
  }
  // Changes need a session and its CSRF token in the X-CSRF-Token header (a cross-site form or
  // script can send the cookie but cannot read the token).
  static std::optional<Session> may_write(WebServer& web, const Request& req, Response& res) {
    auto s = session_of(web, req);
    if (!s) {
      send_error(res, 401, "log in to change the site");
      return std::nullopt;
    }
    if (!tokens_equal(req.get_header_value(kCsrfHeader), s->csrf_token)) {
      send_error(res, 403, "missing or wrong X-CSRF-Token header (reload the page)");
      return std::nullopt;
    }
    return s;
  }
  static void set_cookie(WebServer& web, Response& res, const std::string& token, int max_age_s) {
    res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict" +
                                     (web.tls() ? "; Secure" : "") + "; Max-Age=" + std::to_string(max_age_s));
  }
  static json session_json(WebServer& web, const std::optional<Session>& s) {
    json j = {{"logged_in", s.has_value()},
              {"password_set", web.passwords_.is_set()},
              {"read_requires_login", web.settings_.read_requires_login},
              {"tls", web.tls()}};
    j["csrf_token"] = s ? json(s->csrf_token) : json(nullptr);
    return j;
  }
  static void login_as_new_session(Call& c) {
    auto s = c.web.sessions_.create();
    set_cookie(c.web, c.res, s.token, c.web.settings_.session_ttl_s);
    send_json(c.res, 200, session_json(c.web, s));
  }
  // The attempt is counted before the password check, in one step with the limit check: parallel
  // logins cannot all get past the limit while the first checks are still running.
  static bool begin_attempt(Call& c) {
    const int wait = c.web.limiter_.begin_attempt(c.req.remote_addr);
    if (wait == 0) return true;
    c.res.set_header("Retry-After", std::to_string(wait));
    send_error(c.res, 429, "too many failed logins: try again in " + std::to_string(wait) + " s");
    return false;
  }

  // --- session ---------------------------------------------------------------------------------
  static void get_session(Call& c) { send_json(c.res, 200, session_json(c.web, session_of(c.web, c.req))); }
  static void post_login(Call& c) {
    if (const int wait = c.web.limiter_.retry_after_s(c.req.remote_addr); wait > 0) {
      c.res.set_header("Retry-After", std::to_string(wait));
      send_error(c.res, 429, "too many failed logins: try again in " + std::to_string(wait) + " s");
      return;
    }
    auto body = json_body(c.req, c.res);
    if (!body) return;
    auto password = string_field(*body, "password");
    if (!password) return send_error(c.res, 400, "\"password\" must be a string");
    if (!c.web.passwords_.is_set())
      return send_error(c.res, 409, "no password is set yet: run 'emsgw set-password' or use the first-run page");
    if (!begin_attempt(c)) return;
    if (!c.web.passwords_.verify(*password)) return send_error(c.res, 401, "wrong password");
    c.web.limiter_.attempt_succeeded(c.req.remote_addr);
    login_as_new_session(c);
  }
  static void post_logout(Call& c) {
    c.web.sessions_.remove(c.session->token);
    set_cookie(c.web, c.res, "", 0);
    send_json(c.res, 200, {{"logged_in", false}});
  }
  // First run: the password can be set here only while none exists (the listen address defaults
  // to loopback, so only someone on the box or an SSH tunnel gets there first).
  static void post_setup(Call& c) {
    auto body = json_body(c.req, c.res);
    if (!body) return;
    if (c.web.passwords_.is_set())
      return send_error(c.res, 409, "a password is already set: log in and change it instead");
    auto password = string_field(*body, "password");
    if (!password) return send_error(c.res, 400, "\"password\" must be a string");
    if (auto r = c.web.passwords_.set(*password); !r) return send_error(c.res, 400, r.error());
    login_as_new_session(c);
  }
  static void change_password(Call& c) {
    auto body = json_body(c.req, c.res);
    if (!body) return;
    auto current = string_field(*body, "current_password");
    auto next = string_field(*body, "new_password");
    if (!current || !next) return send_error(c.res, 400, "\"current_password\" and \"new_password\" must be strings");
    if (!begin_attempt(c)) return;
    if (!c.web.passwords_.verify(*current)) return send_error(c.res, 403, "the current password is wrong");
    c.web.limiter_.attempt_succeeded(c.req.remote_addr);
    if (auto r = c.web.passwords_.set(*next); !r) return send_error(c.res, 400, r.error());
    c.web.sessions_.clear();  // every other session ends with the old password
    login_as_new_session(c);
  }

  // --- live state ------------------------------------------------------------------------------
  static void get_status(Call& c) {
    auto s = c.web.services_.status->latest();
    if (!s) return send_error(c.res, 503, "no control step has run yet");
    c.res.set_content(c.web.status_body(s), "application/json");
  }
  static void get_sockets(Call& c) {
    auto s = c.web.services_.status->latest();
    if (!s) return send_error(c.res, 503, "no control step has run yet");
    json out = json::array();
    for (const auto& so : s->sockets) out.push_back(to_json(so));
    send_json(c.res, 200, out);
  }
  static void get_socket(Call& c) {
    auto s = c.web.services_.status->latest();
    if (!s) return send_error(c.res, 503, "no control step has run yet");
    const auto id = path_socket_id(c.req.matches[1].str());
    if (id)
      for (const auto& so : s->sockets)
        if (so.id == *id) return send_json(c.res, 200, to_json(so));
    send_error(c.res, 404, "no socket has id " + c.req.matches[1].str());
  }
  static void get_stream(Call& c) {
    WebServer& web = c.web;
    if (web.streams_.fetch_add(1) >= web.settings_.max_streams) {
      web.streams_.fetch_sub(1);
      c.res.set_header("Retry-After", "5");
      return send_error(c.res, 503, "too many live streams open; try again shortly");
    }
    struct StreamState {
      std::uint64_t last = 0;
      bool first = true;
      int idle_ms = 0;
    };
    auto st = std::make_shared<StreamState>();
    c.res.set_header("X-Accel-Buffering", "no");
    c.res.set_chunked_content_provider(
        "text/event-stream",
        [&web, st](std::size_t, httplib::DataSink& sink) {
          constexpr std::chrono::milliseconds kPoll{500};
          if (web.stopping_) return false;
          auto s = st->first ? web.services_.status->latest() : web.services_.status->wait_next(st->last, kPoll);
          st->first = false;
          if (web.stopping_) return false;
          if (s && s->sequence > st->last) {
            st->last = s->sequence;
            st->idle_ms = 0;
            const std::string event =
                "event: status\nid: " + std::to_string(s->sequence) + "\ndata: " + web.status_body(s) + "\n\n";
            return sink.write(event.data(), event.size());
          }
          st->idle_ms += static_cast<int>(kPoll.count());
          if (st->idle_ms >= web.settings_.stream_keepalive_ms) {
            st->idle_ms = 0;
            static constexpr std::string_view kKeepalive = ": keepalive\n\n";
            return sink.write(kKeepalive.data(), kKeepalive.size());
          }
          return true;
        },
        [&web](bool) { web.streams_.fetch_sub(1); });
  }

  // --- commands --------------------------------------------------------------------------------
  static void run_command(Call& c, const ems::Command& command) {
    if (!c.web.services_.commands) return send_error(c.res, 503, "commands are not available in this build");
    auto pending = std::make_shared<PendingReply>();
    c.web.services_.commands->submit(command, [pending](ems::CommandReply reply) {
      {
        std::lock_guard lock(pending->mutex);
        pending->reply = std::move(reply);
      }
      pending->done.notify_all();
    });
    std::unique_lock lock(pending->mutex);
    if (!pending->done.wait_for(lock, std::chrono::milliseconds(c.web.settings_.command_timeout_ms),
                                [&] { return pending->reply.has_value(); }))
      return send_error(c.res, 504, "the control loop did not answer in time; the command may still take effect");
    const auto& r = *pending->reply;
    send_json(c.res, r.accepted ? 200 : 422,
              {{"accepted", r.accepted}, {"message", r.message}, {"issues", to_json(r.issues)}});
  }
  static void post_command(Call& c) {
    auto body = json_body(c.req, c.res);
    if (!body) return;
    auto command = command_from_json(*body);
    if (!command) return send_error(c.res, 400, command.error());
    run_command(c, *command);
  }
  /// POST /api/sockets/{id}/…: the body with the command's name and the socket id from the path.
  static void socket_command(Call& c, const char* name) {
    auto body = json_body(c.req, c.res);
    if (!body) return;
    const auto id = path_socket_id(c.req.matches[1].str());
    if (!id)
      return send_error(
          c.res, 400,
          "socket id " + c.req.matches[1].str() + " is out of range: 0 to " + std::to_string(ems::kMaxSocketId));
    (*body)["command"] = name;
    (*body)["socket_id"] = *id;
    auto command = command_from_json(*body);
    if (!command) return send_error(c.res, 400, command.error());
    run_command(c, *command);
  }
  /// POST /api/grid_operator/limit: {"limit_w": W or null, "duration_s": s}, a heartbeat too.
  static void grid_operator_limit(Call& c) {
    auto body = json_body(c.req, c.res);
    if (!body) return;
    if (!body->is_object()) return send_error(c.res, 400, "the request body must be a JSON object");
    (*body)["command"] = "grid_operator_limit";
    auto command = command_from_json(*body);
    if (!command) return send_error(c.res, 400, command.error());
    run_command(c, *command);
  }
  /// POST /api/grid_operator/heartbeat: no body needed.
  static void grid_operator_heartbeat(Call& c) { run_command(c, ems::GridOperatorHeartbeat{}); }
  static void socket_mode(Call& c) { socket_command(c, "set_socket_mode"); }
  static void socket_max_current(Call& c) { socket_command(c, "set_socket_max_current"); }

  // --- history and events ----------------------------------------------------------------------
  static bool time_range(Call& c, ems::WallTime& from, ems::WallTime& to, int& resolution_s) {
    using namespace std::chrono;
    const auto& req = c.req;
    to = c.web.services_.clock->wall_now();
    const std::string range = req.has_param("range") ? req.get_param_value("range") : "hour";
    if (range == "hour") {
      from = to - hours(1);
      resolution_s = 10;
    } else if (range == "day") {
      from = to - hours(24);
      resolution_s = 60;
    } else if (range == "week") {
      from = to - hours(24 * 7);
      resolution_s = 900;
    } else {
      send_error(c.res, 400, "\"range\" must be one of: hour, day, week");
      return false;
    }
    const auto from_ms = int_param(req, "from_ms");
    const auto to_ms = int_param(req, "to_ms");
    if ((req.has_param("from_ms") && !from_ms) || (req.has_param("to_ms") && !to_ms)) {
      send_error(c.res, 400, "\"from_ms\" and \"to_ms\" must be Unix times in milliseconds");
      return false;
    }
    if (from_ms) from = ems::WallTime(milliseconds(*from_ms));
    if (to_ms) to = ems::WallTime(milliseconds(*to_ms));
    if (req.has_param("resolution_s")) {
      const auto r = int_param(req, "resolution_s");
      if (!r || (*r != 10 && *r != 60 && *r != 900)) {
        send_error(c.res, 400, "\"resolution_s\" must be 10, 60 or 900");
        return false;
      }
      resolution_s = static_cast<int>(*r);
    }
    if (from >= to) {
      send_error(c.res, 400, "the time range is empty (from must be before to)");
      return false;
    }
    return true;
  }
  static void get_history(Call& c) {
    if (!c.web.services_.history) return send_error(c.res, 503, "history is not available in this build");
    HistoryQuery q;
    if (!time_range(c, q.from, q.to, q.resolution_s)) return;
    json out = to_json(c.web.services_.history->history(q));
    out["from_ms"] = unix_ms(q.from);
    out["to_ms"] = unix_ms(q.to);
    out["resolution_s"] = q.resolution_s;
    send_json(c.res, 200, out);
  }
  static void get_events(Call& c) {
    if (!c.web.services_.history) return send_error(c.res, 503, "events are not available in this build");
    EventQuery q;
    int resolution_s = 0;
    if (!time_range(c, q.from, q.to, resolution_s)) return;
    if (c.req.has_param("limit")) {
      const auto limit = int_param(c.req, "limit");
      if (!limit || *limit < 1 || *limit > 1000) return send_error(c.res, 400, "\"limit\" must be between 1 and 1000");
      q.limit = static_cast<int>(*limit);
    }
    send_json(c.res, 200, to_json(c.web.services_.history->events(q)));
  }

  // --- configuration ---------------------------------------------------------------------------
  static bool config_available(Call& c) {
    if (c.web.services_.config) return true;
    send_error(c.res, 503, "configuration is not available in this build");
    return false;
  }
  static void get_config(Call& c) {
    if (config_available(c)) send_json(c.res, 200, c.web.services_.config->get_config());
  }
  static void get_config_schema(Call& c) {
    if (!config_available(c)) return;
    auto schema = c.web.services_.config->get_schema();
    if (schema.is_null()) return send_error(c.res, 503, "the configuration schema is not available in this build");
    send_json(c.res, 200, schema);
  }
  static void put_config(Call& c) {
    if (!config_available(c)) return;
    auto body = json_body(c.req, c.res);
    if (!body) return;
    // Safety rule 8: going beyond the configuration file's installer limits needs "confirm": true
    // (not a setting: taken out of the patch).
    bool confirmed = false;
    if (const auto it = body->find("confirm"); it != body->end()) {
      if (!it->is_boolean())
        return send_json(
            c.res, 422,
            {{"ok", false},
             {"issues", to_json(std::vector<ems::ConfigIssue>{{"confirm", it->dump(), "must be true or false"}})}});
      confirmed = it->get<bool>();
      body->erase(it);
    }
    const auto issues = c.web.services_.config->put_config(*body, confirmed);
    if (!issues.empty()) {
      const bool needs_confirmation = std::all_of(
          issues.begin(), issues.end(), [](const ems::ConfigIssue& i) { return i.rule.ends_with(kConfirmationRule); });
      return send_json(c.res, needs_confirmation ? 409 : 422,
                       {{"ok", false}, {"needs_confirmation", needs_confirmation}, {"issues", to_json(issues)}});
    }
    send_json(c.res, 200, {{"ok", true}, {"config", c.web.services_.config->get_config()}});
  }
  static void clear_overrides(Call& c) {
    if (!config_available(c)) return;
    const auto key = c.req.get_param_value("key");
    if (!c.req.has_param("key") && c.req.get_param_value("all") != "true")
      return send_error(c.res, 400, "give ?key=<override key>, or ?all=true to clear every override");
    const auto issues = c.web.services_.config->clear_overrides(key);
    if (!issues.empty()) return send_json(c.res, 422, {{"ok", false}, {"issues", to_json(issues)}});
    send_json(c.res, 200, {{"ok", true}, {"config", c.web.services_.config->get_config()}});
  }
  static void get_schedules(Call& c) {
    if (!config_available(c)) return;
    auto list = c.web.services_.config->get_schedules();
    if (list.is_null()) return send_error(c.res, 503, "schedules are not available in this build");
    send_json(c.res, 200, list);
  }
  /// PUT /api/schedules: {"schedules": [...]} replaces every window; 400 with every issue.
  static void put_schedules(Call& c) {
    if (!config_available(c)) return;
    auto body = json_body(c.req, c.res);
    if (!body) return;
    const auto it = body->find("schedules");
    if (it == body->end())
      return send_json(
          c.res, 400,
          {{"ok", false},
           {"issues", to_json(std::vector<ems::ConfigIssue>{
                          {"schedules", "(missing)", "is required: the list of windows ([] for none)"}})}});
    const auto issues = c.web.services_.config->put_schedules(*it);
    if (!issues.empty()) return send_json(c.res, 400, {{"ok", false}, {"issues", to_json(issues)}});
    auto list = c.web.services_.config->get_schedules();
    list["ok"] = true;
    send_json(c.res, 200, list);
  }
  static void get_phase_mappings(Call& c) {
    const auto count = int_param(c.req, "sockets").value_or(8);
    if (count < 0 || count > ems::kMaxSockets) return send_error(c.res, 400, "\"sockets\" must be between 0 and 128");
    json three = json::array(), single = json::array();
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      three.push_back(ems::to_string(ems::recommended_mapping(i, true)));
      single.push_back(ems::to_string(ems::recommended_mapping(i, false)));
    }
    send_json(c.res, 200,
              {{"names", split_names(ems::phase_mapping_names())},
               {"recommended_three_phase", three},
               {"recommended_single_phase", single}});
  }
  static void probe(Call& c, ProbeKind kind) {
    if (!c.web.services_.probes) return send_error(c.res, 503, "device tests are not available in this build");
    auto body = json_body(c.req, c.res);
    if (!body) return;
    auto target = string_field(*body, "target");
    if (!target || target->empty())
      return send_error(c.res, 400,
                        kind == ProbeKind::Meter ? "\"target\" must name a meter role (grid, pv, heatpump)"
                                                 : "\"target\" must name a station");
    const auto r = c.web.services_.probes->run(kind, *target);
    send_json(c.res, 200, {{"ok", r.ok}, {"summary", r.summary}, {"details", r.details}});
  }
  static void probe_meter(Call& c) { probe(c, ProbeKind::Meter); }
  static void probe_station(Call& c) { probe(c, ProbeKind::Station); }

  // --- the dashboard ---------------------------------------------------------------------------
  static void get_asset(Call& c) {
    auto asset = find_asset(c.req.path);
    if (!asset) {
      c.res.status = 404;  // body from the error handler
      return;
    }
    c.res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
    c.res.set_header("Cache-Control", asset->path == "/index.html" ? "no-cache" : "max-age=300");
  }

  // clang-format off
  static constexpr Route kTable[] = {
    {"GET",    "/api/session",                    Access::Open,  get_session},
    {"POST",   "/api/login",                      Access::Open,  post_login},
    {"POST",   "/api/logout",                     Access::Write, post_logout},
    {"POST",   "/api/setup",                      Access::Open,  post_setup},
    {"POST",   "/api/password",                   Access::Write, change_password},
    {"GET",    "/api/status",                     Access::Read,  get_status},
    {"GET",    "/api/sockets",                    Access::Read,  get_sockets},
    {"GET",    R"(/api/sockets/(\d+))",           Access::Read,  get_socket},
    {"GET",    "/api/stream",                     Access::Read,  get_stream},
    {"POST",   "/api/commands",                   Access::Write, post_command},
    {"POST",   R"(/api/sockets/(\d+)/mode)",      Access::Write, socket_mode},
    {"POST",   R"(/api/sockets/(\d+)/max_current)", Access::Write, socket_max_current},
    {"POST",   "/api/grid_operator/limit",        Access::Write, grid_operator_limit},
    {"POST",   "/api/grid_operator/heartbeat",    Access::Write, grid_operator_heartbeat},
    {"GET",    "/api/history",                    Access::Read,  get_history},
    {"GET",    "/api/events",                     Access::Read,  get_events},
    {"GET",    "/api/config",                     Access::Read,  get_config},
    {"GET",    "/api/config/schema",              Access::Read,  get_config_schema},
    {"PUT",    "/api/config",                     Access::Write, put_config},
    {"DELETE", "/api/config/overrides",           Access::Write, clear_overrides},
    {"GET",    "/api/schedules",                  Access::Read,  get_schedules},
    {"PUT",    "/api/schedules",                  Access::Write, put_schedules},
    {"GET",    "/api/phase_mappings",             Access::Read,  get_phase_mappings},
    {"POST",   "/api/probe/meter",                Access::Write, probe_meter},
    {"POST",   "/api/probe/station",              Access::Write, probe_station},
    {"GET",    R"(/(?!api/).*)",                  Access::Open,  get_asset},  // last: everything else is the dashboard
  };
  // clang-format on

  static void install(WebServer& web, const Route& route) {
    auto handler = [&web, route](const Request& req, Response& res) {
      Call call{web, req, res, std::nullopt};
      if (route.access == Access::Read && !may_read(web, req, res)) return;
      if (route.access == Access::Write && !(call.session = may_write(web, req, res))) return;
      route.handler(call);
    };
    auto& srv = *web.server_;
    const std::string_view method = route.method;
    if (method == "GET")
      srv.Get(route.path, handler);
    else if (method == "POST")
      srv.Post(route.path, handler);
    else if (method == "PUT")
      srv.Put(route.path, handler);
    else if (method == "DELETE")
      srv.Delete(route.path, handler);
  }
};

void WebServer::install_routes() {
  auto& srv = *server_;
  srv.set_post_routing_handler([](const Request& req, Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "same-origin");
    res.set_header(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    if (req.path.rfind("/api/", 0) == 0) res.set_header("Cache-Control", "no-store");
  });
  srv.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (req.path.rfind("/api/", 0) == 0)
      send_error(res, res.status,
                 res.status == 404 ? "no such API route: " + req.method + " " + req.path
                                   : "request refused (HTTP " + std::to_string(res.status) + ")");
    else
      res.set_content("HTTP " + std::to_string(res.status), "text/plain");
  });
  srv.set_exception_handler(
      [](const Request&, Response& res, std::exception_ptr) { send_error(res, 500, "internal error"); });
  // /api/sessions… (session_routes.cpp) and /api/energy (energy_routes.cpp), before the dashboard's catch-all route of
  // the table.
  install_session_routes(srv, services_.charging_sessions,
                         [this](const Request& req, Response& res) { return Routes::may_read(*this, req, res); });
  install_energy_routes(
      srv, services_.energy, [this](const Request& req, Response& res) { return Routes::may_read(*this, req, res); },
      [this] { return services_.clock->wall_now(); });
  for (const auto& route : Routes::kTable) Routes::install(*this, route);
}

}  // namespace emsgw::webui
