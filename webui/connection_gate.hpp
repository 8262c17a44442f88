#pragma once
// The plain-HTTP server's front door: no worker thread is ever held by an idle or slow client.
//
// cpp-httplib gives every connection a worker thread for its whole life, so ten clients that open a
// connection and send nothing (or a byte every few seconds: "slowloris") take every worker and the
// dashboard stops answering. GatedServer keeps every connection in one epoll thread instead. It
// looks at what has arrived without reading it (MSG_PEEK) and hands a connection to a worker only
// when a whole request is there (head and body, or the first 64 KiB of a larger body); the worker
// serves that one request through httplib's own request handling and gives the connection back
// for the next one (keep-alive). Before any worker sees it:
//   - a request whose head and body do not arrive within request_timeout is closed;
//   - a keep-alive connection without a request for idle_timeout is closed;
//   - a body larger than max_body_bytes (by Content-Length) is answered 413 before it is read,
//     a chunked body 411, a head larger than 16 KiB 431;
//   - at most max_connections_per_client connections per client address and max_connections in
//     all: a new connection closes the longest-waiting idle one of that client (or of all), so
//     idle connections can never lock anyone out; when none is idle it is answered 503.
// TLS connections are encrypted, so the gate cannot look into them: the TLS server keeps httplib's
// thread per connection with short read and keep-alive timeouts (webui/API.md "Limits").

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace emsgw::webui {

struct ConnectionLimits {
  int max_connections = 512;
  int max_connections_per_client = 32;
  std::chrono::milliseconds request_timeout{10000};  ///< first byte → whole request (head and body)
  std::chrono::milliseconds idle_timeout{30000};     ///< keep-alive without a request
  std::chrono::milliseconds write_timeout{5000};     ///< a response (or live-stream event) that cannot be sent
  std::size_t max_body_bytes = 256 * 1024;
  std::size_t threads = 8;  ///< workers (each live stream holds one while it runs)
};

struct GateStats {
  std::uint64_t open = 0;       ///< connections open now (waiting or being served)
  std::uint64_t accepted = 0;   ///< connections taken in
  std::uint64_t requests = 0;   ///< requests handed to a worker
  std::uint64_t evicted = 0;    ///< idle connections closed to make room for a new one
  std::uint64_t timed_out = 0;  ///< closed for a request not complete in time, or idle too long
  std::uint64_t refused = 0;    ///< answered 4xx/503 by the gate (too large, chunked, no room)
};

/// httplib's worker pool, with every worker at a lower scheduling priority (nice + kWorkerNice) so
/// that a burst of HTTP requests yields the CPU to the control thread (design.md §4: the HTTP
/// server must not delay the control loop). Linux applies setpriority() per thread.
class LowPriorityThreadPool final : public httplib::TaskQueue {
 public:
  static constexpr int kWorkerNice = 10;
  explicit LowPriorityThreadPool(std::size_t n);
  ~LowPriorityThreadPool() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void work();
  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable cond_;
  bool stop_ = false;
};

class GatedServer final : public httplib::Server {
 public:
  explicit GatedServer(ConnectionLimits limits);
  ~GatedServer() override;
  GatedServer(const GatedServer&) = delete;
  GatedServer& operator=(const GatedServer&) = delete;

  /// After httplib's stop() and the end of listen: closes every connection and joins the gate and
  /// the workers. Idempotent.
  void stop_gate();
  [[nodiscard]] GateStats stats() const;
  /// After binding: a listen backlog for bursts of connections (httplib's own is 5, and a full
  /// backlog makes new clients wait for SYN retransmissions, seconds).
  void widen_backlog();

  class Gate;

 private:
  /// Called by httplib's accept loop (inline, on its thread) for every accepted socket.
  bool process_and_close_socket(socket_t sock) override;
  friend class Gate;
  /// One request on a connection the gate handed over; true when it may stay open.
  bool serve_one(httplib::Stream& stream, bool close_after);

  std::unique_ptr<Gate> gate_;
};

}  // namespace emsgw::webui
