#pragma once
// The HTTP side of emsgw: JSON API, live stream (Server-Sent Events) and the dashboard, on
// cpp-httplib (webui/API.md). Everything it needs comes in through small interfaces, so the
// gateway only constructs it and wires it; it never runs on the control thread and never blocks it.
//
// Wiring, in the gateway:
//   webui::StatusBoard board;                       // control thread: board.publish(snapshot) per step
//   webui::WebServer web(config.web, {&board, &command_queue, &config_service, &history, &probes, &clock});
//   if (auto r = web.start(); !r) → log r.error() and run without the dashboard (or refuse to start)
//   …
//   web.stop();                                     // before the services it points to are destroyed
// CommandSink::submit must not run the command on the HTTP thread: queue it to the control thread
// and call `reply` from there (the request waits up to command_timeout_ms for it).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ems/command.hpp"
#include "ems/result.hpp"
#include "ems/time.hpp"
#include "webui/config_service.hpp"
#include "webui/energy_source.hpp"
#include "webui/history_source.hpp"
#include "webui/listen_address.hpp"
#include "webui/password_store.hpp"
#include "webui/probe_service.hpp"
#include "webui/session_source.hpp"
#include "webui/session_store.hpp"
#include "webui/status_source.hpp"

namespace httplib {
class Server;
}

namespace emsgw::webui {

/// The [web] section of the configuration, as the server uses it.
struct WebSettings {
  ListenAddress listen;       ///< default 127.0.0.1:8080; port 0 picks a free port
  std::string tls_cert_file;  ///< PEM; TLS is on when both files are set
  std::string tls_key_file;
  bool read_requires_login = false;  ///< false: the read-only dashboard and GET /api/* are open
  std::string password_file = "/var/lib/emsgw/web-password";  ///< Argon2 hash; empty: memory only (tests)
  int session_ttl_s = 12 * 3600;                              ///< idle time after which a session ends
  int login_attempts = 5;                                     ///< failed logins allowed per client address…
  int login_window_s = 60;                                    ///< …in this many seconds
  int threads = 8;                                            ///< HTTP worker threads
  int max_streams = 4;                                        ///< concurrent live streams (each holds a worker thread)
  int command_timeout_ms = 5000;                              ///< wait for the control loop's reply
  int stream_keepalive_ms = 15000;                            ///< comment line on an idle live stream
  // Limits against idle, slow and oversized clients (webui/API.md "Limits"; webui/connection_gate.hpp).
  int max_connections = 512;            ///< open connections in all (the oldest idle one makes room)
  int max_connections_per_client = 32;  ///< open connections per client address (likewise)
  int request_timeout_ms = 10000;       ///< a request's head and body must arrive within this
  int idle_timeout_s = 30;              ///< a keep-alive connection without a request is closed after this
  int max_body_bytes = 256 * 1024;      ///< larger request bodies are answered 413 before they are read
};

/// Counters of the plain-HTTP connection gate (all zero with TLS).
struct ConnectionStats {
  std::uint64_t open = 0;
  std::uint64_t accepted = 0;
  std::uint64_t requests = 0;
  std::uint64_t evicted = 0;    ///< idle connections closed to make room for a new one
  std::uint64_t timed_out = 0;  ///< requests not complete in time, keep-alive idle too long
  std::uint64_t refused = 0;    ///< answered by the gate itself: 413, 411, 431, 400, 503
};

/// The rules of the [web] section, keys as "web.tls_cert" (the gateway's validate_config calls it).
[[nodiscard]] std::vector<ems::ConfigIssue> validate_settings(const WebSettings& s);

/// What the server reads and calls. `status` and `clock` are required; any other may be null
/// (its routes then answer 503 "not available in this build").
struct WebServices {
  const StatusSource* status = nullptr;
  ems::CommandSink* commands = nullptr;
  ConfigService* config = nullptr;
  const HistorySource* history = nullptr;
  ProbeService* probes = nullptr;
  const ems::Clock* clock = nullptr;
  const SessionSource* charging_sessions = nullptr;  ///< /api/sessions (webui/session_routes.cpp)
  const EnergySource* energy = nullptr;              ///< /api/energy (webui/energy_routes.cpp)
};

class WebServer {
 public:
  WebServer(WebSettings settings, WebServices services);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  /// Binds and starts serving on a background thread. Error text when the address cannot be bound
  /// or the TLS files cannot be loaded.
  [[nodiscard]] Result<void, std::string> start();
  /// Stops accepting, ends live streams, joins the thread. Idempotent.
  void stop();
  /// The bound port (useful with port 0); 0 before start().
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool tls() const;
  [[nodiscard]] PasswordStore& passwords() { return passwords_; }
  [[nodiscard]] ConnectionStats connection_stats() const;

 private:
  struct Routes;  // the route table and its handlers (web_server.cpp)
  void install_routes();
  std::string status_body(const StatusPtr& s);

  WebSettings settings_;
  WebServices services_;
  PasswordStore passwords_;
  SessionStore sessions_;
  LoginRateLimiter limiter_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> streams_{0};
  int port_ = 0;
  std::mutex cache_mutex_;  ///< the serialized form of the latest status, shared by all readers
  StatusPtr cached_status_;
  std::string cached_body_;
};

}  // namespace emsgw::webui
