#include "webui/connection_gate.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace emsgw::webui {

// --- LowPriorityThreadPool -------------------------------------------------------------------------

LowPriorityThreadPool::LowPriorityThreadPool(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
}

LowPriorityThreadPool::~LowPriorityThreadPool() {
  shutdown();
}

void LowPriorityThreadPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(fn));
  }
  cond_.notify_one();
}

void LowPriorityThreadPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && workers_.empty()) return;
    stop_ = true;
  }
  cond_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

void LowPriorityThreadPool::work() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), ::getpriority(PRIO_PROCESS, 0) + kWorkerNice);
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mutex_);
      cond_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (stop_ && jobs_.empty()) return;
      fn = std::move(jobs_.front());
      jobs_.pop_front();
    }
    fn();
  }
}

namespace {

using SteadyClock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr std::size_t kMaxHeadBytes = 16 * 1024;
/// A request with this much already arrived goes to a worker even if its body is not complete:
/// the data is flowing, and the worker reads the rest under the request deadline.
constexpr std::size_t kPeekBytes = 64 * 1024;
/// After a refusal, what the client still sends is read and dropped for this long, so that it sees
/// the answer instead of a reset; never more than kDrainBytes.
constexpr auto kDrainTime = Ms(1000);
constexpr std::size_t kDrainBytes = 1024 * 1024;
/// Requests served on one connection before it is closed.
constexpr int kKeepAliveMax = 1000;

/// httplib runs the accept loop's jobs here: inline, on the accept thread (the gate never blocks).
class InlineQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

int remaining_ms(SteadyClock::time_point deadline, Ms cap) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now());
  return static_cast<int>(std::clamp(left, Ms(0), cap).count());
}

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

std::string address_of(const sockaddr_storage& a, int* port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    if (port) *port = ntohs(v4.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    if (port) *port = ntohs(v6.sin6_port);
  }
  return text;
}

std::string peer_of(int fd, int* port = nullptr) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return {};
  return address_of(a, port);
}

/// One connection's bytes for httplib: reads ahead into a buffer (which keeps a pipelined next
/// request for the gate), every wait bounded by the request deadline or the write timeout.
class GateStream final : public httplib::Stream {
 public:
  GateStream(int fd, Ms write_timeout) : fd_(fd), write_timeout_(write_timeout) {}

  void set_deadline(SteadyClock::time_point d) { deadline_ = d; }
  [[nodiscard]] std::string_view pending() const { return std::string_view(buf_).substr(pos_); }

  bool is_readable() const override {
    return pos_ < buf_.size() || wait_for(fd_, POLLIN, remaining_ms(deadline_, Ms(60000)));
  }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, static_cast<int>(write_timeout_.count())); }
  ssize_t read(char* ptr, size_t size) override {
    if (pos_ >= buf_.size()) {
      buf_.clear();
      pos_ = 0;
      if (!wait_for(fd_, POLLIN, remaining_ms(deadline_, Ms(60000)))) return -1;
      char chunk[4096];
      ssize_t n = 0;
      do {
        n = ::recv(fd_, chunk, sizeof chunk, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      buf_.assign(chunk, static_cast<std::size_t>(n));
    }
    const auto n = std::min(size, buf_.size() - pos_);
    std::copy_n(buf_.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n = 0;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = peer_of(fd_, &port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) ip = address_of(a, &port);
  }
  socket_t socket() const override { return fd_; }

 private:
  int fd_;
  Ms write_timeout_;
  SteadyClock::time_point deadline_ = SteadyClock::now();
  std::string buf_;
  std::size_t pos_ = 0;
};

enum class Phase { Waiting, Serving, Draining };

struct Connection {
  int fd = -1;
  std::string client;
  Phase phase = Phase::Waiting;
  SteadyClock::time_point since{};     ///< entered its phase
  SteadyClock::time_point deadline{};  ///< closed when still waiting then
  bool request_started = false;        ///< bytes of a request have arrived
  int served = 0;
  std::size_t drained = 0;
  std::unique_ptr<GateStream> stream;
};

std::string reply(int status, std::string_view reason, std::string_view message) {
  const std::string body = "{\"error\":\"" + std::string(message) + "\"}";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

/// Case-insensitive header lookup in a request head ("Name: value" lines).
std::optional<std::string_view> header(std::string_view head, std::string_view name) {
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const auto start = at + 2;
    const auto end = head.find("\r\n", start);
    const auto line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto colon = line.find(':');
    if (colon == name.size() && std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      auto v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    }
    at = end;
  }
  return std::nullopt;
}

}  // namespace

class GatedServer::Gate {
 public:
  Gate(GatedServer& server, ConnectionLimits limits)
      : server_(server), limits_(limits), pool_(std::max<std::size_t>(2, limits.threads)) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { run(); });
  }
  ~Gate() { stop(); }

  /// Any thread (httplib's accept loop): a new connection.
  void add(int fd) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      arrived_.push_back(fd);
    }
    wake();
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
    pool_.shutdown();  // connections being served finish their request (live streams end on stop)
    std::lock_guard lock(mutex_);
    for (const int fd : arrived_) ::close(fd);
    arrived_.clear();
    for (auto& [fd, c] : conns_) ::close(fd);
    conns_.clear();
    returned_.clear();
    ::close(epoll_);
    ::close(wake_);
    stopped_ = true;
    stats_.open = 0;
  }

  GateStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_, &one, sizeof one);
  }

  void run() {
    std::vector<epoll_event> events(64);
    auto last_scan = SteadyClock::now();
    for (;;) {
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      std::vector<int> arrived;
      std::vector<std::pair<int, bool>> returned;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        arrived.swap(arrived_);
        returned.swap(returned_);
      }
      const auto now = SteadyClock::now();
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == wake_) {
          std::uint64_t v = 0;
          [[maybe_unused]] const auto r = ::read(wake_, &v, sizeof v);
          continue;
        }
        readable(fd, now);
      }
      for (const auto& [fd, keep] : returned) served(fd, keep, now);
      for (const int fd : arrived) admit(fd, now);
      if (now - last_scan >= Ms(100)) {
        expire(now);
        last_scan = now;
      }
      publish_open();
    }
  }

  void publish_open() {
    std::lock_guard lock(mutex_);
    stats_.open = conns_.size();
  }

  void count(std::uint64_t GateStats::*field) {
    std::lock_guard lock(mutex_);
    ++(stats_.*field);
  }

  void watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void close_conn(int fd) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
  }

  /// Answers with `text` and reads what the client still sends for a moment, then closes.
  void refuse(Connection& c, const std::string& text, SteadyClock::time_point now) {
    [[maybe_unused]] const auto n = ::send(c.fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::Draining;
    c.since = now;
    c.deadline = now + kDrainTime;
    count(&GateStats::refused);
    drain(c);
  }

  void drain(Connection& c) {
    char sink[16 * 1024];
    for (;;) {
      const auto n = ::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n > 0) {
        c.drained += static_cast<std::size_t>(n);
        if (c.drained < kDrainBytes) continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      }
      close_conn(c.fd);  // end of stream, an error, or enough
      return;
    }
  }

  /// The longest-waiting idle connection (of `client`, or of anyone when empty).
  Connection* oldest_idle(const std::string& client) {
    Connection* best = nullptr;
    for (auto& [fd, c] : conns_)
      if (c.phase != Phase::Serving && (client.empty() || c.client == client) && (!best || c.since < best->since))
        best = &c;
    return best;
  }

  void admit(int fd, SteadyClock::time_point now) {
    Connection c;
    c.fd = fd;
    c.client = peer_of(fd);
    c.since = now;
    c.deadline = now + limits_.request_timeout;
    c.stream = std::make_unique<GateStream>(fd, limits_.write_timeout);
    count(&GateStats::accepted);
    const auto of_client = static_cast<int>(
        std::count_if(conns_.begin(), conns_.end(), [&](const auto& kv) { return kv.second.client == c.client; }));
    for (const bool per_client : {true, false}) {
      const bool full = per_client ? of_client >= limits_.max_connections_per_client
                                   : static_cast<int>(conns_.size()) >= limits_.max_connections;
      if (!full) continue;
      if (auto* victim = oldest_idle(per_client ? c.client : std::string())) {
        count(&GateStats::evicted);
        close_conn(victim->fd);
        if (per_client) continue;
      } else {
        const auto text = reply(503, "Service Unavailable", "too many connections: try again shortly");
        [[maybe_unused]] const auto n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        count(&GateStats::refused);
        return;
      }
    }
    conns_.emplace(fd, std::move(c));
    watch(fd);
    readable(fd, now);  // bytes may have come with the connection
  }

  void readable(int fd, SteadyClock::time_point now) {
    const auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    auto& c = it->second;
    if (c.phase == Phase::Draining) return drain(c);
    if (c.phase != Phase::Waiting) return;
    ssize_t n = 0;
    do {
      n = ::recv(fd, peek_, sizeof peek_, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    const auto buffered = c.stream->pending();
    if (n == 0 && buffered.empty()) return close_conn(fd);  // the client closed it
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return close_conn(fd);
    const std::size_t got = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (got == 0 && buffered.empty()) return;
    std::string joined;
    std::string_view data(peek_, got);
    if (!buffered.empty()) {
      joined.assign(buffered);
      joined.append(peek_, got);
      data = joined;
    }
    if (!c.request_started) {
      c.request_started = true;
      c.deadline = now + limits_.request_timeout;  // the request's clock starts with its first byte
    }
    const auto head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      if (data.size() >= kMaxHeadBytes)
        refuse(c, reply(431, "Request Header Fields Too Large", "the request head is larger than 16 KiB"), now);
      return;
    }
    const auto head = data.substr(0, head_end + 2);
    if (const auto te = header(head, "Transfer-Encoding"); te && !te->empty())
      return refuse(c, reply(411, "Length Required", "request bodies need a Content-Length"), now);
    std::uint64_t length = 0;
    if (const auto cl = header(head, "Content-Length")) {
      const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
      if (ec != std::errc{} || end != cl->data() + cl->size())
        return refuse(c, reply(400, "Bad Request", "Content-Length is not a number"), now);
    }
    if (length > limits_.max_body_bytes)
      return refuse(c,
                    reply(413, "Payload Too Large",
                          "the request body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes"),
                    now);
    // "Expect: 100-continue": the client sends the body only after the worker's "100 Continue".
    const auto expect = header(head, "Expect");
    if (data.size() >= head_end + 4 + length || data.size() >= kPeekBytes || (expect && !expect->empty()))
      dispatch(c, now);
  }

  void dispatch(Connection& c, SteadyClock::time_point now) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    c.phase = Phase::Serving;
    c.since = now;
    ++c.served;
    c.stream->set_deadline(c.deadline);
    count(&GateStats::requests);
    const int fd = c.fd;
    auto* stream = c.stream.get();
    const bool close_after = c.served >= kKeepAliveMax;
    pool_.enqueue([this, fd, stream, close_after] {
      const bool keep = server_.serve_one(*stream, close_after);
      {
        std::lock_guard lock(mutex_);
        returned_.emplace_back(fd, keep);
      }
      wake();
    });
  }

  void served(int fd, bool keep, SteadyClock::time_point now) {
    const auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    auto& c = it->second;
    if (!keep) return close_conn(fd);
    c.phase = Phase::Waiting;
    c.since = now;
    c.request_started = false;
    c.deadline = now + limits_.idle_timeout;
    watch(fd);
    readable(fd, now);  // a pipelined request may be waiting already
  }

  void expire(SteadyClock::time_point now) {
    std::vector<int> late;
    for (const auto& [fd, c] : conns_)
      if (c.phase != Phase::Serving && now >= c.deadline) late.push_back(fd);
    for (const int fd : late) {
      if (conns_.at(fd).phase == Phase::Waiting) count(&GateStats::timed_out);
      close_conn(fd);
    }
  }

  GatedServer& server_;
  const ConnectionLimits limits_;
  LowPriorityThreadPool pool_;
  int epoll_ = -1;
  int wake_ = -1;
  std::thread thread_;
  std::unordered_map<int, Connection> conns_;  ///< gate thread only (and stop() after the join)
  char peek_[kPeekBytes];                      ///< gate thread only

  mutable std::mutex mutex_;
  std::vector<int> arrived_;
  std::vector<std::pair<int, bool>> returned_;
  bool stopping_ = false;
  bool stopped_ = false;
  GateStats stats_;
};

GatedServer::GatedServer(ConnectionLimits limits) {
  new_task_queue = [] { return new InlineQueue; };
  set_payload_max_length(limits.max_body_bytes);
  set_keep_alive_max_count(kKeepAliveMax);
  set_keep_alive_timeout(
      std::max<time_t>(1, std::chrono::duration_cast<std::chrono::seconds>(limits.idle_timeout).count()));
  gate_ = std::make_unique<Gate>(*this, limits);
}

GatedServer::~GatedServer() {
  stop_gate();
}

void GatedServer::stop_gate() {
  if (gate_) gate_->stop();
}

GateStats GatedServer::stats() const {
  return gate_ ? gate_->stats() : GateStats{};
}

void GatedServer::widen_backlog() {
  const socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, SOMAXCONN);  // Linux: a second listen() sets the new backlog
}

bool GatedServer::process_and_close_socket(socket_t sock) {
  gate_->add(sock);
  return true;
}

bool GatedServer::serve_one(httplib::Stream& stream, bool close_after) {
  bool connection_closed = false;
  const bool ok = process_request(stream, close_after, connection_closed, nullptr);
  return ok && !connection_closed && !close_after;
}

}  // namespace emsgw::webui
